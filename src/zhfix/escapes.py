r"""Decode escaped bytes that stand for Chinese text.

Tools that meet bytes they will not print show them escaped, and Chinese text
comes out unreadable:

- Python's bytes repr: ``b'\xe6\x96\x87\xe4\xbb\xb6'`` (文件);
- git's quoted paths (``core.quotePath``): ``"\346\226\207\344\273\266.txt"``;
- pagers such as ``less``: ``<E6><96><87><E4><BB><B6>``.

A run of escaped bytes (at least :data:`MIN_BYTES` of them, all 0x80 or above,
with printable ASCII allowed between them where GBK and Big5 put an ASCII trail
byte) is decoded when the bytes are valid UTF-8 that reads as Chinese, or else
valid GBK or Big5 whose reading :mod:`zhfix.lm` finds plausible (the codec of
each part chosen as :func:`zhfix.bytesdecode.decode_pieces` does, so that a
truncated UTF-8 run still decodes up to the cut).  Anything else
(binary data, Latin-1 text, Korean …) stays escaped.  Quotes and ``b''`` around
the escapes are kept: they belong to the text that quotes the bytes.

URL percent-encoding (``%E6%96%87``) is left as it is: it is the correct form
of a URL, and there is no option to ask for it.

The fixer is off by default (``decode_escapes=False``): escapes are legitimate
in code and logs.

>>> from zhfix import fix_text
>>> fix_text(r"b'\xe6\x96\x87\xe4\xbb\xb6'", decode_escapes=True)
"b'文件'"
>>> fix_text(r'"\346\226\207\344\273\266.txt"', decode_escapes=True)
'"文件.txt"'
>>> fix_text(r"<D3><C3><BB><A7><B2><BB><B4><E6><D4><DA>", decode_escapes=True)
'用户不存在'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhfix import lm
from zhfix.bytesdecode import decode_pieces
from zhfix.chars import is_han
from zhfix.config import FixConfig
from zhfix.explain import Edit, Step
from zhfix.pipeline import register

#: A run must hold at least this many escaped bytes: one Chinese character is
#: two bytes in GBK and Big5, three in UTF-8.
MIN_BYTES = 2

#: A GBK or Big5 reading (the bytes not being valid UTF-8) is accepted only if
#: :func:`zhfix.lm.score` (mean log-probability per character) is at least this.
#: Measured on Han runs of the clean corpus encoded in GBK and Big5 against
#: random high bytes read the same way: 99% of real runs of two characters score
#: above -9.75, and 95% of random two-character readings below -10.2; for four
#: characters and more the two sets barely overlap (real 1st percentile -9.1,
#: random 99th -10.7).
MIN_LEGACY_SCORE = -9.5

#: Confidence of a decoding: UTF-8 checks itself, GBK and Big5 do not.
CONFIDENCE_UTF8 = 0.97
CONFIDENCE_LEGACY = 0.85


@dataclass(frozen=True)
class Style:
    """One way of writing escaped bytes."""

    name: str
    #: One escaped byte of 0x80 or above; group 1 holds its digits.
    byte: str
    base: int
    #: A literal character that may stand between escapes (an ASCII trail byte).
    literal: str


STYLES: tuple[Style, ...] = (
    Style("python", r"(?<!\\)\\x([89a-fA-F][0-9a-fA-F])", 16, r"[\x40-\x5b\x5d-\x7e]"),
    Style("git", r"(?<!\\)\\([23][0-7]{2})", 8, r"[\x40-\x5b\x5d-\x7e]"),
    Style("pager", r"<([89a-fA-F][0-9a-fA-F])>", 16, r"[\x40-\x7e]"),
)


def _run_pattern(style: Style) -> re.Pattern[str]:
    byte = style.byte.replace("([", "(?:[", 1)
    return re.compile(f"{byte}(?:{byte}|{style.literal}(?={byte}))+{style.literal}?")


_RUNS = tuple((style, _run_pattern(style), re.compile(style.byte)) for style in STYLES)

#: Two escaped high bytes in a row (or with one ASCII trail byte between), and
#: perhaps one ASCII trail byte after the last: the shortest thing the fixer
#: can decode.
GATE = re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in _RUNS))


def _tokens(
    run: str, offset: int, byte_re: re.Pattern[str], base: int
) -> list[tuple[int, int, int]]:
    """``(start, end, byte)`` for each escape or literal character of a run."""
    tokens: list[tuple[int, int, int]] = []
    pos = 0
    for m in byte_re.finditer(run):
        for i in range(pos, m.start()):
            tokens.append((offset + i, offset + i + 1, ord(run[i])))
        tokens.append((offset + m.start(), offset + m.end(), int(m.group(1), base)))
        pos = m.end()
    for i in range(pos, len(run)):
        tokens.append((offset + i, offset + i + 1, ord(run[i])))
    return tokens


def reads_as_chinese(text: str) -> bool:
    """True if ``text`` has a Han character and nothing but Han, CJK punctuation
    and printable ASCII.

    >>> reads_as_chinese("文件.txt"), reads_as_chinese("café"), reads_as_chinese("123")
    (True, False, False)
    """
    has_han = False
    for ch in text:
        if is_han(ch):
            has_han = True
        elif ch.isascii():
            if not ch.isprintable():
                return False
        elif not (
            "\u3000" <= ch <= "\u303f"
            or "\uff01" <= ch <= "\uff5e"
            or "\u2010" <= ch <= "\u2027"
            or ch == "\u00b7"
        ):
            return False
    return has_han


def _edit(
    tokens: list[tuple[int, int, int]], a: int, b: int, text: str, after: str,
    evidence: dict[str, object], confidence: float,
) -> Edit:
    # Literal characters at the ends that decoded to themselves stay outside the edit.
    while b - a > 1 and tokens[b - 1][1] - tokens[b - 1][0] == 1 and after.endswith(
        text[tokens[b - 1][0]]
    ):
        b -= 1
        after = after[:-1]
    start, end = tokens[a][0], tokens[b - 1][1]
    evidence = {**evidence, "bytes": bytes(t[2] for t in tokens[a:b]).hex(" ")}
    return Edit(start, end, text[start:end], after, confidence, evidence)


def _decode_run(text: str, m: re.Match[str], style: Style, byte_re: re.Pattern[str]) -> list[Edit]:
    """Edits for the parts of one run of escapes that decode to Chinese."""
    tokens = _tokens(m.group(0), m.start(), byte_re, style.base)
    data = bytes(t[2] for t in tokens)
    try:
        whole = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Valid UTF-8 is UTF-8: if it is not Chinese, it is not ours to decode.
        if not reads_as_chinese(whole):
            return []
        found: dict[str, object] = {"style": style.name, "encoding": "utf-8"}
        return [_edit(tokens, 0, len(tokens), text, whole, found, CONFIDENCE_UTF8)]
    edits: list[Edit] = []
    _, pieces = decode_pieces(data)
    for a, b, codec, decoded in pieces:
        if not codec or b - a < MIN_BYTES or not reads_as_chinese(decoded):
            continue
        evidence: dict[str, object] = {"style": style.name, "encoding": codec}
        confidence = CONFIDENCE_UTF8
        if codec != "utf-8":
            score = lm.score(decoded)
            if score < MIN_LEGACY_SCORE:
                continue
            evidence["lm_score"] = round(score, 2)
            confidence = CONFIDENCE_LEGACY
        edits.append(_edit(tokens, a, b, text, decoded, evidence, confidence))
    return edits


@register("escapes", switch="decode_escapes", gate=GATE)
def decode_escapes(text: str, config: FixConfig) -> Step | None:
    r"""Decode runs of escaped bytes that read as Chinese.

    >>> step = decode_escapes(r"path \xe6\x96\x87\xe4\xbb\xb6 ok", FixConfig())
    >>> [(e.before, e.after, e.evidence["encoding"]) for e in step.edits]
    [('\\xe6\\x96\\x87\\xe4\\xbb\\xb6', '文件', 'utf-8')]
    >>> decode_escapes(r"b'\x89PNG\r\n\x1a\n'", FixConfig()) is None
    True
    """
    edits: list[Edit] = []
    for style, run_re, byte_re in _RUNS:
        for m in run_re.finditer(text):
            edits.extend(_decode_run(text, m, style, byte_re))
    if not edits:
        return None
    edits.sort(key=lambda e: e.start)
    return Step("escapes", tuple(edits))
