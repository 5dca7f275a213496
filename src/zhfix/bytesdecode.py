"""Decode raw bytes of unknown or mixed encoding into Chinese text.

Files met in the wild are UTF-8, GBK/GB18030 or Big5, sometimes UTF-16 with a
byte order mark, and sometimes a mixture: a log that gained GBK lines from one
program and UTF-8 lines from another.  Whole-file detectors (charset-normalizer,
chardet) pick one encoding for everything and struggle on short lines, where
GBK and Big5 are both structurally valid.  zhfix decodes segment by segment:

1. a byte order mark settles the whole input (UTF-8, UTF-16, UTF-32);
2. otherwise each line is decoded with every candidate codec in which it is
   valid, and the reading most probable under the character model of
   :mod:`zhfix.lm` wins (:func:`text_cost`), UTF-8 earning a small bonus for its
   self-checking structure;
3. a line that no codec decodes whole is cut into runs, each decoded with the
   best codec, by a shortest-path search over byte positions; bytes that no
   codec accepts become U+FFFD and are reported in
   :attr:`DecodedBytes.undecodable`.

:func:`decode_bytes` never raises on any ``bytes``; :func:`fix_bytes` decodes
and then repairs the text with :func:`zhfix.fix_text`.

>>> decode_bytes("用户不存在".encode("gbk")).text
'用户不存在'
>>> decode_bytes("用戶不存在".encode("big5")).segments[0].encoding
'big5'
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zhfix import lm
from zhfix.config import FixConfig

#: Candidate codecs, in order of preference when two decodings cost the same.
#: ``gb18030`` and ``cp950`` extend ``gbk`` and ``big5``; they are tried too,
#: and identical decodings are merged.
CANDIDATES: tuple[str, ...] = ("utf-8", "gbk", "big5", "gb18030", "cp950")

# Costs are negative natural log-probabilities under :mod:`zhfix.lm`, the
# character model of written Chinese (a common Han character costs about 5-8
# nats, a rare one 15-20, U+FFFD or a control 25).  The constants below were set
# on bench/bytes_accuracy.py (corpus lines of zh_hans.dev.txt and
# zh_hant.dev.txt encoded in GBK and Big5, and mixed-encoding lines made from
# them); the accuracy there is flat for values within a factor of two.

#: A byte no candidate decodes, replaced by U+FFFD: dearer than any character.
COST_INVALID_BYTE = 30.0
#: Changing codec in the middle of a line: mixed lines are rare, so a switch
#: must pay for itself by a character or two that decode far better.
COST_SWITCH = 12.0
#: Discount per character decoded as multi-byte UTF-8: UTF-8 is self-checking,
#: so a valid multi-byte sequence is evidence by itself.
UTF8_BONUS = 2.0

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Segment:
    """Bytes ``start:end`` of the input were decoded with ``encoding``.

    ``encoding`` is ``"ascii"`` for segments of plain ASCII, which every
    candidate decodes alike.
    """

    start: int
    end: int
    encoding: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "encoding": self.encoding}


@dataclass(frozen=True)
class DecodedBytes:
    """The result of :func:`decode_bytes`.

    - ``text``: the decoded text;
    - ``segments``: which codec decoded which bytes (adjacent segments of the same
      codec merged);
    - ``undecodable``: byte ranges ``(start, end)`` that no codec accepted, each
      replaced by one U+FFFD per byte;
    - ``bom``: the encoding named by a byte order mark, if there was one.
    """

    text: str
    segments: tuple[Segment, ...]
    undecodable: tuple[tuple[int, int], ...] = ()
    bom: str | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def encodings(self) -> tuple[str, ...]:
        """The codecs used, in order of first use, without ``"ascii"``.

        >>> decode_bytes("文件".encode() + b"\\n" + "用户".encode("gbk")).encodings
        ('utf-8', 'gbk')
        """
        seen: list[str] = []
        for seg in self.segments:
            if seg.encoding != "ascii" and seg.encoding not in seen:
                seen.append(seg.encoding)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
            "undecodable": [list(r) for r in self.undecodable],
            "bom": self.bom,
        }


# --- plausibility of decoded text ------------------------------------------------


def char_cost(ch: str) -> float:
    """How implausible one character is in Chinese text, without context.

    >>> char_cost("的") < char_cost("鏂") < char_cost("\ufffd")
    True
    """
    return -lm.char_logprob(ch)


def text_cost(text: str) -> float:
    """Total implausibility of ``text`` as Chinese (nats); lower is better.

    >>> text_cost("用户不存在") < text_cost("鐢ㄦ埛涓嶅瓨鍦")
    True
    """
    return -lm.logprob(text)


def utf8_multibyte(text: str) -> int:
    """How many characters of ``text`` take more than one byte in UTF-8."""
    return sum(1 for ch in text if ord(ch) >= 0x80)


def candidate_cost(text: str, codec: str) -> float:
    """:func:`text_cost`, less the bonus UTF-8 earns by its self-checking structure."""
    cost = text_cost(text)
    if codec == "utf-8":
        cost -= UTF8_BONUS * utf8_multibyte(text)
    return cost


def best_decoding(data: bytes, candidates: Sequence[str] = CANDIDATES) -> tuple[str, str] | None:
    """``(codec, text)`` of the cheapest strict decoding of ``data``, or None.

    >>> best_decoding("文件".encode("utf-8"))
    ('utf-8', '文件')
    >>> best_decoding("文件".encode("gbk"))
    ('gbk', '文件')
    >>> best_decoding(b"\\xff\\xff") is None
    True
    """
    best: tuple[float, str, str] | None = None
    seen: set[str] = set()
    for codec in candidates:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if text in seen:
            continue
        seen.add(text)
        cost = candidate_cost(text, codec)
        if best is None or cost < best[0]:
            best = (cost, codec, text)
    return None if best is None else (best[1], best[2])


# --- decoding runs within a line ---------------------------------------------------


def _char_len(data: bytes, i: int, codec: str) -> int:
    """Length of the character starting at ``data[i]`` under ``codec`` (0: invalid)."""
    b = data[i]
    if b < 0x80:
        return 1
    if codec == "utf-8":
        n = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
    elif codec == "gb18030" and i + 1 < len(data) and 0x30 <= data[i + 1] <= 0x39:
        n = 4
    else:
        n = 2
    if n == 0 or i + n > len(data):
        return 0
    try:
        data[i : i + n].decode(codec)
    except UnicodeDecodeError:
        return 0
    return n


def decode_pieces(
    data: bytes, candidates: Sequence[str] = CANDIDATES
) -> tuple[float, list[tuple[int, int, str, str]]]:
    """Cut a line into runs, each decoded with its best codec.

    A shortest path over byte positions: from each position, one character of a
    codec costs :func:`char_cost` (less :data:`UTF8_BONUS` for multi-byte UTF-8),
    plus :data:`COST_SWITCH` when the codec changes; an undecodable byte costs
    :data:`COST_INVALID_BYTE`.  Returns the total cost and ``(start, end, codec,
    text)`` pieces; ``codec`` is ``""`` for bytes no codec accepts.

    >>> cost, pieces = decode_pieces("文件".encode() + "用户".encode("gbk"))
    >>> [(codec, text) for _, _, codec, text in pieces]
    [('utf-8', '文件'), ('gbk', '用户')]
    """
    n = len(data)
    inf = math.inf
    k = len(candidates)
    invalid = k
    # cost[i][c]: cheapest decoding of data[:i] whose last character came from
    # codec c (index k: an undecodable byte); back[i][c]: (start, previous state, char).
    cost = [[inf] * (k + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (k + 1) for _ in range(n + 1)]
    cost[0] = [0.0] * (k + 1)
    for i in range(n):
        row = cost[i]
        best_state = min(range(k + 1), key=row.__getitem__)
        best = row[best_state]
        if best == inf:
            continue
        switch = best + (COST_SWITCH if i > 0 else 0.0)
        for c, codec in enumerate(candidates):
            m = _char_len(data, i, codec)
            if not m:
                continue
            ch = data[i : i + m].decode(codec)
            step = char_cost(ch) - (UTF8_BONUS if codec == "utf-8" and m > 1 else 0.0)
            prev, base = (c, row[c]) if row[c] <= switch else (best_state, switch)
            if base + step < cost[i + m][c]:
                cost[i + m][c] = base + step
                back[i + m][c] = (i, prev, ch)
        if best + COST_INVALID_BYTE < cost[i + 1][invalid]:
            cost[i + 1][invalid] = best + COST_INVALID_BYTE
            back[i + 1][invalid] = (i, best_state, "\ufffd")
    state = min(range(k + 1), key=cost[n].__getitem__)
    total = cost[n][state]
    pieces: list[tuple[int, int, str, list[str]]] = []
    pos = n
    while pos > 0:
        link = back[pos][state]
        if link is None:  # pragma: no cover - every position is reachable
            raise AssertionError("no path through the line")
        start, prev, ch = link
        codec = candidates[state] if state < k else ""
        if pieces and pieces[-1][2] == codec:
            pieces[-1][3].append(ch)
            pieces[-1] = (start, pieces[-1][1], codec, pieces[-1][3])
        else:
            pieces.append((start, pos, codec, [ch]))
        pos, state = start, prev
    pieces.reverse()
    return total, [(a, b, codec, "".join(reversed(chars))) for a, b, codec, chars in pieces]


# --- whole input -------------------------------------------------------------------


class _Builder:
    """Collects decoded pieces, merging segments and undecodable ranges."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self.undecodable: list[tuple[int, int]] = []

    def add(self, start: int, end: int, encoding: str, text: str) -> None:
        if start == end:
            return
        start += self.offset
        end += self.offset
        self.parts.append(text)
        if not encoding:
            if self.undecodable and self.undecodable[-1][1] == start:
                self.undecodable[-1] = (self.undecodable[-1][0], end)
            else:
                self.undecodable.append((start, end))
            encoding = "undecodable"
        if self.segments and self.segments[-1].encoding == encoding:
            self.segments[-1] = Segment(self.segments[-1].start, end, encoding)
        else:
            self.segments.append(Segment(start, end, encoding))

    def result(self, bom: str | None) -> DecodedBytes:
        return DecodedBytes(
            text="".join(self.parts),
            segments=tuple(self.segments),
            undecodable=tuple(self.undecodable),
            bom=bom,
        )


def _decode_with_bom(data: bytes, codec: str, out: _Builder) -> None:
    """Decode with one codec, replacing each invalid byte range by U+FFFD per byte."""
    pos = 0
    while pos < len(data):
        try:
            out.add(pos, len(data), codec, data[pos:].decode(codec))
            return
        except UnicodeDecodeError as err:
            if err.start:
                out.add(pos, pos + err.start, codec, data[pos : pos + err.start].decode(codec))
            bad_end = pos + max(err.end, err.start + 1)
            out.add(pos + err.start, bad_end, "", "\ufffd" * (bad_end - pos - err.start))
            pos = bad_end


#: Two UTF-8 encoded characters of three bytes in a row: in a line that is not
#: valid UTF-8 as a whole, a sign that UTF-8 text may be mixed with another codec.
_UTF8_PAIR = re.compile(rb"(?:[\xe0-\xef][\x80-\xbf]{2}){2}")


def _decode_line(line: bytes, start: int, out: _Builder) -> None:
    if line.isascii():
        out.add(start, start + len(line), "ascii", line.decode("ascii"))
        return
    found = best_decoding(line)
    if found is not None and (found[0] == "utf-8" or not _UTF8_PAIR.search(line)):
        out.add(start, start + len(line), found[0], found[1])
        return
    total, pieces = decode_pieces(line)
    if found is not None and candidate_cost(found[1], found[0]) <= total:
        out.add(start, start + len(line), found[0], found[1])
        return
    for a, b, codec, text in pieces:
        if codec and line[a:b].isascii():
            codec = "ascii"
        out.add(start + a, start + b, codec, text)


def decode_bytes(data: bytes) -> DecodedBytes:
    """Decode ``data`` of unknown or mixed encoding; never raises on bytes.

    Signature: ``decode_bytes(data: bytes) -> DecodedBytes``; the decoded text is
    ``.text`` (also ``str(result)``), the codec of each byte range ``.segments``,
    and byte ranges that no codec accepts (each byte replaced by U+FFFD)
    ``.undecodable``.  ``bytearray`` and ``memoryview`` are accepted too.

    >>> d = decode_bytes("文件 OK\\n".encode() + "用户".encode("gbk") + b"\\xff")
    >>> d.text
    '文件 OK\\n用户\\ufffd'
    >>> [s.encoding for s in d.segments], d.undecodable
    (['utf-8', 'gbk', 'undecodable'], ((14, 15),))
    >>> decode_bytes(codecs.BOM_UTF16_LE + "中文".encode("utf-16-le")).text
    '中文'
    """
    if isinstance(data, str):
        raise TypeError("decode_bytes takes bytes; this is already a str: use zhfix.fix_text")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_bytes takes bytes, not {type(data).__name__}")
    data = bytes(data)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            out = _Builder(offset=len(bom))
            _decode_with_bom(data[len(bom) :], codec, out)
            return out.result(bom=codec.removesuffix("-le").removesuffix("-be"))
    out = _Builder()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if data.isascii() or _utf8_is_plausible(text):
            out.add(0, len(data), "ascii" if data.isascii() else "utf-8", text)
            return out.result(bom=None)
    pos = 0
    for line in data.splitlines(keepends=True):
        for piece in _pieces(line):
            _decode_line(piece, pos, out)
            pos += len(piece)
    return out.result(bom=None)


#: Lines longer than this are decoded in pieces, so that time and memory stay
#: bounded on a file without line breaks (the shortest-path search keeps a few
#: numbers per byte).  Pieces end at an ASCII byte below 0x40, which is never
#: part of a multi-byte character in UTF-8, GBK or Big5.
MAX_PIECE_BYTES = 4096

_SAFE_CUT = re.compile(rb"[\x00-\x3f]")


def _pieces(line: bytes) -> list[bytes]:
    """``line`` cut into pieces of at most about :data:`MAX_PIECE_BYTES`.

    >>> [len(p) for p in _pieces(b"ab " * 3000)]
    [4095, 4095, 810]
    """
    if len(line) <= MAX_PIECE_BYTES:
        return [line]
    pieces: list[bytes] = []
    start = 0
    while len(line) - start > MAX_PIECE_BYTES:
        end = start + MAX_PIECE_BYTES
        # The last safe byte within the limit; a hard cut if there is none.
        cut = max((m.end() for m in _SAFE_CUT.finditer(line, start, end)), default=end)
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return pieces


#: A whole input that is valid UTF-8 is taken as UTF-8 at once when at least
#: this share of its non-ASCII characters are known to :mod:`zhfix.lm`.  Longer
#: GBK or Big5 text is almost never valid UTF-8; a short line may be, and then
#: decodes to Latin or Greek letters the model does not know, so it goes through
#: the line-by-line comparison.
UTF8_FAST_PATH_SHARE = 0.9

#: Characters that cost at most this many nats count as known: the rarest
#: characters of the model's word lists cost about 20, unknown ones 21 and more.
KNOWN_CHAR_COST = 20.5


def _utf8_is_plausible(text: str) -> bool:
    non_ascii = {ch for ch in text if ord(ch) >= 0x80}
    known = sum(1 for ch in non_ascii if char_cost(ch) <= KNOWN_CHAR_COST)
    return known >= UTF8_FAST_PATH_SHARE * len(non_ascii)


def fix_bytes(data: bytes, config: FixConfig | None = None, **options: Any) -> str:
    """Decode bytes of unknown or mixed encoding, then repair the text.

    Signature: ``fix_bytes(data: bytes, config: FixConfig | None = None, **options)
    -> str``; ``config`` and ``options`` are those of :func:`zhfix.fix_text`.
    Never raises on any bytes (invalid options still raise ``TypeError``).
    Undecodable bytes become U+FFFD; :func:`decode_bytes` reports where, and
    :func:`zhfix.fix_and_explain` on the result reports them as findings.

    >>> fix_bytes("用户不存在".encode("gbk"))
    '用户不存在'
    """
    from zhfix import fix_text

    return fix_text(decode_bytes(data).text, config, **options)
