"""Accuracy per damage kind, and false positives on clean text.

For every kind and corpus, each eligible document is damaged with a seed drawn
from its position, repaired by every tool, and compared with the reference:

- *exact*: share of documents restored exactly;
- *CER*: summed edit distance / summed reference length (character error rate);
  *damaged CER* is the same for the damaged text left as it is;
- *flagged* (zhfix only): share of documents zhfix changed or reported a
  finding on.

Documents where the damage changes nothing are not counted; those skipped for
too few Han characters or a codec that cannot encode them are reported.  A
time budget per task (quick runs) bounds the run when a tool is slow: the
documents come in random order, so those measured are still a random sample.
"""

from __future__ import annotations

import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench.kinds import Kind, eligible, kinds_by_name
from bench.metrics import levenshtein
from zhfix.damage import UnencodableError

Tool = Callable[[str], str]


def tools() -> dict[str, Tool]:
    """The tools compared, by report name; ftfy only when it is installed."""
    import zhfix

    found: dict[str, Tool] = {"zhfix": zhfix.fix_text}
    try:
        import ftfy
    except ImportError:
        return found
    found["ftfy"] = ftfy.fix_text
    found["ftfy (width, quotes kept)"] = partial(
        ftfy.fix_text, fix_character_width=False, uncurl_quotes=False
    )
    return found


def seed_for(kind: str, corpus: str, index: int) -> int:
    """A seed fixed by the kind, the corpus and the document's position."""
    return zlib.crc32(f"{kind}|{corpus}|{index}".encode())


@dataclass
class ToolScore:
    exact: int = 0
    distance: int = 0
    errors: int = 0

    def add(self, other: ToolScore) -> None:
        self.exact += other.exact
        self.distance += other.distance
        self.errors += other.errors


@dataclass
class KindScore:
    """Counts for one kind on one corpus, summed over chunks of documents."""

    kind: str
    corpus: str
    offered: int = 0
    seen: int = 0
    docs: int = 0
    few_han: int = 0
    unencodable: int = 0
    unchanged: int = 0
    length: int = 0
    damaged_distance: int = 0
    flagged: int = 0
    tools: dict[str, ToolScore] = field(default_factory=dict)

    def add(self, other: KindScore) -> None:
        for name in ("offered", "seen", "docs", "few_han", "unencodable", "unchanged", "length",
                     "damaged_distance", "flagged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, score in other.tools.items():
            self.tools.setdefault(name, ToolScore()).add(score)

    def row(self, kind: Kind) -> dict[str, Any]:
        length = max(self.length, 1)
        docs = max(self.docs, 1)
        return {
            "kind": self.kind,
            "family": kind.family,
            "corpus": self.corpus,
            "lossy": kind.lossy,
            "lines_per_doc": kind.group,
            "min_han": kind.min_han,
            "offered": self.offered,
            "seen": self.seen,
            "docs": self.docs,
            "skipped": {
                "few_han": self.few_han,
                "unencodable": self.unencodable,
                "unchanged": self.unchanged,
            },
            "damaged_cer": self.damaged_distance / length,
            "zhfix_flagged": self.flagged / docs,
            "tools": {
                name: {
                    "exact": score.exact / docs,
                    "cer": score.distance / length,
                    "errors": score.errors,
                }
                for name, score in self.tools.items()
            },
        }


def _zhfix_explained(text: str, options: dict[str, Any]) -> tuple[str, bool]:
    """zhfix's output, and whether it changed the text or reported a finding."""
    import zhfix

    explained = zhfix.fix_and_explain(text, **options)
    return explained.text, explained.text != text or bool(explained.findings)


def score_chunk(
    kind_name: str,
    corpus: str,
    docs: Sequence[tuple[int, str]],
    seconds: float | None = None,
) -> KindScore:
    """Damage and repair ``docs`` (index, text) with every tool.

    With ``seconds``, documents are taken in order until that much time has
    passed: a slow tool is then measured on fewer documents, not for longer.
    """
    kind = kinds_by_name()[kind_name]
    all_tools = tools()
    score = KindScore(kind_name, corpus, tools={name: ToolScore() for name in all_tools})
    score.offered = len(docs)
    deadline = None if seconds is None else time.perf_counter() + seconds
    for index, doc in docs:
        if deadline is not None and score.docs and time.perf_counter() > deadline:
            break  # at least one document is measured, however slow
        score.seen += 1
        if not eligible(doc, kind):
            score.few_han += 1
            continue
        try:
            reference, damaged = kind.damage(doc, seed_for(kind_name, corpus, index))
        except UnencodableError:
            score.unencodable += 1
            continue
        except ValueError:
            score.unchanged += 1  # nothing the kind can damage (no span, no multi-byte char)
            continue
        if damaged.text == reference:
            score.unchanged += 1
            continue
        target = unicodedata.normalize("NFKC", reference) if kind.nfkc_compare else reference
        score.docs += 1
        score.length += len(reference)
        score.damaged_distance += levenshtein(damaged.text, reference)
        for name, tool in all_tools.items():
            tool_score = score.tools[name]
            try:
                if name == "zhfix":
                    out, flagged = _zhfix_explained(damaged.text, dict(kind.options))
                    score.flagged += flagged
                else:
                    out = tool(damaged.text)
            except Exception:  # a crashing fixer is a result, not the end of the run
                tool_score.errors += 1
                out = damaged.text
            if kind.nfkc_compare:
                out = unicodedata.normalize("NFKC", out)
            if out == target:
                tool_score.exact += 1
            else:
                tool_score.distance += levenshtein(out, target)
    return score


@dataclass
class CleanScore:
    corpus: str
    docs: int = 0
    length: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    distance: dict[str, int] = field(default_factory=dict)

    def add(self, other: CleanScore) -> None:
        self.docs += other.docs
        self.length += other.length
        for name, n in other.changed.items():
            self.changed[name] = self.changed.get(name, 0) + n
        for name, n in other.distance.items():
            self.distance[name] = self.distance.get(name, 0) + n

    def row(self) -> dict[str, Any]:
        docs = max(self.docs, 1)
        return {
            "corpus": self.corpus,
            "docs": self.docs,
            "tools": {
                name: {
                    "changed": n,
                    "changed_share": n / docs,
                    "cer": self.distance[name] / max(self.length, 1),
                }
                for name, n in self.changed.items()
            },
        }


def clean_chunk(corpus: str, docs: Sequence[str]) -> CleanScore:
    """How many clean documents each tool changes (false positives)."""
    all_tools = tools()
    score = CleanScore(corpus, changed=dict.fromkeys(all_tools, 0),
                       distance=dict.fromkeys(all_tools, 0))
    for doc in docs:
        score.docs += 1
        score.length += len(doc)
        for name, tool in all_tools.items():
            try:
                out = tool(doc)
            except Exception:
                out = None
            if out != doc:
                score.changed[name] += 1
                score.distance[name] += len(doc) if out is None else levenshtein(out, doc)
    return score


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
