"""Shortcuts of zhfix.mojibake answer as the long way does.

The repair of a line skips work whose answer is known in advance: where the
runs of a reader lie (``_run_spans``, without encoding them), the probe of
a character the reader never makes (no score) and the second reading of a
line looked for near the first reading before the whole line around it is
read (``_repairs_around``).  These tests check the
shortcuts against the long way on damaged dev-corpus lines.
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

#: Chains whose mojibake holds characters of every reader: cp1252 letters,
#: € (which GBK reads from two byte sequences), Han, holes.
CHAINS = ["utf-8>gbk", "utf-8>cp1252", "gbk>cp1252", "big5>gbk", "gbk>cp949"]

#: Damaged lines per chain and corpus file.
SAMPLE = 10

READERS = ["gbk", "big5", "cp949", "cp1252", "cp1254"]


def _damaged(name: str) -> list[str]:
    lines = [line for line in corpus_lines(name) if len(HAN.findall(line)) >= 4]
    rng = random.Random(7)
    out: list[str] = []
    for chain in CHAINS:
        picked = 0
        for i in rng.sample(range(len(lines)), 200):
            if picked >= SAMPLE:
                break
            try:
                if i % 2:
                    d = mojibake_span(lines[i], chain, errors="replace", seed=i)
                else:
                    d = damage(lines[i], chain, errors="replace")
            except (UnencodableError, UnicodeError, ValueError):
                continue
            out.append(d.text)
            picked += 1
    return out


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_run_spans_are_where_the_reader_runs_lie(name: str) -> None:
    rng = random.Random(11)
    checked = 0
    for text in _damaged(name):
        for _ in range(3):
            lo = rng.randrange(len(text) + 1)
            hi = rng.randrange(lo, len(text) + 1)
            for reader in READERS:
                runs = [(i, j) for i, j, _ in mojibake._reader_runs(text, lo, hi, reader)]
                assert mojibake._run_spans(text, lo, hi, reader) == runs, (text, lo, hi)
                checked += bool(runs)
    assert checked > 50


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_a_character_the_reader_never_makes_has_no_probe_score(name: str) -> None:
    checked = 0
    for text in _damaged(name):
        for p in range(len(text)):
            for layer in mojibake.LAYERS:
                if layer.read not in mojibake.DOUBLE_BYTE_READERS:
                    continue
                if text[p] in mojibake.reader_table(layer.read):
                    continue
                reach = mojibake.PROBE_REACH
                a, b = max(0, p - reach), min(len(text), p + reach + 1)
                assert mojibake._probe_score(text[a:b], p - a, layer.written, layer.read) is None
                checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("codec", "reader", "following"),
    [("big5", "gbk", 0x28), ("big5", "gbk", -1), ("gbk", "big5", 0x5C), ("gbk", "cp949", 0x41)],
)
def test_a_character_lost_whole_reads_as_every_byte_pair_would(
    codec: str, reader: str, following: int
) -> None:
    # Two holes make a double-byte character: the codec's table, filtered,
    # gives what trying every pair of byte values gives (the long way, with
    # no limit on the combinations).
    values = tuple(mojibake.HOLE_BYTES[reader])
    nexts = (mojibake._NEXT_IS_HOLE, following)
    placeholder = bytes((mojibake._HOLE_PLACEHOLDER,)) * 2
    mojibake._hole_options.cache_clear()
    short = mojibake._hole_options(placeholder, (0, 1), codec, values, nexts, reader)
    saved = mojibake.MAX_HOLE_COMBINATIONS
    mojibake.MAX_HOLE_COMBINATIONS = 1 << 20
    try:
        mojibake._hole_options.cache_clear()
        long = mojibake._hole_options(placeholder, (0, 1), codec, values, nexts, reader)
    finally:
        mojibake.MAX_HOLE_COMBINATIONS = saved
        mojibake._hole_options.cache_clear()
    assert short, "a character lost whole has candidates"
    assert short == long


def _reading_key(r: mojibake.Reading) -> tuple[object, ...]:
    return (r.start, r.end, r.after, r.layers, r.inferred, r.gain, r.weak, r.restored)


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_second_readings_found_near_are_those_of_the_whole_line(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second reading is looked for first in the stretches overlapping the
    # first reading only; the repairs overlapping it must be those of the
    # line read in full around it (the long way).
    calls: list[tuple[str, int, int, int, int, int]] = []
    short = mojibake._repairs_around

    def recorded(
        line: str, depth: int, lo: int, hi: int, a: int, b: int
    ) -> tuple[mojibake.Reading, ...]:
        calls.append((line, depth, lo, hi, a, b))
        return short(line, depth, lo, hi, a, b)

    monkeypatch.setattr(mojibake, "_repairs_around", recorded)
    for text in _damaged(name):
        mojibake.candidate_repairs(text)
    assert len(calls) > 20
    found = 0
    for line, depth, lo, hi, a, b in calls:
        long = mojibake._candidates(line, depth, lo, hi, (a, b))
        want = [_reading_key(r) for r in long if r.start < b and r.end > a]
        short.cache_clear()
        got = [
            _reading_key(r) for r in short(line, depth, lo, hi, a, b) if r.start < b and r.end > a
        ]
        assert got == want, (line, a, b)
        found += bool(want)
    assert found > 0


def test_a_character_lost_whole_is_read_only_in_a_short_run_of_holes() -> None:
    # Bytes of Big5 text as GBK left them: known, then holes, then known.
    def options(run: int) -> tuple[str, ...]:
        buf = b"\xa4\x40" + b"\xff" * run + b"\xa4\x40"
        holes = frozenset(range(2, 2 + run))
        token = mojibake._fill_hole(buf, 2, holes, "big5", mojibake.HOLE_BYTES["gbk"], "gbk")
        return token[2]

    assert options(2)
    assert options(mojibake.MAX_LOST_WHOLE_RUN)
    assert options(mojibake.MAX_LOST_WHOLE_RUN + 2) == ()
