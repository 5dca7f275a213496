"""The record every damage function returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Damaged:
    """Damaged text with the clean text it came from and what was done to it.

    ``record`` is plain, JSON-serialisable data: the damage kind, its parameters
    (codecs, error handler, seed, positions …), enough to reproduce the damage.
    """

    text: str
    original: str
    kind: str
    record: dict[str, Any] = field(default_factory=dict)
