"""Explanations as data: every repair is a :class:`Step` of :class:`Edit` s.

A step records which fixer ran and, for each span it changed, the text before and
after and the evidence behind the change.  Offsets are Python string indices
(code points) into the text *as it stood before that step*; edits within a step
are sorted and do not overlap.  Steps are plain data: ``step.to_dict()`` is
JSON-serialisable and :meth:`Step.from_dict` reads it back, so a plan can be stored
and replayed with :func:`apply_plan` without running any fixer again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class PlanError(ValueError):
    """A plan does not fit the text it is applied to."""


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` (which must equal ``before``) by ``after``."""

    start: int
    end: int
    before: str
    after: str
    #: How sure the fixer is, from 0 to 1.
    confidence: float = 1.0
    #: Why the fixer made this change: plain, JSON-serialisable data.
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "confidence": self.confidence,
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edit:
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            before=str(data["before"]),
            after=str(data["after"]),
            confidence=float(data.get("confidence", 1.0)),
            evidence=dict(data.get("evidence", {})),
        )


@dataclass(frozen=True)
class Step:
    """One application of one fixer: its name, its edits, and document-level evidence."""

    fixer: str
    edits: tuple[Edit, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fixer": self.fixer,
            "edits": [e.to_dict() for e in self.edits],
            "evidence": dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            fixer=str(data["fixer"]),
            edits=tuple(Edit.from_dict(e) for e in data["edits"]),
            evidence=dict(data.get("evidence", {})),
        )

    @property
    def confidence(self) -> float:
        """The lowest confidence of the step's edits (1.0 for a step with none)."""
        return min((e.confidence for e in self.edits), default=1.0)


@dataclass(frozen=True)
class Finding:
    """Damage that was detected but not repaired (e.g. unrecoverable ``锟斤拷``).

    ``start``/``end`` index the repaired text (before script conversion).
    """

    detector: str
    start: int
    end: int
    text: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class ExplainedText:
    """The repaired text, the steps that produced it, and damage left in place."""

    text: str
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        """True when a repair step changed the text."""
        return bool(self.steps)

    @property
    def damaged(self) -> bool:
        """True when damage was repaired or found (what ``--check`` reports)."""
        return bool(self.steps) or bool(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "steps": [s.to_dict() for s in self.steps],
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def common_affixes(before: str, after: str) -> tuple[int, int]:
    """Lengths of the longest common prefix and (non-overlapping) suffix.

    Fixers that rewrite a span use it to shrink an edit to what changed.

    >>> common_affixes("計劃??Q句", "計劃。換句")
    (2, 1)
    """
    n = min(len(before), len(after))
    a = 0
    while a < n and before[a] == after[a]:
        a += 1
    b = 0
    while b < n - a and before[-1 - b] == after[-1 - b]:
        b += 1
    return a, b


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply sorted, non-overlapping edits to ``text``.

    >>> apply_edits("義(yì)無", [Edit(1, 5, "(yì)", "")])
    '義無'
    >>> apply_edits("abc", [Edit(0, 1, "x", "y")])
    Traceback (most recent call last):
    ...
    zhfix.explain.PlanError: edit 0..1 expects 'x' but the text has 'a'
    """
    parts: list[str] = []
    pos = 0
    for edit in edits:
        if edit.start < pos or edit.end < edit.start or edit.end > len(text):
            raise PlanError(
                f"edit {edit.start}..{edit.end} is out of order or outside a text "
                f"of length {len(text)}"
            )
        found = text[edit.start : edit.end]
        if found != edit.before:
            raise PlanError(
                f"edit {edit.start}..{edit.end} expects {edit.before!r} but the text has {found!r}"
            )
        parts.append(text[pos : edit.start])
        parts.append(edit.after)
        pos = edit.end
    parts.append(text[pos:])
    return "".join(parts)


def apply_plan(text: str, steps: Iterable[Step | Mapping[str, Any]]) -> str:
    """Replay steps (objects or their ``to_dict()`` form) on ``text``.

    Raises :class:`PlanError` if a step does not fit the text.

    >>> plan = [{"fixer": "annotations",
    ...          "edits": [{"start": 1, "end": 5, "before": "(yì)", "after": ""}]}]
    >>> apply_plan("義(yì)無反顧", plan)
    '義無反顧'
    """
    for step in steps:
        if not isinstance(step, Step):
            step = Step.from_dict(step)
        text = apply_edits(text, step.edits)
    return text


def format_steps(steps: Iterable[Step], limit: int = 40) -> str:
    """Human-readable lines for ``--explain``; at most ``limit`` edits per step.

    >>> print(format_steps([Step("annotations", (Edit(1, 5, "(yì)", "", 0.97),))]))
    annotations: 1 edit
      1..5 '(yì)' → '' (confidence 0.97)
    """
    lines: list[str] = []
    for step in steps:
        n = len(step.edits)
        head = f"{step.fixer}: {n} edit{'s' if n != 1 else ''}"
        if step.evidence:
            head += " " + json.dumps(dict(step.evidence), ensure_ascii=False)
        lines.append(head)
        for edit in step.edits[:limit]:
            line = f"  {edit.start}..{edit.end} {edit.before!r} → {edit.after!r}"
            line += f" (confidence {edit.confidence:.2f}"
            if edit.evidence:
                line += "; " + json.dumps(dict(edit.evidence), ensure_ascii=False)
            lines.append(line + ")")
        if n > limit:
            lines.append(f"  … {n - limit} more")
    return "\n".join(lines)
