"""Repair a column of texts at once: :func:`fix_batch`, for Arrow and data frames.

Data pipelines hold text in Arrow arrays (Parquet files, Ray Data, Hugging Face
datasets, pandas with the Arrow backend).  :func:`fix_batch` repairs every value
of such an array and returns an array of the same type and shape, so it can
replace the column in place: nulls stay null, ``large_string`` stays
``large_string``, a chunked array keeps its chunks.  Each value is repaired
exactly as :func:`zhfix.fix_text` would repair it.

With ``explain=True`` the result is a struct array with one row per input value:

- ``text`` (same type as the input): the repaired text;
- ``changed`` (bool): whether a repair step changed the text;
- ``steps`` (string): the repair steps as a JSON list of step dicts, replayable
  with :func:`zhfix.apply_plan` (``"[]"`` when nothing changed);
- ``findings`` (string): damage found but left in place, as a JSON list.

A null input gives a null row (every field null).  The steps are JSON strings
rather than nested Arrow structs because their evidence is free-form JSON data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from zhfix.config import DEFAULT_CONFIG, FixConfig
from zhfix.explain import ExplainedText
from zhfix.pipeline import run

if TYPE_CHECKING:
    import pyarrow as pa

#: Names of the fields of the struct :func:`fix_batch` returns with ``explain=True``.
EXPLAIN_FIELDS: tuple[str, ...] = ("text", "changed", "steps", "findings")


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pyarrow is a dependency of the extras
        raise ImportError(
            "zhfix.fix_batch needs pyarrow: pip install 'zhfix[parquet]'"
        ) from None
    return pyarrow


def _config(config: FixConfig | None, options: dict[str, Any]) -> FixConfig:
    base = DEFAULT_CONFIG if config is None else config
    if not isinstance(base, FixConfig):
        raise TypeError(f"config must be a zhfix.FixConfig, not {type(base).__name__}")
    return base.with_options(**options)


def steps_json(explained: ExplainedText) -> str:
    """The steps of a repair as a JSON list, as stored in explanation columns."""
    return json.dumps([s.to_dict() for s in explained.steps], ensure_ascii=False)


def _check_type(pa: Any, array: Any) -> None:
    t = array.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
        raise TypeError(
            f"fix_batch repairs string or large_string arrays, not {t}; "
            "cast the column first (e.g. array.cast(pyarrow.string()))"
        )


def _fix_array(pa: Any, array: Any, config: FixConfig, explain: bool) -> Any:
    """Repair one (non-chunked) Arrow array."""
    text_type = pa.string() if pa.types.is_null(array.type) else array.type
    values: list[str | None] = array.to_pylist()
    results: list[ExplainedText | None] = [
        None if v is None else run(v, config) for v in values
    ]
    if not explain:
        if all(r is None or not r.changed for r in results):
            return array if not pa.types.is_null(array.type) else array.cast(text_type)
        return pa.array([None if r is None else r.text for r in results], type=text_type)
    mask = pa.array([r is None for r in results], type=pa.bool_())
    texts = pa.array([None if r is None else r.text for r in results], type=text_type)
    changed = pa.array([None if r is None else r.changed for r in results], type=pa.bool_())
    steps = pa.array([None if r is None else steps_json(r) for r in results], type=pa.string())
    findings = pa.array(
        [
            None
            if r is None
            else json.dumps([f.to_dict() for f in r.findings], ensure_ascii=False)
            for r in results
        ],
        type=pa.string(),
    )
    return pa.StructArray.from_arrays(
        [texts, changed, steps, findings], names=list(EXPLAIN_FIELDS), mask=mask
    )


def fix_batch(
    texts: pa.Array | pa.ChunkedArray | Sequence[str | None],
    config: FixConfig | None = None,
    *,
    explain: bool = False,
    **options: Any,
) -> Any:
    """Repair every text of an Arrow array (or a list); returns an Arrow array.

    ``texts`` is a ``pyarrow`` ``string`` or ``large_string`` array, a chunked
    array of one of those, or a Python sequence of ``str``/``None``.  The result
    has the input's type and shape (a list gives a ``string`` array); with
    ``explain=True`` it is a struct array described in :mod:`zhfix.batch`.
    ``options`` override fields of ``config``, as in :func:`zhfix.fix_text`.

    >>> fix_batch(["還是義(yì)無反顧", None]).to_pylist()
    ['還是義無反顧', None]
    >>> row = fix_batch(["義(yì)無"], explain=True)[0].as_py()
    >>> row["text"], row["changed"], json.loads(row["steps"])[0]["fixer"]
    ('義無', True, 'annotations')
    """
    pa = _pyarrow()
    cfg = _config(config, options)
    if isinstance(texts, pa.ChunkedArray):
        _check_type(pa, texts)
        chunks = [_fix_array(pa, chunk, cfg, explain) for chunk in texts.chunks]
        if chunks:
            return pa.chunked_array(chunks, type=chunks[0].type)
        empty = _fix_array(pa, pa.array([], type=texts.type), cfg, explain)
        return pa.chunked_array([], type=empty.type)
    if isinstance(texts, pa.Array):
        _check_type(pa, texts)
        return _fix_array(pa, texts, cfg, explain)
    if isinstance(texts, (str, bytes)):
        raise TypeError("fix_batch takes a sequence of texts; for one text use zhfix.fix_text")
    values = list(texts)
    for v in values:
        if v is not None and not isinstance(v, str):
            raise TypeError(
                f"fix_batch repairs str or None values, not {type(v).__name__}"
            )
    return _fix_array(pa, pa.array(values, type=pa.string()), cfg, explain)
