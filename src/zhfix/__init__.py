"""zhfix: repairs damaged Chinese text after the fact.

>>> fix_text("還是義(yì)無反顧")
'還是義無反顧'

The public API:

- :func:`fix_text` returns the repaired text;
- :func:`fix_and_explain` returns it with the replayable steps that produced it;
- :func:`apply_plan` replays such steps;
- :func:`fix_batch` repairs a whole Arrow array (or list) of texts;
- :func:`fix_bytes` decodes bytes of unknown or mixed encoding, then repairs them
  (:func:`decode_bytes` only decodes);
- :class:`FixConfig` holds every option; keyword options override it.
"""

from __future__ import annotations

from typing import Any

from zhfix.batch import fix_batch
from zhfix.bytesdecode import decode_bytes, fix_bytes
from zhfix.config import DEFAULT_CONFIG, FixConfig, Script
from zhfix.explain import (
    Edit,
    ExplainedText,
    Finding,
    PlanError,
    Step,
    apply_plan,
    format_steps,
)
from zhfix.pipeline import run

__all__ = [
    "Edit",
    "ExplainedText",
    "Finding",
    "FixConfig",
    "PlanError",
    "Script",
    "Step",
    "apply_plan",
    "decode_bytes",
    "fix_and_explain",
    "fix_batch",
    "fix_bytes",
    "fix_text",
    "format_steps",
]

__version__ = "0.1.0"


def _config(config: FixConfig | None, options: dict[str, Any]) -> FixConfig:
    base = DEFAULT_CONFIG if config is None else config
    if not isinstance(base, FixConfig):
        raise TypeError(f"config must be a zhfix.FixConfig, not {type(base).__name__}")
    return base.with_options(**options)


def fix_text(text: str, config: FixConfig | None = None, **options: Any) -> str:
    """Repair ``text`` and return it; clean text comes back unchanged.

    ``options`` override fields of ``config`` (see :class:`FixConfig`):

    >>> fix_text("臺風過後", script="simplified")
    '台风过后'
    """
    return run(text, _config(config, options)).text


def fix_and_explain(
    text: str, config: FixConfig | None = None, **options: Any
) -> ExplainedText:
    """Repair ``text`` and say how: ``.text`` and ``.steps`` (see :mod:`zhfix.explain`)."""
    return run(text, _config(config, options))
