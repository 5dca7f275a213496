"""Detect traditional text that was converted from simplified one character at a time.

A character table has no context, so a pipeline that converts simplified text to
traditional character by character leaves fingerprints that a phrase-aware
converter (OpenCC ``s2t``) and a human writer do not:

- *table choices*: where a simplified character has several traditional forms
  (``台`` → ``臺``/``颱``/``檯``, ``发`` → ``發``/``髮``, ``后`` → ``後``/``后``), the text
  always holds what a table gives, the simplified character itself (``頭发``,
  ``之后``) or the table's default (``臺風``, ``頭發``), even where the phrase needs
  another form (``颱風``, ``頭髮``, ``之後``);
- *no context-dependent choices*: genuine traditional text is full of the
  non-default forms a table never produces (``颱風``, ``頭髮``, ``乾淨``);
- *mainland vocabulary* in traditional script (``軟件``, ``信息``, ``默認`` where
  Taiwan writes ``軟體``, ``資訊``, ``預設``);
- *OpenCC's standard orthography* (``爲``, ``衆``, ``僞``), which Taiwan and Hong
  Kong both write otherwise (``為``, ``眾``, ``偽``), from tables built on OpenCC.

Which form a phrase needs is read off OpenCC itself: ``s2t(t2s(text))`` is what
a phrase-aware conversion of the text's simplified form gives.  Genuine
traditional text is mostly a fixed point of that round trip once regional
variants (``為``/``爲``, ``裡``/``裏``, ``著``/``着``) are folded together; a
character-converted text is not.  :func:`detect_machine_conversion` weighs the
four kinds of evidence into log-odds; the weights and the threshold are named
constants below, set on the development corpus (``zh_hant.dev.txt`` for genuine
text, ``zh_hans.dev.txt`` converted by :func:`zhfix.damage.script.char_convert`
for machine text; ``bench/machine_accuracy.py`` measures them).

A text converted by a phrase-aware converter is *not* what this detects: it
carries no table choices, and converting it back would change little anyway.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from zhfix.chars import HAN_RE, is_han

# Thresholds and weights, all in natural-log odds of "machine-converted".  They
# were set together on the development corpus with bench/machine_accuracy.py:
# documents of consecutive lines (at least 200/500/1000 Han characters) of
# zh_hans.dev.txt converted with char_convert ("leave" and "first"), against the
# lines and the same-sized documents of zh_hant.dev.txt.  Measured there, per
# Han character: table choices against phrase-level conversion occur 0.12 % in
# genuine text, 0.6 % ("first") and 5 % ("leave") in converted text; context-
# dependent choices 0.56 % in genuine text and never in converted text; mainland
# terms 0.7 % against 4.9 %; OpenCC-only forms 0.01 % against about 1 %.

#: Log-odds added by each distinct table choice (text character → the character a
#: phrase-level conversion chooses).  ln(0.6 % / 0.12 %) ≈ 1.6; counted once per
#: distinct pair because genuine text repeats its few (``于`` for ``於`` in
#: classical quotations, ``布`` for ``佈``).
WEIGHT_TABLE_CHOICE = 1.6

#: Log-odds removed by each context-dependent choice (``颱風``, ``頭髮``): these
#: never occurred in converted text and occur every 180 Han characters of genuine
#: text, so one of them outweighs two table choices.
WEIGHT_CONTEXT_CHOICE = 4.0

#: Log-odds added by each distinct mainland term in traditional script, at most
#: :data:`MAX_MAINLAND_TERMS` of them.  Kept small: Hong Kong usage and software
#: translations derived from mainland ones use many of these terms (``文件``,
#: ``設備``), so the terms alone must never reach the threshold (6 × 0.5 < 4);
#: with weight 1.0 instead, 1.3 % of genuine 500-character documents were
#: flagged.  A cap of 6 rather than 4 raised detection of "first"-policy
#: 500-character documents from 94 % to 96 % at no cost on genuine ones.
WEIGHT_MAINLAND_TERM = 0.5
MAX_MAINLAND_TERMS = 6

#: Log-odds added by each distinct OpenCC-only form (``爲``, ``衆``), at most
#: :data:`MAX_OPENCC_FORMS`.  About 100 times more frequent in converted text;
#: capped because one can be quoted (``祕`` also occurs in genuine Taiwan text).
WEIGHT_OPENCC_FORM = 3.0
MAX_OPENCC_FORMS = 2

#: A text is machine-converted when its log-odds reach this (confidence ≥ 0.98).
#: At 4.0: 5 of the 34,675 lines of zh_hant.dev.txt flagged, and 0.6 % / 0.9 % /
#: 0.7 % of its documents of 200 / 500 / 1000 Han characters; at 3.5 these rose
#: to 0.8 % / 1.2 % / 0.9 % for a gain of under 2 points of detection, at 4.5
#: they barely fell while detection of "first"-policy documents dropped up to 2
#: points.
MACHINE_LOG_ODDS = 4.0

#: Share of Han characters that exist only in traditional script (``這``,
#: ``個``) below which a text is not treated as traditional at all.  Genuine
#: traditional text has 32 % of them, character-converted text 27 %, simplified
#: text none; the margin leaves room for mixed documents.
MIN_TRADITIONAL_SHARE = 0.10

#: How many examples of each kind of evidence a verdict reports.
MAX_EXAMPLES = 5


def _rows(name: str) -> list[list[str]]:
    """The tab-separated rows of a generated data file, without its header."""
    text = (files("zhfix") / "data" / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def st_candidates() -> dict[str, str]:
    """Simplified character → its traditional candidates, OpenCC's default first.

    >>> st_candidates()["发"]
    '發髮'
    """
    return {row[0]: row[1] for row in _rows("script.st.tsv")}


@cache
def ambiguous_simplified() -> dict[str, str]:
    """Simplified characters with several traditional forms in use → those forms.

    >>> ambiguous_simplified()["后"], "证" in ambiguous_simplified()
    ('後后', False)
    """
    return {row[0]: row[2] for row in _rows("script.st.tsv") if len(row[2]) > 1}


@cache
def table_inverse() -> dict[str, str]:
    """Traditional character → the one simplified character a table converts to it.

    Only characters that a character table gives for exactly one simplified
    character (its default candidate) are listed: in a character-converted text
    ``暱`` can only come from ``昵`` and ``畫`` only from ``画``, whatever the phrase.

    >>> table_inverse()["暱"], table_inverse()["畫"], "餘" in table_inverse()
    ('昵', '画', False)
    """
    sources: dict[str, set[str]] = {}
    for simplified, candidates in st_candidates().items():
        sources.setdefault(candidates[0], set()).add(simplified)
    return {t: next(iter(s)) for t, s in sources.items() if len(s) == 1 and t not in s}


@cache
def ts_candidates() -> dict[str, str]:
    """Traditional character → its simplified candidates, OpenCC's default first.

    >>> ts_candidates()["發"]
    '发'
    """
    return {row[0]: row[1] for row in _rows("script.ts.tsv")}


@cache
def variant_fold() -> dict[int, str]:
    """A ``str.translate`` table mapping regional variants to one representative.

    >>> "爲裏着".translate(variant_fold()) == "為裡著".translate(variant_fold())
    True
    """
    return {ord(row[0]): row[1] for row in _rows("script.variants.tsv")}


@cache
def opencc_forms() -> frozenset[str]:
    """Characters of OpenCC's standard orthography that Taiwan and Hong Kong write otherwise.

    >>> "爲" in opencc_forms(), "為" in opencc_forms()
    (True, False)
    """
    return frozenset(row[0] for row in _rows("script.opencc_forms.txt"))


@cache
def mainland_terms() -> dict[str, str]:
    """Mainland vocabulary in traditional script → the Taiwan term.

    >>> mainland_terms()["軟件"]
    '軟體'
    """
    return {row[0]: row[1] for row in _rows("script.mainland.tsv")}


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of ``words``, longest first, nested by common prefix.

    A flat alternation of hundreds of words tries each at every position; nested
    by prefix, a position fails after one character class test.

    >>> trie_pattern(["軟件", "軟件包", "信息"])
    '(?:信息|軟件(?:包)?)'
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@cache
def _mainland_re() -> re.Pattern[str]:
    return re.compile(trie_pattern(list(mainland_terms())))


@cache
def _class_re(chars: frozenset[str]) -> re.Pattern[str]:
    """One regex character class of the BMP characters of ``chars``, for counting at C speed.

    Supplementary-plane characters are left out: with one of them in a class,
    ``re`` gives up its bitmap and tests every member in turn, six times slower
    over a whole text, for characters that hardly ever occur.
    """
    return re.compile(
        "[" + "".join(re.escape(c) for c in sorted(chars) if ord(c) < 0x10000) + "]"
    )


@cache
def _char_classes() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Traditional-only, simplified-only, OpenCC-only and ambiguous simplified characters."""
    traditional = frozenset(c for c in ts_candidates() if is_traditional_only(c))
    simplified = frozenset(c for c in st_candidates() if is_simplified_only(c))
    return (
        _class_re(traditional),
        _class_re(simplified - traditional),
        _class_re(opencc_forms()),
        _class_re(frozenset(ambiguous_simplified())),
    )


def is_traditional_only(ch: str) -> bool:
    """True for a character that exists only in traditional script.

    >>> is_traditional_only("這"), is_traditional_only("后"), is_traditional_only("这")
    (True, False, False)
    """
    candidates = ts_candidates().get(ch)
    return candidates is not None and ch not in candidates


def is_simplified_only(ch: str) -> bool:
    """True for a character that exists only in simplified script.

    >>> is_simplified_only("发"), is_simplified_only("后"), is_simplified_only("發")
    (True, False, False)
    """
    candidates = st_candidates().get(ch)
    return candidates is not None and ch not in candidates


def classify(char: str, simplified: str, phrase: str) -> str | None:
    """Whether one character looks like a table's choice, a writer's, or neither.

    ``char`` is the character in the text, ``simplified`` its OpenCC ``t2s``
    form and ``phrase`` what OpenCC ``s2t`` makes of that form in context.
    Returns ``"table"`` when the text disagrees with the phrase-level choice and
    holds what a character table gives (the simplified character or the
    table's default), ``"context"`` when the text holds a context-dependent form
    no table gives (agreeing with the phrase-level choice or not), else None.

    >>> classify("臺", "台", "颱"), classify("发", "发", "發")
    ('table', 'table')
    >>> classify("颱", "台", "颱"), classify("風", "风", "風")
    ('context', None)
    >>> classify("裡", "里", "裏")  # regional variants are the same choice
    """
    fold = variant_fold()
    text_form = char.translate(fold)
    phrase_form = phrase.translate(fold)
    table = {simplified.translate(fold)}
    candidates = st_candidates().get(simplified)
    if candidates:
        table.add(candidates[0].translate(fold))
    if text_form != phrase_form:
        return "table" if text_form in table else "context"
    if simplified in ambiguous_simplified() and phrase_form not in table:
        return "context"
    return None


@dataclass
class Tally:
    """Counts of evidence in a span of text (a line or a whole document)."""

    han: int = 0
    traditional_only: int = 0
    simplified_only: int = 0
    #: (text character, phrase-level character) → occurrences.
    table_choices: Counter[tuple[str, str]] = field(default_factory=Counter)
    context_choices: int = 0
    mainland_terms: Counter[str] = field(default_factory=Counter)
    opencc_forms: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.han += other.han
        self.traditional_only += other.traditional_only
        self.simplified_only += other.simplified_only
        self.table_choices.update(other.table_choices)
        self.context_choices += other.context_choices
        self.mainland_terms.update(other.mainland_terms)
        self.opencc_forms.update(other.opencc_forms)

    @property
    def traditional_share(self) -> float:
        return self.traditional_only / self.han if self.han else 0.0

    def log_odds(self) -> float:
        """The weighted evidence for machine conversion (see the module constants)."""
        return (
            WEIGHT_TABLE_CHOICE * len(self.table_choices)
            - WEIGHT_CONTEXT_CHOICE * self.context_choices
            + WEIGHT_MAINLAND_TERM * min(len(self.mainland_terms), MAX_MAINLAND_TERMS)
            + WEIGHT_OPENCC_FORM * min(len(self.opencc_forms), MAX_OPENCC_FORMS)
        )


def tally_line(line: str, simplified: str, phrase: str) -> Tally:
    """Count the evidence in one line, given its ``t2s`` and ``s2t(t2s)`` forms.

    The three must have the same length (OpenCC almost always keeps it); a line
    whose conversion changed its length contributes no table or context choice.
    """
    han = len(HAN_RE.findall(line))
    tally = Tally(han=han)
    if han == 0:
        return tally
    traditional, simplified_re, forms, ambiguous = _char_classes()
    tally.traditional_only = len(traditional.findall(line))
    tally.simplified_only = len(simplified_re.findall(line))
    tally.opencc_forms.update(forms.findall(line))
    tally.mainland_terms.update(_mainland_re().findall(line))
    if not len(line) == len(simplified) == len(phrase):
        return tally
    fold = variant_fold()
    positions: Iterable[int]
    if line.translate(fold) == phrase.translate(fold):
        # Only where the simplified form is ambiguous can a non-default choice hide.
        positions = [m.start() for m in ambiguous.finditer(simplified)]
    else:
        positions = range(len(line))
    for i in positions:
        a, s, b = line[i], simplified[i], phrase[i]
        if a == b == s or not is_han(a):
            continue
        kind = classify(a, s, b)
        if kind == "table":
            tally.table_choices[(a, b)] += 1
        elif kind == "context":
            tally.context_choices += 1
    return tally


def _converter(config: str) -> Any:
    from zhfix.script import converter

    return converter(config)


def tally_lines(text: str) -> Iterator[tuple[str, Tally]]:
    """Each line of ``text`` (with its line break) and the evidence in it.

    OpenCC converts the whole text at once; lines are compared one by one.
    """
    simplified = str(_converter("t2s").convert(text))
    phrase = str(_converter("s2t").convert(simplified))
    lines = text.splitlines(keepends=True)
    s_lines = simplified.splitlines(keepends=True)
    p_lines = phrase.splitlines(keepends=True)
    if not len(lines) == len(s_lines) == len(p_lines):
        s_lines = p_lines = [""] * len(lines)
    for line, s, p in zip(lines, s_lines, p_lines, strict=True):
        yield line, tally_line(line, s, p)


@dataclass(frozen=True)
class MachineVerdict:
    """Whether a text was converted from simplified to traditional by a character table.

    ``confidence`` is the probability of machine conversion from 0 to 1 (the
    logistic of the evidence's log-odds); ``is_machine`` is true when the
    log-odds reach :data:`MACHINE_LOG_ODDS`.  ``evidence`` is plain,
    JSON-serialisable data: counts and a few examples of each kind.
    """

    is_machine: bool
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)


def verdict(tally: Tally) -> MachineVerdict:
    """The verdict on a text whose evidence is ``tally``."""
    evidence: dict[str, Any] = {
        "han": tally.han,
        "traditional_share": round(tally.traditional_share, 3),
        "simplified_only": tally.simplified_only,
        "table_choices": sum(tally.table_choices.values()),
        "context_choices": tally.context_choices,
        "mainland_terms": sum(tally.mainland_terms.values()),
        "opencc_forms": sum(tally.opencc_forms.values()),
    }
    if tally.han == 0 or tally.traditional_share < MIN_TRADITIONAL_SHARE:
        evidence["reason"] = "not traditional text"
        return MachineVerdict(False, 0.0, evidence)
    log_odds = tally.log_odds()
    evidence["log_odds"] = round(log_odds, 2)
    evidence["table_choice_examples"] = [
        f"{a}→{b}" for (a, b), _ in tally.table_choices.most_common(MAX_EXAMPLES)
    ]
    evidence["mainland_term_examples"] = [
        t for t, _ in tally.mainland_terms.most_common(MAX_EXAMPLES)
    ]
    evidence["opencc_form_examples"] = [
        c for c, _ in tally.opencc_forms.most_common(MAX_EXAMPLES)
    ]
    confidence = 1.0 / (1.0 + math.exp(-max(log_odds, -50.0)))
    return MachineVerdict(log_odds >= MACHINE_LOG_ODDS, round(confidence, 4), evidence)


def detect_machine_conversion(text: str) -> MachineVerdict:
    """Decide whether ``text`` is traditional text converted from simplified by a table.

    >>> detect_machine_conversion("颱風過後，她的頭髮還是乾的，只好在臺北多留一天。").is_machine
    False
    >>> v = detect_machine_conversion("臺風過後，她的頭發還是幹的。後來才發現軟件的信息不全。")
    >>> v.is_machine, v.evidence["table_choice_examples"]
    (True, ['臺→颱', '發→髮', '幹→乾'])
    >>> detect_machine_conversion("台风过后，头发干了").evidence["reason"]
    'not traditional text'
    """
    total = Tally()
    for _, tally in tally_lines(text):
        total.add(tally)
    return verdict(total)
