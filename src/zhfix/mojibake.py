"""CJK mojibake: spans of text decoded with the wrong codec, repaired span by span.

Text written in one codec and read with another turns into characters that still
look like text: ``文件上传成功`` written as UTF-8 and read as GBK is
``鏂囦欢涓婁紶鎴愬姛``; ``用户不存在`` written as GBK and read as cp1252 is
``ÓÃ»§²»´æÔÚ``.  Such damage usually covers one span of a line (a log message,
a quoted SQL comment) and leaves the rest clean.

The repair takes a span apart the way it was put together.  For each known
:class:`Layer` (a codec the text was *written* in and one it was *read* with):

1. **Structure.**  Encode the line with the codec it was read with, character
   by character, and decode the bytes with the codec it was written in.  Only
   spans whose bytes are valid in the written codec survive, and only where the
   byte boundaries of both readings line up.  Bytes the reader could not
   decode (left as U+FFFD or ``?``, a *hole*) are enumerated: every byte value
   that makes the span valid is a candidate.
2. **Language.**  The character model of :mod:`zhfix.lm` scores each surviving
   reading against the span as it stands.  A repair is made only when the
   reading is more probable than the text as it stands by
   :data:`MIN_GAIN` nats and looks like Chinese itself.  Holes are filled with
   the most probable candidate, and the edit says which characters were
   inferred and how sure the model is.

Two layers (GBK mojibake saved as UTF-8 and read as cp1252 again) are undone
one after the other within the same span.

Clean text costs one regex scan (:data:`GATE`: two rare characters close
together, or a pattern a GBK reader leaves); lines the gate finds something in
are read only around their suspicious spots, and a layer is read through only
after a probe of a few characters around a rare one reads better.  Layers
between two double-byte codecs of Han (Big5 read as GBK, GBK read as Big5 or
cp949) turn ordinary characters into ordinary characters, so their readings
must cover whole runs of CJK text and pass stricter thresholds.

Once such a reading is accepted in a line, the line's other runs of
non-ASCII text follow it when they read about as well that way, or hold
letters no Chinese writer puts among Han (see :func:`_line_consistent`).
A lost byte at the end of a clause is more likely one mark than another
depending on the clause (a question word calls for ？, see
:func:`_mark_shifts`).

Known limits: a lost byte is filled only when the model is sure enough (the
rest keep their hole); a span of one or two characters read between Big5
and GBK, alone in its line, is too short to tell from clean text, and so is a
damaged run joined to clean Chinese by a CJK mark (``打开窗口：秨币跌怠``);
UTF-8 read as Big5 loses half its byte pairs and is repaired only in pieces.

>>> fix("上传失败：鏂囦欢涓嶅瓨鍦�")
'上传失败：文件不存在'
>>> fix("ERROR 1045: ÓÃ»§²»´æÔÚ")
'ERROR 1045: 用户不存在'
>>> fix("clean text stays as it is: 骷髅 蜥蜴")
'clean text stays as it is: 骷髅 蜥蜴'
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from zhfix.chars import HAN, is_han
from zhfix.config import FixConfig
from zhfix.explain import Edit, Step, apply_edits
from zhfix.lm import Model, model, segment_logprobs
from zhfix.pipeline import Lead, first_class_pattern, register

# --- the damage this module knows --------------------------------------------


@dataclass(frozen=True)
class Layer:
    """Text written in ``written`` and read with ``read``."""

    written: str
    read: str

    @property
    def name(self) -> str:
        return f"{self.written}>{self.read}"

    @property
    def han_to_han(self) -> bool:
        """Both codecs double-byte CJK: Han characters read as other Han characters.

        Such readings are weak evidence (the mojibake is made of ordinary
        characters), so they are only made on whole runs of CJK text.
        """
        return self.written in _DOUBLE_BYTE_WRITERS and self.read in DOUBLE_BYTE_READERS


#: The layers tried, most common first.  ``cp1252`` stands for Latin-1 too:
#: its table maps the C1 controls to their own bytes, as Windows does.
LAYERS: tuple[Layer, ...] = (
    Layer("utf-8", "gbk"),
    Layer("gbk", "cp1252"),
    Layer("utf-8", "cp1252"),
    Layer("big5", "cp1252"),
    Layer("big5", "gbk"),
    Layer("gbk", "big5"),
    Layer("gbk", "cp1254"),
    Layer("gbk", "cp949"),
    Layer("utf-8", "big5"),
)

#: Characters a reader leaves where it could not decode a byte.
HOLE_CHARS = "\ufffd?"

#: Byte values a hole may stand for, per reading codec: the bytes that codec
#: cannot decode.  cp1252 and cp1254 leave only a few bytes undefined; a
#: double-byte reader can fail on any high byte.
HOLE_BYTES: dict[str, tuple[int, ...]] = {
    "cp1252": (0x81, 0x8D, 0x8F, 0x90, 0x9D),
    "cp1254": (0x81, 0x8D, 0x8E, 0x8F, 0x90, 0x9D, 0x9E),
    "gbk": tuple(range(0x80, 0x100)),
    "big5": tuple(range(0x80, 0x100)),
    "cp949": tuple(range(0x80, 0x100)),
}

#: Python codecs whose pair tables make up each double-byte reader, first
#: wins.  GB18030 adds the private-use characters of GBK's user-defined area,
#: cp950 the few Big5 codes Python's ``big5`` lacks.
DOUBLE_BYTE_READERS: dict[str, tuple[str, ...]] = {
    "gbk": ("gbk", "gb18030"),
    "big5": ("big5", "cp950"),
    "cp949": ("cp949",),
}

#: Single characters readers produce outside their Python codec: Windows
#: reads byte 80 as € in cp936 (GBK).  These take precedence over the pair
#: the codec has for the same character (see :func:`reader_alternatives`).
READER_EXTRAS: dict[str, dict[str, bytes]] = {"gbk": {"\u20ac": b"\x80"}}

_DOUBLE_BYTE_WRITERS = ("gbk", "big5")

#: Readers with a script of their own: cp949 reads GBK's rows B0-C8 as Hangul
#: and rows CA-F7 as Hanja, so its mojibake mixes both; a short span of
#: Hangul alone is Korean, and is left alone...
NEEDS_HAN_READERS = ("cp949",)

#: ... unless the span is this long: a long span of Hangul that reads as
#: probable Chinese (weak-layer thresholds) is mojibake of Chinese.
NEEDS_HAN_BELOW = 6

#: Share of the character model in the score of a hole's options when known
#: Han text follows the hole (log-linear, the word segmentation has the
#: rest): the word model alone sees no link between an option and a
#: neighbour it makes no word with (沒有已選擇 against 沒有安選擇).  Measured
#: on the benchmark's documents (bench.run ``documents``, bench.accuracy
#: ``seed_for``), every fill kept whatever its confidence: on 400
#: Big5-read-as-GBK lines of zh_hant.dev.txt the first choice was right for
#: 2,983 of 3,672 holes with the word model alone and 3,029 at 0.5, and fills
#: above :data:`MIN_HOLE_CONFIDENCE` were right 87.2 % of the time against
#: 89.2 % (2,786 and 2,872 of them); on 600 UTF-8-read-as-GBK lines of
#: zh_hans.dev.txt, 3,076 and 3,084 of 3,483, and fills above it stay as they
#: were (96.0 % and 96.2 % right).  Added to the word model instead of mixed,
#: the two count the same evidence twice and the posteriors lose their
#: calibration (UTF-8 read as GBK: 93.0 % right above the threshold).  Before
#: ASCII or at the end of the text the word model decides alone: mixing there
#: (the character model knows little of Han before ASCII) lost 7 of the 7,533
#: and 7 of the 4,639 lines whose last character alone lost a byte.
HOLE_CHAR_MODEL_SHARE = 0.5

_HAN_PREFIX = re.compile(f"[{HAN}]*")

#: Characters before a hole that the word segmentation choosing its character
#: sees (words are at most four characters long).
HOLE_LEFT = 3

#: A filled hole whose character belongs to the other script than the known
#: characters around it (径 among traditional text, 徑 among simplified) is
#: this much less likely; the model mixes both scripts half and half, so a
#: script-consistent reading is what a single-script model would say.
SCRIPT_MISMATCH_LOGPROB = -4.0

#: A closing bracket filled into a hole: this much more likely when its
#: opening bracket is unclosed before it (enough to make 》 after an unclosed
#: 《 as likely as 。), this much less likely otherwise.
BRACKET_LOGPROB = 5.0

#: Punctuation filled into a hole at the end of a line, or before ASCII, is
#: more or less likely than elsewhere: log of its frequency there over its
#: overall frequency, measured on the dev corpus (a comma ends a line 200
#: times less often than its share of all marks; a colon precedes ASCII, as in
#: ``失败：%s``, six times more often; an opening quote or bracket ends a line
#: hardly ever).
LINE_END_SHIFT = {
    "，": -5.3, "。": 0.7, "、": -5.6, "：": 0.0, "；": -2.1, "？": 0.6, "！": 0.6,
    "）": -0.1, "》": 1.2, "」": -2.4, "”": -0.7, "…": -0.4, "’": -1.6, "—": -2.0,
    "（": -5.1, "《": -5.9, "「": -8.5, "“": -5.4, "‘": -4.4,
}  # fmt: skip
BEFORE_ASCII_SHIFT = {
    "，": -0.4, "。": -0.4, "、": 1.3, "：": 1.8, "；": 0.3, "？": -0.9, "！": -2.0,
    "）": 0.0, "》": -2.7, "」": 0.4, "”": 1.9, "…": -1.1,
}  # fmt: skip
#: ... and before a ``%`` placeholder, in place of :data:`BEFORE_ASCII_SHIFT`
#: (``失败：%s``, ``“%s”``; 1,850 marks before ``%`` in the dev corpus).
BEFORE_PLACEHOLDER_SHIFT = {
    "，": -2.7, "。": -4.3, "、": -1.6, "：": 2.6, "；": -1.6, "？": -2.6, "！": -3.5,
    "）": -4.1, "》": -2.4, "」": -4.9, "”": -2.4, "…": -4.0, "“": 3.0, "「": 1.7,
}  # fmt: skip

#: The clause a mark closes (the text since the last 。！？； or the line's
#: start) says which mark it is.  Each table below is the log of a mark's share
#: after such a clause over its share of all marks, measured on the dev corpus
#: (245k marks): a question word calls for ？ (7,319 marks follow a clause with
#: one; 91 % of the clauses ending a line with one of ！？：，；） end with ？,
#: 11 % of the others), ...
QUESTION_WORDS = (
    "吗", "嗎", "呢", "什么", "什麼", "怎么", "怎麼", "怎样", "怎樣", "为何", "為何", "谁", "誰",
    "难道", "難道", "多少", "哪", "是否",
)  # fmt: skip
QUESTION_SHIFT = {
    "，": -0.7, "。": -0.3, "、": -0.6, "：": -1.8, "；": -0.9, "？": 3.0, "！": 0.0,
    "）": -0.7, "》": -1.9, "」": -1.9, "”": -1.0, "…": 0.1,
}  # fmt: skip
NO_QUESTION_SHIFT = {"？": -0.9}
#: ... a word announcing a list calls for ： (2,756 marks) ...
LIST_WORDS = ("下列", "如下", "以下", "下面")
LIST_SHIFT = {
    "，": -0.7, "。": -0.1, "、": 0.8, "：": 2.4, "；": -0.3, "？": -1.3, "！": -2.2,
    "）": 0.4, "》": -2.9, "」": -0.6, "”": -0.5, "…": -1.4,
}  # fmt: skip
#: ... a personal pronoun (speech, not a manual's heading) leans to ！ and ？
#: over ： (59,659 marks) ...
PRONOUNS = "我你他她您咱"
PRONOUN_SHIFT = {
    "，": -0.1, "。": 0.1, "、": -0.3, "：": -1.1, "；": -1.0, "？": 0.7, "！": 0.8,
    "）": -0.7, "》": -3.5, "」": -0.6, "”": -0.8, "…": 0.8,
}  # fmt: skip
#: ... and a clause ending in a modal particle calls for ！ (7,100 marks).
PARTICLES = "了吧啊呀啦"
PARTICLE_SHIFT = {
    "，": -0.2, "。": 0.0, "、": -3.1, "：": -2.4, "；": -1.4, "？": 0.4, "！": 1.9,
    "）": -2.2, "》": -2.7, "」": -6.4, "”": -4.3, "…": 0.7,
}  # fmt: skip

#: A mark the line has used already is more likely again (the log of a mark's
#: share where it occurs earlier in its line over its share of all marks, on
#: the dev corpus; closing brackets are left to :data:`BRACKET_LOGPROB`, and
#: the dialogue of a game that exclaims once exclaims again).
REPEAT_SHIFT = {"、": 2.2, "：": 0.8, "；": 1.6, "？": 1.7, "！": 2.0, "…": 3.4}

#: Marks Chinese writes doubled (……, ——): after an odd run of one of them,
#: the same mark is this much more likely than its share of all marks (on the
#: dev corpus, 1,922 of 2,026 odd runs of … go on with …, 451 of 567 of —).
DOUBLED_SHIFT = {"…": 4.2, "—": 5.3}

#: Marks :func:`_mark_shifts` may shift.
_SHIFTED_MARKS = frozenset(
    [*QUESTION_SHIFT, *NO_QUESTION_SHIFT, *LIST_SHIFT, *PRONOUN_SHIFT, *PARTICLE_SHIFT,
     *REPEAT_SHIFT, *DOUBLED_SHIFT]
)  # fmt: skip

#: Clause ends for :func:`_mark_shifts`.
_CLAUSE_END_RE = re.compile("[。！？；]")
#: How far back an unclosed opening bracket is looked for (characters).
BRACKET_REACH = 200
_CLOSERS = {"》": "《", "」": "「", "）": "（", "”": "“", "』": "『", "】": "【", "〉": "〈"}

#: A span may have at most this many holes per character to be read.  Text
#: with more lost bytes than that (UTF-8 read as Big5 loses every byte pair
#: whose trail is 80-A0: half of them) cannot be read back; filling every hole
#: from the model would only invent text.  UTF-8 read as GBK with Python's
#: replacement loses a byte every few characters: on dev-corpus spans, 0.2
#: would leave a third of them unread, 0.34 a tenth.
MAX_HOLE_FRACTION = 0.34
#: ... and of a double-byte codec read by another: each hole is then one byte,
#: which the reader refused before the next (a few values of 256), and Big5
#: read as GBK is a quarter holes (0.24 of the characters of the first 5,000
#: zh_hant.dev.txt lines; Big5's commonest rows, A4-A7, fall in GBK's
#: unassigned A4-A7 x 40-A0).  Measured on the
#: benchmark's documents (bench.run ``documents``, bench.accuracy
#: ``seed_for``) of zh_hant.dev.txt: Big5 read as GBK (600) kept CER 0.142 at
#: 0.34 and came to 0.073 at 0.45, 0.067 at 0.5, 0.065 at 0.6; GBK read as
#: Big5 (400) 0.249, 0.122, 0.109, 0.102.  0.5: half the characters holes.
MAX_HOLE_FRACTION_DOUBLE_BYTE = 0.5

#: Bytes decoded at a time by :func:`_tokens`.
DECODE_CHUNK = 256

#: At most this many byte combinations are tried for the holes of one
#: character: two lost continuation bytes of UTF-8 (64 x 64).  A double-byte
#: character lost whole (127 x 190 pairs) is read from the codec's table instead.
MAX_HOLE_COMBINATIONS = 4096

#: A double-byte character lost whole is read only in a run of at most this
#: many holes (two such characters side by side, ``讀取狀態`` in Big5 read as
#: GBK loses 取 and 狀 so): in a longer run nothing around a character tells
#: its options apart, and a line of 20,000 U+FFFD took five times as long to
#: leave alone.
MAX_LOST_WHOLE_RUN = 4

#: ... of which at most this many characters, the likeliest alone, are
#: weighed in context (one lost continuation byte gives 64, two up to 4096).
MAX_HOLE_OPTIONS = 256

#: Bytes a placeholder hole takes while the written codec decodes around it:
#: invalid in UTF-8, GBK and Big5 alike.
_HOLE_PLACEHOLDER = 0xFF

# --- thresholds ----------------------------------------------------------------

#: A repair must raise the log-probability of its span (with one character of
#: context on each side) by at least this many nats.  Measured on the dev
#: corpus (zh_hans + zh_hant, 99k lines): true repairs of UTF-8/GBK/Big5 spans
#: of four or more Han characters read as GBK or cp1252 gain 57 nats or more in
#: 99 % of the cases (2,400 spans); readings of clean lines through those
#: layers never get this far (none passes the structural and text checks),
#: and through the weak layers they gain -11 nats in the median.
MIN_GAIN = 12.0

#: The repaired span must itself look like text: its mean log-probability per
#: character at least this.  Clean dev-corpus lines score -5 to -8 per
#: character; readings into rare characters (another mojibake) score below -10.
MIN_MEAN_LOGPROB = -10.0

#: Readings between two double-byte CJK codecs (:attr:`Layer.han_to_han`)
#: replace ordinary characters by ordinary characters, so they need more: a
#: gain per character of at least this, and a mean log-probability of at least
#: :data:`WEAK_MIN_MEAN_LOGPROB`.  Measured on the dev corpus: readings of
#: clean lines gain at most 3.7 nats per character in 99 % of the cases (the
#: exceptions are runs of rare reduplicated characters in classical poetry) and
#: score below -8.1 per character in 99 %; true repairs of Big5/GBK spans of
#: four or more Han characters gain more than 4.4 per character and score above
#: -8.1 in 99 % of the cases.
WEAK_MIN_GAIN_PER_CHAR = 4.0
WEAK_MIN_MEAN_LOGPROB = -8.5

#: A run of a weak reading may lose this many nats and still be carried by
#: the runs around it (one character between ASCII words, such as 麼 for 或,
#: reads about as well either way).
WEAK_CARRY_LOSS = 3.0

#: Once a weak reading is accepted in a line, another run of the line read
#: through the same layer may lose this many nats under the model and still be
#: read (see :func:`_line_consistent`).  Measured on the dev corpus (300
#: lossless lines per weak chain and file, 2,161 damaged runs; and the runs of
#: 1,500 clean lines per file each layer reads back): every damaged run loses
#: at most 1 nat read back (one-character runs, such as ``麼`` for ``或``,
#: included); of the clean runs, 2 % (Big5>GBK), 22 % (GBK>Big5, mostly one
#: character or symbol) and 1 % (GBK>cp949) lose at most 1 nat, 3 %, 30 % and
#: 1.2 % at most 3.  Only lines with an accepted weak reading are concerned.
LINE_CARRY_LOSS = 1.0

#: A weak reading reads Han as Han: at least this share of the non-ASCII
#: characters of the span must be Han (a run of bopomofo or kana is not Big5
#: read as GBK, whose symbols come from Big5's commonest rows: about a quarter
#: of the characters of such mojibake, up to two thirds in short runs).
WEAK_MIN_HAN_SHARE = 0.2

#: A repair must bring at least this many Han characters or CJK punctuation
#: marks: one-character readings are too easily found by chance, and Latin
#: mojibake (``Ã©`` → ``é``) is left to the Latin fixer.
MIN_CJK_CHARS = 2

#: A hole is filled only when the model gives the chosen character at least
#: this posterior probability among the candidates; otherwise the hole is left
#: as it is.  Set on 800 lossy UTF-8-read-as-GBK spans of the dev corpus: the
#: filled character is right in 96 % of the cases above 0.6, in 41 % between
#: 0.5 and 0.6, in 30 % below.  Checked again with the clause cues of
#: :func:`_mark_shifts` on dev-corpus lines whose last character alone lost a
#: byte (400 per file, two samples): fills above 0.6 are right in 97.0-98.0 %
#: of the cases, above 0.5 in 94.6-97.2 %.
MIN_HOLE_CONFIDENCE = 0.6

#: Gate: characters that wrong readers produce and the model finds rare: a
#: unigram log-probability below this.  On the dev corpus, two such characters
#: within :data:`GATE_GAP` + 1 positions occur in about 1.3 % of clean lines and
#: in over 95 % of damaged Han spans of four or more characters.
RARE_LOGPROB = -12.0

#: Gate: at most this many characters between two rare characters.
GATE_GAP = 1

#: Gate: a whole text of up to twice this many characters plus one is read
#: when it has one rare character (a table cell, a UI string, a file name).
#: 251 of the 99k dev-corpus lines are so short and have one.
SHORT_REACH = 6

#: An edit's confidence is ``1 - exp(-gain / CONFIDENCE_SCALE)``: 0.95 at
#: :data:`MIN_GAIN`, nearly 1 for the 40+ nats a damaged clause gains.
CONFIDENCE_SCALE = 4.0

#: Characters read on each side of a suspicious spot.  Mojibake spans are
#: dense with suspicious spots (in damaged dev-corpus lines, consecutive spots
#: are a few characters apart), so windows merge over a whole damaged span,
#: while a long clean line is read only around its few rare pairs.
WINDOW = 48

#: :func:`_promising` reads this many characters on each side of at most
#: :data:`MAX_PROBES` rare characters.
PROBE_REACH = 3
MAX_PROBES = 12

#: A second layer is looked for this many characters around the first reading.
INNER_REACH = 8

#: CJK characters counted for :data:`MIN_CJK_CHARS`: Han and CJK punctuation.
_CJK_RE = re.compile(r"[\u3000-\u303f\uff00-\uffef\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

#: Characters a weak reading may not produce: anything but ASCII, Han and CJK
#: punctuation (kana, bopomofo, box drawing come out of Big5/GBK misreadings,
#: rarely out of Chinese writers).
_NOT_CHINESE_RE = re.compile(
    "[^\x00-\x7f\u3000-\u303f\uff00-\uffef\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff“”‘’…—·]"
)

# --- codec tables ----------------------------------------------------------------

_SINGLE_BYTE_READERS = ("cp1252", "cp1254")


@cache
def reader_table(codec: str) -> dict[str, bytes]:
    """How each character came out of ``codec``: character → the bytes read.

    Built from Python's codecs; single-byte readers map their undefined bytes
    to C1 controls, as Windows and browsers do.

    >>> reader_table("gbk")["鏂"].hex(), reader_table("cp1252")["\\x81"].hex()
    ('e696', '81')
    """
    table: dict[str, bytes] = {chr(i): bytes([i]) for i in range(0x80)}
    if codec in _SINGLE_BYTE_READERS:
        for b in range(0x80, 0x100):
            raw = bytes([b])
            with suppress(UnicodeDecodeError):
                table.setdefault(raw.decode(codec), raw)
            if b < 0xA0:
                table.setdefault(chr(b), raw)  # a C1 control: undefined, or read as Latin-1
        return table
    for python_codec in DOUBLE_BYTE_READERS[codec]:
        for lead in range(0x81, 0xFF):
            for trail in range(0x40, 0xFF):
                raw = bytes([lead, trail])
                try:
                    ch = raw.decode(python_codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1:
                    table.setdefault(ch, raw)
    table.update(READER_EXTRAS.get(codec, {}))
    return table


@cache
def reader_alternatives(codec: str) -> dict[str, bytes]:
    """Characters a reader makes of two different byte sequences: the other one.

    Windows' GBK reads both 80 and A2E3 as €; :func:`reader_table` says 80.

    >>> reader_alternatives("gbk")["€"].hex()
    'a2e3'
    """
    alternatives: dict[str, bytes] = {}
    for ch in READER_EXTRAS.get(codec, {}):
        for python_codec in DOUBLE_BYTE_READERS.get(codec, ()):
            try:
                alternatives[ch] = ch.encode(python_codec)
                break
            except UnicodeEncodeError:
                continue
    return alternatives


#: Tables :func:`_alternative_table` keeps: one per reader (only GBK has
#: alternatives today; its table has 22,000 entries and takes a millisecond
#: to copy, which every run holding € would pay otherwise).
ALTERNATIVE_TABLE_CACHE_SIZE = len(HOLE_BYTES)


@lru_cache(maxsize=ALTERNATIVE_TABLE_CACHE_SIZE)
def _alternative_table(codec: str) -> dict[str, bytes]:
    """:func:`reader_table` with :func:`reader_alternatives` in place of its
    own bytes, built once (GBK's table has 22,000 characters)."""
    return {**reader_table(codec), **reader_alternatives(codec)}


def _byte_len(ch: str, codec: str) -> int:
    """Bytes ``ch`` takes in ``codec`` (UTF-8 or a double-byte codec)."""
    o = ord(ch)
    if o < 0x80:
        return 1
    if codec == "utf-8":
        return 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 2


def _utf8_size(lead: int) -> int:
    """Bytes in a UTF-8 character with this lead byte (4 for invalid leads too)."""
    return 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4


def _plausible(ch: str) -> bool:
    """False for what no writer meant: controls, private use, unassigned."""
    return unicodedata.category(ch) not in ("Cc", "Co", "Cn", "Cs")


# --- structural candidates ----------------------------------------------------------


#: A character of the written codec: bytes ``start:end`` of a run, the
#: characters those bytes may be (one when every byte is known, several when a
#: hole was filled, none for an invalid byte), and whether a hole was filled.
Token = tuple[int, int, tuple[str, ...], bool]


def _fill_hole(
    buf: bytes,
    pos: int,
    holes: AbstractSet[int],
    codec: str,
    values: Sequence[int],
    reader: str = "",
) -> Token:
    """The characters that a character starting at ``buf[pos]`` with holes may be.

    Every combination of byte values for the holes inside the character is
    tried (at most :data:`MAX_HOLE_COMBINATIONS`), each hole restricted to the
    values its place allows (a UTF-8 continuation byte is 80-BF) and, for a
    double-byte ``reader``, to the bytes it would have refused before the
    byte that follows the hole (see :func:`refused_before`).
    """
    if codec == "utf-8":
        if pos in holes:
            # A hole at the lead: the continuation bytes after it say how long it is.
            follow = 0
            while (
                pos + 1 + follow < len(buf)
                and follow < 3
                and (0x80 <= buf[pos + 1 + follow] <= 0xBF or pos + 1 + follow in holes)
            ):
                follow += 1
            size = follow + 1
        else:
            size = _utf8_size(buf[pos])
    else:
        size = 2
    inside = [h for h in range(pos, pos + size) if h in holes]
    if not inside or pos + size > len(buf):
        return (pos, pos + 1, (), False)
    lost_whole = len(inside) == 2 and size == 2
    if lost_whole and _hole_run(holes, pos, MAX_LOST_WHOLE_RUN) > MAX_LOST_WHOLE_RUN:
        return (pos, pos + 1, (), False)
    nexts = tuple(_next_byte(buf, h, holes) for h in inside)
    options = _hole_options(
        bytes(buf[pos : pos + size]),
        tuple(h - pos for h in inside),
        codec,
        tuple(values),
        nexts,
        reader,
    )
    if not options:
        return (pos, pos + 1, (), False)
    return (pos, pos + size, options, True)


def _hole_run(holes: AbstractSet[int], pos: int, most: int) -> int:
    """How many holes in a row ``buf[pos]`` belongs to, counted up to ``most + 1``."""
    lo = hi = pos
    while lo - 1 in holes and hi - lo < most:
        lo -= 1
    while hi + 1 in holes and hi - lo < most:
        hi += 1
    return hi - lo + 1


#: In :func:`_next_byte`: the byte after a hole is another hole.
_NEXT_IS_HOLE = -2


def _next_byte(buf: bytes, h: int, holes: AbstractSet[int]) -> int:
    """What constrains the hole at ``buf[h]``: the known byte after it, or
    :data:`_NEXT_IS_HOLE`, or -1 for nothing.

    Only the first hole of a run is constrained: decoders that give one
    replacement per byte of a refused pair (``??`` for ``AF AF``) start afresh
    after the pair, not after its first byte, so the second hole of a run may
    be any byte.
    """
    if h - 1 in holes or h + 1 >= len(buf):
        return -1
    return _NEXT_IS_HOLE if h + 1 in holes else buf[h + 1]


@cache
def refused_before(reader: str, following: int) -> frozenset[int]:
    """High bytes that ``reader`` cannot read as a character before ``following``.

    Python's double-byte decoders turn such a byte alone into the hole and go
    on with the next byte, so a hole right before a known byte stands for one
    of these: before ``BD``, GBK refuses only 80, A6 and AA-AF, which leaves 8
    of the 64 continuation bytes a UTF-8 character could have lost there.

    >>> [f"{b:x}" for b in sorted(refused_before("gbk", 0xBD)) if b < 0xC0]
    ['80', 'a6', 'aa', 'ab', 'ac', 'ad', 'ae', 'af']
    >>> len(refused_before("gbk", 0x20))
    128
    """
    codec = DOUBLE_BYTE_READERS[reader][0]
    refused = set()
    for lead in range(0x80, 0x100):
        try:
            bytes([lead, following]).decode(codec)
        except UnicodeDecodeError:
            refused.add(lead)
    return frozenset(refused)


#: Hole patterns :func:`_hole_options` remembers: keyed by a character's known
#: bytes and where its holes are, so a line of UTF-8 read as GBK repeats few
#: (the same lead bytes recur); as many as :data:`MAX_HOLE_COMBINATIONS`.
HOLE_OPTIONS_CACHE_SIZE = 4096


@lru_cache(maxsize=HOLE_OPTIONS_CACHE_SIZE)
def _hole_options(
    chunk: bytes,
    offsets: tuple[int, ...],
    codec: str,
    values: tuple[int, ...],
    nexts: tuple[int, ...] = (),
    reader: str = "",
) -> tuple[str, ...]:
    """The characters ``chunk`` may be with its bytes at ``offsets`` unknown.

    ``nexts`` says what follows each hole (see :func:`_next_byte`); with a
    double-byte ``reader`` a hole must be a byte it refuses before that byte,
    or before the value given to the next hole.
    At most :data:`MAX_HOLE_OPTIONS`, the likeliest by the unigram model:
    context decides among them, and a lost byte pair of UTF-8 has thousands.
    """
    choices: list[list[int]] = []
    for k, offset in enumerate(offsets):
        if codec == "utf-8" and offset > 0:
            allowed = [v for v in values if 0x80 <= v <= 0xBF]
        elif offset == 0:
            allowed = [v for v in values if v >= 0x81]
        else:
            allowed = [v for v in values if v >= 0x40]
        following = nexts[k] if k < len(nexts) else -1
        if reader in DOUBLE_BYTE_READERS and following >= 0:
            refused = refused_before(reader, following)
            allowed = [v for v in allowed if v in refused]
        choices.append(allowed)
    if math.prod(len(c) for c in choices) <= MAX_HOLE_COMBINATIONS:
        # The chunk must make exactly one character of ``codec`` beyond ASCII; an
        # invalid byte decodes to a lone surrogate, which is not plausible.
        decoded = [f.decode(codec, "surrogateescape")
                   for f in _hole_fillings(chunk, choices, offsets, nexts, reader)]
    elif codec in _DOUBLE_BYTE_WRITERS and offsets == (0, 1):
        # A double-byte character lost whole: too many byte pairs to try, so
        # the codec's characters are filtered instead (the same ones, in the
        # same order).
        joined = reader in DOUBLE_BYTE_READERS and nexts[:1] == (_NEXT_IS_HOLE,)
        decoded = _lost_pairs(codec, tuple(choices[0]), tuple(choices[1]), reader if joined else "")
    else:
        return ()
    found = [ch for ch in decoded if len(ch) == 1 and ord(ch) >= 0x80 and _plausible(ch)]
    options = tuple(dict.fromkeys(found))
    if len(options) > MAX_HOLE_OPTIONS:
        lm = model()
        options = tuple(sorted(options, key=lambda c: -lm.char_logprob("", c))[:MAX_HOLE_OPTIONS])
    return options


def _lost_pairs(
    codec: str, leads: tuple[int, ...], trails: tuple[int, ...], reader: str
) -> list[str]:
    """The two-byte characters of ``codec`` with a lead byte among ``leads``
    and a trail among ``trails``, in byte order; with a double-byte
    ``reader``, only those whose lead it refuses before their trail (it read
    the lead alone as a hole, then the trail)."""
    lead_set, trail_set = frozenset(leads), frozenset(trails)
    return [
        ch
        for lead, trail, ch in _codec_pairs(codec)
        if lead in lead_set and trail in trail_set
        and (not reader or lead in refused_before(reader, trail))
    ]


@cache
def _codec_pairs(codec: str) -> tuple[tuple[int, int, str], ...]:
    """Every two-byte character of the double-byte ``codec`` as (lead, trail,
    character), in byte order."""
    found = []
    for lead in range(0x81, 0x100):
        for trail in range(0x40, 0x100):
            with suppress(UnicodeDecodeError):
                ch = bytes((lead, trail)).decode(codec)
                if len(ch) == 1:
                    found.append((lead, trail, ch))
    return tuple(found)


def _hole_fillings(
    chunk: bytes,
    choices: list[list[int]],
    offsets: tuple[int, ...],
    nexts: tuple[int, ...],
    reader: str,
) -> list[bytes]:
    """``chunk`` with its holes (at ``offsets``) given every combination of
    byte values in ``choices``, in the order of :func:`itertools.product`.

    A hole followed by another hole of the same character must, for a
    double-byte ``reader``, be a byte the reader refuses before the value of
    the next one: such combinations are left out as they are built.
    """
    joined = {
        k for k, offset in enumerate(offsets)
        if reader in DOUBLE_BYTE_READERS
        and k < len(nexts) and nexts[k] == _NEXT_IS_HOLE and offset + 1 in offsets
    }
    refused_by = [refused_before(reader, v) for v in range(0x100)] if joined else []
    fillings = [chunk]
    for k, allowed in enumerate(choices):
        at = offsets[k]
        values = [(v, bytes((v,))) for v in allowed]
        filled: list[bytes] = []
        for f in fillings:
            head, tail = f[:at], f[at + 1 :]
            if k - 1 in joined:
                before = f[at - 1]  # the previous hole, joined to this one
                filled += [head + b + tail for v, b in values if before in refused_by[v]]
            else:
                filled += [head + b + tail for _, b in values]
        fillings = filled
    return fillings


#: Decodings :func:`_tokens` remembers: the text around a first reading is
#: read again for a second layer, and most of its runs are as they were.
TOKEN_CACHE_SIZE = 1 << 12


def _tokens(
    buf: bytes | bytearray,
    holes: AbstractSet[int],
    codec: str,
    values: Sequence[int],
    reader: str = "",
) -> tuple[Token, ...]:
    """Decode ``buf`` with ``codec`` into tokens, filling holes and marking errors.

    A pure function of its arguments, remembered (see :func:`_decode_tokens`).
    """
    return _decode_tokens(bytes(buf), frozenset(holes), codec, tuple(values), reader)


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _decode_tokens(
    data: bytes, holes: frozenset[int], codec: str, values: tuple[int, ...], reader: str
) -> tuple[Token, ...]:
    """:func:`_tokens` on hashable arguments.

    ``surrogateescape`` decoding marks every invalid byte.  The bytes are
    decoded :data:`DECODE_CHUNK` at a time from a character boundary, keeping
    what is decoded before the last four bytes of each piece, so that time
    stays linear however many holes there are.
    """
    tokens: list[Token] = []
    pos = 0
    n = len(data)
    buf = data
    window = 4 if codec == "utf-8" else 2
    utf8 = codec == "utf-8"
    while pos < n:
        end = min(n, pos + DECODE_CHUNK)
        limit = end if end == n else end - 4
        p = pos
        for ch in data[pos:end].decode(codec, "surrogateescape"):
            if p >= limit:
                break
            o = ord(ch)
            if 0xDC80 <= o <= 0xDCFF:
                if holes and any(h in holes for h in range(p, min(p + window, n))):
                    token = _fill_hole(buf, p, holes, codec, values, reader)
                    if token[2]:
                        tokens.append(token)
                        p = token[1]
                        break
                tokens.append((p, p + 1, (), False))
                p += 1
                continue
            size = 1 if o < 0x80 else (2 if o < 0x800 else 3 if o < 0x10000 else 4) if utf8 else 2
            tokens.append((p, p + size, (ch,), False))
            p += size
        pos = p
    return tuple(tokens)


@dataclass
class Reading:
    """A structurally valid reading of ``line[start:end]`` through one layer."""

    start: int
    end: int
    after: str
    layers: tuple[str, ...]
    #: Filled holes: (index in ``after``, character, posterior probability).
    inferred: tuple[tuple[int, str, float], ...] = ()
    gain: float = 0.0
    #: Read through a :attr:`Layer.han_to_han` layer (weak evidence).
    weak: bool = False
    #: A closing quote put back after a filled hole (see :func:`_restore_quote`).
    restored: str = ""
    #: For a run read through the layer of another reading of its line (see
    #: :func:`_line_consistent`): the gain of the line's best reading through
    #: that layer, which carries this one; 0.0 for a reading on its own.
    line_gain: float = 0.0


def _majority_script(options: Sequence[tuple[str, ...]], lm: Model) -> str:
    """``"s"`` or ``"t"`` when the known characters lean to one script, else ``""``.

    ``options`` are the characters each token may be (one when it is known).
    """
    counts = {"s": 0, "t": 0}
    for chars in options:
        if len(chars) == 1:
            script = lm.script.get(chars[0])
            if script:
                counts[script] += 1
    if counts["s"] > counts["t"]:
        return "s"
    if counts["t"] > counts["s"]:
        return "t"
    return ""


def _bracket_logprob(prefix: str, ch: str) -> float:
    """A closing bracket is likely when its opening one is unclosed, else not."""
    opener = _CLOSERS.get(ch)
    if opener is None:
        return 0.0
    return BRACKET_LOGPROB if prefix.count(opener) > prefix.count(ch) else -BRACKET_LOGPROB


def _mark_shifts(text: str) -> dict[str, float]:
    """Shifts for a mark after ``text`` (the line before it): the cue words of
    the clause it closes, marks used before, and a doubled mark.

    >>> _mark_shifts("确定要删除吗")["？"], _mark_shifts("请稍候…")["…"]
    (3.0, 4.2)
    >>> _mark_shifts("好！快点")["！"]
    2.0
    """
    clause = text[max((m.end() for m in _CLAUSE_END_RE.finditer(text)), default=0) :]
    shifts: dict[str, float] = {}
    tables = [QUESTION_SHIFT if any(w in clause for w in QUESTION_WORDS) else NO_QUESTION_SHIFT]
    if any(w in clause for w in LIST_WORDS):
        tables.append(LIST_SHIFT)
    if any(w in clause for w in PRONOUNS):
        tables.append(PRONOUN_SHIFT)
    last = clause[-1:]
    if last and last in PARTICLES:
        tables.append(PARTICLE_SHIFT)
    for table in tables:
        for mark, shift in table.items():
            shifts[mark] = shifts.get(mark, 0.0) + shift
    doubled = last in DOUBLED_SHIFT and (len(text) - len(text.rstrip(last))) % 2 == 1
    if doubled:
        shifts[last] = shifts.get(last, 0.0) + DOUBLED_SHIFT[last]
    for mark, shift in REPEAT_SHIFT.items():
        if mark in text and not (doubled and mark == last):
            shifts[mark] = shifts.get(mark, 0.0) + shift
    return shifts


def _hole_scores(
    options: tuple[str, ...],
    chosen: list[str],
    following: list[str],
    lm: Model,
    script: str,
    before: str = "",
    known: int = 2,
) -> list[float]:
    """Log-scores of the options for a hole: the best word segmentation of the
    option in its context (:data:`HOLE_LEFT` characters before it, two after),
    mixed with the character model over the Han characters after it that are
    known (the first ``known`` of ``following``; the others are first guesses
    at holes), then script, bracket and line-end evidence, and for a mark the
    line ``before`` it (see :func:`_mark_shifts`)."""
    nxt = following[0] if following else ""
    left = "".join(chosen[-HOLE_LEFT:])
    right = "".join(following[:2])
    prefix = "".join(chosen[-BRACKET_REACH:]) if any(c in _CLOSERS for c in options) else ""
    if not nxt:
        place = LINE_END_SHIFT
    elif nxt == "%":
        place = BEFORE_PLACEHOLDER_SHIFT
    elif nxt.isascii():
        place = BEFORE_ASCII_SHIFT
    else:
        place = {}
    cues = _mark_shifts(before) if before and not _SHIFTED_MARKS.isdisjoint(options) else {}
    scores = segment_logprobs(left, options, right)
    han_right = _HAN_PREFIX.match(right[:known]).group()  # type: ignore[union-attr]
    if han_right:
        # Mixed with the character model, which links the option to the Han
        # characters on each side whether or not they make a word with it.
        share = HOLE_CHAR_MODEL_SHARE
        for k, ch in enumerate(options):
            scores[k] = (1 - share) * scores[k] + share * lm.logprob(ch + han_right, left[-1:])
    scripts = lm.script
    for k, ch in enumerate(options):
        s = scores[k]
        if script and scripts.get(ch, script) != script:
            s += SCRIPT_MISMATCH_LOGPROB
        bracket = _bracket_logprob(prefix, ch) if ch in _CLOSERS else 0.0
        scores[k] = s + (bracket + place.get(ch, 0.0) + cues.get(ch, 0.0))
    return scores


#: Characters of the line before a stretch that :func:`_choose` looks back
#: at for the clause a hole closes.
CLAUSE_REACH = 64

#: Choices :func:`_choose_options` remembers: a stretch is read again when the
#: text around a first reading is read for a second layer, and the same
#: stretch with the same holes comes out of several layers.
CHOOSE_CACHE_SIZE = 1 << 12


def _choose(
    tokens: Sequence[Token], lm: Model, prefix: str
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Pick one option per token, holes by the model in context; with posteriors.

    ``prefix`` is the text of the line before the tokens; the choice depends
    only on its last :data:`CLAUSE_REACH` characters and on each token's
    options (``lm`` is always :func:`zhfix.lm.model`), so it is remembered.
    """
    return _choose_options(tuple(t[2] for t in tokens), prefix[-CLAUSE_REACH:])


@lru_cache(maxsize=CHOOSE_CACHE_SIZE)
def _choose_options(
    tokens: tuple[tuple[str, ...], ...], prefix: str
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """:func:`_choose` on the options of each token (one character when known)."""
    lm = model()
    before = prefix[-1:]
    chosen: list[str] = [before] if before else []
    confidence: list[float] = []
    script = ""
    if any(len(t) > 1 for t in tokens):
        script = _majority_script(tokens, lm)
    for i, options in enumerate(tokens):
        if len(options) == 1:
            chosen.append(options[0])
            confidence.append(1.0)
            continue
        following = [t[0] for t in tokens[i + 1 : i + 3]]
        known = next((k for k, t in enumerate(tokens[i + 1 : i + 3]) if len(t) > 1), 2)
        text = "".join(chosen[-CLAUSE_REACH:])
        if len(chosen) < CLAUSE_REACH:  # ``chosen`` starts with the last character of ``prefix``
            text = prefix[:-1][-(CLAUSE_REACH - len(chosen)) :] + text
        scores = _hole_scores(options, chosen, following, lm, script, text, known)
        best = max(range(len(scores)), key=scores.__getitem__)
        top = scores[best]
        total = sum(math.exp(s - top) for s in scores)
        chosen.append(options[best])
        confidence.append(1.0 / total)
    return tuple(chosen[1:] if before else chosen), tuple(confidence)


def _best_range(gains: list[float]) -> tuple[int, int, float]:
    """The contiguous range of ``gains`` with the largest sum (Kadane)."""
    best = (0, 0, 0.0)
    start = 0
    total = 0.0
    for i, g in enumerate(gains):
        if total <= 0:
            start, total = i, g
        else:
            total += g
        if total > best[2]:
            best = (start, i + 1, total)
    return best


def _ranges(gains: list[float], lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Disjoint ranges of positive total gain within ``gains[lo:hi]``, best first."""
    if hi <= lo:
        return
    a, b, total = _best_range(gains[lo:hi])
    if total <= 0:
        return
    yield lo + a, lo + b
    yield from _ranges(gains, lo, lo + a)
    yield from _ranges(gains, lo + b, hi)


def _whole_runs(
    line: str, offset: int, units: list[tuple[int, int, int, int]]
) -> list[tuple[int, int]]:
    """Ranges of units covering whole runs of non-ASCII text, Han on neither side.

    They depend on where the units fall, not on the reading, so a stretch
    with none is not read at all (see :func:`_cjk_runs`).
    """
    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(units):
        if line[offset + units[k][0] : offset + units[k][1]].isascii():
            k += 1
            continue
        m = k
        while m < len(units) and not line[offset + units[m][0] : offset + units[m][1]].isascii():
            m += 1
        start, end = offset + units[k][0], offset + units[m - 1][1]
        if not (start > 0 and is_han(line[start - 1])) and not (
            end < len(line) and is_han(line[end])
        ):
            runs.append((k, m))
        k = m
    return runs


def _cjk_runs(
    line: str,
    offset: int,
    units: list[tuple[int, int, int, int]],
    runs: list[tuple[int, int]],
    gains: list[float],
    chosen: Sequence[str],
) -> Iterator[tuple[int, int]]:
    """The :func:`_whole_runs` of a stretch, and chains of them.

    Mojibake between two codecs of Han characters is made of real characters,
    so a reading is only believed for all of a run of CJK text, up to ASCII or
    the line's ends: never for a few characters inside clean Chinese.  Runs
    separated by ASCII only (``婓 Basic IDE 笢妏蚚``) are also offered together
    when each loses at most :data:`WEAK_CARRY_LOSS` and reads as text on its
    own, so that a one-character run (``TRUE 麼 FALSE`` for ``TRUE 或 FALSE``)
    is carried by its neighbours; the group must pass the thresholds as a
    whole, and hold all the non-ASCII text of the line (a clean ``或``
    beside damage is not read for company when clean Chinese lies beyond it).
    """
    lm = model()

    def carried(k: int, m: int) -> bool:
        if sum(gains[k:m]) <= -WEAK_CARRY_LOSS:
            return False
        new = "".join(chosen[units[k][2] : units[m - 1][3]])
        return lm.logprob(new) / len(new) >= MIN_MEAN_LOGPROB

    yield from runs
    # Chains of runs with only ASCII between them, offered whole when they
    # hold all the non-ASCII text of the line and every run is carried: a run
    # that is not, or text the layer cannot read (clean Chinese beside the
    # damage), keeps its neighbours from being read for company.  Lines with
    # more are left to _line_consistent.
    chain: list[tuple[int, int]] = []
    for run in [*runs, (-1, -1)]:
        if run[0] >= 0 and (not chain or all(
            line[offset + units[u][0] : offset + units[u][1]].isascii()
            for u in range(chain[-1][1], run[0])
        )):
            chain.append(run)
            continue
        if (
            len(chain) > 1
            and line[: offset + units[chain[0][0]][0]].isascii()
            and line[offset + units[chain[-1][1] - 1][1] :].isascii()
            and all(carried(*r) for r in chain)
        ):
            yield chain[0][0], chain[-1][1]
        chain = [run]


def _encode_run(
    line: str, i: int, n: int, table: dict[str, bytes]
) -> tuple[int, bytearray, list[int], set[int]]:
    """Encode ``line[i:]`` with a reader table as far as it goes (up to ``n``).

    Returns the end of the run, its bytes, the byte offset of each character
    and the byte offsets of holes.  A ``?`` is a hole only right after mojibake
    (a non-ASCII character or another such hole); elsewhere it is a question.
    """
    j = i
    buf = bytearray()
    bounds = [0]
    holes: set[int] = set()
    hole_before = False
    while j < n:
        ch = line[j]
        raw = table.get(ch)
        if ch == "?" and j > i and (hole_before or not line[j - 1].isascii()):
            raw = None
        hole_before = raw is None
        if raw is None:
            if ch not in HOLE_CHARS:
                break
            holes.add(len(buf))
            raw = bytes([_HOLE_PLACEHOLDER])
        buf += raw
        bounds.append(len(buf))
        j += 1
    return j, buf, bounds, holes


def _readings(
    line: str,
    layer: Layer,
    marks: list[int],
    lo: int,
    hi: int,
    region: tuple[int, int] | None = None,
    near: bool = False,
) -> Iterator[Reading]:
    """Structurally valid readings of spans of ``line[lo:hi]`` through ``layer``.

    ``marks`` are the sorted positions of rare characters and holes: a reading
    must cover one of them.  With a ``region`` (see :func:`_focus`), only runs
    overlapping it are read; ``near`` reads only the stretches of valid
    characters that overlap it, which hold every reading that does.
    """
    values = HOLE_BYTES[layer.read]
    lm = model()
    for i, j, encodings in _reader_runs(line, lo, hi, layer.read):
        if region is not None and not (i < region[1] and j > region[0]):
            continue
        # Every reading of the run must cover a mark inside it.
        if _marked(marks, i, j):
            for run in encodings:
                yield from _run_readings(
                    line, i, run, layer, values, lm, marks, region if near else None
                )


#: The bytes of a run as :func:`_encode_run` gives them (bytes, the byte
#: offset of each character, the offsets of holes), and each character's
#: index by its byte offset.
_Encoded = tuple[bytes, list[int], frozenset[int], dict[int, int]]

#: A run of :func:`_reader_runs`: its start and end in the line, and its bytes
#: once with the reader's table and once more with its alternatives when the
#: run has characters that have some.
_ReaderRun = tuple[int, int, tuple[_Encoded, ...]]

#: Lines whose runs :func:`_reader_runs` remembers: layers that share a reader
#: (GBK for UTF-8 and for Big5 text, cp1252 for three) read the same runs.
READER_RUNS_CACHE_SIZE = 256


@lru_cache(maxsize=READER_RUNS_CACHE_SIZE)
def _reader_runs(line: str, lo: int, hi: int, reader: str) -> tuple[_ReaderRun, ...]:
    """The runs of ``line[lo:hi]`` that ``reader`` could have produced (its
    characters, or holes) and that hold a byte beyond ASCII.

    Callers only read what is returned.
    """
    table = reader_table(reader)
    alternatives = reader_alternatives(reader)
    runs: list[_ReaderRun] = []
    n = hi
    i = lo
    while i < n:
        while i < n and line[i] not in table and line[i] not in HOLE_CHARS:
            i += 1
        j, buf, bounds, holes = _encode_run(line, i, n, table)
        if j > i and not buf.isascii():
            encodings = [_encoded(buf, bounds, holes)]
            if alternatives and any(ch in alternatives for ch in line[i:j]):
                _, buf, bounds, holes = _encode_run(line, i, j, _alternative_table(reader))
                encodings.append(_encoded(buf, bounds, holes))
            runs.append((i, j, tuple(encodings)))
        i = j + 1 if j == i else j
    return tuple(runs)


#: Units :func:`_unit_logprob` remembers: every layer scores the text as it
#: stands unit by unit, and the same units come back in second readings; so
#: do the spans of candidate repairs, which several layers read alike (see
#: :func:`_context_gain`).  A damaged dev-corpus line fills 170 entries on
#: average, 1,900 at most.
UNIT_CACHE_SIZE = 1 << 15


@lru_cache(maxsize=UNIT_CACHE_SIZE)
def _unit_logprob(text: str, prev: str) -> float:
    """``model().logprob(text, prev)`` for one unit of a reading, remembered."""
    return model().logprob(text, prev)


def _encoded(buf: bytearray, bounds: list[int], holes: set[int]) -> _Encoded:
    """What :func:`_run_readings` needs of an encoded run, in the forms it uses."""
    return bytes(buf), bounds, frozenset(holes), {b: k for k, b in enumerate(bounds)}


def _marked(marks: list[int], i: int, j: int) -> bool:
    """Whether a position of the sorted ``marks`` lies in ``i:j``."""
    k = bisect_left(marks, i)
    return k < len(marks) and marks[k] < j


def _units(
    stretch: Sequence[Token], char_at_byte: dict[int, int]
) -> list[tuple[int, int, int, int]]:
    """Where a stretch of tokens and the characters it was read from both
    have a boundary: (char a, char b, token a, token b) for each unit."""
    units: list[tuple[int, int, int, int]] = []
    last_char = last_tok = -1
    for t_index, token in enumerate([None, *stretch]):
        pos = stretch[0][0] if token is None else token[1]
        if pos in char_at_byte:
            c = char_at_byte[pos]
            if last_char >= 0:
                units.append((last_char, c, last_tok, t_index))
            last_char, last_tok = c, t_index
    return units


def _run_readings(
    line: str,
    offset: int,
    run: _Encoded,
    layer: Layer,
    values: Sequence[int],
    lm: Model,
    marks: list[int],
    near: tuple[int, int] | None = None,
) -> Iterator[Reading]:
    """Readings within one run of reader characters starting at ``line[offset]``.

    A reading lies within the characters of its stretch of valid tokens; with
    ``near``, only the stretches whose characters overlap it are read.
    """
    buf, bounds, holes, char_at_byte = run
    tokens = _tokens(buf, holes, layer.written, values, layer.read)
    # Split into stretches of valid tokens.
    k = 0
    while k < len(tokens):
        if not tokens[k][2]:
            k += 1
            continue
        m = k
        while m < len(tokens) and tokens[m][2]:
            m += 1
        stretch = tokens[k:m]
        k = m
        # The stretch must cover a rare character or a hole.
        c0 = offset + bisect_right(bounds, stretch[0][0]) - 1
        c1 = offset + bisect_left(bounds, stretch[-1][1])
        if near is not None and not (c0 < near[1] and c1 > near[0]):
            continue
        if not _marked(marks, c0, c1):
            continue
        units = _units(stretch, char_at_byte)
        if not units:
            continue
        runs = _whole_runs(line, offset, units) if layer.han_to_han else []
        if layer.han_to_han and not runs:
            continue  # such a reading is believed for whole runs only
        first = offset + char_at_byte.get(stretch[0][0], 0)
        chosen, confidence = _choose(stretch, lm, line[max(0, first - CLAUSE_REACH) : first])
        gains: list[float] = []
        changed: list[int] = []  # the units the reading changes
        prev_old = prev_new = ""
        for u, (ca, cb, ta, tb) in enumerate(units):
            old = line[offset + ca : offset + cb]
            new = "".join(chosen[ta:tb])
            g = _unit_logprob(new, prev_new) - _unit_logprob(old, prev_old)
            if old == new:
                g = min(g, 0.0)
            else:
                changed.append(u)
            gains.append(g)
            prev_old, prev_new = old[-1], new[-1]
        if layer.han_to_han:
            ranges = list(_cjk_runs(line, offset, units, runs, gains, chosen))
        else:
            # The best-gaining ranges, and the whole stretch: a second layer
            # may hide behind characters the first reading finds improbable.
            ranges = list(_ranges(gains, 0, len(units)))
            whole = (changed[0], changed[-1] + 1) if changed else None
            if whole is not None and whole not in ranges:
                ranges.append(whole)
        filled = any(token[3] for token in stretch)
        for ua, ub in ranges:
            ca, cb = units[ua][0], units[ub - 1][1]
            ta, tb = units[ua][2], units[ub - 1][3]
            after = "".join(chosen[ta:tb])
            inferred = []
            pos = 0
            for t in range(ta, tb) if filled else ():
                if stretch[t][3]:
                    inferred.append((pos, chosen[t], confidence[t]))
                pos += len(chosen[t])
            yield Reading(
                offset + ca, offset + cb, after, (layer.name,), tuple(inferred),
                weak=layer.han_to_han,
            )


# --- decisions -------------------------------------------------------------------------


def _context_gain(line: str, start: int, end: int, after: str, lm: Model) -> float:
    """Log-probability gain of replacing ``line[start:end]`` by ``after``, in context.

    ``lm`` is always :func:`zhfix.lm.model`, whose scores :func:`_unit_logprob`
    remembers: several layers, and second readings, read the same span.
    """
    prev = line[start - 1] if start > 0 else ""
    nxt = line[end] if end < len(line) else ""
    return _unit_logprob(after + nxt, prev) - _unit_logprob(line[start:end] + nxt, prev)


def _looks_like_text(after: str, lm: Model, weak: bool, before: str = "") -> bool:
    """The repaired span reads as Chinese: enough CJK, and probable.

    A weak reading may bring no letter foreign to Chinese, and no other
    character of :data:`_NOT_CHINESE_RE` (box drawing, vertical forms) unless
    the span ``before`` it holds foreign letters already, which clean Chinese
    does not (``ħħ``, GBK's ``──`` read as cp949).  Such a span also needs
    only the mean log-probability of strong readings
    (:data:`MIN_MEAN_LOGPROB`, not :data:`WEAK_MIN_MEAN_LOGPROB`, which is
    set against clean Chinese): classical poetry read as GBK then Big5 keeps
    ``ㄛ`` and ``﹝`` for its commas and stops, and reads back into rare
    characters.
    """
    if len(_CJK_RE.findall(after)) < MIN_CJK_CHARS:
        return False
    if weak and (_foreign_letters(after) or (
        _NOT_CHINESE_RE.search(after) and not _foreign_letters(before)
    )):
        return False
    floor = WEAK_MIN_MEAN_LOGPROB if weak and not _foreign_letters(before) else MIN_MEAN_LOGPROB
    return _unit_logprob(after, "") / len(after) >= floor  # lm.logprob(after), remembered


def _mostly_han(text: str) -> bool:
    """At least :data:`WEAK_MIN_HAN_SHARE` of the non-ASCII characters are Han
    (or Hangul syllables, which is what cp949 makes of GBK's Han, or private
    use, which is what a reader that maps GBK's user-defined area makes of
    Big5's commonest rows), or the text mixes scripts no writer mixes (see
    :func:`_mixed_scripts`)."""
    wide = [c for c in text if not c.isascii()]
    han = sum(
        1 for c in wide if is_han(c) or "\uac00" <= c <= "\ud7a3" or "\ue000" <= c <= "\uf8ff"
    )
    return han >= WEAK_MIN_HAN_SHARE * len(wide) or _mixed_scripts(text) >= MIXED_SCRIPTS


#: Scripts GBK reads Big5's commonest rows as (A4-A8: 不, 一, 人 …); Japanese
#: writes kana, Taiwanese primers bopomofo, but none of them mixes two of
#: these in one run.
_FOREIGN_SCRIPTS = (
    re.compile("[\u3040-\u30ff]"),  # kana
    re.compile("[\u3100-\u312f\u31a0-\u31bf]"),  # bopomofo
    re.compile("[\u0370-\u03ff]"),  # Greek
    re.compile("[\u0400-\u04ff]"),  # Cyrillic
)

#: A run mixing this many of :data:`_FOREIGN_SCRIPTS` (``ㄧΑいぃす砛ㄏノ``,
#: 函式中不允許使用 read as GBK) is mojibake however few Han it holds.  On the
#: dev corpus no clean run of non-ASCII text mixes two (209k runs); of the
#: runs of 20,000 zh_hant lines read as GBK that fall below
#: :data:`WEAK_MIN_HAN_SHARE` (56k, mostly one or two characters), 2.5 % do.
MIXED_SCRIPTS = 2


def _mixed_scripts(text: str) -> int:
    """How many of :data:`_FOREIGN_SCRIPTS` occur in ``text``.

    >>> _mixed_scripts("ㄧΑいぃす砛ㄏノ"), _mixed_scripts("ひらがなとカタカナ")
    (3, 1)
    """
    return sum(1 for script in _FOREIGN_SCRIPTS if script.search(text))


def _accept(reading: Reading) -> bool:
    """Whether the gain of a reading, already computed, is enough."""
    if reading.gain < MIN_GAIN:
        return False
    return not reading.weak or reading.gain / len(reading.after) >= WEAK_MIN_GAIN_PER_CHAR


def _restore_quote(line: str, reading: Reading) -> Reading:
    """Put back a closing quote that a lost lead byte took with it.

    A decoder that reads byte pairs blindly pairs the lone last byte of a span
    with the byte after it, so ``'数据库连接失败'`` comes out as
    ``'鏁版嵁搴撹繛鎺ュけ璐?`` with no closing quote.  When the reading ends on
    a filled hole, a quote before it is unclosed, and none follows in the
    line, the quote is restored (and said so in the evidence).
    """
    end = len(reading.after) - 1
    if not reading.inferred or reading.inferred[-1][0] != end:
        return reading
    if line[reading.end - 1] not in HOLE_CHARS:
        return reading
    for quote in "'\"":
        if line.count(quote, 0, reading.start) % 2 == 1 and quote not in line[reading.end :]:
            return Reading(
                reading.start, reading.end, reading.after + quote, reading.layers,
                reading.inferred, reading.gain, reading.weak, restored=quote,
            )
    return reading


def _settle_holes(reading: Reading) -> Reading:
    """Put back the hole of a fill the model is unsure of."""
    if all(conf >= MIN_HOLE_CONFIDENCE for _, _, conf in reading.inferred):
        return reading
    chars = list(reading.after)
    kept = []
    for pos, ch, conf in reading.inferred:
        if conf < MIN_HOLE_CONFIDENCE:
            chars[pos] = "\ufffd"
        else:
            kept.append((pos, ch, conf))
    return Reading(
        reading.start, reading.end, "".join(chars), reading.layers, tuple(kept), reading.gain,
        reading.weak,
    )


def _inner(line: str, reading: Reading, depth: int) -> Reading:
    """Undo a second layer under a reading, when that reads better still.

    The line is read again with the first reading applied, so that the second
    reading may reach past it (a character the first reading left alone can
    belong to the second).
    """
    if depth <= 1 or reading.weak or not GATE.search(reading.after):
        return reading
    a, b = reading.start, reading.start + len(reading.after)
    new_line = line[:a] + reading.after + line[reading.end :]
    inner = [
        r
        for r in _repairs_around(
            new_line, depth - 1, max(0, a - INNER_REACH), min(len(new_line), b + INNER_REACH),
            a, b,
        )
        if r.start < b and r.end > a
    ]
    if not inner:
        return reading
    lo, hi = min(a, inner[0].start), max(b, inner[-1].end)
    parts: list[str] = []
    inferred: list[tuple[int, str, float]] = []
    pos = lo
    for r in inner:
        parts.append(new_line[pos : r.start])
        base = sum(len(p) for p in parts)
        inferred.extend((base + i, ch, conf) for i, ch, conf in r.inferred)
        parts.append(r.after)
        pos = r.end
    parts.append(new_line[pos:hi])
    delta = len(reading.after) - (reading.end - reading.start)
    layers = tuple(dict.fromkeys(layer for r in inner for layer in r.layers)) + reading.layers
    return Reading(
        lo, hi - delta if hi > b else reading.end, "".join(parts), layers, tuple(inferred),
        weak=any(r.weak for r in inner),
    )


#: Second readings :func:`_repairs_around` remembers: layers that read a span
#: alike (cp1252 and cp1254 differ in a few bytes) put the same text in its
#: place, and the line is then read again around it the same way.
INNER_CACHE_SIZE = 256


@lru_cache(maxsize=INNER_CACHE_SIZE)
def _repairs_around(
    line: str, depth: int, lo: int, hi: int, a: int, b: int
) -> tuple[Reading, ...]:
    """:func:`candidate_repairs` for :func:`_inner`, remembered (the readings
    are not changed once returned): those of them that overlap ``line[a:b]``
    come out as :func:`candidate_repairs` gives them, the others may not.

    Most first readings have no second layer under them.  The repairs chosen
    are among those accepted, so when no accepted reading overlaps ``a:b``
    none is chosen there either; that is found first by reading only the
    stretches that overlap ``a:b`` (:func:`_readings` with ``near``), and the
    line around is read in full only when one is.  A reading of depth one
    keeps its span (its :func:`_inner` is itself), so it lies within its
    stretch.
    """
    if depth <= 1 and not any(
        r.start < b and r.end > a for r in _accepted(line, depth, lo, hi, (a, b), near=True)
    ):
        return ()
    return tuple(_candidates(line, depth, lo, hi, (a, b)))


def _marked_spans(
    line: str, readers: Sequence[str], marks: list[int], lo: int, hi: int
) -> dict[str, list[tuple[int, int]]]:
    """Per reader, the spans of its runs in ``line[lo:hi]`` that hold a mark
    (see :func:`_run_spans`): what :func:`_focus` and :func:`_reaches` look at."""
    return {
        reader: [(i, j) for i, j in _run_spans(line, lo, hi, reader) if _marked(marks, i, j)]
        for reader in dict.fromkeys(readers)
    }


def _focus(spans: dict[str, list[tuple[int, int]]], a: int, b: int) -> tuple[int, int]:
    """The stretch whose readings decide which repairs overlapping ``a:b``
    are chosen, given each reader's marked run ``spans`` (:func:`_marked_spans`).

    A reading lies inside a run of its reader that holds a mark (see
    :func:`_readings`), and a repair is chosen over another only when they
    overlap.  So the runs that overlap ``a:b``, the runs that overlap those,
    and so on, make up an interval; the readings of the other runs overlap no
    reading of these, and leave the choice among them as it is.  Around a
    first reading of one Han character among cp1252 mojibake, the cp1252
    runs stop at that character and are not read again.
    """
    runs = [span for reader_spans in spans.values() for span in reader_spans]
    changed = True
    while changed:
        changed = False
        for i, j in runs:
            if i < b and j > a and (i < a or j > b):
                a, b = min(a, i), max(b, j)
                changed = True
    return a, b


def _run_spans(line: str, lo: int, hi: int, reader: str) -> list[tuple[int, int]]:
    """Where the runs of :func:`_reader_runs` lie, found without encoding them.

    A run goes on as long as the reader makes its characters or they are
    holes, and holds a byte beyond ASCII when it holds a character beyond
    ASCII (every ``?`` read as a hole follows one).

    >>> _run_spans("abc ÓÃ»§ 用户", 0, 10, "cp1252")
    [(0, 9)]
    """
    table = reader_table(reader)
    spans: list[tuple[int, int]] = []
    start = -1
    wide = False
    for k in range(lo, hi):
        ch = line[k]
        if ch in table or ch in HOLE_CHARS:
            if start < 0:
                start, wide = k, False
            wide = wide or ch >= "\x80"
        elif start >= 0:
            if wide:
                spans.append((start, k))
            start = -1
    if start >= 0 and wide:
        spans.append((start, hi))
    return spans


def _layers_for(line: str) -> list[Layer]:
    """The layers whose reader could have made the rare characters of ``line``.

    A layer is tried when its reader produces at least two of them (one in a
    short text; a hole counts as one), and GBK readers wherever a GBK reader's
    signature is: a
    cheap way to skip, say, the cp1252 layers on a line of rare Han
    characters.
    """
    rare = Counter(RARE_RE.findall(line))
    holes = line.count("\ufffd")
    triple = GBK_READER_RE.search(line) is not None
    need = 1 if SHORT_RE.search(line) else 2
    layers = []
    made: dict[str, int] = {}  # per reader: several layers share one
    for layer in LAYERS:
        if layer.read not in made:
            table = reader_table(layer.read)
            made[layer.read] = holes + sum(n for c, n in rare.items() if c in table)
        if made[layer.read] >= need or (triple and layer.read == "gbk"):
            layers.append(layer)
    return layers


def _promising(line: str, layer: Layer, marks: list[int], lo: int, hi: int) -> bool:
    """A cheap look, before reading a stretch through a layer with a double-byte reader.

    A few characters around each rare character (at most :data:`MAX_PROBES`)
    are read through the layer: the rare character must come out inside valid
    characters, and the reading must score better per character than the text
    as it stands.  Clean text fails this almost always, so most layers are
    skipped on most suspicious lines.  Probes and the scores of the text as
    it stands are remembered (:func:`_probe_score`, :func:`_unit_logprob`).
    """
    if layer.read not in DOUBLE_BYTE_READERS:
        return True
    table = reader_table(layer.read)
    probes = 0
    for p in marks:
        if p < lo or p >= hi:
            continue
        if line[p] in HOLE_CHARS:
            return True
        if probes >= MAX_PROBES:
            break
        probes += 1
        if line[p] not in table:
            continue  # read as byte FF, invalid in every written codec: no score
        a, b = max(lo, p - PROBE_REACH), min(hi, p + PROBE_REACH + 1)
        probe = line[a:b]
        new_score = _probe_score(probe, p - a, layer.written, layer.read)
        if new_score is not None and new_score > _unit_logprob(probe, "") / len(probe):
            return True
    return False


#: Probes :func:`_probe_score` remembers: every layer with a double-byte
#: reader probes the same rare characters, and a line read again around a
#: first reading is probed again.
PROBE_CACHE_SIZE = 1 << 14


@lru_cache(maxsize=PROBE_CACHE_SIZE)
def _probe_score(text: str, k: int, written: str, reader: str) -> float | None:
    """The log-probability per character of ``text`` read through a layer,
    or None when the reading leaves ``text[k]`` (a rare character) inside an
    invalid byte or reads nothing."""
    table = reader_table(reader)
    raws = [table.get(ch, b"\xff") for ch in text]
    start = sum(map(len, raws[:k]))
    end = start + len(raws[k])
    decoded = b"".join(raws).decode(written, "surrogateescape")
    pos = 0
    for ch in decoded:
        if pos >= end:
            break
        if "\udc80" <= ch <= "\udcff":  # an invalid byte
            if pos >= start:
                return None
            pos += 1
        else:
            pos += _byte_len(ch, written)
    new = _INVALID_BYTE_RE.sub("", decoded)
    if not new:
        return None
    return model().logprob(new) / len(new)


#: What ``surrogateescape`` decoding makes of an invalid byte.
_INVALID_BYTE_RE = re.compile("[\udc80-\udcff]")


def candidate_repairs(
    line: str, depth: int = 2, lo: int = 0, hi: int | None = None
) -> list[Reading]:
    """The repairs the model accepts in ``line[lo:hi]``, non-overlapping, in order.

    ``depth`` is how many layers of mojibake may be undone in one span.

    >>> [(r.after, r.layers) for r in candidate_repairs("鏂囦欢涓婁紶鎴愬姛")]
    [('文件上传成功', ('utf-8>gbk',))]
    """
    return _candidates(line, depth, lo, hi, None)


def _candidates(
    line: str, depth: int, lo: int, hi: int | None, focus: tuple[int, int] | None
) -> list[Reading]:
    """:func:`candidate_repairs`; with ``focus`` (a, b), only the repairs
    overlapping ``line[a:b]`` are sure to be those it gives (see :func:`_focus`)."""
    accepted = list(_accepted(line, depth, lo, hi, focus))
    accepted.sort(key=lambda r: -r.gain)
    chosen: list[Reading] = []
    for r in accepted:
        if all(r.end <= c.start or c.end <= r.start for c in chosen):
            chosen.append(r)
    return sorted(chosen, key=lambda r: r.start)


def _accepted(
    line: str,
    depth: int,
    lo: int,
    hi: int | None,
    focus: tuple[int, int] | None,
    near: bool = False,
) -> Iterator[Reading]:
    """The readings :func:`_candidates` accepts, before it chooses among them.

    With ``near``, only those read from stretches overlapping ``focus`` (see
    :func:`_readings`): the runs that only overlap these are not read.
    """
    lm = model()
    hi = len(line) if hi is None else hi
    layers, marks, spans, promising = _plan(line, lo, hi, focus is not None)
    region = None
    if focus is not None:
        region = focus if near else _focus(spans, *focus)
    for layer in layers:
        if region is not None and not _reaches(spans[layer.read], region):
            continue
        hopeful = promising.get(layer.name)
        if hopeful is None:
            hopeful = promising[layer.name] = _promising(line, layer, marks, lo, hi)
        if not hopeful:
            continue
        for reading in _readings(line, layer, marks, lo, hi, region, near):
            reading = _inner(line, reading, depth)
            # Whether the reading is Chinese is judged with every hole filled:
            # a character the model is unsure of goes back to a hole below,
            # and the hole would count against a sound reading.
            filled = reading.after
            reading = _restore_quote(line, _settle_holes(reading))
            before = line[reading.start : reading.end]
            if reading.after == before:
                continue
            if (
                layer.read in NEEDS_HAN_READERS
                and len(before) < NEEDS_HAN_BELOW
                and not any(is_han(c) for c in before)
            ):
                continue
            if not _looks_like_text(filled, lm, reading.weak, before):
                continue
            if sum(before.count(h) for h in HOLE_CHARS) > _hole_fraction(layer) * len(before):
                continue
            if reading.weak and not _mostly_han(before):
                continue
            reading.gain = _context_gain(line, reading.start, reading.end, reading.after, lm)
            if _accept(reading):
                yield reading


#: Lines :func:`_plan` remembers: a line around a first reading is read near
#: it first, and again in full when a second reading may be there.
PLAN_CACHE_SIZE = 64


@lru_cache(maxsize=PLAN_CACHE_SIZE)
def _plan(
    line: str, lo: int, hi: int, with_spans: bool
) -> tuple[list[Layer], list[int], dict[str, list[tuple[int, int]]], dict[str, bool]]:
    """What :func:`_accepted` reads ``line[lo:hi]`` by: the layers to try
    (:func:`_layers_for`), the sorted marks, each reader's marked run spans
    when ``with_spans`` (:func:`_marked_spans`), and a table of
    :func:`_promising` per layer name, filled as the layers are looked at.

    All depend on the line and the bounds alone, so a line read twice is
    looked at once; callers only read them, and fill the table.
    """
    layers = _layers_for(line)
    if not layers:
        return [], [], {}, {}
    # Marks outside lo:hi are never looked at: rare characters and holes are
    # looked for there only (a line is read again around each first reading).
    marks = [m.start() for m in RARE_RE.finditer(line, lo, hi)]
    marks += [i for i in range(lo, hi) if line[i] in HOLE_CHARS]
    marks += [i for m in GBK_READER_RE.finditer(line) for i in range(*m.span())]
    marks.sort()
    spans: dict[str, list[tuple[int, int]]] = {}
    if with_spans:
        spans = _marked_spans(line, [layer.read for layer in layers], marks, lo, hi)
    return layers, marks, spans, {}


def _hole_fraction(layer: Layer) -> float:
    """:data:`MAX_HOLE_FRACTION` of the layer's written codec."""
    if layer.written in _DOUBLE_BYTE_WRITERS:
        return MAX_HOLE_FRACTION_DOUBLE_BYTE
    return MAX_HOLE_FRACTION


def _reaches(spans: list[tuple[int, int]], region: tuple[int, int]) -> bool:
    """Whether one of a reader's marked run ``spans`` overlaps ``region``."""
    return any(i < region[1] and j > region[0] for i, j in spans)


def read_back(text: str, layer: Layer) -> str | None:
    """``text`` read back through ``layer`` as a whole, or None when it does not fit.

    Every character must be one the reader makes, and their bytes must make
    characters of the written codec with nothing left over.

    >>> read_back("每", Layer("gbk", "big5")), read_back("한", Layer("gbk", "big5"))
    ('–', None)
    """
    table = reader_table(layer.read)
    raw = b"".join(table.get(ch, b"\xff") for ch in text)
    try:
        after = raw.decode(layer.written)
    except UnicodeDecodeError:
        return None
    return after if all(map(_plausible, after)) else None


#: A run of non-ASCII characters, up to ASCII or the line's ends.
_WIDE_RUN_RE = re.compile("[^\x00-\x7f]+")


def _foreign_letters(text: str) -> int:
    """Letters of :data:`_NOT_CHINESE_RE` in ``text``: Hangul, kana, bopomofo,
    Greek, Latin beyond ASCII (``쭯``, ``ĳ``), which Chinese writers rarely
    put among Han but double-byte readers make of Chinese."""
    return sum(1 for c in _NOT_CHINESE_RE.findall(text) if unicodedata.category(c)[0] == "L")


def _carried(line: str, a: int, b: int, after: str, lm: Model) -> bool:
    """Whether ``line[a:b]``, a run of a line with an accepted weak reading,
    is read as ``after`` through the same layer.

    - A reading may not bring letters foreign to Chinese (kana, Hangul,
      bopomofo …; dashes and box drawing are fine: ``每`` is GBK's ``–``
      read as Big5).
    - One character read as one punctuation mark or symbol is taken when the
      character is a foreign letter (``쭯`` among GBK read as cp949, ``ĳ``
      for ``│``), and a Han character set off by spaces read as a dash
      (``格式 每 版面``): that is how dashes are written, and the model has
      no measure of such marks (``–`` scores as low as an unknown
      character).  Common Han characters read as other symbols (``和`` as
      ``㎝``, ``或`` as ``┪``) are left to the model.
    - A run holding foreign letters (``η顶`` among Big5 read as GBK) scores
      so low as it stands that any reading gains, so the reading must gain
      and read as text on its own: a mean log-probability of at least
      :data:`MIN_MEAN_LOGPROB`, or no rare Han character (:data:`RARE_RE`,
      what mojibake is made of) for short readings the mean is unfair to
      (``쇯`` for 欄).  A Korean word next to GBK read as cp949 reads as
      rare characters (``오류`` as 坷幅) and is left.
    - Any other run may lose at most :data:`LINE_CARRY_LOSS` nats (``麼``
      for ``或`` reads about as well either way; clean Chinese read through
      a weak layer loses far more).
    """
    if _foreign_letters(after):
        return False
    before = line[a:b]
    foreign = _foreign_letters(before) > 0
    if len(before) == 1 and len(after) == 1 and unicodedata.category(after)[0] in "PS":
        spaced = (a == 0 or line[a - 1].isspace()) and (b == len(line) or line[b].isspace())
        if foreign or (spaced and is_han(before) and unicodedata.category(after) == "Pd"):
            return True
    gain = _context_gain(line, a, b, after, lm)
    if foreign:
        return gain > 0 and (
            lm.logprob(after) / len(after) >= MIN_MEAN_LOGPROB
            or not any(is_han(c) and RARE_RE.match(c) for c in after)
        )
    return gain >= -LINE_CARRY_LOSS


def _line_consistent(line: str, repairs: Sequence[Reading], lm: Model) -> list[Reading]:
    """More runs of ``line`` read through the weak layer its repairs were read through.

    A line is written and read with one pair of codecs, so once a
    :attr:`Layer.han_to_han` reading is accepted for part of it, the other
    runs of non-ASCII text (up to ASCII or the line's ends, see
    :data:`_WIDE_RUN_RE`) may be read through the layer as well.  A run
    holding letters foreign to Chinese (Hangul, kana …) is read when it is
    :func:`_carried`; the other runs left between two repairs, or between a
    repair and the line's end, are read all together or not at all: each must
    read back whole and be carried (or read back as it is).  So a clean word
    next to damage (``或`` reads as well as ``麼``) stays clean when clean
    Chinese lies beyond it, as it does when the damage is a span inside a
    clean line.
    """
    support: dict[str, float] = {}
    for r in repairs:
        if r.weak and len(r.layers) == 1 and not r.line_gain:
            support[r.layers[0]] = max(support.get(r.layers[0], 0.0), r.gain)
    if not support:
        return []
    taken = [(r.start, r.end) for r in repairs]
    found: list[Reading] = []
    for name, line_gain in sorted(support.items(), key=lambda kv: -kv[1]):
        layer = next(layer for layer in LAYERS if layer.name == name)
        # Runs of foreign letters carry their own evidence: read them first.
        for run in _free_runs(line, taken):
            if run is not None and _foreign_letters(line[run[0] : run[1]]):
                carried = _carry_run(line, run, layer, line_gain, lm)
                if carried is not None:
                    found.append(carried)
                    taken.append(run)
        # Then the runs between two repairs, all together or not at all.
        group: list[tuple[int, int]] = []
        for run in [*_free_runs(line, taken), None]:
            if run is not None:
                group.append(run)
                continue
            readings = [_carry_run(line, g, layer, line_gain, lm) for g in group]
            if all(
                r is not None or read_back(line[a:b], layer) == line[a:b]
                for r, (a, b) in zip(readings, group, strict=True)
            ):
                kept = [r for r in readings if r is not None]
                found += kept
                taken += [(r.start, r.end) for r in kept]
            group = []
    return found


def _free_runs(line: str, taken: Sequence[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """The runs of :data:`_WIDE_RUN_RE` in ``line``, None for those overlapping ``taken``."""
    runs: list[tuple[int, int] | None] = []
    for m in _WIDE_RUN_RE.finditer(line):
        a, b = m.span()
        runs.append(None if any(a < e and s < b for s, e in taken) else (a, b))
    return runs


def _carry_run(
    line: str, run: tuple[int, int], layer: Layer, line_gain: float, lm: Model
) -> Reading | None:
    """``line[a:b]`` read through ``layer``, when it reads back whole, changes and
    is :func:`_carried`."""
    a, b = run
    after = read_back(line[a:b], layer)
    if after is None or after == line[a:b] or not _carried(line, a, b, after, lm):
        return None
    gain = _context_gain(line, a, b, after, lm)
    return Reading(a, b, after, (layer.name,), gain=gain, weak=True, line_gain=line_gain)


# --- the gate and the fixer ----------------------------------------------------------------


def _rare_class() -> str:
    """A regex class of the rare characters mojibake is made of.

    ``data/lm.rare.txt`` is generated by ``scripts/build_lm.py`` with the model
    (:data:`RARE_LOGPROB`) and lists code point ranges.
    """
    data = resources.files("zhfix.data").joinpath("lm.rare.txt").read_text(encoding="utf-8")
    parts: list[str] = []
    for line in data.splitlines():
        if not line or line.startswith("#"):
            continue
        lo, _, hi = line.partition("-")
        part = re.escape(chr(int(lo, 16)))
        if hi:
            part += "-" + re.escape(chr(int(hi, 16)))
        parts.append(part)
    return "[" + "".join(parts) + "]"


def _decodings(leads: range, trails: range, codecs: Sequence[str]) -> str:
    """A regex class of the characters ``codecs`` make of these byte pairs."""
    chars: set[str] = set()
    for lead in leads:
        for trail in trails:
            for codec in codecs:
                try:
                    ch = bytes([lead, trail]).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1:
                    chars.add(ch)
                break
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _utf8_as_gbk_pattern() -> str:
    """Three characters in the pattern UTF-8 read as GBK leaves.

    Two CJK characters of UTF-8 (``L C C L C C``, L a lead byte E3-E9, C a
    continuation byte) read as GBK pairs ``LC``, ``CL``, ``CC``.  On the dev
    corpus this triple occurs in 7 of 99k clean lines and in 99.7 % of damaged
    spans of four to six Han characters, whether or not their characters are
    rare.
    """
    gbk = DOUBLE_BYTE_READERS["gbk"]
    lead, cont = range(0xE3, 0xEA), range(0x80, 0xC0)
    return _decodings(lead, cont, gbk) + _decodings(cont, lead, gbk) + _decodings(cont, cont, gbk)


def _big5_as_gbk_pattern() -> str:
    """A Han character next to a symbol GBK reads from Big5's commonest rows.

    Big5 rows A4-A8 hold the commonest characters (不, 一, 人 …); GBK reads
    them as kana, Greek, Cyrillic, pinyin and bopomofo (``匡拒 [浪跌]``,
    ``陪ボ/留旅瓜ㄒ``).  On the dev corpus such a symbol touches a Han
    character in 38 of 99k clean lines and in 80 % of damaged spans of four to
    six Han characters (the rare-pair gate finds most of the others).
    """
    symbols = _big5_symbols()
    return f"{_BIG5_HAN}[{symbols}]|[{symbols}]{_BIG5_HAN}"


_BIG5_HAN = "[\u4e00-\u9fff]"


def _big5_symbols() -> str:
    """The body of a regex class: the symbols of :func:`_big5_as_gbk_pattern`."""
    gbk = DOUBLE_BYTE_READERS["gbk"]
    symbols = _decodings(range(0xA4, 0xA9), range(0xA1, 0xFF), gbk)[1:-1]
    symbols += _decodings(range(0xA8, 0xAA), range(0x40, 0xA1), gbk)[1:-1]
    return symbols


def _short_pattern() -> str:
    """A whole text of at most 2 * :data:`SHORT_REACH` + 1 characters with a
    rare one in it: a field value such as ``扢离`` (设置, GBK read as Big5)."""
    rare = _rare_class()
    return f"\\A[^\\n]{{0,{SHORT_REACH}}}{rare}[^\\n]{{0,{SHORT_REACH}}}\\Z"


#: What decoding errors leave: U+FFFD, private-use characters, C1 controls.
_DECODING_ERRORS = "\ufffd\ue000-\uf8ff\x80-\x9f"


def _gate() -> re.Pattern[str]:
    """Two rare characters close together, a signature of a GBK reader, a
    short text with a rare character, or what decoding errors leave."""
    rare = _rare_class()
    return re.compile(
        f"{rare}.{{0,{GATE_GAP}}}{rare}|{GBK_READER_SIGNATURES}|{_short_pattern()}"
        f"|[{_DECODING_ERRORS}]"
    )


UTF8_AS_GBK = _utf8_as_gbk_pattern()
#: Patterns that GBK readers leave whether or not their characters are rare.
GBK_READER_SIGNATURES = f"{UTF8_AS_GBK}|{_big5_as_gbk_pattern()}"
UTF8_AS_GBK_RE = re.compile(UTF8_AS_GBK)
GBK_READER_RE = re.compile(GBK_READER_SIGNATURES)
SHORT_RE = re.compile(_short_pattern())
GATE = _gate()
#: Longest text :data:`SHORT_RE` can match.
_SHORT_MAX = 2 * SHORT_REACH + 1


def _lead() -> Lead:
    """The gate less its short-text branch, with every branch led by a class.

    The Big5 branch ``Han symbol`` is turned round to start at the symbol
    (a lookbehind finds the Han character), so that every match starts with a
    rare character, the first character of a UTF-8-as-GBK triple, a Big5
    symbol or a decoding error: :func:`first_class_pattern` then scans clean
    text about eight times faster than :data:`GATE` (zh_hans.dev, line by line).
    Its matches start where the gate's do, or (Big5) one character later, on
    the same line.
    """
    rare = _rare_class()
    symbols = _big5_symbols()
    lead = _decodings(range(0xE3, 0xEA), range(0x80, 0xC0), DOUBLE_BYTE_READERS["gbk"])
    big5 = f"[{symbols}](?<={_BIG5_HAN}.)|[{symbols}]{_BIG5_HAN}"
    pattern = (
        f"{rare}.{{0,{GATE_GAP}}}{rare}|{UTF8_AS_GBK}|{big5}|[{_DECODING_ERRORS}]"
    )
    first = rare[1:-1] + lead[1:-1] + symbols + _DECODING_ERRORS
    return Lead(first, pattern, short=_SHORT_MAX)


#: The gate less its short-text branch, led by one class (see :func:`_lead`).
LEAD = _lead()
_FAST_GATE = first_class_pattern(LEAD.first, LEAD.pattern)


def gate_test(text: str) -> bool:
    """Whether :data:`GATE` finds anything in ``text``, answered faster.

    >>> gate_test("上传失败，原因：鏂囦欢"), gate_test("上传失败。")
    (True, False)
    """
    if len(text) <= _SHORT_MAX and SHORT_RE.search(text):
        return True
    return _FAST_GATE.search(text) is not None

#: One rare character (see :data:`RARE_LOGPROB`).
RARE_RE = re.compile(_rare_class())


def suspicious_spots(line: str) -> list[tuple[int, int]]:
    """What the gate finds in ``line``, less what clean text is known to have.

    Two rare characters that form a word the model knows (骷髅, 蜥蜴) or repeat
    one character (萋萋, 赳赳, a reduplication of classical poetry) are left
    out; on the dev corpus this leaves a third of the gate's clean lines.

    >>> suspicious_spots("古堡里挂着骷髅，院子里芳草萋萋。")
    []
    >>> suspicious_spots("上传失败，原因：鏂囦欢")
    [(8, 10), (8, 11)]
    """
    bigram = model().bigram
    spots = [m.span() for m in GBK_READER_RE.finditer(line)]
    if SHORT_RE.search(line):
        spots.append((0, len(line)))
    for m in GATE.finditer(line):
        g = m.group()
        if len(g) >= 2 and not GBK_READER_RE.fullmatch(g):
            if g[0] == g[-1]:
                continue
            if any((g[k] + g[k + 1]).lower() in bigram for k in range(len(g) - 1)):
                continue
        spots.append(m.span())
    return sorted(spots)


def regions(line: str) -> list[tuple[int, int]]:
    """Stretches of ``line`` worth reading: :data:`WINDOW` around each suspicious spot."""
    merged: list[tuple[int, int]] = []
    for s, e in suspicious_spots(line):
        lo, hi = max(0, s - WINDOW), min(len(line), e + WINDOW)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    """Lines of ``text`` that the gate finds something in, as (start, end).

    No match of the gate spans a line break, so the lines are those the fast
    pattern finds something in, or the whole text when it is short enough
    for :data:`SHORT_RE`.
    """
    if len(text) <= _SHORT_MAX and SHORT_RE.search(text):
        yield 0, len(text)
        return
    start = 0
    for m in _FAST_GATE.finditer(text):
        if m.start() < start:
            continue
        s = text.rfind("\n", 0, m.start()) + 1
        e = text.find("\n", m.end())
        e = len(text) if e < 0 else e
        yield s, e
        start = e


@register("mojibake", switch="fix_mojibake", gate=GATE, test=gate_test, lead=LEAD)
def fix_mojibake(text: str, config: FixConfig) -> Step | None:
    """Repair CJK mojibake span by span; see the module docstring."""
    edits: list[Edit] = []
    for s, e in _line_spans(text):
        line = text[s:e]
        for r in _line_repairs(line):
            evidence: dict[str, Any] = {
                "chain": ",".join(r.layers),
                "gain_nats": round(r.gain, 1),
            }
            confidence = 1.0 - math.exp(-r.gain / CONFIDENCE_SCALE)
            if r.line_gain:
                # Carried by the line: as sure as the line read whole is.
                evidence["line_gain_nats"] = round(r.line_gain, 1)
                confidence = 1.0 - math.exp(-(r.line_gain + min(r.gain, 0.0)) / CONFIDENCE_SCALE)
            if r.restored:
                evidence["restored"] = r.restored
            if r.inferred:
                evidence["inferred"] = [
                    {"index": pos, "char": ch, "confidence": round(conf, 3)}
                    for pos, ch, conf in r.inferred
                ]
                confidence = min(confidence, *(conf for _, _, conf in r.inferred))
            edits.append(
                Edit(s + r.start, s + r.end, line[r.start : r.end], r.after,
                     round(confidence, 3), evidence)
            )
    if not edits:
        return None
    return Step("mojibake", tuple(edits))


#: Lines whose repairs :func:`_line_repairs` keeps: a whole text is read
#: again in each round of the pipeline, and a line seldom changes.
LINE_CACHE_SIZE = 4096


@lru_cache(maxsize=LINE_CACHE_SIZE)
def _line_repairs(line: str) -> tuple[Reading, ...]:
    """The repairs of one line: they depend on nothing else (not on the config)."""
    repairs: list[Reading] = []
    for lo, hi in regions(line):
        # The region and one character on each side, for context.
        a, b = max(0, lo - 1), min(len(line), hi + 1)
        for r in candidate_repairs(line[a:b], 2, lo - a, hi - a):
            repairs.append(replace(r, start=r.start + a, end=r.end + a))
    if any(r.weak for r in repairs):
        repairs += _line_consistent(line, repairs, model())
        repairs.sort(key=lambda r: r.start)
    return tuple(repairs)


def fix(text: str) -> str:
    """Repair the mojibake in ``text`` with the default configuration."""
    step = fix_mojibake(text, FixConfig())
    return text if step is None else apply_edits(text, step.edits)


__all__ = ["GATE", "LAYERS", "Layer", "candidate_repairs", "fix", "fix_mojibake", "reader_table"]
