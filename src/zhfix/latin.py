"""Repair Latin-family mojibake through ftfy, leaving Chinese text to zhfix.

UTF-8 read as Windows-1252 or Latin-1 (``donâ€™t``, ``cafÃ©``) is what ftfy
repairs best, so zhfix hands it such spans and nothing else:

- only words of non-CJK characters are given to ftfy, and only those that
  hold a UTF-8 lead byte read as Latin-1 followed by a continuation byte (the
  gate), so CJK punctuation, fullwidth forms and curly quotes around them never
  reach it, and time stays linear in the length of the text;
- only ``ftfy.fix_encoding`` runs (no width, quote or punctuation changes), and
  with ``replace_lossy_sequences`` off, so nothing becomes U+FFFD here;
- a change is kept only when it yields Latin-family text (:func:`is_latin_family`);
  a span whose repair would yield any CJK character is refused whole
  (``æ–‡ä»¶`` is UTF-8 Chinese read as Windows-1252: the CJK fixer's work);
- a span whose bytes (read back through Windows-1252) are not valid UTF-8 but read
  as plausible GBK or Big5 Chinese is CJK mojibake (``ÓÃ»§²»´æÔÚ`` is
  ``用户不存在`` in GBK read as Windows-1252): ftfy would half-repair it into
  ``Óû§²»´æÔÚ``, so it is left whole for :mod:`zhfix.mojibake`;
- a fragment that stands alone between quotation marks (``显示成“Ã©”``) is
  mentioned, not used: text that explains mojibake quotes it, so it stays.

>>> fix_latin_mojibake("文件名 donâ€™t care", FixConfig()).edits[0].after
'’'
>>> fix_latin_mojibake("ÓÃ»§²»´æÔÚ", FixConfig()) is None
True
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any

from zhfix import lm
from zhfix.bytesdecode import best_decoding
from zhfix.chars import han_count
from zhfix.config import FixConfig
from zhfix.explain import Edit, Step, common_affixes
from zhfix.pipeline import GateTest, Lead, first_class_test, register

#: The codec through which UTF-8 bytes were misread: Windows-1252 with its five
#: undefined bytes passed through as C1 controls (ftfy's "sloppy" variant).
SLOPPY_1252 = "sloppy-windows-1252"

#: A run of mojibake that reads as GBK/Big5 Chinese with at least this many Han
#: characters, and at least :data:`MIN_CJK_SCORE` per character under
#: :mod:`zhfix.lm`, is left to the CJK fixer.  One character is not enough: two
#: UTF-8 bytes of a Latin letter often form one GBK character (``Ã©`` → ``茅``).
MIN_CJK_HAN = 2
#: The same threshold as zhfix.escapes.MIN_LEGACY_SCORE, measured there on Han
#: runs of the clean corpus against random bytes.
MIN_CJK_SCORE = -9.5

#: Confidence of a repair ftfy makes by re-encoding the whole run, and of one it
#: makes piecemeal (``decode_inconsistent_utf8``, ``restore_byte_a0`` …).
CONFIDENCE_WHOLE = 0.95
CONFIDENCE_PIECEMEAL = 0.85

#: How often ftfy is run over one span: it sometimes repairs part of a span
#: per pass (``decode_inconsistent_utf8``); two-layer mojibake needs two.
MAX_FTFY_PASSES = 3

#: Fragments longer than this are compared with their repair as one change,
#: not character by character (difflib is quadratic on long, repetitive text).
MAX_DIFF_CHARS = 200

#: ftfy's options: encoding repairs only.
_FTFY_OPTIONS: dict[str, Any] = {
    "unescape_html": False,
    "remove_terminal_escapes": False,
    "replace_lossy_sequences": False,
    "fix_latin_ligatures": False,
    "fix_character_width": False,
    "uncurl_quotes": False,
    "fix_line_breaks": False,
    "remove_control_chars": False,
    "normalization": None,
}


def _gate_pattern() -> str:
    # A UTF-8 lead byte (0xC2-0xF4) read as Latin-1 is one of Â…ô; a
    # continuation byte (0x80-0xBF) read as Windows-1252 or Latin-1 is one of
    # the characters below, derived from the codecs.
    cont = bytes(range(0x80, 0xC0))
    chars = sorted(set(cont.decode("latin-1")) | set(cont.decode("cp1252", errors="ignore")))
    # "Ã " is "à" (C3 A0) whose no-break space became a space.
    return "[\u00c2-\u00f4][" + "".join(re.escape(c) for c in chars) + "]|\u00c3 "


GATE = re.compile(_gate_pattern())
#: The gate's answer from a scan led by one class (every match starts with a
#: lead byte read as Latin-1): twice as fast on Chinese text.
LEAD = Lead("\u00c2-\u00f4", _gate_pattern())
gate_test: GateTest = first_class_test(LEAD.first, LEAD.pattern)

#: Characters that end a span given to ftfy: line breaks and anything from the
#: CJK blocks up (CJK punctuation, kana, Han, Hangul, fullwidth forms).
_SPAN = re.compile("[^\n\r\u2e80-\U0010ffff]+")

#: What ftfy is given: a word (no ASCII white space; a no-break space can be
#: the second byte of ``à``), with one or two spaces after it when it ends in
#: a possible UTF-8 lead byte (``Ã  la`` is ``à la`` whose no-break space
#: became a space).  Mojibake of UTF-8 never spans white space otherwise.
_FRAGMENT = re.compile("[^ \t\n\r\f\v]+(?:(?<=[\u00c0-\u00ff])  ?)?")

#: CJK characters a repair must not produce.
_CJK = re.compile(
    "[\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")

#: Outside the Latin family: anything but ASCII, Latin-1, Latin Extended-A/B and
#: Additional, general punctuation, currency, letterlike symbols, arrows and
#: mathematical operators.  Greek and Cyrillic are left out on purpose: GBK text
#: read as Windows-1252 often forms valid UTF-8 for them (为 → Ϊ, 学 → ѧ).
_NOT_LATIN = re.compile(
    "[^\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\u2190-\u22ff]"
)


@cache
def _ftfy() -> tuple[Any, Any]:
    import ftfy
    import ftfy.bad_codecs  # registers the sloppy codecs

    return ftfy.fix_encoding_and_explain, ftfy.TextFixerConfig(**_FTFY_OPTIONS)


def _as_single_bytes(span: str) -> bytes | None:
    """The bytes ``span`` was read from as Windows-1252 or Latin-1, or None.

    Latin-1 readers leave the bytes 80-9F as C1 controls where Windows-1252
    has letters and quotes, and GBK puts many lead bytes there; Turkish
    Windows-1254 reads six bytes as ``ĞğİıŞş``.  All three readings are undone
    at once (no character stands for two different bytes among them).

    >>> _as_single_bytes("Ó\\x81í“ş"), _as_single_bytes("文")
    (b'\\xd3\\x81\\xed\\x93\\xfe', None)
    """
    _ftfy()  # registers the codec
    out = bytearray()
    for ch in span:
        if "\x80" <= ch <= "\x9f":
            out.append(ord(ch))
            continue
        for codec in (SLOPPY_1252, "cp1254"):
            try:
                out += ch.encode(codec)
                break
            except UnicodeEncodeError:
                continue
        else:
            return None
    return bytes(out)


def is_cjk_mojibake(span: str, depth: int = 2) -> bool:
    """True if ``span``, read back as Windows-1252 bytes, is plausible GBK/Big5
    Chinese and not UTF-8: mojibake for :mod:`zhfix.mojibake`, not for ftfy.

    The whole span is judged at once: GBK and Big5 put some trail bytes in the
    ASCII range, so their mojibake is cut into short pieces by ASCII letters,
    and a piece alone can look like UTF-8 (``×´`` is valid UTF-8 for ``״``).

    >>> is_cjk_mojibake("ÓÃ»§²»´æÔÚ"), is_cjk_mojibake("Ã©"), is_cjk_mojibake("â€™")
    (True, False, False)
    >>> is_cjk_mojibake("Ã“ÃƒÂ»Â§Â²Â»Â´Ã¦Ã”Ãš")
    True
    """
    data = _as_single_bytes(span)
    if data is None:
        return False
    try:
        inner = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # UTF-8 read as Windows-1252 on top of GBK read as Windows-1252
        # (``Ã“Ãƒ`` → ``ÓÃ`` → ``用``): ftfy would undo the outer layer and
        # half-repair the inner one, so the inner text is judged too.
        return depth > 1 and inner != span and is_cjk_mojibake(inner, depth - 1)
    found = best_decoding(data, ("gbk", "big5", "gb18030", "cp950"))
    if found is None:
        return False
    reading = found[1]
    if han_count(reading) < MIN_CJK_HAN:
        return False
    # Score the non-ASCII runs of the reading only: the ASCII between them is
    # the same in every reading.
    runs = _NON_ASCII_RUN.findall(reading)
    chars = sum(len(r) for r in runs)
    return sum(lm.logprob(r) for r in runs) / chars >= MIN_CJK_SCORE


def is_latin_family(text: str) -> bool:
    """True if ``text`` is made of Latin letters, Latin punctuation and symbols.

    >>> is_latin_family("café – “ok” ≥ 3 €"), is_latin_family("״̬"), is_latin_family("文")
    (True, False, False)
    """
    return not _NOT_LATIN.search(text)


#: Quotation marks: mojibake standing between them is mentioned, not used.
QUOTES = frozenset("\"'`“”‘’「」『』«»‹›")


def is_quoted(text: str, start: int, end: int) -> bool:
    """True if ``text[start:end]`` touches a quotation mark and no letter or digit.

    Text that explains mojibake quotes it (``显示成“Ã©”``); mojibake in use sits
    inside words (``cafÃ©``) or between them.

    >>> is_quoted("显示成“Ã©”", 4, 6), is_quoted("“cafÃ©”", 4, 6), is_quoted("a Ã© b", 2, 4)
    (True, False, False)
    """
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before.isalnum() or after.isalnum():
        return False
    return before in QUOTES or after in QUOTES


def _ftfy_fix(fragment: str) -> tuple[str, list[list[str]]]:
    """ftfy's repair of ``fragment`` and its plan, run until it stops changing."""
    fix_and_explain, ftfy_config = _ftfy()
    fixed = fragment
    plan: list[list[str]] = []
    # ftfy may repair part of a fragment and leave the rest for another pass.
    for _ in range(MAX_FTFY_PASSES):
        result = fix_and_explain(fixed, ftfy_config)
        if result.text == fixed:
            break
        fixed = result.text
        plan.extend(list(step) for step in (result.explanation or []))
    return fixed, plan


def _changes(before: str, after: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for each change from ``before`` to ``after``."""
    if len(before) > MAX_DIFF_CHARS:
        # One change from the first difference to the last.
        i, j = common_affixes(before, after)
        return [(i, len(before) - j, after[i : len(after) - j])]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [(a1, a2, after[b1:b2]) for op, a1, a2, b1, b2 in matcher.get_opcodes() if op != "equal"]


def _span_edits(text: str, start: int, end: int) -> list[Edit]:
    span = text[start:end]
    if is_cjk_mojibake(span):
        return []
    edits: list[Edit] = []
    for m in _FRAGMENT.finditer(span):
        fragment = m.group(0)
        if not GATE.search(fragment):
            continue
        fixed, plan = _ftfy_fix(fragment)
        if fixed == fragment:
            continue
        # A repair that yields CJK characters is mojibake of Chinese text: all
        # of the span is for the CJK fixer, even the quotes ftfy would repair.
        if _CJK.search(fixed):
            return []
        changes = _changes(fragment, fixed)
        changed = [False] * len(fragment)
        for a1, a2, _ in changes:
            changed[a1:a2] = [True] * (a2 - a1)

        def in_fragment(i: int, fragment: str = fragment, changed: list[bool] = changed) -> bool:
            # Quotation marks are Windows-1252 characters too (“ is 0x93): one
            # that ftfy changes is part of the mojibake, not a quote around it.
            ch = fragment[i]
            return not ch.isascii() and (ch not in QUOTES or changed[i])

        whole = bool(plan) and plan[0][0] == "encode"
        offset = start + m.start()
        for a1, a2, after in changes:
            if not is_latin_family(after):
                continue
            # The piece of mojibake: the change, widened over the non-ASCII
            # characters around it up to a quotation mark.
            r1, r2 = a1, a2
            while r1 > 0 and in_fragment(r1 - 1):
                r1 -= 1
            while r2 < len(fragment) and in_fragment(r2):
                r2 += 1
            if is_quoted(text, offset + r1, offset + r2):
                continue
            evidence = {"ftfy": plan, "fragment": fragment[r1:r2]}
            confidence = CONFIDENCE_WHOLE if whole else CONFIDENCE_PIECEMEAL
            edits.append(
                Edit(offset + a1, offset + a2, fragment[a1:a2], after, confidence, evidence)
            )
    return edits


@register("latin_mojibake", switch="fix_latin_mojibake", gate=GATE, test=gate_test, lead=LEAD)
def fix_latin_mojibake(text: str, config: FixConfig) -> Step | None:
    """Repair Latin-family mojibake in the spans that show it, through ftfy.

    >>> step = fix_latin_mojibake("The cafÃ© is â€œopenâ€\\x9d.", FixConfig())
    >>> [(e.before, e.after) for e in step.edits]
    [('Ã©', 'é'), ('â€œ', '“'), ('â€\\x9d', '”')]
    """
    edits: list[Edit] = []
    for m in _SPAN.finditer(text):
        if GATE.search(m.group(0)):
            edits.extend(_span_edits(text, m.start(), m.end()))
    if not edits:
        return None
    return Step("latin_mojibake", tuple(edits))
