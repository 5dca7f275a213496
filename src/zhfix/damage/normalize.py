"""NFKC flattening: what ``unicodedata.normalize("NFKC")`` does to Chinese text.

Pipelines that normalise with NFKC turn fullwidth punctuation into ASCII
(``，`` → ``,``, ``；`` → ``;``, ``（）`` → ``()``) and fullwidth digits and
letters into ASCII ones; the ideographic full stop ``。`` and the enumeration
comma ``、`` survive.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

from zhfix.damage.base import Damaged


def nfkc(text: str) -> Damaged:
    """``text`` normalised with NFKC; the record counts each character mapping.

    >>> d = nfkc("你好，世界；（１２）。")
    >>> d.text, d.record["changed"]
    ('你好,世界;(12)。', {'，': ',', '；': ';', '（': '(', '１': '1', '２': '2', '）': ')'})
    """
    damaged = unicodedata.normalize("NFKC", text)
    changed: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for ch in text:
        flat = unicodedata.normalize("NFKC", ch)
        if flat != ch:
            changed.setdefault(ch, flat)
            counts[ch] += 1
    record: dict[str, Any] = {
        "function": "nfkc",
        "params": {},
        "changed": changed,
        "counts": dict(counts),
    }
    return Damaged(damaged, text, "nfkc", record)
