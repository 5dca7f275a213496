"""The second-layer search of zhfix.mojibake gives what a full search gives.

:func:`zhfix.mojibake._inner` reads the text around a first reading again,
but only the repairs that overlap the first reading are kept, so the search
reads only the runs that can decide those (see ``mojibake._focus``).  These
tests check, on damaged dev-corpus lines, that the focused search keeps the
very repairs the full search keeps.
"""

from __future__ import annotations

import random
import re

import pytest
from conftest import corpus_lines

from zhfix import mojibake
from zhfix.damage.codecs import UnencodableError, mojibake_span
from zhfix.damage.codecs import mojibake as damage

HAN = re.compile("[\u4e00-\u9fff]")

#: Chains whose first readings most often hide a second layer, or look as if
#: they did (cp1252 mojibake read as Big5 is rare Han again).
CHAINS = ["gbk>cp1252", "utf-8>cp1252", "big5>cp1252", "utf-8>gbk", "gbk>cp1252,utf-8>cp1252"]

#: Damaged lines per chain and corpus file: each has dozens of first readings.
SAMPLE = 6


def _damaged(chain: str, name: str) -> list[str]:
    lines = [line for line in corpus_lines(name) if 4 <= len(HAN.findall(line)) <= 40]
    random.Random(len(chain)).shuffle(lines)
    out: list[str] = []
    for i, line in enumerate(lines):
        if len(out) >= SAMPLE:
            break
        try:
            if i % 2:
                d = mojibake_span(line, chain, errors="replace", seed=i)
            else:
                d = damage(line, chain, errors="replace")
        except (UnencodableError, UnicodeError, ValueError):
            continue
        if d.text != line:
            out.append(d.text)
    return out


def _key(r: mojibake.Reading) -> tuple[object, ...]:
    return (r.start, r.end, r.after, r.layers, r.inferred, r.gain, r.weak)


@pytest.mark.parametrize("chain", CHAINS)
@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_focused_inner_search_keeps_the_same_repairs(chain: str, name: str) -> None:
    compared = found = 0
    for line in _damaged(chain, name):
        marks = sorted(
            [m.start() for m in mojibake.RARE_RE.finditer(line)]
            + [i for i, c in enumerate(line) if c in mojibake.HOLE_CHARS]
            + [i for m in mojibake.GBK_READER_RE.finditer(line) for i in range(*m.span())]
        )
        for layer in mojibake._layers_for(line):
            for first in mojibake._readings(line, layer, marks, 0, len(line)):
                a, b = first.start, first.start + len(first.after)
                new_line = line[:a] + first.after + line[first.end :]
                reach = mojibake.INNER_REACH
                lo, hi = max(0, a - reach), min(len(new_line), b + reach)
                full = [
                    _key(r) for r in mojibake.candidate_repairs(new_line, 1, lo, hi)
                    if r.start < b and r.end > a
                ]
                focused = [
                    _key(r) for r in mojibake._candidates(new_line, 1, lo, hi, (a, b))
                    if r.start < b and r.end > a
                ]
                assert focused == full, (line, first.after)
                compared += 1
                found += bool(full)
    assert compared >= SAMPLE
    if chain != "utf-8>gbk":
        assert found > 0  # cp1252 mojibake read as Big5 reads on as another layer
