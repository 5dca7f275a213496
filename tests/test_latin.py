"""Latin-family mojibake through ftfy, with Chinese text kept out of its way."""

from __future__ import annotations

import random

import pytest
from conftest import corpus_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhfix.config import FixConfig
from zhfix.explain import apply_edits
from zhfix.latin import GATE, fix_latin_mojibake

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONFIG = FixConfig()

#: Corpus lines sampled per file and codec for the CJK-mojibake checks.
SAMPLE_LINES = 1000

# Sentences written for these tests.
LATIN = [
    "Don’t worry — it’s “fine”.",
    "Le café de la gare est fermé à midi.",
    "Größe: 10 € – Übergröße 12 €",
    "São Paulo, Curaçao and Zürich… all ≥ 3°C",
    "Résumé of the naïve coöperation",
]


def fix(text: str) -> str:
    step = fix_latin_mojibake(text, CONFIG) if GATE.search(text) else None
    return text if step is None else apply_edits(text, step.edits)


@pytest.mark.parametrize("sentence", LATIN)
@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
def test_utf8_read_as_latin_is_repaired(sentence: str, codec: str) -> None:
    import ftfy.bad_codecs  # noqa: F401

    try:
        damaged = sentence.encode("utf-8").decode(codec)
    except UnicodeDecodeError:
        pytest.skip(f"{codec} cannot read these bytes")
    if codec == "latin-1" and any("\x80" <= ch <= "\x9f" for ch in damaged):
        pytest.skip("C1 controls: a different kind of damage")
    assert fix(damaged) == sentence
    assert fix(f"说明：{damaged}") == f"说明：{sentence}"


def test_evidence_is_ftfys_plan() -> None:
    step = fix_latin_mojibake("It doesnâ€™t", CONFIG)
    assert step is not None
    (edit,) = step.edits
    assert edit.evidence["ftfy"] == [["encode", "sloppy-windows-1252"], ["decode", "utf-8"]]
    assert edit.evidence["fragment"] == "â€™"


@pytest.mark.parametrize(
    ("name", "codec"),
    [("zh_hans.dev.txt", "gbk"), ("zh_hant.dev.txt", "big5"), ("zh_hans.dev.txt", "utf-8"),
     ("zh_hant.dev.txt", "utf-8")],
)
def test_cjk_mojibake_is_left_to_the_cjk_fixer(name: str, codec: str) -> None:
    """Chinese encoded in any codec and read as Windows-1252 is never touched."""
    import ftfy.bad_codecs  # noqa: F401

    lines = [line for line in corpus_lines(name) if not line.isascii()]
    rng = random.Random(f"zhfix-latin-{name}-{codec}")
    damaged = []
    for line in rng.sample(lines, SAMPLE_LINES):
        try:
            damaged.append(line.encode(codec).decode("sloppy-windows-1252"))
        except UnicodeError:
            continue
    assert sum(1 for d in damaged if GATE.search(d)) > len(damaged) // 2
    assert [d for d in damaged if fix(d) != d] == []


CJK = "文件上传成功用户不存在，。（）：ＡＢ１２"
KEPT = CJK + "“”"
MOJIBAKE = ["â€™", "Ã©", "â€œ", "Â©", "Ã¼", "ÓÃ»§", "æ–‡"]


@given(st.lists(st.one_of(st.sampled_from(list(KEPT)), st.sampled_from(MOJIBAKE),
                          st.sampled_from(["a", " ", "x1"])), max_size=30).map("".join))
@SETTINGS
def test_cjk_characters_are_never_changed(text: str) -> None:
    step = fix_latin_mojibake(text, CONFIG)
    if step is None:
        return
    for edit in step.edits:
        assert not any(ch in KEPT for ch in edit.before)
        assert not any(ch in CJK for ch in edit.after)
    once = apply_edits(text, step.edits)
    assert fix(once) == once


def test_clean_corpus_is_unchanged() -> None:
    lines = [line for name in ("zh_hans.dev.txt", "zh_hant.dev.txt") for line in corpus_lines(name)]
    assert [line for line in lines if fix(line) != line] == []
