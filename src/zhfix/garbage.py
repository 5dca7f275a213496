"""Report well-known, unrecoverable garbage; never change it.

Some damage cannot be undone because the original bytes were lost before the
text was misread.  The best known is ``锟斤拷``: a program replaced undecodable
bytes by U+FFFD, wrote it out as UTF-8 (``EF BF BD``), and something read those
bytes as GBK.  Debug builds of MSVC fill uninitialised stack memory with
``0xCC`` and freed or fresh heap memory with ``0xCD``; printed as GBK these are
``烫`` and ``屯``.  Runs of U+FFFD themselves mark bytes that a decoder gave up
on.  Whatever was there is gone, so the detector says what the garbage is and
how it arises, and leaves the text alone.

The signatures are derived from Python's codecs, not typed by hand:

>>> [s.text for s in _signatures()][:4]
['锟斤拷', '嚙踝蕭', '烫', '屯']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from zhfix.config import FixConfig
from zhfix.explain import Finding
from zhfix.pipeline import register_detector

#: A fill character (``烫``, ``屯`` …) is reported only in runs of at least this
#: many.  Two are not enough: reduplicated forms such as ``热烫烫`` are real
#: Chinese.  The clean corpus (zh_hans.dev.txt, zh_hant.dev.txt) has no run of
#: two of any fill character, and debug fills span whole buffers, so three
#: (six bytes) loses little.
MIN_FILL_RUN = 3

#: U+FFFD is reported in runs of at least this many: a single one already
#: marks lost bytes.  The clean corpus has none.
MIN_REPLACEMENT_RUN = 1

_REPLACEMENT_UTF8 = "\ufffd".encode()


@dataclass(frozen=True)
class Signature:
    """One kind of garbage: the text it shows and how it arises."""

    kind: str
    #: The repeating unit as it appears in text.
    text: str
    #: The bytes behind one unit, as hex.
    bytes_hex: str
    #: The codec the bytes were read with.
    read_as: str
    how: str
    #: How many units in a row make a finding.
    min_run: int


@cache
def _signatures() -> tuple[Signature, ...]:
    """The garbage signatures, computed from the codecs that produce them."""
    pair = _REPLACEMENT_UTF8 * 2
    sigs: list[Signature] = []
    for codec in ("gbk", "big5"):
        sigs.append(
            Signature(
                kind="replacement_character_misread",
                text=pair.decode(codec),
                bytes_hex=pair.hex(" "),
                read_as=codec,
                how=(
                    "U+FFFD, written as UTF-8 (EF BF BD) where a decoder had already "
                    f"given up on the original bytes, then read as {codec.upper()}; "
                    "the original text is lost"
                ),
                min_run=1,
            )
        )
    fills = {
        0xCC: "MSVC debug builds fill uninitialised stack memory with 0xCC",
        0xCD: "MSVC debug builds fill uninitialised heap memory with 0xCD",
    }
    for codec in ("gbk", "big5"):
        for byte, why in fills.items():
            unit = bytes([byte, byte])
            sigs.append(
                Signature(
                    kind="uninitialised_memory",
                    text=unit.decode(codec),
                    bytes_hex=unit.hex(" "),
                    read_as=codec,
                    how=f"{why}; printed as {codec.upper()} text there was never any text",
                    min_run=MIN_FILL_RUN,
                )
            )
    return tuple(sigs)


@cache
def _pattern() -> re.Pattern[str]:
    """One alternation: each signature repeated at least ``min_run`` times."""
    parts = [f"(?:{re.escape(s.text)}){{{s.min_run},}}" for s in _signatures()]
    parts.append(f"\ufffd{{{MIN_REPLACEMENT_RUN},}}")
    return re.compile("|".join(f"({p})" for p in parts))


#: Finds every candidate: the repeating units, two fill characters in a row, U+FFFD.
GATE = re.compile(
    "|".join(
        [re.escape(s.text) * min(s.min_run, 2) for s in _signatures()] + ["\ufffd"]
    )
)


@register_detector("garbage", gate=GATE)
def find_garbage(text: str, config: FixConfig) -> list[Finding]:
    """Findings for every run of known garbage; the text is not changed.

    >>> [(f.text, f.evidence["kind"]) for f in find_garbage("文件锟斤拷锟斤拷", FixConfig())]
    [('锟斤拷锟斤拷', 'replacement_character_misread')]
    >>> find_garbage("热烫烫的水", FixConfig())
    []
    >>> find_garbage("a\ufffd\ufffdb", FixConfig())[0].evidence["count"]
    2
    """
    sigs = _signatures()
    findings: list[Finding] = []
    for m in _pattern().finditer(text):
        index = (m.lastindex or 1) - 1
        run = m.group(0)
        if index < len(sigs):
            sig = sigs[index]
            evidence = {
                "kind": sig.kind,
                "unit": sig.text,
                "count": len(run) // len(sig.text),
                "bytes": sig.bytes_hex,
                "read_as": sig.read_as,
                "how": sig.how,
                "recoverable": False,
            }
        else:
            evidence = {
                "kind": "replacement_character",
                "unit": "\ufffd",
                "count": len(run),
                "how": (
                    "a decoder met bytes that were not valid in the encoding it assumed "
                    "and put U+FFFD in their place; the bytes are lost"
                ),
                "recoverable": False,
            }
        findings.append(
            Finding(detector="garbage", start=m.start(), end=m.end(), text=run, evidence=evidence)
        )
    return findings
