"""Script conversion through OpenCC, after all repairs.

The explanation names the OpenCC config that was used.  Converters are built
once per config and cached.  ``script="original"`` converts back to simplified
only text that :mod:`zhfix.machine` finds was converted from simplified by a
character table (see :func:`original_step`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from zhfix.explain import Edit, Step
from zhfix.machine import MachineVerdict, Tally, table_inverse, tally_lines, verdict

#: zhfix script name → OpenCC config.
OPENCC_CONFIGS: dict[str, str] = {
    "simplified": "t2s",
    "traditional": "s2t",
    "taiwan": "s2twp",
    "hongkong": "s2hk",
}


#: Lone surrogates, which a Python str may hold but OpenCC (UTF-8 inside) refuses.
_SURROGATES = re.compile(r"([\ud800-\udfff]+)")


class Converter:
    r"""An OpenCC converter that also takes text with lone surrogates.

    Such text (say from ``bytes.decode(errors="surrogateescape")``) is converted
    piece by piece between the surrogates, which are kept as they are.

    >>> Converter("t2s").convert("\ud800臺風")
    '\ud800台风'
    """

    def __init__(self, config: str) -> None:
        import opencc

        self.config = config
        self._opencc: Any = opencc.OpenCC(config)

    def convert(self, text: str) -> str:
        if not _SURROGATES.search(text):
            return str(self._opencc.convert(text))
        pieces = _SURROGATES.split(text)
        # re.split with a group: the surrogate runs stand at the odd indices.
        return "".join(
            piece if i % 2 else str(self._opencc.convert(piece)) for i, piece in enumerate(pieces)
        )


@cache
def converter(config: str) -> Converter:
    """The converter for an OpenCC config name such as ``"t2s"``."""
    return Converter(config)


def convert(text: str, script: str) -> str:
    """Convert ``text`` to ``script`` (a key of :data:`OPENCC_CONFIGS`).

    >>> convert("臺風過後", "simplified")
    '台风过后'
    """
    return converter(OPENCC_CONFIGS[script]).convert(text)


def _diff_edits(old: str, new: str, config: str, confidence: float = 1.0) -> list[Edit]:
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
        return [Edit(0, len(old), old, new, confidence, evidence)]
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
                    edits.append(Edit(pos + i, pos + j, a[i:j], b[i:j], confidence, evidence))
                    i = j
            else:
                edits.append(Edit(pos, pos + len(a), a, b, confidence, evidence))
        pos += len(a)
    return edits


def convert_step(text: str, script: str) -> Step | None:
    """The conversion of ``text`` to ``script`` as a replayable step, or None.

    >>> convert_step("台风", "traditional").edits[0].after
    '颱風'
    >>> convert_step("颱風過後", "original") is None  # genuine traditional text stays
    True
    """
    if script == "original":
        return original_step(text)
    config = OPENCC_CONFIGS[script]
    new = convert(text, script)
    if new == text:
        return None
    return Step(
        fixer="convert_script",
        edits=tuple(_diff_edits(text, new, config)),
        evidence={"script": script, "opencc_config": config + ".json"},
    )


def keeps_genuine_line(tally: Tally) -> bool:
    """True for a line that shows genuine traditional writing and no table choice.

    Such a line keeps its script even inside a machine-converted document: it
    holds a context-dependent form (``颱風``, ``頭髮``) that a character table
    never produces, so it was written, or quoted, in traditional script.
    """
    return tally.context_choices > 0 and not tally.table_choices


def undo_table(line: str, simplified: str) -> str:
    """``simplified`` (OpenCC ``t2s`` of ``line``) with the table's own inverse where it is sure.

    In a character-converted text a traditional character that the table gives
    for one simplified character only came from that character, whatever
    phrase-level ``t2s`` would make of it (``計畫`` → ``计划`` in genuine text,
    but a table wrote ``畫`` only for ``画``).

    >>> undo_table("計畫暱稱", "计划暱称")
    '计画昵称'
    """
    if len(line) != len(simplified):
        return simplified
    inverse = table_inverse()
    return "".join(inverse.get(a, s) for a, s in zip(line, simplified, strict=True))


def restore_original(text: str) -> tuple[str, MachineVerdict, int]:
    """Undo machine simplified → traditional conversion of ``text``, if it is one.

    Returns the new text, the verdict on the whole text and the number of lines
    kept as they were.  The decision is made per document, not per paragraph:
    a paragraph of a converted page often holds no table choice at all (in the
    development corpus a third of converted lines hold none, and a short line
    cannot hold enough evidence to clear the threshold), while a page is
    converted as a whole, so the whole page is the unit of evidence.  Deciding
    per paragraph would leave most of such a page half converted back.

    Mixed documents (a converted page quoting genuine traditional text, or pages
    from several sources concatenated) are handled within that decision: when
    the document is machine-converted, every line goes back to simplified
    except lines that show genuine traditional writing and no table choice
    (see :func:`keeps_genuine_line`).  The reverse mix, a genuine traditional
    document with a converted paragraph in it, stays traditional as a whole;
    run :func:`zhfix.fix_text` on each part to decide each on its own.

    >>> restore_original("臺風過後，她的頭發還是幹的。後來才發現軟件的信息不全。")[0]
    '台风过后，她的头发还是干的。后来才发现软件的信息不全。'
    """
    lines = list(tally_lines(text))
    total = Tally()
    for _, tally in lines:
        total.add(tally)
    found = verdict(total)
    if not found.is_machine:
        return text, found, 0
    simplified = convert(text, "simplified").splitlines(keepends=True)
    if len(simplified) != len(lines):
        return "".join(simplified), found, 0
    out: list[str] = []
    kept = 0
    for (line, tally), new in zip(lines, simplified, strict=True):
        if keeps_genuine_line(tally) and new != line:
            kept += 1
            out.append(line)
        else:
            out.append(undo_table(line, new))
    return "".join(out), found, kept


def original_step(text: str) -> Step | None:
    """``script="original"``: the step converting machine-converted text back, or None.

    Text that is not machine-converted, genuine traditional or simplified,
    gives None.  The step's evidence holds the verdict and its confidence, which
    is also each edit's confidence.
    """
    new, found, kept = restore_original(text)
    if new == text:
        return None
    return Step(
        fixer="convert_script",
        edits=tuple(_diff_edits(text, new, "t2s", found.confidence)),
        evidence={
            "script": "original",
            "opencc_config": "t2s.json",
            "machine_conversion": {
                "is_machine": found.is_machine,
                "confidence": found.confidence,
                **found.evidence,
            },
            "kept_lines": kept,
        },
    )
