"""Remove pinyin and zhuyin annotations that leaked into running text.

Content farms and careless exports turn reading aids into text: ``還是義(yì)無反顧``,
``团(tuan2)结``, ``團(ㄊㄨㄢˊ)結``, or run-in ruby ``花huā朵duǒ``.  An annotation is a
candidate when it directly follows a Han character and spells one valid reading
of that character (pypinyin's readings, see ``scripts/build_readings.py``), in any
common spelling: tone marks, tone numbers, no tones, ``ü``/``v``/``u:``, decomposed
marks, the ``ɑ``/``ɡ`` letters of ruby fonts, zhuyin; inside ``()``, ``（）``, ``[]``
or ``【】``.

Candidates are not removed blindly: a reading after a character is also what a
textbook gloss (``长(zhǎng)：年纪大``), a dictionary entry or a note on a rare name
looks like.  The decision is made per document, from evidence reported in the
step (document level) and in each edit (the reading, its spelling, the reason):

- a *leak* is dense and mechanical: several different characters annotated (at
  least one of them common), every occurrence of each annotated (a
  find-and-replace), inside words; or a lone common character that nobody needs
  glossed (``義(yì)無``);
- a *gloss* is sparse and deliberate: some occurrences of a character annotated
  and others not, a definition after it (``长(zhǎng)：年纪大``), rare characters
  (``饕(tāo)餮(tiè)``), a reading that picks one of a polyphone's (``乐(lè)观``),
  single characters listed with their readings (``妈(mā)、麻(má)``);
- a reading without tones is weak evidence (``an``, ``he``, ``long``, ``fan`` are
  English words too), so it is removed only when several characters carry one and
  the document has no more Latin glosses in brackets than bare readings;
- run-in ruby (``花huā朵duǒ``, or zhuyin ``花ㄏㄨㄚ朵ㄉㄨㄛˇ``) needs two or more
  characters in a row, each followed by its reading, at least one tone-marked.

>>> fix_annotations("還是義(yì)無反顧")
'還是義無反顧'
>>> fix_annotations("团(tuan2)结(jie2)就是力量")
'团结就是力量'
>>> fix_annotations("花huā朵duǒ")
'花朵'
>>> fix_annotations("花ㄏㄨㄚ朵ㄉㄨㄛˇ")
'花朵'
>>> fix_annotations("长(zhǎng)：年纪大")
'长(zhǎng)：年纪大'
>>> fix_annotations("可吸入颗粒物(PM10)和北京(Beijing)")
'可吸入颗粒物(PM10)和北京(Beijing)'
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from zhfix.chars import HAN
from zhfix.config import DEFAULT_CONFIG, FixConfig
from zhfix.explain import Edit, Step, apply_edits
from zhfix.pipeline import GateTest, Lead, first_class_test, register

# --- Thresholds -------------------------------------------------------------
# Set on the clean corpus (zh_hans.dev.txt, zh_hant.dev.txt: no line may change)
# and on leaks generated from it by zhfix.damage.leaks (bench/annotation_accuracy.py).

#: A document is a leak when at least this many different characters carry a
#: toned reading outside any gloss context, each at every occurrence, with at
#: least one inside a word, one usual reading and one character of some currency
#: (:data:`TABLE_FREQ_CLASS`).  Two: the clean corpus has no line with even two
#: candidates, while a single annotated character is what glosses of rare names
#: look like (``蘧(qu2)伯玉``), and a farm's table puts two or more characters
#: into most paragraphs.
LEAK_MIN_CHARS = 2

#: The same, for readings without tones, which may be English words: a toneless
#: reading is removed only if this many characters carry one (or the document is
#: a leak on toned evidence) and the toneless candidates are at least as many as
#: the Latin words in brackets after Han characters that are not readings.  At 3,
#: 57% of the generated toneless leaks were missed, so the rest of the evidence
#: has to carry the weight.
TONELESS_MIN_CHARS = 2

#: A lone annotated character is a leak only if it is annotated inside a word with
#: its usual reading, has one reading in common use (or is annotated at each of
#: several occurrences), and is at least this common: frequency class from
#: jieba's dictionary, ``floor(log10(weight))``; 4 is about the 2,300 most used
#: characters.  Nobody glosses 義 with its usual reading, but glossing a rare
#: character such as 蘧 is what editors do.
COMMON_FREQ_CLASS = 4

#: Several annotated characters make a leak only if one of them is at least this
#: common (3: the 5,000 or so characters jieba uses most) or is annotated at each
#: of several occurrences.  Two glossed rare characters (``饕(tāo)餮(tiè)``, class 2)
#: are an editor's work.  At 4 (as for a lone character) 0.3% of the generated
#: leaks of bench/annotation_accuracy.py were missed; at 3 none are, and the clean
#: corpus is unchanged either way.
TABLE_FREQ_CLASS = 3

#: Run-in ruby (``花huā朵duǒ``) is removed when at least this many characters in a
#: row each carry a valid reading, at least one with a tone mark.  A single pair
#: (``京jīng``) may be a romanised word after a word.
RUBY_MIN_PAIRS = 2

#: Confidence reported for each kind of decision.
CONFIDENCE_LEAK_DOCUMENT = 0.97
CONFIDENCE_LONE_COMMON = 0.9
CONFIDENCE_TONELESS = 0.85
CONFIDENCE_RUBY = 0.97

# --- Character classes ------------------------------------------------------

#: Precomposed letters with pinyin tone marks, and ü/ê.
TONE_LETTERS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿếề"
#: Combining tone marks: macron, acute, caron, grave (tones 1 to 4).
COMBINING_TONES = "\u0304\u0301\u030c\u0300"
#: Letters a pinyin syllable may be spelt with: ASCII, tone-marked, ü, ê, the
#: ruby-font ɑ and ɡ, and the combining marks of decomposed (NFD) text.
PINYIN_LETTERS = "a-z" + TONE_LETTERS + "üê\u0251\u0261" + COMBINING_TONES + "\u0308\u0302"
#: Bopomofo letters (with the extended block) and the tone marks used with them.
ZHUYIN_LETTERS = "\u3105-\u312f\u31a0-\u31bf"
ZHUYIN_TONES = "\u02ca\u02c7\u02cb\u02d9\u02c9"  # ˊ ˇ ˋ ˙ ˉ

OPEN_BRACKETS = "(（[【"
CLOSE_BRACKETS = ")）]】"
#: Brackets that may close each opening bracket.
BRACKET_PAIRS: Mapping[str, str] = {"(": ")）", "（": ")）", "[": "]", "【": "】"}

#: Cheap gate: a Han character followed by an opening bracket and a Latin or
#: zhuyin letter, by (at most five letters and) a tone-marked letter, or by a
#: zhuyin letter (run-in zhuyin ruby).  Each
#: branch starts at the rare character (the bracket, the tone-marked letter) and
#: looks back for the Han character, so the scan stops only there: twice as fast
#: on Chinese text as starting at every Han character.
_PLAIN = "a-zü\u0251\u0261"
GATE = re.compile(
    f"[{re.escape(OPEN_BRACKETS)}](?<=[{HAN}][{re.escape(OPEN_BRACKETS)}])"
    f"[a-z{TONE_LETTERS}üê\u0251\u0261{ZHUYIN_LETTERS}\u02d9]"
    f"|[{TONE_LETTERS}{COMBINING_TONES}](?:"
    + "|".join(f"(?<=[{HAN}]{f'[{_PLAIN}]' * k}.)" for k in range(6))
    + ")"
    f"|[{ZHUYIN_LETTERS}\u02d9](?<=[{HAN}].)"
)
#: The gate's answer from a scan led by one class, the union of the classes
#: its branches start with: three times faster than the alternation
#: (zh_hans.dev, line by line).
LEAD = Lead(
    f"{re.escape(OPEN_BRACKETS)}{TONE_LETTERS}{COMBINING_TONES}{ZHUYIN_LETTERS}\u02d9",
    GATE.pattern,
)
gate_test: GateTest = first_class_test(LEAD.first, LEAD.pattern)

# Like the gate, these start at the rarer character and look back for the Han
# character (at ``m.start() - 1``).
_BRACKETED = re.compile(
    f"(?P<open>[{re.escape(OPEN_BRACKETS)}])(?<=[{HAN}][{re.escape(OPEN_BRACKETS)}])"
    f"(?P<body>[^\\s{re.escape(OPEN_BRACKETS + CLOSE_BRACKETS)}]{{1,12}})"
    f"(?P<close>[{re.escape(CLOSE_BRACKETS)}])"
)
_RUBY_LETTERS = PINYIN_LETTERS + ZHUYIN_LETTERS + ZHUYIN_TONES
_RUBY_PAIR = re.compile(f"[{_RUBY_LETTERS}](?<=[{HAN}].)[{_RUBY_LETTERS}]*")
#: Longest pinyin syllable, in decomposed spelling (``zhuàng`` is 7 code points).
MAX_SYLLABLE = 7
#: Latin words in brackets after a Han character (bounded, to keep the scan linear).
_LATIN_IN_BRACKETS = re.compile(
    f"[{HAN}][{re.escape(OPEN_BRACKETS)}][A-Za-z]"
    f"[^{re.escape(OPEN_BRACKETS + CLOSE_BRACKETS)}]{{0,40}}[{re.escape(CLOSE_BRACKETS)}]"
)
#: What follows a gloss rather than running text: a colon, an equals sign or a
#: circled number, then the definition.  (Dashes are left out: in running text
#: they open an aside as often as a definition.)
_GLOSS_AFTER = re.compile("[ \u3000]*[：:=①-⑳][ \u3000]*[^\\s]")
_HAN_CHAR = re.compile(f"[{HAN}]")

# --- Data -------------------------------------------------------------------


@dataclass(frozen=True)
class CharInfo:
    """What the readings table says about one character."""

    #: ``floor(log10(weight))`` of its use in jieba's dictionary; 0 if unused.
    freq: int
    #: How many of its readings (the first ones) are in common use: 2 or more
    #: for a polyphone such as 乐 (lè, yuè).
    in_use: int
    #: Its readings in tone-number spelling (``zhang3``), the usual one first.
    readings: tuple[str, ...]


@cache
def readings_table() -> dict[str, CharInfo]:
    """Character → :class:`CharInfo`, from the generated ``readings.tsv.gz``.

    >>> readings_table()["義"].readings[0]
    'yi4'
    """
    raw = resources.files("zhfix.data").joinpath("readings.tsv.gz").read_bytes()
    table: dict[str, CharInfo] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        ch, freq, in_use, readings = line.split("\t")
        table[ch] = CharInfo(int(freq), int(in_use), tuple(readings.split(" ")))
    return table


@cache
def syllable_table() -> dict[str, str]:
    """Syllable in tone-number spelling → zhuyin, from ``readings.syllables.tsv``.

    >>> syllable_table()["tuan2"], syllable_table()["de5"]
    ('ㄊㄨㄢˊ', 'ㄉㄜ˙')
    """
    path = resources.files("zhfix.data").joinpath("readings.syllables.tsv")
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            syllable, zhuyin = line.split("\t")
            out[syllable] = zhuyin
    return out


def zhuyin_of(syllable: str) -> str:
    """The zhuyin spelling of a syllable (``yi4`` → ``ㄧˋ``).

    >>> zhuyin_of("yi4")
    'ㄧˋ'
    """
    return syllable_table()[syllable]


@cache
def zhuyin_table() -> dict[str, tuple[str, ...]]:
    """Zhuyin spelling (tone mark last, first tone unmarked) → syllables.

    >>> zhuyin_table()["ㄊㄨㄢˊ"]
    ('tuan2',)
    """
    out: dict[str, list[str]] = {}
    for syllable, zhuyin in syllable_table().items():
        out.setdefault(zhuyin, []).append(syllable)
    return {k: tuple(v) for k, v in out.items()}


@cache
def syllable_bases() -> frozenset[str]:
    """Every toneless syllable of the table (``zhang``, ``lv``, ``ê``).

    >>> "zhang" in syllable_bases(), "beijing" in syllable_bases()
    (True, False)
    """
    return frozenset(syllable.rstrip("012345") for syllable in syllable_table())


# --- Parsing one annotation ---------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    """A parsed annotation: toneless syllable, tone (None if unmarked), format."""

    base: str
    tone: int | None
    #: ``tone_marks``, ``tone_numbers``, ``toneless`` or ``zhuyin``.
    format: str
    #: Spelling details worth reporting: ``nfd``, ``v``, ``u:``, ``ɑ/ɡ``.
    details: tuple[str, ...] = ()
    #: For zhuyin, the syllables it may stand for.
    syllables: tuple[str, ...] = ()


_TONE_OF_MARK = {m: i + 1 for i, m in enumerate(COMBINING_TONES)}
_ZHUYIN_RE = re.compile(f"[{ZHUYIN_TONES}]?[{ZHUYIN_LETTERS}]+[{ZHUYIN_TONES}]?")


#: Spellings :func:`parse_pinyin` and :func:`parse_annotation` remember each:
#: a leak repeats a few hundred syllables, written in a few styles, and
#: Mandarin has about 1,300 toned syllables.
SPELLING_CACHE_SIZE = 8192


@lru_cache(maxsize=SPELLING_CACHE_SIZE)
def parse_pinyin(body: str) -> Spelling | None:
    """Parse one lowercase pinyin syllable in any common spelling, or return None.

    >>> parse_pinyin("yì")
    Spelling(base='yi', tone=4, format='tone_marks', details=(), syllables=())
    >>> parse_pinyin("lu:4").base, parse_pinyin("lv").base, parse_pinyin("nü3").tone
    ('lv', 'lv', 3)
    >>> parse_pinyin("Beijing") is None, parse_pinyin("abc") is None
    (True, True)
    """
    details: list[str] = []
    if "\u0251" in body or "\u0261" in body:
        details.append("ɑ/ɡ")
        body = body.replace("\u0251", "a").replace("\u0261", "g")
    if body != unicodedata.normalize("NFC", body):
        details.append("nfd")
    s = unicodedata.normalize("NFD", body)
    tone: int | None = None
    fmt = "toneless"
    marks = [c for c in s if c in _TONE_OF_MARK]
    if len(marks) > 1:
        return None
    if marks:
        tone = _TONE_OF_MARK[marks[0]]
        fmt = "tone_marks"
        s = s.replace(marks[0], "")
    if s and s[-1] in "012345":
        if tone is not None:
            return None
        tone = int(s[-1]) or 5
        fmt = "tone_numbers"
        s = s[:-1]
    if "u:" in s:
        details.append("u:")
        s = s.replace("u:", "v")
    elif "v" in s:
        details.append("v")
    s = s.replace("u\u0308", "v").replace("e\u0302", "ê")
    if s[:1] in ("j", "q", "x", "y"):
        s = s.replace("v", "u")
    if s not in syllable_bases():
        return None
    return Spelling(s, tone, fmt, tuple(details))


def parse_zhuyin(body: str) -> Spelling | None:
    """Parse one zhuyin syllable (tone mark after it, or ``˙`` before), or None.

    >>> parse_zhuyin("ㄊㄨㄢˊ").syllables, parse_zhuyin("˙ㄉㄜ").syllables
    (('tuan2',), ('de5',))
    """
    if not _ZHUYIN_RE.fullmatch(body):
        return None
    s = body.replace("\u02c9", "")  # an explicit first-tone mark
    if s.startswith("\u02d9"):
        s = s[1:] + "\u02d9"
    syllables = zhuyin_table().get(s)
    if not syllables:
        return None
    return Spelling("", None, "zhuyin", (), syllables)


@lru_cache(maxsize=SPELLING_CACHE_SIZE)
def parse_annotation(body: str) -> Spelling | None:
    """Parse pinyin or zhuyin (cached: a leak repeats the same few spellings).

    >>> parse_annotation("ㄧˋ").format, parse_annotation("yi4").format
    ('zhuyin', 'tone_numbers')
    """
    if body[:1] in ZHUYIN_TONES or "\u3105" <= body[:1] <= "\u31bf":
        return parse_zhuyin(body)
    return parse_pinyin(body)


def match_reading(char: str, spelling: Spelling) -> str | None:
    """The reading of ``char`` that ``spelling`` spells, or None.

    >>> match_reading("義", parse_pinyin("yì")), match_reading("義", parse_pinyin("yi"))
    ('yi4', 'yi4')
    >>> match_reading("義", parse_pinyin("yī")) is None
    True
    """
    info = readings_table().get(char)
    if info is None:
        return None
    for reading in info.readings:
        if spelling.format == "zhuyin":
            if reading in spelling.syllables:
                return reading
            continue
        base, tone = reading[:-1], int(reading[-1])
        if base == spelling.base and spelling.tone in (None, tone):
            return reading
    return None


# --- Finding candidates -------------------------------------------------------


@dataclass
class Candidate:
    """An annotation that spells a valid reading of the character before it."""

    start: int
    end: int
    char: str
    reading: str
    format: str
    details: tuple[str, ...]
    #: Tone marks, tone numbers or zhuyin (not a bare syllable).
    toned: bool
    #: A bare syllable spelling a neutral-tone reading (``的(de)``): with tone
    #: marks, that is how the neutral tone is written.
    neutral: bool
    #: The character's usual reading.
    usual: bool
    #: Its frequency class (see :data:`COMMON_FREQ_CLASS`).
    freq: int
    #: It has several readings in common use: a gloss may be there to choose one.
    polyphone: bool
    #: A Han character follows the annotation: it splits a word.
    in_word: bool
    #: The character follows another Han character (or another annotation).
    after_han: bool
    #: A definition marker (``：``) follows a character that starts its run of
    #: Han characters — the shape of a gloss or dictionary entry, ``长(zhǎng)：``.
    gloss: bool
    #: The same character is annotated with another reading elsewhere.
    reading_contrasted: bool = False
    #: The decision and its reason, filled in by :func:`decide`.
    remove: bool = False
    reason: str = ""
    confidence: float = 0.0


def _candidate(
    text: str, start: int, end: int, char: str, spelling: Spelling, details: tuple[str, ...]
) -> Candidate | None:
    reading = match_reading(char, spelling)
    if reading is None:
        return None
    info = readings_table()[char]
    after_han = start >= 2 and bool(_HAN_CHAR.match(text, start - 2))
    return Candidate(
        start=start,
        end=end,
        char=char,
        reading=reading,
        format=spelling.format,
        details=spelling.details + details,
        toned=spelling.tone is not None or spelling.format == "zhuyin",
        neutral=spelling.tone is None and reading.endswith("5"),
        usual=reading == info.readings[0],
        freq=info.freq,
        polyphone=info.in_use > 1,
        in_word=bool(_HAN_CHAR.match(text, end)),
        after_han=after_han,
        gloss=bool(_GLOSS_AFTER.match(text, end)) and not after_han,
    )


def bracketed_candidates(text: str) -> Iterator[Candidate]:
    """Bracketed annotations that spell a reading of the character before them."""
    for m in _BRACKETED.finditer(text):
        if m["close"] not in BRACKET_PAIRS[m["open"]]:
            continue
        spelling = parse_annotation(m["body"])
        if spelling is None:
            continue
        details: tuple[str, ...] = ()
        if m["open"] in "（【" or m["close"] == "）":
            details = ("fullwidth",) if m["open"] != "【" else ("【】",)
        elif m["open"] == "[":
            details = ("[]",)
        cand = _candidate(text, m.start(), m.end(), text[m.start() - 1], spelling, details)
        if cand is not None:
            yield cand


def _ruby_pair(text: str, m: re.Match[str], continues: bool) -> Candidate | None:
    """The reading after one character of a run-in ruby run, if it is one.

    The letters must spell one reading of the character.  Inside a run, a reading
    may also run on into a Latin word (``视shì图túkinds``), so a prefix that spells
    a reading is taken too.  A digit may follow a tone-marked reading (``参cān数shù1``)
    but not a bare one, which would be a tone number.
    """
    han, start, body = text[m.start() - 1], m.start(), m.group()
    if body[0] in ZHUYIN_TONES or "\u3105" <= body[0] <= "\u31bf":
        # Zhuyin ends where the Latin letters begin (``的ㄉㄜ˙text``).
        found = _ZHUYIN_RE.match(body)
        zhuyin = parse_zhuyin(found.group()) if found else None
        if found is None or zhuyin is None:
            return None
        cand = _candidate(text, start, start + found.end(), han, zhuyin, ())
        if cand is not None:
            cand.format = "ruby_zhuyin"
        return cand
    ends = [len(body)]
    if continues:
        ends += [n for n in range(min(len(body) - 1, MAX_SYLLABLE), 0, -1) if body[n].isascii()]
    for n in ends:
        spelling = parse_pinyin(body[:n])
        bare_before_digit = text[start + n : start + n + 1].isdigit()
        if spelling is None or (spelling.tone is None and bare_before_digit):
            continue
        cand = _candidate(text, start, start + n, han, spelling, ())
        if cand is not None:
            cand.format = "ruby"
            return cand
    return None


def ruby_runs(text: str) -> Iterator[list[Candidate]]:
    """Runs of characters each followed directly by one of its readings (``花huā朵duǒ``,
    ``花ㄏㄨㄚ朵ㄉㄨㄛˇ``)."""
    run: list[Candidate] = []
    for m in _RUBY_PAIR.finditer(text):
        continues = bool(run) and run[-1].end == m.start() - 1
        cand = _ruby_pair(text, m, continues)
        if cand is not None and continues:
            run.append(cand)
            continue
        if run:
            yield run
        run = [cand] if cand is not None else []
    if run:
        yield run


# --- Deciding ---------------------------------------------------------------


#: Up to this many characters, :func:`count_chars` scans the text once per
#: character with ``str.count`` rather than once with a class regex: on the
#: 7 MB of zh_hans.dev as one string, 13 characters cost 19 ms that way and
#: 55 ms the other, 64 characters about 70 ms either way.
MAX_COUNT_SCANS = 48


def count_chars(text: str, chars: Iterable[str]) -> Counter[str]:
    """How often each of ``chars`` occurs in ``text`` (those that do).

    >>> count_chars("团结，团圆", ["团", "圆", "花"])
    Counter({'团': 2, '圆': 1})
    """
    wanted = "".join(sorted(set(chars)))
    if not wanted:
        return Counter()
    if len(wanted) <= MAX_COUNT_SCANS:
        return Counter({ch: n for ch in wanted if (n := text.count(ch))})
    return Counter(re.findall(f"[{re.escape(wanted)}]", text))


def _ruby_is_leak(run: list[Candidate]) -> bool:
    """A run of at least :data:`RUBY_MIN_PAIRS` readings, one or more tone-marked, the
    unmarked ones neutral-tone readings (which is how tone marks spell them)."""
    if len(run) < RUBY_MIN_PAIRS or not any(c.toned for c in run):
        return False
    return all(c.toned or c.reading.endswith("5") for c in run)


def decide(text: str, bracketed: list[Candidate], runs: list[list[Candidate]]) -> dict[str, Any]:
    """Mark each candidate ``remove`` or not, with its reason; return document evidence."""
    for run in runs:
        leak = _ruby_is_leak(run)
        for c in run:
            c.remove = leak
            c.confidence = CONFIDENCE_RUBY
            c.reason = (
                f"run-in ruby: {len(run)} characters in a row each followed by its reading"
                if leak
                else "too short a run of readings to be ruby"
            )
    # A character right after another annotation (``身(shēn)分(fēn)：``) is inside
    # a word, not a headword.
    ends = {c.end for c in bracketed}
    for c in bracketed:
        if c.start - 1 in ends:
            c.after_han = True
            c.gloss = False
    annotated = Counter(c.char for c in bracketed)
    for run in runs:
        if _ruby_is_leak(run):
            annotated.update(c.char for c in run)
    occurrences = count_chars(text, annotated)
    # A character left bare elsewhere, or annotated with different readings
    # (``长(cháng)短和长(zhǎng)大``), is being explained, not leaked.
    readings_of: dict[str, set[str]] = {}
    for c in bracketed:
        readings_of.setdefault(c.char, set()).add(c.reading)
    contrasted = sorted(ch for ch, rs in readings_of.items() if len(rs) > 1)
    partial = sorted(
        ch for ch, n in annotated.items() if n < occurrences[ch] or ch in contrasted
    )
    every = sorted(ch for ch, n in annotated.items() if n == occurrences[ch] and n >= 2)
    # With tone marks, a bare neutral-tone syllable is as good as a marked one.
    marks = any(c.format == "tone_marks" for c in bracketed)
    toned_chars = sorted(
        {
            c.char
            for c in bracketed
            if (c.toned or (marks and c.neutral)) and not c.gloss and c.char not in partial
        }
    )
    toneless_chars = sorted(
        {c.char for c in bracketed if not c.toned and not c.gloss and c.char not in partial}
    )
    latin_glosses = len(_LATIN_IN_BRACKETS.findall(text)) - sum(
        1 for c in bracketed if c.format != "zhuyin"
    )
    # Glossing two rare characters (``饕(tāo)餮(tiè)``) is what editors do; a table
    # that takes in a common character, or repeats itself, is a farm's.
    freq = readings_table()

    def mechanical(chars: list[str]) -> bool:
        return any(freq[ch].freq >= TABLE_FREQ_CLASS or ch in every for ch in chars)

    # A find-and-replace hits characters inside words; a list of single characters
    # with their readings (``妈(mā)、麻(má)、马(mǎ)``) is teaching material.
    cuts_words = any(c.in_word or c.after_han for c in bracketed)
    # A farm writes the usual reading of most characters; glosses are there for
    # the unusual ones (``单(shàn)先生和区(ōu)小姐``).
    usual = any(c.usual for c in bracketed if c.char not in partial)
    leak_doc = (
        len(toned_chars) >= LEAK_MIN_CHARS and mechanical(toned_chars) and cuts_words and usual
    )
    toneless_doc = leak_doc or (
        len(toneless_chars) >= TONELESS_MIN_CHARS
        and mechanical(toneless_chars)
        and cuts_words
        and usual
        and sum(1 for c in bracketed if not c.toned) >= latin_glosses
    )
    for c in bracketed:
        c.reading_contrasted = c.char in contrasted
        _decide_one(c, partial, every, leak_doc, toneless_doc)
    evidence: dict[str, Any] = {
        "candidates": len(bracketed) + sum(len(r) for r in runs),
        "characters": len(annotated),
        "leak_document": leak_doc,
        "inside_words": sum(1 for c in bracketed if c.in_word or c.after_han),
        "toned_characters": len(toned_chars),
        "toneless_characters": len(toneless_chars),
        "every_occurrence_annotated": every[:10],
        "partly_annotated": partial[:10],
        "different_readings": contrasted[:10],
        "usual_readings": sum(1 for c in bracketed if c.usual),
        "gloss_contexts": sum(1 for c in bracketed if c.gloss),
        "latin_glosses": max(latin_glosses, 0),
    }
    if runs:
        evidence["ruby_runs"] = [len(r) for r in runs]
    return evidence


def _decide_one(
    c: Candidate, partial: list[str], every: list[str], leak_doc: bool, toneless_doc: bool
) -> None:
    """The decision for one bracketed candidate, given the document evidence."""
    if c.char in partial:
        c.reason = (
            "the character is annotated with different readings: an explanation"
            if c.reading_contrasted
            else "other occurrences of the character are not annotated: a gloss"
        )
    elif leak_doc and c.toned:
        c.remove = True
        c.confidence = CONFIDENCE_LEAK_DOCUMENT
        c.reason = "one of several characters annotated at every occurrence"
    elif toneless_doc and not c.toned:
        c.remove = True
        c.confidence = CONFIDENCE_LEAK_DOCUMENT if leak_doc else CONFIDENCE_TONELESS
        c.reason = "bare readings on several characters, every occurrence annotated"
    elif c.gloss:
        c.reason = "followed by a definition: a gloss"
    elif not c.toned:
        c.reason = "a lone reading without tone may be a word"
    elif not c.in_word:
        c.reason = "a lone annotation outside a word may be a gloss"
    elif not c.usual:
        c.reason = "a lone annotation with a less usual reading: a gloss"
    elif c.freq < COMMON_FREQ_CLASS:
        c.reason = "a lone annotation on a rare character: a gloss"
    elif c.polyphone and c.char not in every:
        # Annotated at each of several occurrences, it is not choosing a reading.
        c.reason = "a lone annotation on a character with several readings: a gloss"
    else:
        c.remove = True
        c.confidence = CONFIDENCE_LONE_COMMON
        c.reason = (
            "a common character annotated at every occurrence, inside words"
            if c.char in every
            else "a common character with one reading in use, annotated inside a word"
        )


def _edit(text: str, c: Candidate) -> Edit:
    return Edit(
        c.start,
        c.end,
        text[c.start : c.end],
        "",
        c.confidence,
        {
            "char": c.char,
            "reading": c.reading,
            "format": c.format,
            "spelling": list(c.details),
            "usual_reading": c.usual,
            "why": c.reason,
        },
    )


@register("annotations", switch="fix_annotations", gate=GATE, test=gate_test, lead=LEAD)
def remove_annotations(text: str, config: FixConfig) -> Step | None:
    """Remove leaked reading annotations; keep glosses (see the module docstring)."""
    bracketed = list(bracketed_candidates(text))
    runs = list(ruby_runs(text))
    if not bracketed and not runs:
        return None
    evidence = decide(text, bracketed, runs)
    chosen = sorted(
        (c for c in bracketed + [c for r in runs for c in r] if c.remove),
        key=lambda c: c.start,
    )
    if not chosen:
        return None
    # Counted only now: on a long clean text this scan would cost more than the rest.
    han = len(_HAN_CHAR.findall(text))
    evidence["han"] = han
    evidence["density"] = round(evidence["candidates"] / max(han, 1), 4)
    evidence["removed"] = len(chosen)
    evidence["kept"] = evidence["candidates"] - len(chosen)
    return Step("annotations", tuple(_edit(text, c) for c in chosen), evidence)


def fix_annotations(text: str, config: FixConfig = DEFAULT_CONFIG) -> str:
    """Apply only this fixer once (for doctests and direct use)."""
    step = remove_annotations(text, config) if GATE.search(text) else None
    return text if step is None else apply_edits(text, step.edits)
