"""The repair pipeline: a registry of named fixers, a cheap gate, a loop.

A fixer is a small pure function ``(text, config) -> Step | None``: it looks at
the whole text and returns the edits it would make, or ``None``.  Each fixer is
registered with the :class:`FixConfig` switch that enables it and a compiled
*gate* regex: when the gate finds nothing, the fixer cannot apply and is not
called.  A fixer may also register a *test*, a faster function that answers
exactly as ``gate.search`` does (a regex that starts with a small class of
trigger characters scans clean Chinese text several times faster than one that
starts with a Han character, or than an alternation of classes), and a
:class:`Lead`, a pattern led by such a class that finds something wherever the
gate does.  When every enabled fixer has a lead, one scan of their union
(itself led by one class) screens the text: clean text costs that one scan, as
a union of the gates themselves would, but the gates are alternations and
would scan several times slower.
Fixers run in :data:`FIXER_ORDER`, and the loop repeats until a round changes
nothing (at most ``config.max_rounds`` rounds).  Script conversion runs once,
after all repairs.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from zhfix.config import FixConfig
from zhfix.explain import ExplainedText, Finding, Step, apply_edits

FixerFunc = Callable[[str, FixConfig], "Step | None"]
DetectorFunc = Callable[[str, FixConfig], "list[Finding]"]
#: Whether a gate finds something in a text: true exactly when
#: ``gate.search(text)`` is (a bound ``search`` method is one).
GateTest = Callable[[str], object]


@dataclass(frozen=True)
class Fixer:
    """A registered fixer."""

    name: str
    #: Name of the boolean :class:`FixConfig` field that enables it.
    switch: str
    #: Finds nothing in text the fixer cannot change.
    gate: re.Pattern[str]
    func: FixerFunc
    #: Answers as ``gate.search(text)`` does (true or false), only faster.
    test: GateTest
    #: Finds something wherever the gate does (see :class:`Lead`), or None.
    lead: Lead | None = None


FIXERS: dict[str, Fixer] = {}

#: The order fixers run in within a round: byte-level damage first (it hides
#: everything else), then annotations (they hide punctuation context), then
#: punctuation.  Names not registered are skipped.
FIXER_ORDER: tuple[str, ...] = (
    "escapes",
    "latin_mojibake",
    "mojibake",
    "resync",
    "annotations",
    "punctuation",
)

#: Modules whose import registers fixers and detectors.
FIXER_MODULES: tuple[str, ...] = (
    "zhfix.escapes",
    "zhfix.latin",
    "zhfix.mojibake",
    "zhfix.resync",
    "zhfix.annotations",
    "zhfix.punctuation",
    "zhfix.garbage",
)


def first_class_pattern(first: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` led by the class ``[first]``, with which every match of
    ``pattern`` must start; a match is found at the same start, one character
    long (see :func:`first_class_test`).

    >>> [m.start() for m in first_class_pattern("?!", "[?!]$|[?]x").finditer("a?x?")]
    [1, 3]
    """
    return re.compile(f"[{first}](?<=(?=(?:{pattern})).)")


def first_class_test(first: str, pattern: str) -> GateTest:
    """A fast test of ``pattern``, every match of which starts with a character
    of the regex class ``[first]``.

    Python's regex engine tries an alternation whose branches start with classes
    at every position of the text; a pattern led by one class lets it skip
    straight to that class's characters.  The lookbehind steps back over the
    character found and tries ``pattern`` from it.

    >>> test = first_class_test("?!", "[?!]$|[?]x")
    >>> bool(test("a?x b")), bool(test("a? b")), bool(test("why!"))
    (True, False, True)
    """
    return first_class_pattern(first, pattern).search


@dataclass(frozen=True)
class Lead:
    """A screen for a gate: in a text of more than ``short`` characters, the
    gate finds something only if ``pattern`` does, and every match of
    ``pattern`` starts with a character of the class ``[first]``."""

    first: str
    pattern: str
    short: int = 0


def lines_at(text: str, positions: Iterable[int]) -> Iterator[tuple[int, int, str]]:
    r"""The lines of ``text.splitlines(keepends=True)`` that hold ``positions``
    (ascending), each once: (index, offset, line).

    A fixer that only looks at lines where its gate finds something visits
    those, not every line of a long text (the line ends are summed in C).

    >>> list(lines_at("ab\ncd\r\nef", [0, 1, 7]))
    [(0, 0, 'ab\n'), (2, 7, 'ef')]
    """
    return split_lines_at(text.splitlines(keepends=True), positions)


def split_lines_at(lines: list[str], positions: Iterable[int]) -> Iterator[tuple[int, int, str]]:
    """:func:`lines_at` on a text already split into ``lines`` (line ends kept)."""
    ends = list(accumulate(map(len, lines)))
    last = -1
    for pos in positions:
        index = bisect_right(ends, pos)
        if index != last and index < len(lines):
            last = index
            yield index, ends[index] - len(lines[index]), lines[index]


def register(
    name: str,
    switch: str,
    gate: re.Pattern[str],
    test: GateTest | None = None,
    lead: Lead | None = None,
) -> Callable[[FixerFunc], FixerFunc]:
    """Register a fixer under ``name``; used as a decorator by the fixer modules.

    ``test``, when given, must answer exactly as ``gate.search`` does; it
    only makes the answer cheaper.  ``lead`` (see :class:`Lead`) lets the
    pipeline screen a text for all fixers at once.
    """

    def deco(func: FixerFunc) -> FixerFunc:
        if name not in FIXER_ORDER:
            raise ValueError(f"fixer {name!r} has no place in FIXER_ORDER")
        FIXERS[name] = Fixer(
            name=name, switch=switch, gate=gate, func=func, test=test or gate.search,
            lead=lead,
        )
        return func

    return deco


@dataclass(frozen=True)
class Detector:
    """A registered detector: it reports damage it cannot repair, changing nothing."""

    name: str
    gate: re.Pattern[str]
    func: DetectorFunc


DETECTORS: dict[str, Detector] = {}


def register_detector(name: str, gate: re.Pattern[str]) -> Callable[[DetectorFunc], DetectorFunc]:
    """Register a detector under ``name`` (a decorator, like :func:`register`)."""

    def deco(func: DetectorFunc) -> DetectorFunc:
        DETECTORS[name] = Detector(name=name, gate=gate, func=func)
        return func

    return deco


@cache
def _load_fixers() -> None:
    # Importing the modules registers their fixers.  Each keeps its data lazy.
    for module in FIXER_MODULES:
        importlib.import_module(module)


#: Configurations whose enabled fixers and screen are remembered: a program
#: uses one or a few; batch jobs one per worker.
CONFIG_CACHE_SIZE = 64


@lru_cache(maxsize=CONFIG_CACHE_SIZE)
def _enabled(config: FixConfig) -> tuple[Fixer, ...]:
    _load_fixers()
    return tuple(
        FIXERS[name]
        for name in FIXER_ORDER
        if name in FIXERS and getattr(config, FIXERS[name].switch)
    )


@dataclass(frozen=True)
class _Screen:
    """One scan for all enabled fixers: in a text of more than ``short``
    characters, no gate finds anything unless ``search`` does."""

    search: GateTest
    short: int


@lru_cache(maxsize=CONFIG_CACHE_SIZE)
def _screen(names: tuple[str, ...]) -> _Screen | None:
    """The union of these fixers' leads, or None if one of them has none."""
    leads = [FIXERS[name].lead for name in names]
    if not leads or any(lead is None for lead in leads):
        return None
    known = [lead for lead in leads if lead is not None]
    first = "".join(lead.first for lead in known)
    pattern = "|".join(f"(?:{lead.pattern})" for lead in known)
    return _Screen(first_class_pattern(first, pattern).search, max(lead.short for lead in known))


#: What :func:`_enabled_fixers` found, by the identity of the config (kept
#: alive by the entry, so that its id is not reused): hashing a config costs
#: more than screening a typical line.
_ENABLED_BY_ID: dict[int, tuple[FixConfig, tuple[Fixer, ...], _Screen | None]] = {}

#: Entries of :data:`_ENABLED_BY_ID` kept at most (it is emptied when full).
_ENABLED_BY_ID_SIZE = 64


def _enabled_fixers(config: FixConfig) -> tuple[tuple[Fixer, ...], _Screen | None]:
    """The enabled fixers in order and their screen, looked up by identity first."""
    entry = _ENABLED_BY_ID.get(id(config))
    if entry is not None and entry[0] is config:
        return entry[1], entry[2]
    fixers = _enabled(config)
    screen = _screen(tuple(f.name for f in fixers))
    if len(_ENABLED_BY_ID) >= _ENABLED_BY_ID_SIZE:
        _ENABLED_BY_ID.clear()
    _ENABLED_BY_ID[id(config)] = (config, fixers, screen)
    return fixers, screen


def run(text: str, config: FixConfig) -> ExplainedText:
    """Run every enabled fixer until the text stops changing, then convert the script."""
    if not isinstance(text, str):
        raise TypeError(
            f"zhfix repairs str, not {type(text).__name__}; "
            "decode bytes first (or use zhfix.fix_bytes when it is available)"
        )
    steps: list[Step] = []
    fixers, screen = _enabled_fixers(config)
    # Each gate is tested once on the input (unless the screen rules them all
    # out); the answers hold until a fixer changes the text, and then each
    # gate is tested again before its fixer.
    if screen is not None and len(text) > screen.short and not screen.search(text):
        hits: list[object] = []  # no gate finds anything: clean text ends here
    else:
        hits = [fixer.test(text) for fixer in fixers]
    if hits and any(hits):
        fresh = True  # the text is the input the answers in ``hits`` are about
        for _ in range(config.max_rounds):
            changed = False
            for index, fixer in enumerate(fixers):
                if not (hits[index] if fresh else fixer.test(text)):
                    continue
                step = fixer.func(text, config)
                if step is None or not step.edits:
                    continue
                new_text = apply_edits(text, step.edits)
                if new_text == text:
                    continue
                steps.append(step)
                text = new_text
                changed = True
                fresh = False
            if not changed:
                break
    findings: list[Finding] = []
    for detector in DETECTORS.values():
        if detector.gate.search(text):
            findings.extend(detector.func(text, config))
    if config.script != "keep":
        from zhfix.script import convert_step

        step = convert_step(text, config.script)
        if step is not None:
            steps.append(step)
            text = apply_edits(text, step.edits)
    return ExplainedText(text=text, steps=tuple(steps), findings=tuple(findings))
