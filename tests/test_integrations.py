"""Framework adapters: the Ray batch fixer's contract (no cluster needed) and datatrove."""

from __future__ import annotations

import json

import pytest

from zhfix import apply_plan, fix_text

pa = pytest.importorskip("pyarrow")

from zhfix.integrations.ray import ZhfixBatchFixer  # noqa: E402

TEXTS = ["還是義(yì)無反顧", None, "沒有損壞的一行文本。", "臺風過後"]


def test_batch_fixer_in_place_and_to_new_columns() -> None:
    table = pa.table({"id": [1, 2, 3, 4], "text": TEXTS, "other": ["a", "b", "c", "d"]})
    fixed = ZhfixBatchFixer(columns="text")(table)
    assert fixed.column_names == ["id", "text", "other"]
    assert fixed.column("text").to_pylist() == [None if t is None else fix_text(t) for t in TEXTS]
    fixer = ZhfixBatchFixer(
        columns=["text"], output_columns=["fixed"], explain_columns=["steps"], script="simplified"
    )
    out = fixer(table)
    assert out.column_names == ["id", "text", "other", "fixed", "steps"]
    assert out.column("text").to_pylist() == TEXTS
    for text, result, steps in zip(
        TEXTS, out.column("fixed").to_pylist(), out.column("steps").to_pylist(), strict=True
    ):
        if text is None:
            assert result is None and steps is None
        else:
            assert result == fix_text(text, script="simplified")
            assert apply_plan(text, json.loads(steps)) == result


def test_batch_fixer_errors_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="output column"):
        ZhfixBatchFixer(columns=["a", "b"], output_columns=["c"])
    with pytest.raises(ValueError, match="explain column"):
        ZhfixBatchFixer(columns=["a"], explain_columns=["x", "y"])
    with pytest.raises(TypeError, match="unknown zhfix option"):
        ZhfixBatchFixer(columns=["a"], colour="blue")
    with pytest.raises(TypeError, match='batch_format="pyarrow"'):
        ZhfixBatchFixer(columns=["text"])({"text": ["x"]})
    with pytest.raises(KeyError, match="no column 'body'"):
        ZhfixBatchFixer(columns=["body"])(pa.table({"text": ["x"]}))


def test_datatrove_formatter() -> None:
    pytest.importorskip("datatrove")
    from datatrove.data import Document

    from zhfix.integrations.datatrove import ZhfixFormatter

    docs = [Document(text=t, id=str(i)) for i, t in enumerate(TEXTS) if t is not None]
    originals = [d.text for d in docs]
    step = ZhfixFormatter(explain_key="zhfix_steps")
    out = list(step.run(iter(docs)))
    assert [d.text for d in out] == [fix_text(t) for t in originals]
    for original, doc in zip(originals, out, strict=True):
        assert apply_plan(original, json.loads(doc.metadata["zhfix_steps"])) == doc.text
    changed = sum(fix_text(t) != t for t in originals)
    assert step.stats["zhfix_changed"].total == changed
    assert step.stats["total"].total == len(originals)
    assert ZhfixFormatter(script="simplified").format("臺風過後") == fix_text(
        "臺風過後", script="simplified"
    )
