"""A datatrove pipeline step that repairs ``Document.text``: :class:`ZhfixFormatter`.

It sits where datatrove's own ``FTFYFormatter`` would::

    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from zhfix.integrations.datatrove import ZhfixFormatter

    pipeline = [
        JsonlReader("data/"),
        ZhfixFormatter(explain_key="zhfix_steps"),
        JsonlWriter("fixed/"),
    ]

Each text is repaired as :func:`zhfix.fix_text` repairs it.  The step counts
documents changed and edits per fixer in datatrove's stats (``zhfix_changed``,
``zhfix_<fixer>``); with ``explain_key`` the repair steps of each document are
stored in its metadata as a JSON string (a list of step dicts, replayable with
:func:`zhfix.apply_plan`).  Needs ``pip install 'zhfix[datatrove]'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zhfix.batch import steps_json
from zhfix.config import DEFAULT_CONFIG, FixConfig
from zhfix.pipeline import run

try:
    from datatrove.pipeline.formatters.base import BaseFormatter
except ImportError:  # the module stays importable (for its docs); the class says what to do
    BaseFormatter = object
    _MISSING = True
else:
    _MISSING = False


class ZhfixFormatter(BaseFormatter):  # type: ignore[misc]  # datatrove is untyped
    """Repair Chinese text damage in every document; ``options`` as for ``fix_text``."""

    name = "🀄 zhfix"

    def __init__(
        self, config: FixConfig | None = None, explain_key: str | None = None, **options: Any
    ) -> None:
        if _MISSING:
            raise ImportError("ZhfixFormatter needs datatrove: pip install 'zhfix[datatrove]'")
        super().__init__()
        base = DEFAULT_CONFIG if config is None else config
        self.config = base.with_options(**options)
        self.explain_key = explain_key

    def format(self, text: str) -> str:
        """The repaired text (datatrove's formatter interface)."""
        return run(text, self.config).text

    def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        """Repair each document, counting what changed, and keep the steps if asked."""
        for doc in data:
            self.stat_update("total")
            with self.track_time():
                explained = run(doc.text, self.config)
                if explained.text != doc.text:
                    self.stat_update("zhfix_changed")
                for step in explained.steps:
                    self.stat_update(f"zhfix_{step.fixer}", value=len(step.edits))
                if self.explain_key:
                    doc.metadata[self.explain_key] = steps_json(explained)
                doc.text = explained.text
            yield doc
