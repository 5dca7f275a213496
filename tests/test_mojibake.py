"""The CJK mojibake engine: structure, restoration on damaged corpus lines, safety."""

from __future__ import annotations

import random
import re

import pytest
from conftest import corpus_lines

import zhfix
from zhfix import mojibake
from zhfix.damage.codecs import UnencodableError, mojibake_span
from zhfix.damage.codecs import mojibake as damage

HAN = re.compile("[\u4e00-\u9fff]")

#: Chains whose mojibake is made of characters clean text rarely has.
STRONG_CHAINS = [
    "utf-8>gbk",
    "gbk>cp1252",
    "utf-8>cp1252",
    "big5>cp1252",
    "gbk>cp1254",
    "utf-8>gbk,utf-8>cp1252",
]
#: Chains between two double-byte codecs: the mojibake is ordinary characters.
WEAK_CHAINS = ["big5>gbk", "gbk>big5", "gbk>cp949"]

#: Lines per chain and corpus file in the restoration tests: enough to catch
#: a regression, small enough to run in a minute (larger samples give the
#: rates quoted in zhfix.mojibake).
SAMPLE = 40


@pytest.mark.parametrize("codec", ["gbk", "big5", "cp949", "cp1252", "cp1254"])
def test_reader_tables_read_back(codec: str) -> None:
    table = mojibake.reader_table(codec)
    pythons = mojibake.DOUBLE_BYTE_READERS.get(codec, (codec,))
    checked = 0
    for ch, raw in table.items():
        if ord(ch) < 0x80 or ch in mojibake.READER_EXTRAS.get(codec, {}):
            continue
        if len(raw) == 1 and 0x80 <= raw[0] <= 0x9F and ch == chr(raw[0]):
            continue  # a C1 control for an undefined single byte
        assert any(raw.decode(p, errors="replace") == ch for p in pythons), (ch, raw)
        checked += 1
    assert checked > 90


def _sample(name: str, seed: int) -> list[str]:
    lines = [line for line in corpus_lines(name) if len(HAN.findall(line)) >= 4]
    random.Random(seed).shuffle(lines)
    return lines


def _restored(chain: str, name: str, spans: bool) -> tuple[int, int]:
    ok = total = 0
    for i, line in enumerate(_sample(name, seed=len(chain))):
        if total >= SAMPLE:
            break
        try:
            if spans:
                d = mojibake_span(line, chain, errors="strict", seed=i)
                start, end = d.record["span"]
                if len(HAN.findall(line[start:end])) < 4:
                    continue
            else:
                d = damage(line, chain, errors="strict")
        except (UnencodableError, UnicodeError, ValueError):
            continue
        if not d.record["lossless"]:
            continue
        total += 1
        ok += mojibake.fix(d.text) == line
    return ok, total


@pytest.mark.parametrize("chain", STRONG_CHAINS)
@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
@pytest.mark.parametrize("spans", [False, True], ids=["line", "span"])
def test_strong_chains_restore(chain: str, name: str, spans: bool) -> None:
    ok, total = _restored(chain, name, spans)
    assert total >= SAMPLE // 2
    assert ok >= total - 1, f"{ok}/{total}"


@pytest.mark.parametrize("chain", WEAK_CHAINS)
@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_weak_chains_restore_whole_lines(chain: str, name: str) -> None:
    ok, total = _restored(chain, name, spans=False)
    if total < SAMPLE // 4:
        pytest.skip(f"only {total} lines of {name} survive {chain} losslessly")
    assert ok >= 0.9 * total, f"{ok}/{total}"


@pytest.mark.parametrize("errors", ["replace", "?"])
def test_lossy_last_character(errors: str) -> None:
    """UTF-8 read as GBK, the last character's last byte lost.

    About 75 % come back exactly on 600 dev-corpus spans per file; most of the
    rest keep their hole, because the model cannot choose among the candidates
    (！：？ at the end of a clause with no cue, words of equal frequency).
    """
    ok = total = 0
    for i, line in enumerate(_sample("zh_hans.dev.txt", seed=11)):
        if total >= 2 * SAMPLE:
            break
        try:
            d = mojibake_span(line, "utf-8>gbk", errors=errors, seed=i)
        except (UnencodableError, ValueError):
            continue
        start, end = d.record["span"]
        lost = d.record["lost"]
        size = len(line[start:end].encode("utf-8"))
        if len(lost) != 1 or lost[0]["offset"] != size - 1 or d.record["eaten"]:
            continue
        total += 1
        ok += mojibake.fix(d.text) == line
    assert total >= SAMPLE // 2
    assert ok >= 0.65 * total, f"{ok}/{total}"


def test_inferred_character_is_in_the_evidence() -> None:
    damaged = "数据库连接失败".encode().decode("gbk", errors="replace")
    assert damaged.endswith("\ufffd")
    explained = zhfix.fix_and_explain(damaged)
    assert explained.text == "数据库连接失败"
    (edit,) = explained.steps[0].edits
    inferred = edit.evidence["inferred"]
    assert inferred[0]["char"] == "败" and 0 < inferred[0]["confidence"] <= 1
    assert edit.evidence["chain"] == "utf-8>gbk"
    assert edit.confidence <= inferred[0]["confidence"]


def test_uncertain_hole_is_left() -> None:
    # One character, its last byte lost: nothing to choose by.
    damaged = "说明：" + "的".encode().decode("gbk", errors="replace")
    assert mojibake.fix(damaged) == damaged


def test_repairs_are_idempotent() -> None:
    for i, line in enumerate(_sample("zh_hans.dev.txt", seed=5)[:30]):
        try:
            d = mojibake_span(line, "utf-8>gbk", errors="replace", seed=i)
        except (UnencodableError, ValueError):
            continue
        once = mojibake.fix(d.text)
        assert mojibake.fix(once) == once


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_clean_corpus_unchanged(name: str) -> None:
    changed = [line for line in corpus_lines(name) if mojibake.fix(line) != line]
    assert changed == []


def test_gate_passes_most_clean_lines() -> None:
    lines = corpus_lines("zh_hans.dev.txt")
    gated = sum(1 for line in lines if mojibake.GATE.search(line))
    assert gated < 0.02 * len(lines)


#: Weak chains and the corpus file whose lines they damage in the line tests:
#: the clean neighbour comes from the other file (simplified next to damaged
#: traditional and the reverse), as in a mixed document.
NEIGHBOURS = [
    ("big5>gbk", "zh_hant.dev.txt", "zh_hans.dev.txt"),
    ("gbk>big5", "zh_hans.dev.txt", "zh_hant.dev.txt"),
    ("gbk>cp949", "zh_hans.dev.txt", "zh_hant.dev.txt"),
]


def _damaged_lines(chain: str, name: str, count: int) -> list[tuple[str, str]]:
    """(clean, damaged) pairs of lossless whole-line damage of corpus lines."""
    pairs: list[tuple[str, str]] = []
    for line in _sample(name, seed=len(name)):
        if len(pairs) >= count:
            break
        try:
            d = damage(line, chain, errors="strict")
        except (UnencodableError, UnicodeError, ValueError):
            continue
        if d.record["lossless"] and d.text != line and mojibake.fix(d.text) == line:
            pairs.append((line, d.text))
    return pairs


@pytest.mark.parametrize(("chain", "name", "other"), NEIGHBOURS)
def test_clean_neighbour_is_not_read_through_the_line_layer(
    chain: str, name: str, other: str
) -> None:
    """A clean clause set off by a space before or after damage stays as it is."""
    pairs = _damaged_lines(chain, name, SAMPLE // 2)
    cleans = [line[:12].strip() for line in _sample(other, seed=3)[: len(pairs)]]
    assert len(pairs) >= SAMPLE // 4
    for (line, damaged), clean in zip(pairs, cleans, strict=False):
        assert mojibake.fix(f"{clean} {damaged}") == f"{clean} {line}"
        assert mojibake.fix(f"{damaged} {clean}") == f"{line} {clean}"


@pytest.mark.parametrize(("chain", "name", "other"), NEIGHBOURS)
def test_line_layer_carries_damaged_runs_not_clean_ones(chain: str, name: str, other: str) -> None:
    """Once a line is read through a weak layer, its other damaged runs follow
    (all of them on dev-corpus lines), its clean runs seldom do."""
    layer = next(layer for layer in mojibake.LAYERS if layer.name == chain)
    lm = mojibake.model()
    damaged = carried = 0
    for line, text in _damaged_lines(chain, name, SAMPLE):
        if len(text) != len(line):
            continue
        for m in re.finditer("[^\x00-\x7f]+", text):
            a, b = m.span()
            if line[a:b] != m.group() and mojibake.read_back(m.group(), layer) == line[a:b]:
                damaged += 1
                carried += mojibake._carried(text, a, b, line[a:b], lm)
    assert damaged >= SAMPLE and carried >= 0.98 * damaged, f"{carried}/{damaged}"
    readable = pulled = 0
    for line in _sample(other, seed=4)[: 5 * SAMPLE] + _sample(name, seed=4)[: 5 * SAMPLE]:
        for m in re.finditer("[^\x00-\x7f]+", line):
            after = mojibake.read_back(m.group(), layer)
            if after is not None and after != m.group():
                readable += 1
                pulled += mojibake._carried(line, *m.span(), after, lm)
    assert pulled <= 0.1 * readable, f"{pulled}/{readable}"


@pytest.mark.parametrize(("chain", "name", "other"), NEIGHBOURS)
def test_weak_span_leaves_the_rest_of_its_line(chain: str, name: str, other: str) -> None:
    """A span of a clean line damaged through a weak layer: whatever becomes of
    the span, the clean text around it stays as it is."""
    checked = 0
    for i, line in enumerate(_sample(name, seed=8)):
        if checked >= 10 * SAMPLE:
            break
        try:
            d = mojibake_span(line, chain, errors="strict", seed=i)
        except (UnencodableError, UnicodeError, ValueError):
            continue
        if not d.record["lossless"] or d.text == line or len(d.text) != len(line):
            continue
        start, end = d.record["span"]
        checked += 1
        out = mojibake.fix(d.text)
        assert len(out) != len(line) or (out[:start], out[end:]) == (line[:start], line[end:])
    assert checked >= SAMPLE


@pytest.mark.parametrize(
    ("codec", "reader", "chunk", "offsets"),
    [
        ("utf-8", "cp1252", "文".encode(), (2,)),
        ("utf-8", "gbk", "件".encode(), (1, 2)),
        ("utf-8", "big5", "传".encode(), (1,)),
        ("gbk", "big5", "设".encode("gbk"), (1,)),
        ("big5", "gbk", "設".encode("big5"), (0,)),
    ],
)
def test_hole_options_are_the_valid_fillings(
    codec: str, reader: str, chunk: bytes, offsets: tuple[int, ...]
) -> None:
    """Every byte combination the holes allow, kept when it makes one plausible
    character: the candidates, in order, whatever way they are enumerated."""
    import itertools
    import unicodedata

    values = mojibake.HOLE_BYTES[reader]
    nexts = tuple(
        -2 if o + 1 in offsets else (chunk[o + 1] if o + 1 < len(chunk) else -1)
        for o in offsets
    )
    double_byte = reader in mojibake.DOUBLE_BYTE_READERS
    choices = []
    for o, following in zip(offsets, nexts, strict=True):
        if codec == "utf-8" and o > 0:
            allowed = [v for v in values if 0x80 <= v <= 0xBF]
        else:
            allowed = [v for v in values if v >= (0x81 if o == 0 else 0x40)]
        if double_byte and following >= 0:
            allowed = [v for v in allowed if v in mojibake.refused_before(reader, following)]
        choices.append(allowed)
    expected: list[str] = []
    for combo in itertools.product(*choices):
        work = bytearray(chunk)
        for o, v in zip(offsets, combo, strict=True):
            work[o] = v
        if double_byte and any(
            work[o] not in mojibake.refused_before(reader, work[o + 1])
            for o, following in zip(offsets, nexts, strict=True) if following == -2
        ):
            continue
        try:
            ch = bytes(work).decode(codec)
        except UnicodeDecodeError:
            continue
        plausible = unicodedata.category(ch) not in ("Cc", "Co", "Cn", "Cs")
        if len(ch) == 1 and ord(ch) >= 0x80 and plausible:
            expected.append(ch)
    expected = list(dict.fromkeys(expected))
    got = mojibake._hole_options.__wrapped__(chunk, offsets, codec, tuple(values), nexts, reader)
    if len(expected) <= mojibake.MAX_HOLE_OPTIONS:
        assert list(got) == expected
    else:
        assert len(got) == mojibake.MAX_HOLE_OPTIONS and set(got) <= set(expected)
    assert got


def test_a_hole_before_han_weighs_the_character_model_and_before_ascii_does_not() -> None:
    from zhfix.lm import model, segment_logprobs

    lm = model()
    options = ("已", "安")  # the Big5 characters with trail 77 that GBK refuses
    chosen = list("目前沒有")
    alone = segment_logprobs("前沒有", options, "儲存")
    mixed = mojibake._hole_scores(options, chosen, list("儲存"), lm, "")
    # The character model links 已 to 有 and 儲: it leads by more than alone.
    assert mixed[0] - mixed[1] > alone[0] - alone[1]
    before_ascii = mojibake._hole_scores(options, chosen, list(". "), lm, "")
    assert before_ascii == segment_logprobs("前沒有", options, ". ")
