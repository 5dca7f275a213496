"""Chaining damage, and reproducing it from its record.

:func:`compose` applies damage functions one after another (say NFKC flattening,
then UTF-8 read as GBK); the record lists each step's record.  Every record
names its function and parameters, so :func:`reproduce` rebuilds the damage from
the clean text and the record alone, for instance after a JSON round trip.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from zhfix.damage.base import Damaged

#: A damage function with its parameters bound: clean text in, damage out.
DamageStep = Callable[[str], Damaged]


def compose(text: str, *steps: DamageStep) -> Damaged:
    """Apply ``steps`` in order; each step damages the previous step's output.

    >>> from functools import partial
    >>> from zhfix.damage.codecs import mojibake
    >>> from zhfix.damage.normalize import nfkc
    >>> d = compose("你好，世界", nfkc, partial(mojibake, chain="utf-8>gbk"))
    >>> d.text, d.kind
    ('浣犲ソ,涓栫晫', 'nfkc+mojibake')
    """
    if not steps:
        raise ValueError("compose needs at least one damage step")
    records: list[dict[str, Any]] = []
    kinds: list[str] = []
    current = text
    for step in steps:
        damaged = step(current)
        records.append(dict(damaged.record, kind=damaged.kind))
        kinds.append(damaged.kind)
        current = damaged.text
    record: dict[str, Any] = {"function": "compose", "steps": records}
    return Damaged(current, text, "+".join(kinds), record)


def _functions() -> dict[str, Callable[..., Damaged]]:
    from zhfix.damage import codecs, normalize, stream

    functions: dict[str, Callable[..., Damaged]] = {
        "mojibake": codecs.mojibake,
        "mojibake_span": codecs.mojibake_span,
        "truncate": stream.truncate,
        "chunked_decode": stream.chunked_decode,
        "byte_leak": stream.byte_leak,
        "content_farm": stream.content_farm,
        "nfkc": normalize.nfkc,
    }
    for module, name in (
        ("zhfix.damage.leaks", "leak_annotations"),
        ("zhfix.damage.script", "char_convert"),
    ):
        with contextlib.suppress(ImportError, AttributeError):
            functions[name] = getattr(importlib.import_module(module), name)
    return functions


def reproduce(text: str, record: Mapping[str, Any]) -> Damaged:
    """Rebuild the damage described by ``record`` from the clean ``text``.

    >>> from zhfix.damage.stream import truncate
    >>> d = truncate("上传成功", seed=3)
    >>> reproduce("上传成功", d.record) == d
    True
    """
    name = record.get("function")
    if name == "compose":
        steps = [_bind(step) for step in record["steps"]]
        return compose(text, *steps)
    return _bind(record)(text)


def _bind(record: Mapping[str, Any]) -> DamageStep:
    name = record.get("function")
    functions = _functions()
    if name not in functions or "params" not in record:
        raise ValueError(
            f"cannot reproduce damage {name!r}: the record needs 'function' (one of "
            f"{', '.join(sorted(functions))} or 'compose') and 'params'"
        )
    func = functions[str(name)]
    params = dict(record["params"])
    return lambda text: func(text, **params)
