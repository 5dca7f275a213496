"""Script conversion through OpenCC, after all repairs.

The explanation names the OpenCC config that was used.  Converters are built
once per config and cached.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from zhfix.explain import Edit, Step

#: zhfix script name → OpenCC config.
OPENCC_CONFIGS: dict[str, str] = {
    "simplified": "t2s",
    "traditional": "s2t",
    "taiwan": "s2twp",
    "hongkong": "s2hk",
}


@cache
def converter(config: str) -> Any:
    """The OpenCC converter for an OpenCC config name such as ``"t2s"``."""
    import opencc

    return opencc.OpenCC(config)


def convert(text: str, script: str) -> str:
    """Convert ``text`` to ``script`` (a key of :data:`OPENCC_CONFIGS`).

    >>> convert("臺風過後", "simplified")
    '台风过后'
    """
    return str(converter(OPENCC_CONFIGS[script]).convert(text))


def _diff_edits(old: str, new: str, config: str) -> list[Edit]:
    """Edits turning ``old`` into ``new``, line by line.

    OpenCC keeps line breaks, and within a line it almost always keeps the
    length, so equal-length lines are compared character by character and
    runs of changed characters become one edit each.  A line whose length
    changed becomes one edit.
    """
    evidence = {"opencc_config": config}
    edits: list[Edit] = []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    if len(old_lines) != len(new_lines):
        return [Edit(0, len(old), old, new, 1.0, evidence)]
    pos = 0
    for a, b in zip(old_lines, new_lines, strict=True):
        if a != b:
            if len(a) == len(b):
                i = 0
                n = len(a)
                while i < n:
                    if a[i] == b[i]:
                        i += 1
                        continue
                    j = i
                    while j < n and a[j] != b[j]:
                        j += 1
                    edits.append(Edit(pos + i, pos + j, a[i:j], b[i:j], 1.0, evidence))
                    i = j
            else:
                edits.append(Edit(pos, pos + len(a), a, b, 1.0, evidence))
        pos += len(a)
    return edits


def convert_step(text: str, script: str) -> Step | None:
    """The conversion of ``text`` to ``script`` as a replayable step, or None."""
    config = OPENCC_CONFIGS[script]
    new = convert(text, script)
    if new == text:
        return None
    return Step(
        fixer="convert_script",
        edits=tuple(_diff_edits(text, new, config)),
        evidence={"script": script, "opencc_config": config + ".json"},
    )
