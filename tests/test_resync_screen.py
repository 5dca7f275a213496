"""The resync fixer's shortcuts give what the plain definitions give.

Candidate lists ranked without scoring whole pools must equal the plain
ranking.
"""

from __future__ import annotations

import importlib
import itertools

import pytest

R = importlib.import_module("zhfix.resync")

#: Contexts of every kind the beam meets: none, Han (simplified and
#: traditional), ASCII letters and marks, a space, a line break, Chinese
#: punctuation, a lost character.
CONTEXTS = ["", "的", "計算", "数据", "A", "ab", " ", "\n", "。", "，我", "a。", "?", "了?", "x的"]


def pools(codec: str) -> list[tuple[int, int]]:
    """Every (lead, trail) key the beam asks candidates for, in ``codec``."""
    t = R.tables(codec)
    return (
        [(lead, R.UNK) for lead in sorted(t.by_lead)]
        + [(R.UNK, trail) for trail in sorted(t.by_trail)]
        + [(R.UNK, R.UNK)]
    )


@pytest.mark.parametrize("codec", R.CODECS)
def test_ranked_candidates_equal_the_plain_ranking(codec: str) -> None:
    t = R.tables(codec)
    for context, (lead, trail) in itertools.product(CONTEXTS, pools(codec)[::5]):
        if lead != R.UNK:
            pool = t.by_lead.get(lead, ())
        elif trail != R.UNK:
            pool = t.by_trail.get(trail, ())
        else:
            pool = R._common_chars(codec)
        ranked = R._top_ranked(context, R._ranked_pool(codec, lead, trail))
        assert ranked == R._top(context, pool), (context, lead, trail)
