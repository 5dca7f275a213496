"""fix_batch: Arrow arrays in, arrays of the same type and shape out, values as fix_text."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, load_cases

from zhfix import apply_plan, fix_and_explain, fix_batch, fix_text

pa = pytest.importorskip("pyarrow")

#: Corpus lines sampled for the scale tests: one line in this many.
CORPUS_SAMPLE_STEP = 997


def _damage(text: str, i: int) -> str:
    """Damage made here from clean text, one kind per text in turn: UTF-8 read as
    GBK, GBK read as cp1252, NFKC flattening."""
    kind = i % 3
    if kind == 0:
        return text.encode("utf-8").decode("gbk", errors="replace")
    if kind == 1:
        return text.encode("gbk", errors="replace").decode("cp1252", errors="replace")
    return unicodedata.normalize("NFKC", text)


def write_jsonl(path: Path, texts: list[str | None], malformed_every: int = 0) -> None:
    """``texts`` as JSON Lines records ``{"id": i, "text": ...}``; with
    ``malformed_every``, a malformed line after every that many records (from the middle)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
            if malformed_every and i % malformed_every == malformed_every // 2:
                f.write("{not json\n")


def scale_texts(corpus_lines: int = 20) -> list[str | None]:
    """A test corpus for the batch and scale paths: every test-case text, damage
    generated from them, a deterministic sample of the clean corpus with damage
    (when the corpus is present), and edge cases (empty, blank, line breaks, null)."""
    texts: list[str | None] = []
    for case in load_cases():
        texts += [case["original"], case["fixed"]]
    texts += [_damage(t, i) for i, t in enumerate(list(texts)) if t and i % 2]
    for name in ("zh_hans.dev.txt", "zh_hant.dev.txt"):
        path = CORPUS_DIR / name
        if path.exists():
            with open(path, encoding="utf-8") as f:
                sample = [
                    line.rstrip("\n") for i, line in enumerate(f) if i % CORPUS_SAMPLE_STEP == 0
                ]
            for i, line in enumerate(sample[:corpus_lines]):
                texts += [line, _damage(line, i)]
    texts += ["", "   ", "第一行\n第二行\r\n", "plain ASCII, nothing to do.", None]
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str | None]:
    return scale_texts()


@pytest.fixture(scope="module")
def expected(texts: list[str | None]) -> list[str | None]:
    return [None if t is None else fix_text(t) for t in texts]


def test_list_matches_fix_text(texts: list[str | None], expected: list[str | None]) -> None:
    result = fix_batch(texts)
    assert result.type == pa.string()
    assert result.to_pylist() == expected
    # The corpus is not trivially clean: some values are repaired.
    assert sum(a != b for a, b in zip(expected, texts, strict=True)) > 0


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_array_types_are_kept(
    texts: list[str | None], expected: list[str | None], kind: str
) -> None:
    arrow_type = getattr(pa, kind)()
    array = pa.array(texts, type=arrow_type)
    result = fix_batch(array)
    assert isinstance(result, pa.Array) and result.type == arrow_type
    assert result.null_count == array.null_count
    assert result.to_pylist() == expected


def test_chunked_arrays_keep_their_chunks(
    texts: list[str | None], expected: list[str | None]
) -> None:
    third = len(texts) // 3
    chunked = pa.chunked_array(
        [texts[:third], texts[third : 2 * third], texts[2 * third :]], type=pa.large_string()
    )
    result = fix_batch(chunked)
    assert isinstance(result, pa.ChunkedArray)
    assert [len(c) for c in result.chunks] == [len(c) for c in chunked.chunks]
    assert result.type == pa.large_string()
    assert result.to_pylist() == expected
    empty = fix_batch(pa.chunked_array([], type=pa.string()))
    assert isinstance(empty, pa.ChunkedArray) and len(empty) == 0


def test_options_and_config_as_fix_text(texts: list[str | None]) -> None:
    some = texts[::10]
    result = fix_batch(some, script="simplified").to_pylist()
    assert result == [None if t is None else fix_text(t, script="simplified") for t in some]


def test_explain_struct(texts: list[str | None]) -> None:
    result = fix_batch(pa.array(texts), explain=True)
    assert isinstance(result, pa.StructArray)
    assert [f.name for f in result.type] == ["text", "changed", "steps", "findings"]
    assert result.null_count == texts.count(None)
    for original, row in zip(texts, result.to_pylist(), strict=True):
        if original is None:
            assert row is None
            continue
        explained = fix_and_explain(original)
        steps = json.loads(row["steps"])
        assert row["text"] == explained.text
        assert row["changed"] == explained.changed == bool(steps)
        assert steps == [s.to_dict() for s in explained.steps]
        assert apply_plan(original, steps) == row["text"]
        assert json.loads(row["findings"]) == [f.to_dict() for f in explained.findings]


def test_explain_chunked_large_string() -> None:
    chunked = pa.chunked_array([["義(yì)無", None], ["干净"]], type=pa.large_string())
    result = fix_batch(chunked, explain=True)
    assert isinstance(result, pa.ChunkedArray) and result.num_chunks == 2
    assert result.type.field("text").type == pa.large_string()
    assert result.to_pylist()[1] is None


def test_null_type_and_empty() -> None:
    assert fix_batch(pa.array([None, None])).to_pylist() == [None, None]
    assert fix_batch([]).to_pylist() == []


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: pa.array([1, 2]), id="int-array"),
        pytest.param(lambda: ["ok", 3], id="int-in-list"),
        pytest.param(lambda: "a single text", id="str"),
        pytest.param(lambda: [b"bytes"], id="bytes-in-list"),
    ],
)
def test_wrong_types_say_what_to_do(bad: object) -> None:
    with pytest.raises(TypeError, match=r"fix_batch|fix_text"):
        fix_batch(bad())  # type: ignore[operator]


def test_unknown_option() -> None:
    with pytest.raises(TypeError, match="unknown zhfix option"):
        fix_batch(["x"], colour="blue")
