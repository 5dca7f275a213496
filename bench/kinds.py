"""The damage kinds the benchmark measures, built from :mod:`zhfix.damage`.

Each kind turns one clean document (a corpus line, or a group of lines for the
kinds that need several paragraphs) into a reference and its damaged form.
The reference is what a perfect repair returns: the clean document, or the clean
document inside the synthetic context the kind wraps it in (a log line, a SQL
column definition).  Kinds that lose bytes cannot be restored exactly; their
character error rate still shows how close a repair gets.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from zhfix.chars import han_count
from zhfix.damage import (
    Damaged,
    byte_leak,
    chunked_decode,
    content_farm,
    mojibake,
    mojibake_span,
    nfkc,
    truncate,
)

#: Codec and byte-level kinds are measured only on documents with at least this
#: many Han characters: shorter lines (code, numbers, headings) carry too little
#: Chinese for any repair to recognise, and most of them are unchanged by damage.
MIN_HAN = 4

#: Oversampling of the kinds that keep only some documents: a chain keeps
#: every byte of 3-70 % of corpus lines (gbk>big5 on traditional text 2.7 % in
#: a sample of 480), and a single hole in the last character is the only loss
#: in about 30 % of lines.  Python's GBK keeps every byte of Big5 text in only
#: 0.3 % of lines (1 in 390), and UTF-8 read as GBK twice in 1 %: too few to
#: measure; GB18030, which reads GBK's user-defined area as private use as
#: Windows does, keeps every byte of Big5 text.
LOSSLESS_OVERSAMPLE = 40
LAST_HOLE_OVERSAMPLE = 4

#: Lines per document for kinds that damage a stream of several paragraphs.
GROUP_LINES = 4

#: Corpus names, as in the report.
HANS = "simplified"
HANT = "traditional"
BOTH = (HANS, HANT)

#: A damage function: clean document and seed in; reference and damaged text out.
DamageFunc = Callable[[str, int], "tuple[str, Damaged]"]


@dataclass(frozen=True)
class Kind:
    """One row family of the accuracy table."""

    name: str
    family: str
    corpora: tuple[str, ...]
    damage: DamageFunc
    min_han: int = 0
    group: int = 1
    lossy: bool = False
    #: Options for zhfix.fix_text (say the target script), as (name, value) pairs.
    options: tuple[tuple[str, Any], ...] = ()
    #: Compare output and reference after NFKC (punctuation width not counted).
    nfkc_compare: bool = False
    #: Documents offered per document wanted, for kinds that keep only some of
    #: the documents they are given (the damage raises ``ValueError`` for the rest).
    oversample: int = 1


def _whole(chain: str, errors: str, doc: str, seed: int) -> tuple[str, Damaged]:
    return doc, mojibake(doc, chain, errors=errors)


def _whole_lossless(chain: str, doc: str, seed: int) -> tuple[str, Damaged]:
    # The documents a lossy chain happens to keep every byte of: what a repair
    # of that chain must restore exactly.
    damaged = mojibake(doc, chain, errors="replace")
    if not damaged.record["lossless"]:
        raise ValueError("the chain lost bytes of this document")
    return doc, damaged


def _lossless(chain: str, corpora: tuple[str, ...]) -> Kind:
    return Kind(
        name=f"{chain}, no byte lost",
        family="codec",
        corpora=corpora,
        damage=partial(_whole_lossless, chain),
        min_han=MIN_HAN,
        oversample=LOSSLESS_OVERSAMPLE,
    )


def _log_line(chain: str, errors: str, doc: str, seed: int) -> tuple[str, Damaged]:
    # A log line written by us around the document; the Chinese part is damaged.
    stamp = f"2024-03-0{seed % 9 + 1} 12:00:{seed % 60:02d}"
    line = f'{stamp} WARN worker-{seed % 7} msg="{doc}" retry=2'
    return line, mojibake_span(line, chain, errors=errors, seed=seed, where="chinese")


def _sql_comment(chain: str, errors: str, doc: str, seed: int) -> tuple[str, Damaged]:
    body = doc.replace("'", "''")
    line = f"  `col_{seed % 100}` VARCHAR(255) NOT NULL COMMENT '{body}',"
    start = line.index("COMMENT '") + len("COMMENT '")
    end = line.rindex("',")
    return line, mojibake_span(line, chain, errors=errors, span=(start, end))


def _last_multibyte(text: str) -> int:
    for i in range(len(text) - 1, -1, -1):
        if text[i] >= "\x80":
            return i
    raise ValueError("no multi-byte character")


def _cut_end(decode: str | None, errors: str, doc: str, seed: int) -> tuple[str, Damaged]:
    # A quoted field whose last character lost its final bytes to a byte limit;
    # what followed that character is cut off with them, and the serialiser's
    # closing quote comes right after.
    at = _last_multibyte(doc)
    return doc[: at + 1] + '"', truncate(
        doc + '"', seed=seed, decode=decode, errors=errors, at=at, tail='"'
    )


def _last_hole(doc: str, seed: int) -> tuple[str, Damaged]:
    # UTF-8 read as GBK where only the last character lost a byte to the
    # reader (a lone byte at the end becomes U+FFFD or ``?``): documents that
    # also lose bytes before it belong to the ``utf-8>gbk`` rows, not here.
    errors = ("replace", "?")[seed % 2]
    damaged = mojibake(doc, "utf-8>gbk", errors=errors)
    last = len(doc[: _last_multibyte(doc)].encode("utf-8"))
    if any(loss["offset"] < last for loss in damaged.record["lost"]):
        raise ValueError("bytes lost before the last character")
    return doc, damaged


def _chunked(codec: str, doc: str, seed: int) -> tuple[str, Damaged]:
    return doc, chunked_decode(doc, seed=seed, codec=codec)


def _byte_leak(doc: str, seed: int) -> tuple[str, Damaged]:
    return doc, byte_leak(doc, seed=seed)


def _content_farm(doc: str, seed: int) -> tuple[str, Damaged]:
    return doc, content_farm(doc, seed=seed)


def _nfkc(doc: str, seed: int) -> tuple[str, Damaged]:
    return doc, nfkc(doc)


def _external(module: str, name: str, doc: str, seed: int, **params: str) -> tuple[str, Damaged]:
    func: Callable[..., Damaged] = getattr(importlib.import_module(module), name)
    return doc, func(doc, seed=seed, **params)


def _leak(styles: tuple[str, ...], doc: str, seed: int) -> tuple[str, Damaged]:
    # One style per document, so that every style is measured on the whole corpus
    # in one pass; bench/annotation_accuracy.py reports the styles one by one.
    style = styles[seed % len(styles)]
    return _external("zhfix.damage.leaks", "leak_annotations", doc, seed, style=style)


def _codec(chain: str, errors: str, corpora: tuple[str, ...]) -> Kind:
    label = chain if errors == "replace" else f"{chain} {errors}"
    return Kind(
        name=label,
        family="codec",
        corpora=corpora,
        damage=partial(_whole, chain, errors),
        min_han=MIN_HAN,
        lossy=errors != "replace" or not re.search(r">(latin-1|cp1252|cp1254)$", chain),
    )


def _optional_kinds() -> list[Kind]:
    kinds: list[Kind] = []
    try:
        leaks = importlib.import_module("zhfix.damage.leaks")
    except ImportError:
        leaks = None
    styles: tuple[str, ...] = tuple(getattr(leaks, "LEAK_STYLES", ())) if leaks else ()
    if styles:
        kinds.append(
            Kind(
                name="annotation leak, style by seed",
                family="annotation",
                corpora=BOTH,
                damage=partial(_leak, styles),
            )
        )
    try:
        importlib.import_module("zhfix.damage.script")
    except ImportError:
        return kinds
    kinds.append(
        Kind(
            name="char-by-char s2t",
            family="script",
            corpora=(HANS,),
            damage=partial(_external, "zhfix.damage.script", "char_convert"),
            lossy=True,
        )
    )
    return kinds


def all_kinds() -> list[Kind]:
    """Every kind, in report order."""
    kinds = [
        _codec("utf-8>gbk", "replace", BOTH),
        _codec("utf-8>gbk", "?", BOTH),
        _codec("utf-8>gbk", "ignore", BOTH),
        _codec("utf-8>cp936", "?pair", BOTH),
        _codec("utf-8>gb18030", "replace", BOTH),
        _codec("utf-8>big5", "replace", (HANT,)),
        _codec("utf-8>cp1252", "replace", BOTH),
        _codec("utf-8>latin-1", "replace", BOTH),
        _codec("gbk>latin-1", "replace", BOTH),
        _codec("gbk>cp1252", "replace", BOTH),
        _codec("gbk>cp1254", "replace", (HANS,)),
        _codec("gbk>cp949", "replace", (HANS,)),
        _codec("big5>cp1252", "replace", (HANT,)),
        _codec("big5>gbk", "replace", (HANT,)),
        _codec("gbk>big5", "replace", (HANS,)),
        _codec("utf-8>gbk,utf-8>gbk", "replace", BOTH),
        _codec("gbk>cp1252,utf-8>cp1252", "replace", (HANS,)),
        _lossless("utf-8>gbk", BOTH),
        _lossless("big5>gb18030", (HANT,)),
        _lossless("gbk>big5", BOTH),
        _lossless("gbk>cp949", (HANS,)),
        Kind("span utf-8>gbk ?pair in a log line", "span", BOTH,
             partial(_log_line, "utf-8>gbk", "?pair"), MIN_HAN, lossy=True),
        Kind("span gbk>cp1252 in a SQL comment", "span", BOTH,
             partial(_sql_comment, "gbk>cp1252", "replace"), MIN_HAN),
        Kind("cut utf-8, U+FFFD", "lost bytes", BOTH,
             partial(_cut_end, None, "replace"), MIN_HAN, lossy=True),
        Kind("utf-8>gbk, hole in the last character", "lost bytes", BOTH, _last_hole,
             MIN_HAN, lossy=True, oversample=LAST_HOLE_OVERSAMPLE),
        Kind("cut utf-8>gbk ?pair, quote eaten", "lost bytes", BOTH,
             partial(_cut_end, "gbk", "?pair"), MIN_HAN, lossy=True),
        Kind("chunked gbk decoder", "lost bytes", (HANS,), partial(_chunked, "gbk"),
             MIN_HAN, GROUP_LINES, lossy=True),
        Kind("chunked big5 decoder", "lost bytes", (HANT,), partial(_chunked, "big5"),
             MIN_HAN, GROUP_LINES, lossy=True),
        Kind("gbk byte-level annotation", "lost bytes", BOTH, _byte_leak, MIN_HAN, lossy=True),
        Kind("nfkc", "punctuation", BOTH, _nfkc),
        Kind("content farm, --to simplified, NFKC", "pipeline", (HANS,), _content_farm,
             MIN_HAN, GROUP_LINES, lossy=True, options=(("script", "simplified"),),
             nfkc_compare=True),
        Kind("content farm, --to simplified, strict", "pipeline", (HANS,), _content_farm,
             MIN_HAN, GROUP_LINES, lossy=True, options=(("script", "simplified"),)),
    ]
    return kinds + _optional_kinds()


def kinds_by_name() -> dict[str, Kind]:
    return {kind.name: kind for kind in all_kinds()}


def eligible(doc: str, kind: Kind) -> bool:
    """Whether ``doc`` has enough Han characters for ``kind``."""
    return kind.min_han == 0 or han_count(doc) >= kind.min_han
