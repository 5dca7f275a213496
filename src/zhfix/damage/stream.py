"""Byte-stream damage: cut characters, chunked decoding, byte-level annotation leaks.

These are the lossy kinds, where bytes were cut, split or corrupted before
decoding.  Each records what was lost.

- :func:`truncate`: a string cut at a byte limit inside a multi-byte character;
  the character's remaining bytes become ``?`` or U+FFFD (or vanish), and a
  decoder that reads byte pairs blindly also eats the quote after it.
- :func:`chunked_decode`: a decoder that decodes fixed-size chunks on their own.
  A double-byte character split by a chunk boundary becomes ``?``, and the next
  chunk is read one byte off (trail byte + next lead byte as one character)
  until an ASCII byte puts it back in step.  In GBK and Big5 an invalid
  lead+trail pair becomes one ``?``.
- :func:`byte_leak`: the content-farm pipeline that annotates rare characters
  with their pinyin by a naive find-and-replace on GBK *bytes*.  The pattern
  also matches across character boundaries (in ``們為`` = 82 83|9E E9 the bytes
  83 9E are ``優``), so ``(yōu)`` lands between 9E and E9 and splits ``為``;
  the page is then decoded as GBK.
"""

from __future__ import annotations

import itertools
import random
from functools import cache
from typing import Any

from zhfix.chars import is_han
from zhfix.damage.base import Damaged
from zhfix.damage.codecs import DBCS_LEAD, UnencodableError, decode_bytes, encode_text

#: Chunk sizes (bytes) :func:`chunked_decode` draws from when none is given:
#: small buffers make the damage frequent enough to see in one paragraph.
CHUNK_SIZE_RANGE: tuple[int, int] = (16, 128)

#: How many characters :func:`byte_leak` annotates when no targets are given.
LEAK_TARGETS = 3


def _multibyte_positions(text: str, codec: str) -> list[tuple[int, bytes]]:
    return [
        (i, b) for i, ch in enumerate(text) if len(b := encode_text(ch, codec)) >= 2
    ]


def truncate(
    text: str,
    *,
    seed: int = 0,
    codec: str = "utf-8",
    decode: str | None = None,
    errors: str = "replace",
    at: int | None = None,
    keep: int | None = None,
    tail: str = "",
) -> Damaged:
    """``text`` cut inside a multi-byte character, as a byte-limited field cuts it.

    The character at index ``at`` keeps ``keep`` of its bytes and everything
    after it is dropped; ``tail`` (say the closing quote a serialiser adds) is
    appended to the bytes, and the whole is decoded with ``decode`` (by default
    ``codec`` itself) and ``errors`` (see :mod:`zhfix.damage.codecs`).  ``at``
    and ``keep`` default to a choice made with ``seed`` among the multi-byte
    characters.

    >>> d = truncate("上传成功", at=3, keep=2)
    >>> d.text, d.record["lost_char"], d.record["dropped"]
    ('上传成\\ufffd', '功', '')
    >>> truncate("上传成功", codec="gbk", errors="?pair", at=3, keep=1, tail="'").text
    '上传成?'
    >>> truncate("发送成功", decode="gbk", errors="?", at=3, keep=1).text
    '鍙戦?佹垚?'
    """
    positions = _multibyte_positions(text, codec)
    if not positions:
        raise ValueError("no multi-byte character to cut in the text")
    rng = random.Random(seed)
    if at is None:
        at, encoded = rng.choice(positions)
    else:
        encoded = encode_text(text[at], codec)
        if len(encoded) < 2:
            raise ValueError(f"{text[at]!r} at index {at} is one byte in {codec}")
    if keep is None:
        keep = rng.randrange(1, len(encoded))
    if not 1 <= keep < len(encoded):
        raise ValueError(f"keep must be between 1 and {len(encoded) - 1}; got {keep}")
    data = encode_text(text[:at], codec) + encoded[:keep] + encode_text(tail, codec)
    damaged, lost = decode_bytes(data, decode or codec, errors)
    # What the kept prefix decodes to on its own; the rest replaces the cut character.
    alone = decode_bytes(encode_text(text[:at], codec), decode or codec, errors)[0]
    prefix_len = next(
        (i for i, (a, b) in enumerate(zip(alone, damaged, strict=False)) if a != b),
        min(len(alone), len(damaged)),
    )
    eaten = tail if not damaged.endswith(tail) else ""
    record: dict[str, Any] = {
        "function": "truncate",
        "params": {
            "seed": seed,
            "codec": codec,
            "decode": decode,
            "errors": errors,
            "at": at,
            "keep": keep,
            "tail": tail,
        },
        "lost_char": text[at],
        "kept_bytes": encoded[:keep].hex(),
        "dropped": text[at + 1 :],
        "eaten": eaten[:1] if eaten else "",
        "replacement": damaged[prefix_len : len(damaged) - (len(tail) - len(eaten))],
        "lost": lost,
    }
    return Damaged(damaged, text, "truncate", record)


@cache
def _pair_char(pair: bytes, codec: str) -> str:
    try:
        return pair.decode(codec)
    except UnicodeDecodeError:
        return "?"


def _decode_chunk_dbcs(chunk: bytes, codec: str, lead: range) -> str:
    out: list[str] = []
    i = 0
    n = len(chunk)
    while i < n:
        b = chunk[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
        elif b in lead and i + 1 < n:
            out.append(_pair_char(chunk[i : i + 2], codec))
            i += 2
        else:
            out.append("?")
            i += 1
    return "".join(out)


def chunked_decode(
    text: str,
    *,
    seed: int = 0,
    codec: str = "gbk",
    chunk_size: int | None = None,
    blind: bool = False,
) -> Damaged:
    """``text`` through a decoder that decodes each ``chunk_size`` bytes on its own.

    For double-byte codecs the decoder reads a byte below 80 as ASCII and any
    lead byte with the next byte as one character, ``?`` if the pair is invalid;
    a lead byte at the end of a chunk is ``?``.  With ``blind``, every byte from
    80 up starts a pair, as in a decoder that does not check lead bytes (GBK's
    80 and FF then eat the byte after them).  For UTF-8 each chunk is decoded
    with U+FFFD for incomplete sequences.  ``chunk_size`` defaults to a choice
    in :data:`CHUNK_SIZE_RANGE` made with ``seed``.

    >>> d = chunked_decode("我們討論過。換個話題", codec="big5", chunk_size=11)
    >>> d.text, d.record["split_offsets"]
    ('我們討論過?C換個話題', [11])

    ``。`` is A1 43: A1 ends the first chunk and becomes ``?``; 43 is ``C``.
    """
    boundaries: set[int] = set()
    pos = 0
    for ch in text:
        boundaries.add(pos)
        pos += len(encode_text(ch, codec))
    boundaries.add(pos)
    damaged, record = _chunked(encode_text(text, codec), boundaries, seed, codec, chunk_size, blind)
    return Damaged(damaged, text, "chunked_decode", record)


def _chunked(
    data: bytes,
    boundaries: set[int],
    seed: int,
    codec: str,
    chunk_size: int | None,
    blind: bool,
) -> tuple[str, dict[str, Any]]:
    """Chunked decoding of ``data``, whose character boundaries are ``boundaries``."""
    if chunk_size is None:
        chunk_size = random.Random(seed).randint(*CHUNK_SIZE_RANGE)
    if chunk_size < 2:
        raise ValueError(f"chunk_size must be at least 2; got {chunk_size}")
    lead = DBCS_LEAD.get(codec.lower())
    if lead is not None and blind:
        lead = range(0x80, 0x100)
    parts: list[str] = []
    splits: list[int] = []
    for start in range(0, len(data), chunk_size):
        chunk = data[start : start + chunk_size]
        if start and start not in boundaries:
            splits.append(start)
        if lead is None:
            parts.append(chunk.decode(codec, "replace"))
        else:
            parts.append(_decode_chunk_dbcs(chunk, codec, lead))
    record: dict[str, Any] = {
        "function": "chunked_decode",
        "params": {"seed": seed, "codec": codec, "chunk_size": chunk_size, "blind": blind},
        "split_offsets": splits,
        "lost": [{"offset": s, "bytes": data[s - 1 : s + 1].hex()} for s in splits],
    }
    return "".join(parts), record


@cache
def _tone_pinyin(ch: str) -> str | None:
    from pypinyin import Style, pinyin

    reading = pinyin(ch, style=Style.TONE, heteronym=False, errors="ignore")
    return reading[0][0] if reading and reading[0] else None


def _misaligned_chars(text: str, codec: str) -> list[str]:
    """Han characters whose bytes straddle two adjacent characters of ``text``."""
    found: list[str] = []
    for a, b in itertools.pairwise(text):
        ea, eb = encode_text(a, codec), encode_text(b, codec)
        if len(ea) == 2 and len(eb) == 2:
            ch = _pair_char(ea[1:] + eb[:1], codec)
            if is_han(ch) and ch not in found:
                found.append(ch)
    return found


def _choose_targets(text: str, codec: str, rng: random.Random, n: int) -> list[str]:
    aligned = sorted({ch for ch in text if is_han(ch) and _tone_pinyin(ch)})
    misaligned = [ch for ch in _misaligned_chars(text, codec) if _tone_pinyin(ch)]
    targets: list[str] = []
    if misaligned:
        targets.append(rng.choice(misaligned))
    pool = [ch for ch in aligned if ch not in targets]
    targets += rng.sample(pool, min(len(pool), n - len(targets)))
    return targets


def _leak_bytes(
    text: str, codec: str, targets: list[str], template: str
) -> tuple[bytes, dict[str, str], dict[str, dict[str, int]], set[int]]:
    """The bytes of ``text`` with ``template.format(pinyin)`` after every target's bytes.

    Also returns the annotations, the aligned and misaligned match counts, and
    the character boundaries of the result (insertions count as characters).
    """
    clean = data = encode_text(text, codec)
    boundaries: set[int] = set()
    pos = 0
    for ch in text:
        boundaries.add(pos)
        pos += len(encode_text(ch, codec))
    annotations: dict[str, str] = {}
    matches: dict[str, dict[str, int]] = {}
    for target in targets:
        reading = _tone_pinyin(target)
        if reading is None:
            continue
        note = template.format(reading)
        try:
            pattern, insert = encode_text(target, codec), encode_text(note, codec)
        except UnencodableError:
            continue
        annotations[target] = note
        count = {"aligned": 0, "misaligned": 0}
        # Matches are counted on the clean bytes, where character boundaries are known.
        i = clean.find(pattern)
        while i >= 0:
            count["aligned" if i in boundaries else "misaligned"] += 1
            i = clean.find(pattern, i + 1)
        matches[target] = count
        data = data.replace(pattern, pattern + insert)
    # Boundaries in the result: where the clean text's characters and the
    # inserted ASCII begin, found by walking both byte strings together.
    out: set[int] = set()
    i = j = 0
    while i <= len(clean) and j <= len(data):
        if i in boundaries:
            out.add(j)
        if i < len(clean) and j < len(data) and clean[i] == data[j]:
            i += 1
            j += 1
        elif j < len(data):
            out.add(j)
            j += 1
        else:
            break
    return data, annotations, matches, out


def byte_leak(
    text: str,
    *,
    seed: int = 0,
    codec: str = "gbk",
    targets: list[str] | None = None,
    n_targets: int = LEAK_TARGETS,
    template: str = "({})",
    errors: str = "?",
) -> Damaged:
    """Pinyin annotations inserted by a find-and-replace on encoded bytes.

    Every occurrence of each target's bytes, aligned or not, is followed by the
    bytes of ``template.format(pinyin)``; the result is decoded with ``codec``
    and ``errors``.  Without ``targets``, ``n_targets`` characters are chosen
    with ``seed``: one whose bytes straddle two characters of the text if there
    is one (the damage this models), the rest from the text.

    >>> d = byte_leak("我們為你", targets=["優"])
    >>> d.text, d.record["matches"]
    ('我們?(yōu)槟?', {'優': {'aligned': 0, 'misaligned': 1}})

    Here 9E before ``(`` is an invalid pair, and E9 (the rest of ``為``) pairs
    with the lead byte of ``你``.
    """
    rng = random.Random(seed)
    if targets is None:
        targets = _choose_targets(text, codec, rng, n_targets)
    data, annotations, matches, _ = _leak_bytes(text, codec, targets, template)
    damaged, lost = decode_bytes(data, codec, errors)
    record: dict[str, Any] = {
        "function": "byte_leak",
        "params": {
            "seed": seed,
            "codec": codec,
            "targets": targets,
            "n_targets": n_targets,
            "template": template,
            "errors": errors,
        },
        "annotations": annotations,
        "matches": matches,
        "lost": lost,
    }
    return Damaged(damaged, text, "byte_leak", record)


def content_farm(
    text: str,
    *,
    seed: int = 0,
    n_targets: int = LEAK_TARGETS,
    chunk_size: int | None = None,
    policy: str = "leave",
) -> Damaged:
    """The content-farm pipeline: script conversion, byte leak, chunked decoding, NFKC.

    1. simplified ``text`` converted to traditional one character at a time
       (:func:`zhfix.damage.script.char_convert` with ``policy``);
    2. pinyin inserted after ``n_targets`` characters by a find-and-replace on the
       GBK bytes, which also matches across character boundaries;
    3. the bytes decoded in chunks by a decoder that pairs every high byte with
       the next one (an invalid pair, or a byte cut off at the end of a chunk,
       becomes one ``?``), so that the text after a cut is read one byte off
       until an ASCII byte puts the reader back in step;
    4. NFKC.

    >>> d = content_farm("每个月的报告都很详细。", seed=0, chunk_size=64)
    >>> d.record["steps"][0]["function"], d.record["steps"][1]["function"]
    ('char_convert', 'byte_leak')
    """
    import unicodedata

    from zhfix.damage.script import char_convert

    converted = char_convert(text, seed=seed, policy=policy)
    trad = converted.text
    rng = random.Random(seed)
    targets = _choose_targets(trad, "gbk", rng, n_targets)
    data, annotations, matches, boundaries = _leak_bytes(trad, "gbk", targets, "({})")
    decoded, chunk_record = _chunked(data, boundaries, seed, "gbk", chunk_size, blind=True)
    damaged = unicodedata.normalize("NFKC", decoded)
    record: dict[str, Any] = {
        "function": "content_farm",
        "params": {
            "seed": seed,
            "n_targets": n_targets,
            "chunk_size": chunk_record["params"]["chunk_size"],
            "policy": policy,
        },
        "steps": [
            dict(converted.record, function="char_convert"),
            {"function": "byte_leak", "targets": targets, "annotations": annotations,
             "matches": matches},
            chunk_record,
            {"function": "nfkc"},
        ],
    }
    return Damaged(damaged, text, "content_farm", record)
