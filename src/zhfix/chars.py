"""Character classes shared by the fixers, as regex fragments.

Kept as named fragments so that gates and fixers compile them into their own
patterns.
"""

from __future__ import annotations

import re

#: Han ideographs: the URO, Extension A, compatibility ideographs and the
#: supplementary-plane extensions (B to H).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

#: One Han character.
HAN_RE = re.compile(f"[{HAN}]")


def is_han(ch: str) -> bool:
    """True for a single Han ideograph.

    >>> is_han("義"), is_han("a"), is_han("，")
    (True, False, False)
    """
    return bool(HAN_RE.fullmatch(ch))


def han_count(text: str) -> int:
    """Number of Han characters in ``text``.

    >>> han_count("zhfix 修复中文")
    4
    """
    return len(HAN_RE.findall(text))
