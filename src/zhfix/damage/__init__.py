"""Seeded, reproducible damage for testing Chinese text pipelines.

Every function takes clean text (and a seed where randomness is involved) and
returns a :class:`Damaged` record.
"""

from __future__ import annotations

from zhfix.damage.base import Damaged

__all__ = ["Damaged"]
