"""Resynchronise GBK and Big5 streams that were decoded one byte off.

Some scrapers decode a GBK page in fixed-size chunks, each on its own.  A
double-byte character cut by a chunk boundary becomes ``?``, and the next chunk
is read one byte off: each "character" is the trail byte of one true character
and the lead byte of the next, until an ASCII byte (or a trail byte in the
ASCII range, which GBK allows) puts the reader back in step.  A lead byte
followed by a byte that cannot be a trail is an invalid pair and becomes one
``?``, eating that byte too: that is how an annotation ``(zǒng)`` inserted by a
find-and-replace on the *bytes*, inside a character, loses its ``(``.

``計劃??Q句話說`` is ``計劃。換句話說`` read that way: ``。`` is A1 A3, A1
ended a chunk (``?``), A3 paired with 93 (the lead byte of ``換`` = 93 51) into
an invalid pair (``?``), and 51 is ``Q``.

The repair re-encodes a suspicious island, proposes byte streams that the
broken reader would have turned into it (a ``?`` may stand for the lost lead
byte of a cut character, for an invalid pair of two lost bytes, for an invalid
pair that ate the ``(`` of an annotation or an ASCII character of the text, a
line break included, or for the last byte alone where the text ends; what NFKC
made of a character, ``2.`` of ``⒉``, stands for that character), parses them
in step, drops annotations that the byte-level find-and-replace inserted
(checking that the reading belongs to the character whose bytes precede it,
even when a chunk boundary cut its tone letter), and lets the language model
choose, with a bonus for the words that the text spells intact outside its
islands (a cache model, see :data:`CACHE_BONUS`: a document repeats its
terms).  The result replaces the island only when it beats the island as it
stands by :data:`RESYNC_MARGIN`.  Once the islands show that find-and-replace
at work, its aligned annotations elsewhere in the text go too.

Big5 breaks the same way (``我們討論過?C換個話題``: ``。`` is A1 43, A1 ended a
chunk, 43 is ``C``), with islands made short by its trail bytes in the ASCII
range.  Each island is read in both codecs; the readings compete under the
language model, the codec whose readings explain the document best reads the
islands where the two are close (see :func:`_choose_codec`), and each edit's
evidence names its codec and both margins.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

from zhfix import lm
from zhfix.chars import HAN
from zhfix.config import FixConfig
from zhfix.explain import Edit, Step, common_affixes
from zhfix.pipeline import Lead, lines_at, register

#: A byte whose value is unknown (lost in a ``?``).
UNK = -1
#: "No byte": the start of an island, or after an ASCII character.
NONE = -2

#: Cost (nats) of explaining a ``?`` as the lead byte of a character cut at a
#: chunk boundary.  Set with the other costs below on chunked GBK decodings of
#: zh_hans.dev.txt paragraphs against the clean corpus, where no line may change.
SPLIT_COST = 6.0
#: Cost of explaining a ``?`` as an invalid pair of two lost bytes while the
#: reader is out of step (common: about one pair in six is invalid).
INVALID_COST = 0.5
#: Cost of a ``?`` that is an invalid pair which ate the ``(`` of an annotation.
EATEN_COST = 4.0
#: Cost of a ``?`` that is an invalid pair which ate an ASCII character of the
#: text (a space, a full stop, a bracket) while the reader was out of step.
EATEN_ASCII_COST = 4.0
#: Cost of reading what NFKC made of a character as that character, while the
#: reader is out of step: a fullwidth ``Ａ`` flattened to ``A``, and also ``⒉``
#: (A2 B2, the trail byte of 发 and the lead of the next) expanded to ``2.``,
#: ``…`` to ``...``, ``ⅲ`` to ``iii``.  At 2, the best alternative reading of
#: a clean NFKC'd line (``人?......`` as ``人权E....``) scored 5.6, above the
#: clean maximum that :data:`RESYNC_MARGIN_CONFIRMED` rests on; at 3 it is 4.6.
NFKC_FORM_COST = 3.0
#: Cost of dropping an annotation found inside a misaligned island.
ANNOTATION_COST = 1.0
#: The repaired island must beat the island as it stands by this many nats
#: (log-likelihood ratio).  Measured with bench/resync_accuracy.py --margins:
#: over the 3,989 lines of both corpus files that pass the gate after NFKC, the
#: best alternative to a clean island scored at most 4.9 nats (one corpus line
#: that is itself misaligned GBK scored 188 and is repaired correctly); on
#: damaged islands of zh_hans.dev.txt paragraphs the 5th percentile is 29.
#: Twice the clean maximum.
RESYNC_MARGIN = 10.0
#: In a text where one island passed :data:`RESYNC_MARGIN`, the text has been
#: through a broken decoder, and its other islands need less: the clean
#: maximum above (4.9) is that of clean lines, where no island passes
#: :data:`RESYNC_MARGIN` (so none is confirmed), and a damaged text seldom
#: holds a genuine ``?`` next to a Han character.  Cut characters whose trail
#: byte is a letter (``旋?D中心`` for ``旋轉中心``, 4.7; ``宁?o`` for
#: ``宁靜``, 1.5) read best in such texts at less.  On 250 four-paragraph
#: documents damaged as the benchmark's content-farm kind damages them
#: (bench.run ``documents``, bench.accuracy ``seed_for``), fix_text restored
#: 84 with 5 (1.52% of the characters wrong), 84 with 3 (1.50%), 85 with 2
#: (1.49%), 85 with 1 (1.48%); bench/resync_accuracy.py --limit 300 --group 4
#: 1.45%, 1.41%, 1.39%, 1.38% with no document made worse.  2 leaves room
#: for a genuine ``?`` in a damaged text.
RESYNC_MARGIN_CONFIRMED = 2.0
#: The same for an island read as Big5: over the same clean lines, the best
#: Big5 reading of a clean island scored at most 0.5 nats
#: (bench/resync_accuracy.py --codec big5 --margins); twice that.  On 300
#: zh_hant.dev.txt paragraphs in documents of 4 (--group 4), 2 restored 28
#: of 71 documents (CER 0.60%), 1 restored 30 (0.55%).
RESYNC_MARGIN_CONFIRMED_BIG5 = 1.0
#: An island read as Big5 shows the text went through a broken decoder when
#: its reading beats the island as it stands by :data:`RESYNC_MARGIN`, or
#: beats both the island and its GBK reading by this much (a single cut
#: character, ``?C`` for ``。``, reads about as well in either codec, and then
#: only :data:`RESYNC_MARGIN` will do).  Measured with
#: bench/resync_accuracy.py --codec big5 --margins: over the 3,991 clean
#: NFKC'd lines of both corpus files through the gate, at most 0.5; over the
#: damaged islands of 300 zh_hant.dev.txt paragraphs, quantiles 1.0 (5%), 4.6
#: (25%), 11.8 (50%).  Ten times the clean maximum, as ``?`` before an ASCII
#: letter makes a plausible Big5 character in clean flattened text too
#: (``你知道嗎?C語言`` read as ``嗎。語言`` scores 4.3); a lone cut character
#: (``話?D吧`` for ``話題吧``, 4.4) stays.
RESYNC_MARGIN_BIG5 = 5.0
#: Each codec's :data:`RESYNC_MARGIN_CONFIRMED`.
CONFIRMED_MARGIN: dict[str, float] = {
    "gbk": RESYNC_MARGIN_CONFIRMED, "big5": RESYNC_MARGIN_CONFIRMED_BIG5,
}

#: Score of a character whose two bytes were both lost and that the model cannot
#: tell: about one chance in 400 (the candidate list), so that a guess must be
#: better than that to replace the "?".
LOST_CHAR_LOGPROB = -6.0

#: Characters of that context that tell two hypotheses apart in the beam: with
#: 2, hypotheses that differ only in the character two back crowd the beam
#: (on the same 300 paragraphs: 148 restored at the width below and twice the
#: time), so the beam keeps the best one for each last character.
KEY_CONTEXT = 1
#: Hypotheses kept after each observed character.  On 300 damaged paragraphs
#: of bench/resync_accuracy.py, 40 left 4.1% of the characters wrong, 120
#: 3.7%, 250 3.7% (at 6.6 s against 5.4 s and 7.0 s for the whole run).
BEAM = 120
#: Candidate characters kept for one byte of unknown value.
CANDIDATES = 12
#: An island ends at most this many characters after its last ``?``.
MAX_ISLAND = 200
#: Longest annotation body considered (letters).
MAX_ANNOTATION = 8

_PINYIN = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêɑɡńňǹḿ"
#: A ``?`` next to a non-ASCII character, followed by an annotation tail or a
#: whole annotation (a lead byte cut off before it, ``的(de)?(nǎo)``), or two
#: in an annotation after a non-ASCII character (a cut tone letter), or
#: followed by one ASCII character that can be a trail byte and a non-ASCII
#: one (a lead byte cut off where nothing non-ASCII comes before, as at the
#: start of a line: ``無`` = 9F 6F, ``?o法``; no line of either file of
#: ../shared/corpus, as it is or after NFKC, has this that the rest misses).
GATE = re.compile(
    f"[^\\x00-\\x7f]\\?|\\?[^\\x00-\\x7f]|\\?\\(?[{_PINYIN}]{{1,8}}\\)"
    "|[^\\x00-\\x7f]\\([a-z]{0,8}\\?\\?|\\?[\\x40-\\x7e][^\\x00-\\x7f]"
)
_TONE_LETTERS = frozenset("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêɑɡńňǹḿ")
_ANNOTATION_BODY = re.compile(f"[{_PINYIN}]{{1,{MAX_ANNOTATION}}}\\)")
_ANNOTATION_BEFORE = re.compile(f"\\([{_PINYIN}]{{1,{MAX_ANNOTATION}}}\\)$")
_HAN_RE = re.compile(f"[{HAN}]")
#: ASCII characters proposed for one eaten by an invalid pair (those below
#: 40, which cannot be a trail byte), with log P(it | a Han character) in the
#: text as it was encoded, before NFKC: both files of ../shared/corpus as they
#: are.  A line break is eaten so too, and two paragraphs run together.
EATEN_AFTER_HAN_LOGPROB: dict[str, float] = {
    " ": -3.8, "\n": -4.8, ")": -6.3, ".": -6.4, ",": -6.5, "(": -6.9, ":": -7.0,
}
_EATEN_ASCII = "".join(EATEN_AFTER_HAN_LOGPROB)
#: log P(end of paragraph | the character before it), both corpus files after
#: NFKC, one paragraph a line; for a Han character see EATEN_AFTER_HAN_LOGPROB.
LINE_END_LOGPROB: dict[str, float] = {
    "。": -0.7, "!": -0.7, "?": -0.8, ":": -1.4, ")": -1.7, ".": -2.0, "”": -2.0,
    '"': -3.1, "」": -3.7,
}
#: ... after any other character.
LINE_END_OTHER_LOGPROB = -5.1
#: Cost (nats) of a ``?`` that is the last byte of the text alone: the end of
#: the text ends the last chunk, so a reader out of step there always leaves
#: its last byte alone.
END_TRAIL_COST = 0.0
#: The commonest punctuation, proposed for a character whose bytes were all lost.
_LOST_PUNCT = "，。、；："
#: Punctuation that a character cut at a chunk boundary is often.
_PUNCT = "，。、；：？！“”（）《》「」…—"


@dataclass(frozen=True)
class _Tables:
    """GBK's double-byte characters, indexed by lead and by trail byte."""

    char: dict[int, str]  # (lead << 8 | trail) -> char
    by_lead: dict[int, tuple[str, ...]]
    by_trail: dict[int, tuple[str, ...]]
    code: dict[str, int]


#: The codecs whose chunked decoding the fixer undoes.  Both read any byte
#: from 81 to FE as a lead byte and pair it with the next byte, ``?`` if the
#: pair is invalid: GBK (lead 81-FE, trail 40-FE) and Big5 (lead A1-F9, trail
#: 40-7E and A1-FE), so one parser reads both, with its codec's table.
CODECS = ("gbk", "big5")


@cache
def tables(codec: str = "gbk") -> _Tables:
    """Built from Python's codec of that name on first use."""
    char: dict[int, str] = {}
    by_lead: dict[int, list[str]] = {}
    by_trail: dict[int, list[str]] = {}
    code: dict[str, int] = {}
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                ch = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(ch) != 1:
                continue
            key = lead << 8 | trail
            char[key] = ch
            code.setdefault(ch, key)
            by_lead.setdefault(lead, []).append(ch)
            by_trail.setdefault(trail, []).append(ch)
    # Candidates for lost bytes: Han characters and Chinese punctuation only
    # (a lost byte of ordinary text is hardly ever kana, Cyrillic or a box).
    def plausible(chars: list[str]) -> tuple[str, ...]:
        return tuple(c for c in chars if _HAN_RE.match(c) or c in _PUNCT)

    return _Tables(
        char,
        {k: plausible(v) for k, v in by_lead.items()},
        {k: plausible(v) for k, v in by_trail.items()},
        code,
    )


@cache
def _nfkc_forms(codec: str = "gbk") -> tuple[dict[str, tuple[int, ...]], int]:
    """What NFKC makes of the GBK characters it changes → their codes; and the
    longest such form (``⒇`` → ``(20)``)."""
    forms: dict[str, list[int]] = {}
    for key, ch in tables(codec).char.items():
        form = unicodedata.normalize("NFKC", ch)
        if form != ch:
            forms.setdefault(form, []).append(key)
    return {k: tuple(v) for k, v in forms.items()}, max(map(len, forms))


@cache
def _common_chars(codec: str = "gbk") -> tuple[str, ...]:
    """The most frequent characters of the codec, for a byte pair lost entirely."""
    model = lm.model()
    t = tables(codec)
    ranked = sorted(
        (c for c in model.unigram if len(c) == 1 and c in t.code),
        key=lambda c: -model.unigram[c],
    )
    return tuple(ranked[:400])


@cache
def _reading_index() -> dict[str, tuple[str, ...]]:
    """Toneless syllable -> GBK characters that can be read so."""
    from zhfix.annotations import readings_table

    t = tables()
    index: dict[str, list[str]] = {}
    for ch, info in readings_table().items():
        if ch not in t.code:
            continue
        for reading in info.readings:
            base = reading.rstrip("012345")
            index.setdefault(base, []).append(ch)
    return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}


def _annotation_chars(body: str) -> tuple[str, str, tuple[str, ...]] | None:
    """For an annotation body, its normalised reading and the chars it fits."""
    from zhfix.annotations import match_reading, parse_annotation

    spelling = parse_annotation(body)
    if spelling is None:
        return None
    chars = tuple(
        c for c in _reading_index().get(spelling.base, ()) if match_reading(c, spelling)
    )
    if not chars:
        return None
    return body, spelling.base, chars


#: log P(next character | a Han character), measured on both files of
#: ../shared/corpus (clean text): for ASCII by class (space -3.8, letters -6.5,
#: digits -7.2, rare symbols such as ` ^ ~ | \\ @ about -10 to -13), and for
#: Chinese punctuation mark by mark, which the language model (built from word
#: lists) does not know.  In flattened text an ASCII mark stands for the
#: fullwidth one NFKC made it from.
HAN_SPACE_LOGPROB = -3.8
HAN_LETTER_LOGPROB = -6.5
HAN_DIGIT_LOGPROB = -7.2
HAN_SYMBOL_LOGPROB = -10.0
HAN_PUNCT_LOGPROB: dict[str, float] = {
    "，": -3.5, "。": -3.4, "、": -6.5, "；": -7.2, "：": -6.2, "？": -6.4, "！": -6.0,
    "“": -7.4, "”": -7.6, "（": -6.8, "）": -6.9, "《": -8.7, "》": -8.2, "「": -5.8,
    "」": -5.9, "…": -7.3, "—": -8.8, ".": -6.4,
}
#: log P(next character | a space), by class, measured on both files of
#: ../shared/corpus after NFKC (150,000 spaces): in Chinese technical text a
#: space mostly opens a Latin word, a placeholder or an option (``使用 RGB``,
#: ``%s``, ``-f``), which the language model, built from word lists, does not
#: know.  Without it, a space eaten with the character before it by an
#: invalid pair (``一个?setsockopt``) costs more than a cut character.
SPACE_LETTER_LOGPROB = -1.4
SPACE_DIGIT_LOGPROB = -3.3
SPACE_SYMBOL_LOGPROB: dict[str, float] = {
    "-": -3.1, "%": -3.2, "(": -3.2, '"': -3.6, "[": -3.9, "<": -4.8, "'": -5.2,
    "/": -5.2, ".": -5.6, "`": -5.8, "$": -5.9,
}
#: Any other ASCII symbol after a space (each below -6 in the same count).
SPACE_OTHER_LOGPROB = -7.0
#: log P(a paragraph starts with it), by class, both corpus files after NFKC
#: (99,000 lines: 94% start with a Han character, which the language model
#: scores): a line break eaten before ``%s`` or a command name comes back as a
#: line break, not as a space.  Letters by case (1,650 lines start with a
#: lower-case one, 2,750 with a capital; -3.1 for both together): a letter
#: eaten by an invalid pair leaves the rest of its word in lower case
#: (``。sid`` read ``。??id``), which a lost ``。`` and an eaten line break
#: made a paragraph of.  On 250 content-farm documents (NFKC) invented line
#: breaks went from 18 documents to 12, lost ones from 23 to 25.
LINE_START_LETTER_LOGPROB = -3.6
LINE_START_LOWER_LOGPROB = -4.1
LINE_START_DIGIT_LOGPROB = -5.0
LINE_START_SYMBOL_LOGPROB: dict[str, float] = {
    "-": -4.3, "%": -4.5, "(": -6.0, "*": -6.2, "[": -6.4, '"': -6.5, ".": -6.6,
}
#: Any other ASCII symbol at the start of a paragraph (each below -7).
LINE_START_OTHER_LOGPROB = -7.5
#: log P(a paragraph starts with a sentence mark), the same count (52 of the
#: 99,181 paragraphs): the language model, with no context for punctuation,
#: scores ``。`` at the start of a line as anywhere else (-3.6), and a line
#: break eaten with a cut character read as ``。\n。``.
LINE_START_MARK_LOGPROB: dict[str, float] = {
    "。": -9.1, ",": -8.5, ":": -9.1, ";": -10.1, "、": -11.5, "?": -10.8, "!": -10.8,
}
_NFKC_OF = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
#: log P(a sentence mark ``，。、；：？！`` | the mark before), both corpus files
#: after NFKC: a mark hardly ever follows these (``，。``), which the language
#: model, with no bigrams for punctuation, scores as likely as anywhere else.
#: (After ``：？！`` marks do double: ``::``, ``?!``.)
MARK_AFTER_MARK_LOGPROB: dict[str, float] = {"。": -8.7, ",": -8.2, "、": -6.8, ";": -6.0}
#: log P(``?`` | a Han character and ``?``), both corpus files after NFKC:
#: one of the 4,762 question marks after a Han character is doubled.  The
#: character model (no context for punctuation) says -6.2, about as likely
#: as a cut ``。`` whose trail byte ate the line break after it (``工作??接``
#: for ``工作。\n接``).
DOUBLE_QUESTION_AFTER_HAN_LOGPROB = -8.5
_SENTENCE_MARKS = frozenset("，。、；：？！,;:?!")
#: ASCII symbols that are rare in Chinese text wherever they stand (same counts).
_RARE_SYMBOLS = frozenset("`^~|\\@#$&{}_=+*")


#: Characters of context the decoder keeps for the language model: 2, for its
#: trigrams (``计算`` makes ``机`` 2.2 nats likelier than ``算`` alone).  On 300
#: damaged paragraphs of bench/resync_accuracy.py, 176 were restored against
#: 173 with bigrams only, in the same time (see :data:`KEY_CONTEXT`).
CONTEXT = 2


#: Bonus (nats) for a Han character that makes, with the character before it,
#: a bigram found in the text outside the islands: a cache model (Kuhn and
#: De Mori), as a document spells its terms more than once (``套接字`` intact
#: in one paragraph and misaligned in the next is ``套接字`` there too, not
#: ``套接種``).  On 400 four-paragraph documents of zh_hans.dev.txt damaged
#: as the benchmark's content-farm kind damages them (bench.run
#: ``documents``, bench.accuracy ``seed_for``; fix_text, compared after NFKC),
#: restored: 146 without the cache; with this bonus and
#: :data:`CACHE_TRIGRAM_BONUS` at 2/2 159, 3/0 159, 3/2 160, 4/2 160, 5/2 160,
#: none of the 146 lost; characters left wrong 1,034, 972, 971, 966, 959,
#: 957.  On 800 such documents 4/2 restored 302 against 269 (one lost).  4
#: leaves every document of bench/resync_accuracy.py (--group 4, paragraphs,
#: --codec big5; 300 each) as good or better, and the clean corpus in
#: documents of four lines, as it is and NFKC'd, unchanged.
CACHE_BONUS = 4.0
#: Bonus (nats), on top of :data:`CACHE_BONUS`, for a character that makes a
#: trigram found there with the two before it (see :data:`CACHE_BONUS` for
#: the measurement: 0 and 2 at a bigram bonus of 3).
CACHE_TRIGRAM_BONUS = 2.0


@dataclass(frozen=True)
class _DocCache:
    """The Han bigrams and trigrams of a text outside its islands (see
    :func:`_doc_ngrams`), and for each character the characters that follow
    it in those bigrams."""

    ngrams: frozenset[str]
    after: dict[str, tuple[str, ...]]


_NO_CACHE = _DocCache(frozenset(), {})
#: The cache of the text whose island is being read (set by
#: :func:`_decode_island` for the time it reads one island): the beam's many
#: small functions read it from here rather than each taking it, and each
#: thread or task reading a text has its own.
_CURRENT_CACHE: ContextVar[_DocCache] = ContextVar("_CURRENT_CACHE", default=_NO_CACHE)
_HAN_RUN = re.compile(f"[{HAN}]{{2,}}")


def _ngrams(text: str) -> frozenset[str]:
    """The Han bigrams and trigrams of ``text``.

    >>> sorted(_ngrams("套接字 和 ab 分頁"))
    ['分頁', '套接', '套接字', '接字']
    """
    return frozenset(
        run[k : k + n]
        for run in _HAN_RUN.findall(text)
        for n in (2, 3)
        for k in range(len(run) - n + 1)
    )


#: Indexes :func:`_index` remembers: every island of a text reads the same
#: cache, and indexing it once per island made a long text quadratic.
INDEX_CACHE_SIZE = 4


@lru_cache(maxsize=INDEX_CACHE_SIZE)
def _index(ngrams: frozenset[str]) -> _DocCache:
    """``ngrams`` with the characters that follow each character in them,
    built once per text (a frozenset keeps its hash)."""
    after: dict[str, list[str]] = {}
    for g in sorted(ngrams):
        if len(g) == 2:
            after.setdefault(g[0], []).append(g[1])
    return _DocCache(ngrams, {k: tuple(v) for k, v in after.items()})


def _bonus(prev: str, ch: str) -> float:
    """The cache's bonus for ``ch`` after ``prev``: :data:`CACHE_BONUS` if the
    last character of ``prev`` and ``ch`` make a bigram of the current text's
    cache, and :data:`CACHE_TRIGRAM_BONUS` more if the last two and ``ch``
    make a trigram of it."""
    ngrams = _CURRENT_CACHE.get().ngrams
    if not ngrams or prev[-1:] + ch not in ngrams:
        return 0.0
    if len(prev) >= 2 and prev[-2:] + ch in ngrams:
        return CACHE_BONUS + CACHE_TRIGRAM_BONUS
    return CACHE_BONUS


def _lp_with_bonus(context: str, ch: str) -> float:
    """:func:`_lp` with the cache's :func:`_bonus`, as :func:`_emit` scores a
    character: for what the beam does not emit (the island as it stands, the
    character after it)."""
    return _lp(context, ch) + _bonus(context, ch)


def _window_bonus(before: str, ch: str, after: str) -> float:
    """The cache's bonus for ``ch`` between ``before`` and ``after``: over
    ``ch`` and the two characters after it, as the beam adds it up."""
    total = _bonus(before, ch)
    if after:
        total += _bonus(before[-1:] + ch, after[0])
    if len(after) >= 2:
        total += _bonus(ch + after[0], after[1])
    return total


#: Scores remembered by :func:`_lp`: the beam asks for the same character
#: after the same context again and again.
LP_CACHE_SIZE = 1 << 16
#: Candidate lists remembered by :func:`_top_known` (each holds
#: :data:`CANDIDATES` scored characters, so fewer are kept).
TOP_CACHE_SIZE = 1 << 12

#: After a Han character, a space is scored as such, not as a symbol.
_HAN_SPACE = {" ": HAN_SPACE_LOGPROB}


def _by_class(
    ch: str, letter: float, digit: float, symbols: dict[str, float], other: float
) -> float:
    """An ASCII ``ch`` scored by its class: a letter, a digit, a listed symbol
    or any other (the measured rates after a Han character, a space, or at
    the start of a paragraph)."""
    if ch.isalpha():
        return letter
    if ch.isdigit():
        return digit
    return symbols.get(ch, other)


@lru_cache(maxsize=LP_CACHE_SIZE)
def _lp(context: str, ch: str) -> float:
    """The language model after ``context`` (the last :data:`CONTEXT` characters),
    with what follows a Han character scored by measured rates."""
    prev = context[-1:]
    if prev and _HAN_RE.match(prev):
        punct = HAN_PUNCT_LOGPROB.get(_NFKC_OF.get(ch, ch))
        if punct is not None:
            return punct
        if ch.isascii():
            return _by_class(
                ch, HAN_LETTER_LOGPROB, HAN_DIGIT_LOGPROB, _HAN_SPACE, HAN_SYMBOL_LOGPROB
            )
    if ch == "?" and prev == "?" and _HAN_RE.match(context[-2:-1]):
        return DOUBLE_QUESTION_AFTER_HAN_LOGPROB
    if ch in _SENTENCE_MARKS and prev:
        after_mark = MARK_AFTER_MARK_LOGPROB.get(unicodedata.normalize("NFKC", prev))
        if after_mark is not None:
            return after_mark
    if prev == " " and ch.isascii() and ch not in " \t":
        return _by_class(
            ch, SPACE_LETTER_LOGPROB, SPACE_DIGIT_LOGPROB, SPACE_SYMBOL_LOGPROB,
            SPACE_OTHER_LOGPROB,
        )
    if prev == "\n" and ch in LINE_START_MARK_LOGPROB:
        return LINE_START_MARK_LOGPROB[ch]
    if prev == "\n" and ch.isascii() and ch not in " \t\n":
        letter = LINE_START_LOWER_LOGPROB if ch.islower() else LINE_START_LETTER_LOGPROB
        return _by_class(
            ch, letter, LINE_START_DIGIT_LOGPROB, LINE_START_SYMBOL_LOGPROB,
            LINE_START_OTHER_LOGPROB,
        )
    if ch in _RARE_SYMBOLS:
        return HAN_SYMBOL_LOGPROB
    return lm.model().char_logprob(prev, ch, context[-2:-1])


def _line_end_lp(context: str) -> float:
    """log P(the paragraph ends | the character before): an island that runs to
    the end of its line is scored with it, so that a character whose bytes were
    lost there is more likely ``。`` than ``的``."""
    prev = context[-1:]
    if prev and _HAN_RE.match(prev):
        return EATEN_AFTER_HAN_LOGPROB["\n"]
    return LINE_END_LOGPROB.get(unicodedata.normalize("NFKC", prev), LINE_END_OTHER_LOGPROB)


def _eaten_lp(context: str, ch: str) -> float:
    """log P(the ASCII ``ch`` | ``context``) in text as it was encoded (before NFKC)."""
    if context and _HAN_RE.match(context[-1]):
        return EATEN_AFTER_HAN_LOGPROB.get(ch, HAN_SYMBOL_LOGPROB)
    if ch == "\n":
        return _line_end_lp(context)
    return _lp(context, ch)


class _Hyp(NamedTuple):
    """One reading of an island so far (a tuple: the beam makes thousands,
    and a frozen dataclass took a quarter of its time to build them)."""

    score: float
    pending: int  # NONE, UNK, or a lead byte
    last: int  # last byte fed: NONE, UNK or a value
    prev: str  # the last characters (CONTEXT), for the language model
    out: tuple[Any, ...] | None  # cons list of emitted strings, newest first
    events: tuple[Any, ...] | None  # cons list of event dicts
    invalid_after: int  # NONE, or a byte that must not pair with the next lead

    def key(self) -> tuple[int, int, str, int]:
        return (self.pending, self.last, self.prev[-KEY_CONTEXT:], self.invalid_after)


def _emit(
    h: _Hyp, ch: str, score: float, last: int, event: dict[str, Any] | None,
    cached: bool = True,
) -> _Hyp:
    """``h`` with ``ch`` read, at ``score`` plus the cache's :func:`_bonus`
    (here, so that every reading gets it alike).  A character whose bytes
    were both lost is guessed with nothing of it known, and ``cached=False``
    leaves it without: with the bonus, the cache alone chose it (on 400
    content-farm documents, ``分布。\n`` read ``分布的 `` in a text that
    spells ``分布的`` elsewhere)."""
    node = (ch, h.out)
    if cached:
        score += _bonus(h.prev, ch)
    if event is not None and "_pool" in event:
        event["_node"] = node  # where it stands in the output (see _reconsider)
    return _Hyp(
        score=h.score + score,
        pending=NONE,
        last=last,
        prev=(h.prev + ch)[-CONTEXT:],
        out=node,
        events=(event, h.events) if event else h.events,
        invalid_after=NONE,
    )


def _top(prev: str, chars: tuple[str, ...] | list[str]) -> list[tuple[float, str]]:
    """The :data:`CANDIDATES` best of ``chars`` after ``prev``."""
    scored = [(_lp(prev, c), c) for c in chars]
    scored.sort(reverse=True)
    return scored[:CANDIDATES]


@dataclass(frozen=True)
class _RankedPool:
    """A candidate pool split for :func:`_top_ranked`: ``plain`` characters,
    which :func:`_lp` scores with the character model alone, as (unigram,
    character) best first; and the ``others``, scored one by one."""

    plain: tuple[tuple[float, str], ...]
    others: tuple[str, ...]


def _ranked(pool: tuple[str, ...]) -> _RankedPool:
    """``pool`` split and ordered for :func:`_top_ranked`."""
    model = lm.model()
    plain: list[tuple[float, str]] = []
    others: list[str] = []
    for c in pool:
        lp = model.unigram.get(c)
        special = (
            c.isascii() or c.isupper() or c in _SENTENCE_MARKS or c in _RARE_SYMBOLS
            or _NFKC_OF.get(c, c) in HAN_PUNCT_LOGPROB
        )
        if lp is None or special:
            others.append(c)
        else:
            plain.append((lp, c))
    plain.sort(reverse=True)
    return _RankedPool(tuple(plain), tuple(others))


def _known(lead: int, byte: int) -> tuple[str, int]:
    """What is known of a character whose lead byte, or else whose trail
    ``byte``, may be :data:`UNK`: which byte (``"any"`` for neither), as
    :func:`_pool` takes it."""
    return ("lead", lead) if lead != UNK else ("trail", byte) if byte != UNK else ("any", UNK)


@cache
def _ranked_pool(codec: str, lead: int, byte: int) -> _RankedPool:
    """The pool of :func:`_top_known`, split and ordered once."""
    return _ranked(_pool(_known(lead, byte), codec))


def _top_ranked(context: str, pool: _RankedPool) -> list[tuple[float, str]]:
    """:func:`_top` of the pool, the same list, without scoring every
    character: a plain character with no bigram or trigram after ``context``
    scores its unigram plus the context's backoff (:class:`zhfix.lm.Model`),
    so those keep their unigram order and only the first :data:`CANDIDATES`
    of them can be in the list.  The beam asks for candidates after each new
    context, and scoring whole pools (a hundred characters or more) was most
    of its time."""
    model = lm.model()
    prev, prev2 = context[-1:], context[-2:-1]
    scored = [(_lp(context, c), c) for c in pool.others]
    if not prev:
        scored.extend(pool.plain[:CANDIDATES])
    else:
        pkey = prev.lower() if prev.isupper() else prev
        tri_prefix = (prev2.lower() if prev2.isupper() else prev2) + pkey if prev2 else ""
        trigram, bigram = model.trigram, model.bigram
        backoff = model.backoff.get(pkey, 0.0)
        backed = 0
        for lp, c in pool.plain:
            found = trigram.get(tri_prefix + c) if tri_prefix else None
            if found is None:
                found = bigram.get(pkey + c)
            if found is not None:
                scored.append((found, c))
            elif backed < CANDIDATES:
                scored.append((lp + backoff, c))
                backed += 1
    scored.sort(reverse=True)
    return scored[:CANDIDATES]


@lru_cache(maxsize=TOP_CACHE_SIZE)
def _top_known(prev: str, codec: str, lead: int, byte: int) -> tuple[tuple[float, str], ...]:
    """:func:`_top` of the characters ``codec`` has with that lead byte, or
    that trail byte, or (both unknown) of its common characters; remembered,
    as the beam asks again with the same context."""
    return tuple(_top_ranked(prev, _ranked_pool(codec, lead, byte)))


def _cache_candidates(
    prev: str, lead: int, byte: int, codec: str, offered: set[str]
) -> list[str]:
    """Characters that make a bigram of the cache (see :func:`_bonus`) after
    ``prev`` and fit what is known of the character's bytes, beyond those
    ``offered``: a term the text spells elsewhere is a candidate however the
    model ranks it alone.  Not for a character whose bytes were both lost:
    with nothing of it known, every character the cache has after ``prev``
    would fit (on 400 content-farm documents, a lost ``。`` and line break
    came back as ``位置 `` after ``位``)."""
    following = _CURRENT_CACHE.get().after.get(prev[-1:])
    if not following or (lead == UNK and byte == UNK):
        return []
    code = tables(codec).code
    out: list[str] = []
    for c in following:
        k = code.get(c)
        if k is None or c in offered:
            continue
        if (lead == UNK or k >> 8 == lead) and (byte == UNK or k & 0xFF == byte):
            out.append(c)
    return out


def _check_invalid(h: _Hyp, lead: int, codec: str = "gbk") -> bool:
    """The pair (h.invalid_after, lead) must not be a valid character."""
    if h.invalid_after == NONE or lead == UNK:
        return True
    return (h.invalid_after << 8 | lead) not in tables(codec).char


def _feed(h: _Hyp, byte: int, inferred: bool, codec: str = "gbk") -> list[_Hyp]:
    """Feed one byte of the true stream to the in-step parser."""
    t = tables(codec)
    if h.pending == NONE:
        if byte == UNK:
            return [_Hyp(h.score, UNK, UNK, h.prev, h.out, h.events, h.invalid_after)]
        if byte < 0x80:
            # ASCII keeps the last high byte: an annotation inserted by the
            # byte-level replace may stand between the two bytes of a target.
            ch = chr(byte)
            return [_emit(h, ch, _lp(h.prev, ch), h.last, None)]
        if not _check_invalid(h, byte, codec):
            return []
        return [_Hyp(h.score, byte, byte, h.prev, h.out, h.events, NONE)]
    lead = h.pending
    out: list[_Hyp] = []
    if lead != UNK and byte != UNK:
        found = t.char.get(lead << 8 | byte)
        if found is None:
            return []
        ev = {"inferred": found} if inferred else None
        return [_emit(h, found, _lp(h.prev, found), byte, ev)]
    top = list(_top_known(h.prev, codec, lead, byte))
    cached = _cache_candidates(h.prev, lead, byte, codec, {c for _, c in top})
    if cached:
        top += [(_lp(h.prev, c), c) for c in cached]
    if lead == UNK and byte == UNK:
        # A whole character lost: often punctuation, which the model knows little of.
        seen = {c for _, c in top}
        top += [(_lp(h.prev, c), c) for c in _LOST_PUNCT if c not in seen]
        # ... or nothing the model can tell: keep a "?" for it.
        lost = {"lost_char": True, "_pool": ("any", UNK)}
        out.append(_emit(h, "?", LOST_CHAR_LOGPROB, UNK, lost))
    known = _known(lead, byte)
    for score, ch in top:
        code = t.code[ch]
        if lead == UNK and not _check_invalid(h, code >> 8, codec):
            continue
        event: dict[str, Any] = {"inferred": ch, "_pool": known}
        out.append(_emit(h, ch, score, code & 0xFF, event, cached=known[0] != "any"))
    return out


def _feed_all(h: _Hyp, data: list[int], inferred: bool, codec: str = "gbk") -> list[_Hyp]:
    hyps = [h]
    for byte in data:
        nxt: list[_Hyp] = []
        for x in hyps:
            nxt.extend(_feed(x, byte, inferred, codec))
        hyps = nxt
    return hyps


def _with(h: _Hyp, cost: float, event: dict[str, Any]) -> _Hyp:
    return _Hyp(h.score - cost, h.pending, h.last, h.prev, h.out, (event, h.events),
                h.invalid_after)


def _skip_annotation(
    h: _Hyp, i: int, body: str, chars: tuple[str, ...], eaten: bool
) -> list[_Hyp]:
    """Drop an annotation that follows the bytes of one of ``chars``.

    If the parser holds a lead byte, the annotation was inserted inside a
    character: its target is the previous byte plus that lead byte.  If the
    ``(`` was eaten by an invalid pair, the ``?`` held one lost byte, which
    the target's bytes give back.
    """
    t = tables()
    out: list[_Hyp] = []
    event = {"at": i, "annotation": body, "eaten_paren": eaten}
    if eaten:
        # The ? was (lost byte, "(").  The lost byte completes the target.
        if h.pending == NONE:
            # Lost byte is a lead: target = (last byte, lost byte).
            for ch in chars:
                code = t.code[ch]
                if h.last not in (UNK, code >> 8) or h.last == NONE:
                    continue
                lead = code & 0xFF
                if not _check_invalid(h, lead):
                    continue
                ev = dict(event, target=ch)
                out.append(_Hyp(h.score - EATEN_COST, lead, lead, h.prev, h.out,
                                (ev, h.events), NONE))
        else:
            # Lost byte is the trail of the pending character = the target.
            for ch in chars:
                code = t.code[ch]
                if h.pending not in (UNK, code >> 8):
                    continue
                if h.pending == UNK and not _check_invalid(h, code >> 8):
                    continue
                ev = dict(event, target=ch, inferred=ch)
                score = _lp(h.prev, ch) - EATEN_COST
                out.append(_emit(h, ch, score, code & 0xFF, ev))
        return out
    # A "(" read in step while a lead byte is pending: inside a character.
    # The target is (trail byte of the previous character, pending lead).
    if h.pending == NONE:
        return out
    prev_code = t.code.get(h.prev[-1:])
    if prev_code is None:
        return out
    for ch in chars:
        code = t.code[ch]
        if code >> 8 != prev_code & 0xFF or h.pending not in (UNK, code & 0xFF):
            continue
        ev = dict(event, target=ch)
        pending = code & 0xFF if h.pending == UNK else h.pending
        out.append(_Hyp(h.score - ANNOTATION_COST, pending, pending, h.prev, h.out,
                        (ev, h.events), h.invalid_after))
    return out


#: Pinyin letters that GBK encodes in two bytes (A8 A1 to A8 BA).
_GBK_TONE_LETTERS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê"
#: An annotation read in step whose double-byte tone letter a chunk boundary
#: cut: ``(`` and letters, ``?`` for the lead byte alone, then the trail byte
#: paired with what followed (``?``, or a character if the pair is valid),
#: which swallowed the next letter or the ``)``.
_CUT_ANNOTATION = re.compile(
    f"\\(([a-z]{{0,{MAX_ANNOTATION}}})\\?(\\?|[^\\x00-\\x7f])([a-z]{{0,{MAX_ANNOTATION}}}\\))?"
)


def _cut_annotation(text: str, i: int, target: str) -> tuple[int, str] | None:
    """An annotation of ``target`` at ``text[i]`` (a ``(``) with a cut tone
    letter: where it ends and the reading it spelt (``他(t??們`` for ``(tā)``).

    >>> _cut_annotation("他(t??們", 1, "他")
    (5, 'tā')
    """
    from zhfix.annotations import match_reading, parse_annotation

    m = _CUT_ANNOTATION.match(text, i)
    if m is None:
        return None
    head, paired, tail = m.group(1), m.group(2), m.group(3)
    # With the ")" still there, the trail byte swallowed a letter; without,
    # it swallowed the ")".
    swallowed = [chr(c) for c in range(0x61, 0x7B)] if tail else [")"]
    rest = tail[:-1] if tail else ""
    for letter in _GBK_TONE_LETTERS:
        trail = tables().code[letter] & 0xFF
        for first in swallowed:
            found = tables().char.get(trail << 8 | ord(first))
            read = "?" if found is None else unicodedata.normalize("NFKC", found)
            if read != paired:
                continue
            body = head + letter + (first + rest if tail else "")
            spelling = parse_annotation(body)
            if spelling is not None and match_reading(target, spelling):
                return m.end(), body
    return None


def _cut_just_before(h: _Hyp, i: int) -> bool:
    """Whether ``h`` explained the ``?`` just before ``text[i]`` by a chunk
    boundary: another one cannot follow a byte later, as a chunk holds more
    than one byte (``方??定義`` for ``方法\n定義``: 法's lead byte ended a
    chunk, and its trail byte with the line break made an invalid pair; the
    trail byte did not end a chunk of its own).

    >>> h = _Hyp(0.0, UNK, UNK, "", None, ({"at": 4, "lost": "lead byte"}, None), NONE)
    >>> _cut_just_before(h, 5), _cut_just_before(h, 6)
    (True, False)
    """
    if h.events is None:
        return False
    last = h.events[0]
    return last.get("at") == i - 1 and last.get("lost") in ("lead byte", "trail byte")


def _lost_target_leads(text: str, i: int) -> frozenset[int] | None:
    """The lead bytes that the byte after an invalid pair at ``text[i]`` can
    be, when that byte begins the target of an annotation whose ``(`` the next
    ``?`` ate (``??de)``: the target ``的`` lost its lead byte to the first
    pair and its trail byte to the second, with the ``(``); else None.

    >>> 0xB5 in _lost_target_leads("??de)", 0)  # 的 = B5 C4
    True
    """
    if text[i + 1 : i + 2] != "?":
        return None
    m = _ANNOTATION_BODY.match(text, i + 2)
    ann = _annotation_chars(m.group()[:-1]) if m else None
    if ann is None:
        return None
    code = tables().code
    return frozenset(code[c] >> 8 for c in ann[2])


def _before_lost_target(h: _Hyp, leads: frozenset[int], codec: str) -> list[_Hyp]:
    """Characters with the pending lead byte whose trail byte makes an invalid
    pair with one of ``leads``, beyond those :func:`_top_known` offers.  Before
    a target of which both bytes were lost (see :func:`_lost_target_leads`),
    only a character whose trail byte cannot pair with the target's lead
    byte will do (``您`` = C4 FA before ``的`` = B5 C4: FA B5 is no
    character), and the best of all the lead's characters by the model
    alone seldom has one (``念``, ``你``)."""
    offered = {c for _, c in _top_known(h.prev, codec, h.pending, UNK)}
    out: list[_Hyp] = []
    for score, ch in _top_invalid_before(h.prev, codec, h.pending, leads):
        if ch not in offered:
            event = {"inferred": ch, "_pool": ("lead", h.pending)}
            out.append(_emit(h, ch, score, tables(codec).code[ch] & 0xFF, event))
    return out


@lru_cache(maxsize=TOP_CACHE_SIZE)
def _top_invalid_before(
    prev: str, codec: str, lead: int, leads: frozenset[int]
) -> tuple[tuple[float, str], ...]:
    """The :data:`CANDIDATES` best characters with ``lead`` whose trail byte
    makes an invalid pair with one of ``leads``."""
    t = tables(codec)
    pool = tuple(
        c for c in t.by_lead.get(lead, ())
        if any((t.code[c] & 0xFF) << 8 | x not in t.char for x in leads)
    )
    return tuple(_top(prev, pool))


def _identity_score(text: str, prev: str, following: str) -> float:
    """The island read as it stands, as :func:`_decode_island` scores it: an
    aligned annotation may be read past at :data:`ANNOTATION_COST`, so that
    doing so is no reason to prefer another reading."""
    score = 0.0
    p = prev
    i = 0
    chars = text + following
    while i < len(chars):
        c = chars[i]
        if c == "(" and i < len(text) and p:
            m = _ANNOTATION_BODY.match(text, i + 1)
            ann = _annotation_chars(m.group()[:-1]) if m else None
            if m and ann is not None and p[-1] in ann[2]:
                end = m.end()
                through, q = 0.0, p
                for d in chars[i : end + 1]:
                    through += _lp_with_bonus(q, d)
                    q = (q + d)[-CONTEXT:]
                past = -ANNOTATION_COST + (
                    _lp_with_bonus(p, chars[end]) if end < len(chars) else 0.0
                )
                if past > through:
                    score += past
                    if end < len(chars):
                        p = (p + chars[end])[-CONTEXT:]
                    i = end + 1
                    continue
        score += _lp_with_bonus(p, c)
        p = (p + c)[-CONTEXT:]
        i += 1
    if not following:
        score += _line_end_lp(p)
    return score


def _all_as_it_stands(
    hyps: list[_Hyp], ahead: dict[int, dict[tuple[int, int, str, int], _Hyp]]
) -> bool:
    """Whether every hypothesis left (those at the current position and those
    that a form or an annotation carried further) read the island as it stands
    so far: in step, with no event.  Only an event (a lost byte, an eaten
    character, a dropped annotation) takes a hypothesis out of step or makes it
    emit other characters, and with no ``?`` ahead none can happen any more, so
    :func:`_decode_island` would find the island itself, and find nothing."""
    if any(h.events is not None for h in hyps):
        return False
    return all(h.events is None for bucket in ahead.values() for h in bucket.values())


def _unreadable(text: str, codec: str) -> bool:
    """Whether ``text`` holds a character that ``codec`` cannot encode and
    that no NFKC form covers: every reading has to pass it (only a form or,
    in GBK, an annotation is read past), and none can, so
    :func:`_decode_island` finds nothing.  Simplified Chinese read as Big5
    stops there.

    >>> _unreadable("你好?吗", "big5"), _unreadable("你好?嗎", "big5")
    (True, False)
    """
    code = tables(codec).code
    form_table, longest = _nfkc_forms(codec)
    for u, ch in enumerate(text):
        if ch.isascii() or ch in code:
            continue
        covered = any(
            text[i : i + k] in form_table
            for i in range(max(0, u - longest + 1), u + 1)
            for k in range(u - i + 1, longest + 1)
        )
        if not covered:
            return True
    return False


def _decode_island(
    text: str, prev: str, following: str, at_end: bool = False, codec: str = "gbk",
    cache: frozenset[str] = frozenset(),
) -> tuple[str, float, list[Any]] | None:
    """The best in-step reading of ``text`` and its margin over ``text`` itself.

    ``at_end``: the island ends where the text does (its bytes ended there).
    ``codec``: the codec that the broken reader read it with (one of
    :data:`CODECS`).  Annotations are looked for in GBK only: the byte-level
    find-and-replace that inserts them works on GBK bytes.  ``cache``: the
    Han bigrams and trigrams of the text outside its islands (see
    :func:`_bonus`).
    """
    token = _CURRENT_CACHE.set(_index(cache) if cache else _NO_CACHE)
    try:
        return _read_island(text, prev, following, at_end, codec)
    finally:
        _CURRENT_CACHE.reset(token)


def _read_island(
    text: str, prev: str, following: str, at_end: bool, codec: str
) -> tuple[str, float, list[Any]] | None:
    """:func:`_decode_island` with the cache in place."""
    t = tables(codec)
    gbk = codec == "gbk"
    form_table, longest_form = _nfkc_forms(codec)
    if not gbk and _unreadable(text, codec):
        return None
    n = len(text)
    start = _Hyp(0.0, NONE, NONE, prev, None, None, NONE)
    beams: dict[int, dict[tuple[int, int, str, int], _Hyp]] = {0: {start.key(): start}}

    def push(i: int, h: _Hyp) -> None:
        bucket = beams.setdefault(i, {})
        old = bucket.get(h.key())
        if old is None or h.score > old.score:
            bucket[h.key()] = h

    # Past the last "?", a hypothesis that has no event (read everything in
    # step, as it stands) can only go on reading the text as it stands.
    settled = text.rfind("?") + 1
    for i in range(n):
        bucket = beams.pop(i, None)
        if not bucket:
            continue
        hyps = sorted(bucket.values(), key=lambda h: -h.score)[:BEAM]
        if i >= settled and _all_as_it_stands(hyps, beams):
            return None
        ch = text[i]
        o = ord(ch)
        ann = None
        if gbk and i + 1 < n and (ch == "?" or ch == "("):
            m = _ANNOTATION_BODY.match(text, i + 1)
            if m:
                ann = _annotation_chars(m.group()[:-1])
                ann_end = m.end()
        cut = _CUT_ANNOTATION.match(text, i) if gbk and ch == "(" else None
        next_leads = _lost_target_leads(text, i) if gbk and ch == "?" else None
        forms = [
            (k, codes)
            for k in range(1, min(longest_form, n - i) + 1)
            if (codes := form_table.get(text[i : i + k]))
        ]
        for h in hyps:
            if forms and h.pending != NONE:
                for k, codes in forms:
                    hf = _with(h, NFKC_FORM_COST, {"at": i, "nfkc": text[i : i + k]})
                    for key in codes:
                        if not gbk and key & 0xFF < 0x80:
                            # A Big5 form whose trail is ASCII (``…`` = A1 4B)
                            # would end in an ASCII character the reader paired
                            # with a lead: on clean NFKC'd zh_hant.dev.txt lines
                            # ``哼?......`` read so as ``哼部K...`` at 14.6 nats.
                            continue
                        for x in _feed_all(hf, [key >> 8, key & 0xFF], False, codec):
                            push(i + k, x)
            elif forms and h.pending == NONE:
                # In step, what NFKC made of a character reads as it stands,
                # but its last byte is the character's (``：`` = A3 BA before a
                # misaligned target BA BD, whose annotation follows BD).
                for k, codes in forms:
                    for key in codes:
                        x = h
                        for c in text[i : i + k]:
                            x = _emit(x, c, _lp(x.prev, c), key & 0xFF, None)
                        push(i + k, x)
            if o < 0x80:
                if ch == "?":
                    for x in _feed_all(h, [0x3F], False, codec):
                        push(i + 1, x)
                    if h.pending == NONE and not _cut_just_before(h, i):
                        hs = _with(h, SPLIT_COST, {"at": i, "lost": "lead byte"})
                        for x in _feed_all(hs, [UNK], True, codec):
                            push(i + 1, x)
                    if h.pending != NONE:
                        # Out of step: (trail, next lead) was an invalid pair.
                        pair = _feed_all(h, [UNK], True, codec)
                        if next_leads and h.pending != UNK:
                            pair += _before_lost_target(h, next_leads, codec)
                        for x in pair:
                            x = _Hyp(x.score - INVALID_COST, UNK, UNK, x.prev, x.out,
                                     ({"at": i, "lost": "invalid pair"}, x.events), x.last)
                            push(i + 1, x)
                        # Out of step, a chunk ended on the trail byte: back in step.
                        cost = END_TRAIL_COST if at_end and i == n - 1 else SPLIT_COST
                        # (The last chunk may hold one byte.)
                        if not _cut_just_before(h, i) or (at_end and i == n - 1):
                            hs = _with(h, cost, {"at": i, "lost": "trail byte"})
                            for x in _feed_all(hs, [UNK], True, codec):
                                push(i + 1, x)
                        # Out of step, (trail, ASCII) was an invalid pair that ate
                        # the ASCII character: back in step after it.
                        he = _with(h, EATEN_ASCII_COST, {"at": i, "lost": "ascii"})
                        for x in _feed_all(he, [UNK], True, codec):
                            for a in _EATEN_ASCII:
                                push(i + 1, _emit(x, a, _eaten_lp(x.prev, a),
                                                  x.last, {"inferred": a}))
                    if ann is not None:
                        for x in _skip_annotation(h, i, ann[0], ann[2], eaten=True):
                            push(ann_end, x)
                    continue
                if (ch == "(" and h.pending == NONE and ann is not None
                        and h.prev[-1:] in ann[2]):
                    # In step, an aligned annotation of the character before:
                    # kept as it is, and read past (the annotator, if the
                    # islands show one, removes it afterwards).
                    x = _Hyp(h.score - ANNOTATION_COST, NONE, h.last, h.prev,
                             (text[i:ann_end], h.out), h.events, h.invalid_after)
                    push(ann_end, x)
                if ch == "(" and h.pending == NONE and h.prev and cut is not None:
                    found = _cut_annotation(text, i, h.prev[-1])
                    if found is not None:
                        event = {"at": i, "annotation": found[1], "cut": True,
                                 "target": h.prev[-1]}
                        push(found[0], _with(h, SPLIT_COST + ANNOTATION_COST, event))
                if ch == "(" and ann is not None and h.pending != NONE:
                    for x in _skip_annotation(h, i, ann[0], ann[2], eaten=False):
                        push(ann_end, x)
                for x in _feed_all(h, [o], False, codec):
                    push(i + 1, x)
                continue
            code = t.code.get(ch)
            if code is None:
                if not forms:
                    return None
                continue
            if h.pending == NONE:
                # In step: the character reads as itself.  Pinyin letters belong to
                # annotations and keep the last byte of the text, like ASCII.
                last = h.last if ch in _TONE_LETTERS else code & 0xFF
                push(i + 1, _emit(h, ch, _lp(h.prev, ch), last, None))
                continue
            for x in _feed_all(h, [code >> 8, code & 0xFF], False, codec):
                push(i + 1, x)
    final = beams.get(n, {})
    ends = [
        (h.score + (_lp_with_bonus(h.prev, following) if following else _line_end_lp(h.prev)), h)
        for h in final.values()
        if h.pending == NONE
    ]
    if not ends:
        return None
    best_score, best = max(ends, key=lambda x: x[0])
    pieces: list[str] = []
    node = best.out
    while node is not None:
        pieces.append(node[0])
        node = node[1]
    repaired = "".join(reversed(pieces))
    if repaired == text:
        return None
    identity = _identity_score(text, prev, following)
    events: list[Any] = []
    node = best.events
    while node is not None:
        events.append(node[0])
        node = node[1]
    events.reverse()
    repaired = _reconsider(repaired, events, best.out, prev, codec)
    return repaired, best_score - identity, events


#: Weight of the word model (:func:`zhfix.lm.segment_logprob` over three
#: characters each side) when a character of which one byte was lost is chosen
#: again with the whole reading around it.  Measured on 600 Han characters of
#: zh_hans.dev.txt paragraphs converted as the content farm converts them, one
#: byte of each known: the character model alone chose the right one 76.0% of
#: the time, with the word model at 0.3 78.5%, at 0.6 78.7%, at 1.0 78.8%.
WORD_WEIGHT = 0.6
#: The losses after which the lost byte of a character is free of any other
#: constraint (after an invalid pair it must keep the pair invalid).
_FREE_LOSSES = frozenset({"lead byte", "trail byte", "ascii"})


@cache
def _fold_table() -> dict[int, str]:
    """A ``str.translate`` table taking each traditional character that has one
    simplified form to it (OpenCC's character table, as :mod:`zhfix.machine`
    reads it)."""
    from zhfix.machine import ts_candidates

    return {ord(t): s[0] for t, s in ts_candidates().items() if len(t) == 1 and s[0] != t}


def _fold(text: str) -> str:
    """``text`` in simplified characters, one character for one: what the
    language model's words are made of whichever script the text is in.  Text
    converted to traditional one character at a time mixes the scripts
    (``准備``, as no converter or writer spells ``準備``), and its words are
    in neither half of the word lists.

    >>> _fold("需要准備發布")
    '需要准备发布'
    """
    return text.translate(_fold_table())


@cache
def _spelling_logprobs() -> dict[str, float]:
    """log P(a character | its simplified form), for the characters that share
    a simplified form with another: the unigrams of the language model
    shared out within each group (``別`` takes most of ``别``'s, ``彆``
    little), so that folding does not make a rare variant as likely as the
    usual spelling."""
    model = lm.model()
    groups: dict[str, list[str]] = {}
    for code, simplified in _fold_table().items():
        groups.setdefault(simplified, [simplified]).append(chr(code))
    out: dict[str, float] = {}
    for members in groups.values():
        known = {c: model.unigram[c] for c in members if c in model.unigram}
        if not known:
            continue
        total = math.log(sum(math.exp(v) for v in known.values()))
        for c in members:
            out[c] = known.get(c, lm.UNKNOWN_HAN_LOGPROB) - total
    return out


def _window_score(before: str, ch: str, after: str) -> float:
    """``ch`` between ``before`` and ``after`` (three characters each): the
    character model over ``ch`` and the two after it, and the word model over
    the window, both on the window folded to simplified characters (see
    :func:`_fold`), and how likely ``ch`` is among the spellings of its
    simplified form (see :func:`_spelling_logprobs`)."""
    text = _fold(before + ch + after[:2])
    start = len(before)
    total = _spelling_logprobs().get(ch, 0.0) + _window_bonus(before, ch, after)
    for j in range(start, len(text)):
        total += _lp(text[max(0, j - CONTEXT) : j], text[j])
    return total + WORD_WEIGHT * lm.segment_logprob(_fold(before + ch + after))


def _reconsider(
    repaired: str, events: list[Any], out: Any, prev: str, codec: str = "gbk"
) -> str:
    """``repaired`` with each character of which one byte was lost chosen again
    with what follows it too and with the word model: the beam chose it
    knowing only what came before (``保存出 Inkscape`` for ``保存成``).  Two
    characters that lost a byte each to one invalid pair are chosen together,
    so that the pair stays invalid.

    Also takes the private position marks out of the events.
    """
    positions: dict[int, int] = {}
    end = len(repaired)
    node = out
    while node is not None:
        end -= len(node[0])
        positions[id(node)] = end
        node = node[1]
    offset = len(prev)
    marks: list[tuple[int, tuple[str, int]] | None] = []
    for ev in events:
        node, known = ev.pop("_node", None), ev.pop("_pool", None)
        q = positions.get(id(node), -1) if node is not None else -1
        marks.append((q + offset, known) if q >= 0 and known is not None else None)
    chars = list(prev + repaired)

    def lost(k: int) -> Any:
        return events[k].get("lost") if 0 <= k < len(events) else None

    for k, mark in enumerate(marks):
        if mark is None:
            continue
        q, known = mark
        if lost(k - 1) in _FREE_LOSSES and lost(k + 1) != "invalid pair":
            if known[0] == "any":
                continue  # nothing of it known: the beam's "?" or guess stands
            best = _choose(chars, q, _pool(known, codec))
            if best != chars[q]:
                events[k]["reconsidered"] = chars[q]
                events[k]["inferred"] = chars[q] = best
        elif lost(k + 1) == "invalid pair" and k + 2 < len(marks):
            second = marks[k + 2]
            if known[0] == "trail" or second is None or second[0] != q + 1:
                continue
            if second[1][0] != "trail":
                continue
            first = _pool(known, codec)
            if known[0] == "any":
                # Nothing of it known: its lead byte must keep the pair
                # before it invalid too, if there is one.
                if lost(k - 1) == "invalid pair":
                    first = _after_invalid_pair(chars[q - 1], first, codec)
                elif lost(k - 1) not in _FREE_LOSSES:
                    continue
            pair = _choose_pair(chars, q, first, _pool(second[1], codec), codec)
            for j, c in zip((k, k + 2), pair, strict=True):
                at = q + (j - k) // 2
                if c != chars[at]:
                    events[j]["reconsidered"] = chars[at]
                    events[j]["inferred"] = chars[at] = c
    return "".join(chars[offset:])


def _pool(known: tuple[str, int], codec: str = "gbk") -> tuple[str, ...]:
    """The characters with that lead (or trail) byte; with neither known, the
    codec's common characters, as the beam offers them."""
    t = tables(codec)
    if known[0] == "any":
        return _common_chars(codec)
    return t.by_lead.get(known[1], ()) if known[0] == "lead" else t.by_trail.get(known[1], ())


def _choose(chars: list[str], q: int, pool: tuple[str, ...]) -> str:
    """The best of ``pool`` at ``chars[q]`` by :func:`_window_score`; the
    character there unless another scores better."""
    before, after = "".join(chars[max(0, q - 3) : q]), "".join(chars[q + 1 : q + 4])
    best = max(pool, key=lambda c: _window_score(before, c, after), default=chars[q])
    if _window_score(before, best, after) > _window_score(before, chars[q], after):
        return best
    return chars[q]


def _after_invalid_pair(before: str, pool: tuple[str, ...], codec: str) -> tuple[str, ...]:
    """The characters of ``pool`` whose lead byte makes an invalid pair with
    the trail byte of ``before`` (none if ``before`` is no character of
    ``codec``).  Out of step after ``，`` (A3 AC) every pair is invalid, AC
    being no lead byte: ``，??可以`` is ``，您可以`` (FA BF is no character
    either).

    >>> "您" in _after_invalid_pair("，", ("您",), "gbk")
    True
    """
    t = tables(codec)
    code = t.code.get(before)
    if code is None:
        return ()
    trail = (code & 0xFF) << 8
    return tuple(c for c in pool if trail | t.code[c] >> 8 not in t.char)


#: Candidates kept for each of two characters chosen together: as many as the
#: beam keeps for one lost byte (:data:`CANDIDATES`), so at most 144 pairs.
PAIR_CANDIDATES = CANDIDATES


def _choose_pair(
    chars: list[str], q: int, first: tuple[str, ...], second: tuple[str, ...],
    codec: str = "gbk",
) -> tuple[str, str]:
    """The best pair at ``chars[q:q + 2]`` whose bytes between (trail of the
    first, lead of the second) stay an invalid pair."""
    t = tables(codec)
    before, after = "".join(chars[max(0, q - 3) : q]), "".join(chars[q + 2 : q + 5])

    def top(pool: tuple[str, ...], score: Any) -> list[str]:
        return sorted(pool, key=score, reverse=True)[:PAIR_CANDIDATES]

    xs = top(first, lambda c: _window_score(before, c, chars[q + 1] + after))
    ys = top(second, lambda c: _window_score(before + chars[q], c, after))
    current = (chars[q], chars[q + 1])
    best, best_score = current, _window_score(before, current[0], current[1] + after)
    for x in xs:
        for y in ys:
            if (t.code[x] & 0xFF) << 8 | t.code[y] >> 8 in t.char:
                continue
            score = _window_score(before, x, y + after)
            if score > best_score:
                best, best_score = (x, y), score
    return best


#: How much better (nats) than the reading in the document's codec (see
#: :func:`_document_codec`) another codec's reading of one island must be to
#: replace it.  Where both codecs read an island of 300 zh_hant.dev.txt
#: paragraphs, the wrong codec's reading beat the right one's by at most 2.8
#: (chunked GBK, 33 islands) and 0.0 (chunked Big5, 73 islands; seed 1 of
#: bench/resync_accuracy.py): about as much as :data:`RESYNC_MARGIN` asks of
#: an island on its own.
CODEC_MARGIN = 10.0
#: Islands whose readings :func:`_reread` keeps: a whole text is read again
#: in each round of the pipeline, and an island seldom changes.
ISLAND_CACHE_SIZE = 1024


@lru_cache(maxsize=ISLAND_CACHE_SIZE)
def _cached_island(
    text: str, prev: str, following: str, at_end: bool, codec: str, cache: frozenset[str]
) -> tuple[str, float, list[Any]] | None:
    return _decode_island(text, prev, following, at_end, codec, cache)


def _reread(
    text: str, prev: str, following: str, at_end: bool = False,
    cache: frozenset[str] = frozenset(),
) -> dict[str, tuple[str, float, list[Any]]]:
    """:func:`_decode_island` in each of :data:`CODECS` that can read the
    island, cached; the events are copied, as they become evidence of a step
    that its reader may change.  The margins share the island as it stands
    as their baseline, so they compare across codecs."""
    readings: dict[str, tuple[str, float, list[Any]]] = {}
    for codec in CODECS:
        result = _cached_island(text, prev, following, at_end, codec, cache)
        if result is not None:
            repaired, margin, events = result
            readings[codec] = repaired, margin, copy.deepcopy(events)
    return readings


def _document_codec(readings: list[dict[str, tuple[str, float, list[Any]]]]) -> str:
    """The codec whose readings explain the text's islands best: the one with
    the largest sum of positive margins (GBK on a tie).

    >>> _document_codec([{"gbk": ("", 3.0, []), "big5": ("", 12.0, [])}])
    'big5'
    """
    totals = {
        codec: sum(max(0.0, r[codec][1]) for r in readings if codec in r) for codec in CODECS
    }
    return max(CODECS, key=lambda c: totals[c])


def _choose_codec(
    reading: dict[str, tuple[str, float, list[Any]]], document: str
) -> str | None:
    """The codec that reads one island: the document's, unless another reads
    the island better by :data:`CODEC_MARGIN` (or the document's cannot)."""
    if not reading:
        return None
    best = max(reading, key=lambda c: reading[c][1])
    if document not in reading:
        return best
    if reading[best][1] - reading[document][1] >= CODEC_MARGIN:
        return best
    return document


def _islands(line: str) -> list[tuple[int, int]]:
    """Windows of ``line`` around suspicious ``?``, merged when they overlap."""
    spans: list[tuple[int, int]] = []
    for m in GATE.finditer(line):
        q = line.index("?", m.start())
        start = min(max(0, q - 1), m.start())
        while start > 0 and line[start] == "?":
            start -= 1
        # Take in annotations just before: the byte-level replace may have put
        # one between the two bytes of the character the "?" belongs to.
        while start > 0 and line[start] == ")":
            m2 = _ANNOTATION_BEFORE.search(line, 0, start + 1)
            if m2 is None or m2.start() == 0:
                break
            start = m2.start() - 1
        end = min(len(line), q + MAX_ISLAND)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _question_marks(text: str) -> Iterator[int]:
    """Where the ``?`` are in ``text``, in order."""
    pos = text.find("?")
    while pos >= 0:
        yield pos
        pos = text.find("?", pos + 1)


def gate_test(text: str) -> bool:
    """Whether :data:`GATE` finds anything: never without a ``?``, which a
    substring test finds far faster than the regex scans.

    >>> gate_test("中?文"), gate_test("中文")
    (True, False)
    """
    return "?" in text and GATE.search(text) is not None


#: The gate turned round to start at the ``?`` (a lookbehind finds the
#: character before it): it finds something wherever the gate does.
LEAD = Lead(
    "?",
    f"\\?(?<=[^\\x00-\\x7f].)|\\?[^\\x00-\\x7f]|\\?\\(?[{_PINYIN}]{{1,8}}\\)|\\?\\?"
    "|\\?[\\x40-\\x7e][^\\x00-\\x7f]",
)


@register("resync", switch="fix_resync", gate=GATE, test=gate_test, lead=LEAD)
def fix_resync(text: str, config: FixConfig) -> Step | None:
    """Re-read islands of text that a chunked GBK or Big5 decoder read one byte off.

    ``總`` (BF 82) straddles ``每|個`` (C3 BF|82 80): its annotation went inside
    ``個``, and the reader stayed one byte off until the end of the line.

    >>> from zhfix.explain import apply_edits
    >>> text = "每?zǒng)?碌膱蟾娑己茉敿殹?"
    >>> apply_edits(text, fix_resync(text, FixConfig()).edits)
    '每個月的報告都很詳細。'
    """
    islands: list[tuple[int, str]] = []
    readings: list[dict[str, tuple[str, float, list[Any]]]] = []
    spans: list[tuple[int, str, str, str, bool]] = []
    # Only lines with a "?" can hold an island (the gate needs one).
    for _, pos, line in lines_at(text, _question_marks(text)):
        body = line.rstrip("\r\n")
        for start, end in _islands(body):
            prev = body[max(0, start - CONTEXT) : start]
            following = body[end] if end < len(body) else ""
            at_end = end == len(body) and pos + len(body) == len(text)
            spans.append((pos + start, body[start:end], prev, following, at_end))
    cache = _doc_ngrams(text, tuple((s[0], s[0] + _in_step_from(s[1])) for s in spans))
    for start, island, prev, following, at_end in spans:
        reading = _reread(island, prev, following, at_end, cache)
        if reading:
            islands.append((start, island))
            readings.append(reading)
    document = _document_codec(readings)
    found: list[tuple[int, str, str, float, list[Any], str, dict[str, float]]] = []
    for (start, island), reading in zip(islands, readings, strict=True):
        codec = _choose_codec(reading, document)
        if codec is not None:
            repaired, margin, events = reading[codec]
            margins = {c: round(r[1], 2) for c, r in reading.items()}
            found.append((start, island, repaired, margin, events, codec, margins))
    if not any(_shows_damage(f[3], f[5], f[6]) for f in found):
        return None
    edits: list[Edit] = []
    codecs: set[str] = set()
    for start, island, repaired, margin, events, codec, margins in found:
        confirmed = CONFIRMED_MARGIN[codec]
        if margin < confirmed:
            continue
        a, b = common_affixes(island, repaired)  # shrink the edit to what changed
        before = island[a : len(island) - b]
        after = repaired[a : len(repaired) - b]
        confidence = 1.0 / (1.0 + math.exp(-(margin - confirmed)))
        codecs.add(codec)
        evidence = {
            "codec": codec,
            "codec_chosen_by": "document" if codec == document else "island",
            "margin_nats_by_codec": margins,
            "margin_nats": round(margin, 2),
            "confirmed_by_other_islands": not _shows_damage(margin, codec, margins),
            "events": events,
        }
        edits.append(Edit(start + a, start + a + len(before), before, after,
                          round(confidence, 4), evidence))
    if not edits:
        return None
    return Step("resync", tuple(_annotator_edits(text, edits)),
                {"codec": "+".join(c for c in CODECS if c in codecs)})


def _in_step_from(island: str) -> int:
    """Where the part of ``island`` that a broken reader read in step begins:
    after the first ASCII character past its last ``?`` (an ASCII byte read as
    such puts the reader in step, and no ``?`` shows it losing step again);
    the island's length if there is none.

    >>> island = "??矣泄?粜浴?在 ODBC 類型"
    >>> island[_in_step_from(island) :]
    'ODBC 類型'
    """
    last = island.rfind("?")
    for j in range(last + 1, len(island)):
        if island[j].isascii():
            return j + 1
    return len(island)


#: Characters read for the cache on each side of an island: a page's own
#: paragraphs (a four-paragraph content-farm page is under 1,000), not the
#: whole of a long text, whose reading would cost as much as all its islands
#: (a 0.7 MB text of clean corpus lines: 0.13 s a pass).
CACHE_REACH = 2000
#: Texts whose cache :func:`_doc_ngrams` remembers: the pipeline reads a
#: text again in its next round, mostly unchanged.
DOC_NGRAMS_CACHE_SIZE = 2


@lru_cache(maxsize=DOC_NGRAMS_CACHE_SIZE)
def _doc_ngrams(text: str, spans: tuple[tuple[int, int], ...]) -> frozenset[str]:
    """The Han bigrams and trigrams of ``text`` outside ``spans`` (its
    islands, in order, as far as they were read out of step): what the text
    spells intact, for the cache (see :func:`_bonus`).  None without islands.

    >>> sorted(_doc_ngrams("分頁符?x分頁", ((3, 5),)))
    ['分頁', '分頁符', '頁符']
    """
    if not spans:
        return frozenset()
    windows: list[tuple[int, int]] = []
    for a, b in spans:
        lo, hi = max(0, a - CACHE_REACH), min(len(text), b + CACHE_REACH)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    pieces: list[str] = []
    k = 0
    for lo, hi in windows:
        pos = lo
        while k < len(spans) and spans[k][0] < hi:
            a, b = spans[k]
            pieces.append(text[pos : max(pos, a)])
            pos = max(pos, b)
            k += 1
        pieces.append(text[pos:hi])
    return _ngrams("\n".join(pieces))


def _shows_damage(margin: float, codec: str, margins: dict[str, float]) -> bool:
    """Whether an island read in ``codec`` with ``margin`` (and ``margins`` in
    every codec that reads it) shows on its own that the text went through a
    broken decoder: see :data:`RESYNC_MARGIN` and :data:`RESYNC_MARGIN_BIG5`.

    >>> _shows_damage(8.9, "big5", {"gbk": 8.2, "big5": 8.9})
    False
    >>> _shows_damage(8.9, "big5", {"gbk": 1.5, "big5": 8.9})
    True
    """
    if margin >= RESYNC_MARGIN:
        return True
    if codec != "big5":
        return False
    return margin - max(0.0, margins.get("gbk", 0.0)) >= RESYNC_MARGIN_BIG5


#: Confidence of removing an aligned annotation once the islands have shown
#: the byte-level annotator at work (see :func:`_annotator_edits`): just below
#: the annotation fixer's for a document-wide leak (0.97), the evidence being
#: of the same kind but found in other characters.
CONFIDENCE_ANNOTATOR = 0.95


def _annotation_shape(body: str) -> str | None:
    """The spelling format of an annotation body (``tone_marks``, ...), or None."""
    from zhfix.annotations import parse_annotation

    spelling = parse_annotation(body)
    return None if spelling is None else spelling.format


def _annotator_edits(text: str, edits: list[Edit]) -> list[Edit]:
    """``edits`` with the aligned annotations of the annotator they expose removed.

    An annotation dropped from inside a character (or after a ``(`` eaten by
    an invalid pair) can only come from a find-and-replace on the bytes, and
    such a replace annotates every occurrence of its targets, aligned or not.
    So once an island has shown it, a ``X(reading)`` elsewhere in the text in
    the same brackets and spelling is its work too, not an editor's gloss:
    the annotation fixer, which cannot know this, keeps a lone one
    (``返回(huí) void``) as a possible gloss, and one whose other occurrences
    the islands have just freed of theirs.  A bare syllable is how tone marks
    spell a neutral tone (``的(de)``), so it goes with tone-marked ones.

    Annotations are looked for in the repaired text: inside an island's
    repair they are taken out of its replacement, elsewhere they get an edit
    of their own.
    """
    from zhfix.annotations import bracketed_candidates

    shapes = {
        shape
        for e in edits
        for ev in e.evidence.get("events", ())
        if "annotation" in ev and (shape := _annotation_shape(ev["annotation"]))
    }
    if not shapes:
        return edits
    edits = sorted(edits, key=lambda e: e.start)
    # The repaired text in segments: (start in text, start in repaired, edit index).
    segments: list[tuple[int, int, int | None]] = []
    pieces: list[str] = []
    pos = rpos = 0
    for k, e in enumerate(edits):
        segments.append((pos, rpos, None))
        pieces.append(text[pos : e.start])
        rpos += e.start - pos
        segments.append((e.start, rpos, k))
        pieces.append(e.after)
        rpos += len(e.after)
        pos = e.end
    segments.append((pos, rpos, None))
    pieces.append(text[pos:])
    repaired = "".join(pieces)
    ends = [r for _, r, _ in segments[1:]] + [len(repaired)]
    removed: dict[int, list[tuple[int, int]]] = {}
    out: list[Edit] = []
    for c in bracketed_candidates(repaired):
        if repaired[c.start] != "(" or repaired[c.end - 1] != ")":
            continue
        if c.format not in shapes and not (c.neutral and "tone_marks" in shapes):
            continue
        inside = [
            (seg, rend)
            for seg, rend in zip(segments, ends, strict=True)
            if seg[1] <= c.start and c.end <= rend
        ]
        if not inside:
            continue  # across an edit's edge: leave it
        (start, rstart, index), _ = inside[0]
        if index is not None:
            removed.setdefault(index, []).append((c.start - rstart, c.end - rstart))
            continue
        a = start + c.start - rstart
        found = {
            "annotation": repaired[c.start + 1 : c.end - 1],
            "char": c.char,
            "reading": c.reading,
            "why": "the byte-level annotator the islands exposed annotates every "
            "occurrence of its targets",
        }
        out.append(Edit(a, a + c.end - c.start, repaired[c.start : c.end], "",
                        CONFIDENCE_ANNOTATOR, found))
    for index, spans in removed.items():
        e = edits[index]
        after = e.after
        for a, b in reversed(spans):
            after = after[:a] + after[b:]
        dropped = [e.after[a + 1 : b - 1] for a, b in spans]
        evidence: dict[str, Any] = {**e.evidence, "aligned_annotations": dropped}
        edits[index] = Edit(e.start, e.end, e.before, after, e.confidence, evidence)
    return sorted(edits + out, key=lambda e: e.start)
