"""Edit distance and character error rate.

The distance is Levenshtein's (insertions, deletions, substitutions, each 1),
over code points.  :func:`levenshtein` uses ``rapidfuzz`` when it is installed
(the ``bench`` extra) and otherwise a bit-parallel algorithm in pure Python
(Myers 1999, in Hyyrö's 2003 formulation for edit distance): one pass over the
longer string with a few integer operations per character, where Python's big
integers hold one bit per character of the shorter string.
"""

from __future__ import annotations

from collections.abc import Callable


def _common_affixes(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without their common prefix and suffix (the distance is the same)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[len(a) - 1 - j] == b[len(b) - 1 - j]:
        j += 1
    return a[i : len(a) - j], b[i : len(b) - j]


def bit_parallel_levenshtein(a: str, b: str) -> int:
    """Levenshtein distance of ``a`` and ``b``.

    >>> bit_parallel_levenshtein("文件上传成功", "鏂囦欢涓婁紶鎴愬姛")
    9
    >>> bit_parallel_levenshtein("kitten", "sitting")
    3
    """
    a, b = _common_affixes(a, b)
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    full = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = full, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def _pick() -> Callable[[str, str], int]:
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return bit_parallel_levenshtein
    distance: Callable[[str, str], int] = Levenshtein.distance
    return distance


levenshtein = _pick()

#: Which implementation :data:`levenshtein` is, for the report.
LEVENSHTEIN_IMPL = "rapidfuzz" if levenshtein is not bit_parallel_levenshtein else "pure Python"


def cer(output: str, reference: str) -> float:
    """Character error rate: edit distance / length of the reference.

    >>> cer("上传成?", "上传成功")
    0.25
    """
    if output == reference:
        return 0.0
    return levenshtein(output, reference) / max(len(reference), 1)
