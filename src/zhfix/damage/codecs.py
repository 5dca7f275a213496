"""Codec-chain mojibake: text encoded with one codec and decoded with another.

This is the damage of a byte stream read with the wrong codec, one or two layers
deep (``文件上传成功`` written as UTF-8 and read as GBK gives ``鏂囦欢涓婁紶鎴愬姛``).
Some chains are lossless (every byte survives, so encoding with the wrong codec
and decoding with the right one restores the text exactly); others lose bytes
where the wrong codec finds no character, and each such loss is recorded.

Decoding follows what real software does, not only what Python's codecs do:

- ``cp1252`` and ``cp1254`` leave a few bytes undefined (81 8D 8F 90 9D in
  cp1252).  Windows and browsers map them to the C1 controls U+0081 …, which is
  Latin-1 behaviour, so here these bytes decode to ``chr(byte)`` and encode back:
  reading any bytes as cp1252 is lossless.
- ``cp936`` is GBK as Windows decodes it: GBK plus byte 80 = ``€``.  Python's
  ``gbk`` rejects 80; the ``€`` in ``鍙戦€佹垚鍔`` comes from Windows.

Error handlers for bytes the wrong codec cannot read (``errors``):

- ``"replace"``: U+FFFD per error, as Python reports errors;
- ``"ignore"``: the bytes vanish;
- ``"?"``: ``?`` per error (MySQL, Java and many Windows programs);
- ``"?pair"``: like ``"?"``, but a double-byte lead byte always takes the next
  byte with it, as decoders that read pairs blindly do: a lead byte left alone
  at the end eats the quote or space after it (``成功了'`` → ``鎴愬姛浜?``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from zhfix.damage.base import Damaged

#: Error handlers accepted by :func:`decode_bytes`; see the module docstring.
ERRORS: tuple[str, ...] = ("replace", "ignore", "?", "?pair", "strict")

#: Codecs whose undefined bytes decode to the C1 control of the same value, as
#: Windows and browsers do (Latin-1 behaviour).
C1_FALLBACK_CODECS: frozenset[str] = frozenset({"cp1252", "cp1254", "cp1250", "cp1251"})

#: Pseudo-codecs: name → (Python codec, extra byte → character mappings).
WINDOWS_EXTRAS: dict[str, tuple[str, dict[int, str]]] = {
    "cp936": ("gbk", {0x80: "\u20ac"}),
}

#: Double-byte codecs: a byte in this range starts a two-byte character.
DBCS_LEAD = {
    "gbk": range(0x81, 0xFF),
    "cp936": range(0x81, 0xFF),
    "gb2312": range(0xA1, 0xFF),
    "gb18030": range(0x81, 0xFF),
    "big5": range(0x81, 0xFF),
    "cp950": range(0x81, 0xFF),
    "big5hkscs": range(0x81, 0xFF),
    "cp949": range(0x81, 0xFF),
    "euc-kr": range(0xA1, 0xFF),
    "shift_jis": range(0x81, 0xA0),
}


class UnencodableError(ValueError):
    """The clean text has a character the first codec of a chain cannot encode."""


def _normal(codec: str) -> str:
    return codec.lower().replace("_", "-") if codec.lower() != "shift_jis" else "shift_jis"


def _python_codec(codec: str) -> tuple[str, dict[int, str]]:
    name = _normal(codec)
    return WINDOWS_EXTRAS.get(name, (name, {}))


def encode_text(text: str, codec: str) -> bytes:
    """Encode strictly, with the C1 and Windows extras of :mod:`zhfix.damage.codecs`.

    >>> encode_text("\\x81€", "cp1252").hex()
    '8180'
    >>> encode_text("€", "cp936").hex()
    '80'
    """
    name = _normal(codec)
    python, extras = _python_codec(name)
    reverse = {ch: b for b, ch in extras.items()}
    out = bytearray()
    pos = 0
    while pos < len(text):
        try:
            out += text[pos:].encode(python)
            break
        except UnicodeEncodeError as e:
            out += text[pos : pos + e.start].encode(python)
            for ch in text[pos + e.start : pos + e.end]:
                if ch in reverse:
                    out.append(reverse[ch])
                elif name in C1_FALLBACK_CODECS and 0x80 <= ord(ch) <= 0x9F:
                    out.append(ord(ch))
                else:
                    raise UnencodableError(
                        f"{codec} cannot encode {ch!r} (U+{ord(ch):04X}); "
                        "choose a codec that covers the text"
                    ) from None
            pos += e.end
    return bytes(out)


def can_encode(text: str, codec: str) -> bool:
    """True if ``text`` encodes in ``codec``.

    >>> can_encode("台风", "big5"), can_encode("颱風", "big5")
    (False, True)
    """
    try:
        encode_text(text, codec)
    except UnencodableError:
        return False
    return True


def decode_bytes(
    data: bytes, codec: str, errors: str = "replace"
) -> tuple[str, list[dict[str, Any]]]:
    """Decode ``data``, returning the text and a record of every byte lost.

    Each loss is ``{"offset": byte offset, "bytes": hex, "as": what replaced it}``.

    >>> decode_bytes("成功了'".encode("utf-8"), "gbk", "?pair")
    ('鎴愬姛浜?', [{'offset': 8, 'bytes': '8627', 'as': '?'}])
    >>> decode_bytes(bytes([0x81, 0x41]), "cp1252")
    ('\\x81A', [])
    """
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(ERRORS)}; got {errors!r}")
    name = _normal(codec)
    python, extras = _python_codec(name)
    lead = DBCS_LEAD.get(name)
    parts: list[str] = []
    lost: list[dict[str, Any]] = []
    pos = 0
    while pos < len(data):
        try:
            parts.append(data[pos:].decode(python))
            break
        except UnicodeDecodeError as e:
            parts.append(data[pos : pos + e.start].decode(python))
            start = pos + e.start
            end = pos + e.end
            first = data[start]
            if first in extras:
                parts.append(extras[first])
                pos = start + 1
                continue
            if name in C1_FALLBACK_CODECS and 0x80 <= first <= 0x9F:
                parts.append(chr(first))
                pos = start + 1
                continue
            if errors == "strict":
                raise
            if errors == "?pair" and lead is not None and first in lead:
                end = min(start + 2, len(data))
            replacement = {"replace": "\ufffd", "ignore": "", "?": "?", "?pair": "?"}[errors]
            parts.append(replacement)
            lost.append({"offset": start, "bytes": data[start:end].hex(), "as": replacement})
            pos = end
    return "".join(parts), lost


def parse_chain(chain: str | Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """Layers ``[(encode, decode), …]`` from ``"utf-8>gbk"`` or ``"utf-8>gbk,utf-8>cp1252"``.

    >>> parse_chain("utf-8>gbk,utf-8>cp1252")
    [('utf-8', 'gbk'), ('utf-8', 'cp1252')]
    """
    if isinstance(chain, str):
        layers = [tuple(layer.split(">")) for layer in chain.split(",")]
    else:
        layers = [tuple(layer) for layer in chain]
    for layer in layers:
        if len(layer) != 2 or not all(layer):
            raise ValueError(f"a layer is 'encode>decode', e.g. 'utf-8>gbk'; got {layer!r}")
    return [(str(a), str(b)) for a, b in layers]


def chain_name(layers: Sequence[tuple[str, str]]) -> str:
    """The string form of a chain: ``utf-8>gbk,utf-8>cp1252``."""
    return ",".join(f"{a}>{b}" for a, b in layers)


def invert(text: str, chain: str | Sequence[Sequence[str]]) -> str:
    """Undo a lossless chain: encode with each wrong codec, decode with the right one.

    >>> invert("鏂囦欢涓婁紶鎴愬姛", "utf-8>gbk")
    '文件上传成功'
    >>> invert("ÓÃ»§²»´æÔÚ", "gbk>cp1252")
    '用户不存在'
    """
    for encode, decode in reversed(parse_chain(chain)):
        text, _ = decode_bytes(encode_text(text, decode), encode, "strict")
    return text


def _mojibake_text(
    text: str, layers: Sequence[tuple[str, str]], errors: str
) -> tuple[str, list[dict[str, Any]]]:
    lost: list[dict[str, Any]] = []
    for i, (encode, decode) in enumerate(layers):
        text, layer_lost = decode_bytes(encode_text(text, encode), decode, errors)
        lost.extend({"layer": i, **loss} for loss in layer_lost)
    return text, lost


def _is_lossless(damaged: str, original: str, layers: Sequence[tuple[str, str]]) -> bool:
    try:
        return invert(damaged, layers) == original
    except (UnicodeError, UnencodableError):
        return False


def mojibake(
    text: str, chain: str | Sequence[Sequence[str]] = "utf-8>gbk", *, errors: str = "replace"
) -> Damaged:
    """The whole of ``text`` encoded and decoded through ``chain`` (one or more layers).

    ``record["lost"]`` lists the bytes the wrong codecs could not read and
    ``record["lossless"]`` says whether :func:`invert` restores the text.
    Raises :class:`UnencodableError` if the first codec cannot encode the text.

    >>> d = mojibake("文件上传成功", "utf-8>gbk")
    >>> d.text, d.record["lossless"]
    ('鏂囦欢涓婁紶鎴愬姛', True)
    >>> d = mojibake("发送成功了", "utf-8>gbk", errors="?")
    >>> d.text, d.record["lossless"], d.record["lost"][0]["bytes"]
    ('鍙戦?佹垚鍔熶簡', False, '80')
    >>> mojibake("发送成功了", "utf-8>cp936").text
    '鍙戦€佹垚鍔熶簡'
    """
    layers = parse_chain(chain)
    damaged, lost = _mojibake_text(text, layers, errors)
    record: dict[str, Any] = {
        "function": "mojibake",
        "params": {"chain": chain_name(layers), "errors": errors},
        "lost": lost,
        "lossless": not lost and _is_lossless(damaged, text, layers),
    }
    return Damaged(damaged, text, "mojibake", record)


# --- span-level damage -------------------------------------------------------

#: A run of non-ASCII text, possibly with ASCII words, digits and spaces inside,
#: but not crossing quotes, brackets, ``=`` or line breaks: the Chinese part of a
#: log line or of a quoted field.
CHINESE_SPAN_RE = re.compile(r"[^\x00-\x7f](?:[^'\"`\n\r=<>{}\[\]]*[^\x00-\x7f])?")

#: Comment bodies that hold natural language in code and SQL:
#: ``COMMENT '…'``, ``-- …``, ``// …``, ``# …`` and ``/* … */``.
COMMENT_SPAN_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"COMMENT\s*=?\s*'([^'\n]*)'", re.IGNORECASE),
    re.compile(r"(?:--|//|#)[ \t]*([^\n]*)"),
    re.compile(r"/\*+\s*(.*?)\s*\*/", re.DOTALL),
)

#: Where :func:`mojibake_span` looks for a span to damage.
SPAN_FINDERS: tuple[str, ...] = ("chinese", "comment")


def chinese_spans(text: str) -> list[tuple[int, int]]:
    """Spans of non-ASCII text (see :data:`CHINESE_SPAN_RE`).

    >>> t = 'INFO user=42 msg="用户 admin 不存在" code=7'
    >>> [t[s:e] for s, e in chinese_spans(t)]
    ['用户 admin 不存在']
    """
    return [m.span() for m in CHINESE_SPAN_RE.finditer(text)]


def comment_spans(text: str) -> list[tuple[int, int]]:
    """Bodies of code and SQL comments that contain non-ASCII text.

    >>> t = "id INT COMMENT '用户编号', -- 主键"
    >>> [t[s:e] for s, e in comment_spans(t)]
    ['用户编号', '主键']
    """
    spans: set[tuple[int, int]] = set()
    taken: list[tuple[int, int]] = []
    for pattern in COMMENT_SPAN_RES:
        for m in pattern.finditer(text):
            s, e = m.span(1)
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append(m.span())
            if re.search(r"[^\x00-\x7f]", m.group(1)):
                spans.add((s, e))
    return sorted(spans)


def find_spans(text: str, where: str = "chinese") -> list[tuple[int, int]]:
    """Candidate spans for span-level damage; ``where`` is one of :data:`SPAN_FINDERS`."""
    if where == "chinese":
        return chinese_spans(text)
    if where == "comment":
        return comment_spans(text)
    raise ValueError(f"where must be one of {', '.join(SPAN_FINDERS)}; got {where!r}")


def mojibake_span(
    text: str,
    chain: str | Sequence[Sequence[str]] = "utf-8>gbk",
    *,
    errors: str = "replace",
    seed: int = 0,
    where: str = "chinese",
    span: Sequence[int] | None = None,
) -> Damaged:
    """Mojibake in one span of otherwise clean text.

    The span is ``span`` if given, else one of :func:`find_spans` chosen with
    ``seed``.  The ASCII character after the span is decoded with it, so that
    ``"?pair"`` can eat it as real decoders do.  Raises ``ValueError`` if there is
    no span.

    >>> d = mojibake_span("id INT COMMENT '用户编号',", "utf-8>gbk", where="comment")
    >>> d.text, d.record["span"]
    ("id INT COMMENT '鐢ㄦ埛缂栧彿',", [16, 20])
    """
    layers = parse_chain(chain)
    if span is None:
        spans = find_spans(text, where)
        if not spans:
            raise ValueError(f"no {where} span to damage in {text[:40]!r}")
        start, end = random.Random(seed).choice(spans)
    else:
        start, end = int(span[0]), int(span[1])
    inner = text[start:end]
    damaged, lost = _mojibake_text(inner, layers, errors)
    eaten = ""
    if end < len(text) and text[end] < "\x80":
        # A decoder that reads pairs blindly may take the next ASCII byte too.
        with_next, lost_with_next = _mojibake_text(text[start : end + 1], layers, errors)
        if with_next != damaged + text[end]:
            damaged, lost, eaten = with_next, lost_with_next, text[end]
    record: dict[str, Any] = {
        "function": "mojibake_span",
        "params": {
            "chain": chain_name(layers),
            "errors": errors,
            "seed": seed,
            "where": where,
            "span": [start, end],
        },
        "span": [start, end],
        "damaged_span": [start, start + len(damaged)],
        "eaten": eaten,
        "lost": lost,
        "lossless": not lost and not eaten and _is_lossless(damaged, inner, layers),
    }
    stop = end + len(eaten)
    return Damaged(text[:start] + damaged + text[stop:], text, "mojibake_span", record)


def invert_span(damaged: Damaged) -> str:
    """Undo a lossless :func:`mojibake_span`: invert the damaged span only."""
    start, end = damaged.record["damaged_span"]
    chain = damaged.record["params"]["chain"]
    text = damaged.text
    return text[:start] + invert(text[start:end], chain) + text[end:]
