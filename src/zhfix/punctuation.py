"""Restore fullwidth punctuation that NFKC normalisation flattened.

NFKC maps ``，；：？！（）`` to ASCII ``,;:?!()`` but keeps ``。、“”《》「」``, so a
paragraph that went through NFKC reads ``不过,掌握它并不容易。`` — fullwidth
full stops beside ASCII commas.  Real authors also type ASCII commas in Chinese
sentences, and such a sentence cannot be told from its NFKC twin by looking at
one comma.  So the decision is made per paragraph (one line), from evidence:

- a paragraph holding any character that NFKC would change (fullwidth digits,
  U+3000, ``…``, ``～``, a fullwidth comma …) was not flattened: it is left alone;
- signs of ASCII typing veto the repair, since NFKC adds no spaces and never
  turns ``。`` into ``.``: a space after a comma, colon, question or exclamation
  mark next to Han (``文件, 目录``), an ASCII full stop after Han (``目录.``),
  a space after ``。``;
- otherwise the paragraph needs enough tight Han-context marks (``学习,使用``;
  marks inside a title ``《》`` or a ``「」`` label are quoted, not evidence),
  of more than one kind unless it also holds marks NFKC keeps (``。、“”``);
  beside such a mark other than ``。`` (``、“”《》「」``) one comma is enough.

NFKC flattens a whole text at once, so a text of several paragraphs is also
weighed as a whole, in blocks of 16 lines: when NFKC would change nothing in
a block (but one ``，；：？！（）`` a resynchronised span revealed) and no
line of it shows ASCII typing (a space after an ASCII mark, an ASCII full
stop after Han), the marks of its paragraphs add up, and a short
paragraph (one comma beside ``。``, a lone ``?``) is restored with the others.

Within a flattened paragraph only marks next to Han are restored: ``1,000``,
``12:30``, URLs, code in backticks, HTML entities, ``%s``-style placeholders
and English sentences keep their ASCII punctuation.  Parentheses are decided
as a pair: they become ``（）`` when the text they enclose contains Han and no
parenthesis of the paragraph is padded with spaces.  Every threshold below was
set by ``python bench/punctuation_accuracy.py`` on the clean corpus and on its
NFKC-flattened lines; the same command lists the clean lines still changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any, TypedDict

from zhfix.chars import HAN
from zhfix.config import FixConfig
from zhfix.explain import Edit, Step
from zhfix.pipeline import Lead, first_class_pattern, register, split_lines_at

#: ASCII mark → the fullwidth mark NFKC flattened into it.
FULLWIDTH: dict[str, str] = {
    ",": "，",
    ";": "；",
    ":": "：",
    "?": "？",
    "!": "！",
    "(": "（",
    ")": "）",
}

#: Fullwidth marks NFKC keeps; a comma or a colon beside one is in Han context.
_CJK_PUNCT = "。、“”‘’《》「」『』〈〉【】〔〕"
#: Those of them that open and close a quotation or a title.
_CJK_OPEN = "“‘《「『〈【〔"
_CJK_CLOSE = "”’》」』〉】〕"
_KEPT_CJK = re.compile(f"[{_CJK_PUNCT}]")
_KEPT_BEYOND_FULL_STOP = re.compile(f"[{_CJK_PUNCT.replace('。', '')}]")
#: A title (``《至德二载,甫自京金光门出》``) or a label in corner brackets
#: (``「uno:类型,参数」``) is quoted as its source wrote it: its marks say
#: nothing of how the paragraph around it was typed, and are not counted as
#: evidence (they are restored with a paragraph judged flattened).  Set by
#: ``python bench/punctuation_accuracy.py``: 2 of the 5 clean zh_hans.dev lines
#: changed are no longer, for 64 flattened lines of 50,297 no longer restored
#: (49 of zh_hans.dev, 15 of zh_hant.dev);
#: marks inside ``“”`` are evidence (not counting them loses 300 more lines and
#: spares no clean line).
_QUOTED = re.compile("《[^《》\n]*》|「[^「」\n]*」")
#: A parenthesis padded with a space outside: typed, not flattened.
_SPACED_PAREN = re.compile(r"\S \(|\) \S")

#: Finds every ASCII mark next to a Han character: the fixer edits nothing else.
GATE = re.compile(f"[{HAN}][,;:?!()]|[,;:?!()][{HAN}]")
#: The gate led by the marks, each match one mark long: four times faster on
#: Chinese text than trying a Han class at every character (zh_hans.dev).
LEAD = Lead(",;:?!()", f"[,;:?!()](?:(?<=[{HAN}].)|(?=[{HAN}]))")
_FAST_GATE = first_class_pattern(LEAD.first, LEAD.pattern)
gate_test = _FAST_GATE.search

#: Spans whose punctuation is never touched: URLs and e-mail addresses, code in
#: backticks, HTML entities (``&nbsp;``), printf / Python / brace placeholders
#: (``%s``, ``%1$s``, ``%(name)s``, ``{0}``).
_PROTECTED = re.compile(
    r"""
      [A-Za-z][A-Za-z0-9+.-]*://[!-~]*?(?=[.,;:?!)]*(?:[^!-~]|$))  # URL, less
                                                    # the marks that end it
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                  # e-mail address
    | `[^`\n]*`                                     # inline code
    | &(?:\#[0-9]+|\#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);  # HTML entity
    | %(?:\d+\$|\([A-Za-z_]\w*\))?[-+ #0]*\d*(?:\.\d+)?[A-Za-z]  # printf / Python
    | \{[A-Za-z0-9_.]*(?::[^{}\n]*)?\}              # brace placeholder
    """,
    re.VERBOSE,
)

#: Signs that a paragraph was typed with ASCII punctuation rather than
#: flattened: NFKC never adds a space, and never turns ``。`` into ``.``.
_AUTHORED_ASCII: dict[str, re.Pattern[str]] = {
    # 文件, 目录 / sshd(8), 使用 / 无效输入! 请输入
    "space_after_mark": re.compile(f"[{HAN}][,;] |[,;] +[{HAN}]|[{HAN}][?!] +[{HAN}]"),
    # 注意: 文件
    "colon_space": re.compile(f"[{HAN}]: "),
    # 目录. / 目录.下一句 / “磁盘映像”. / 大小的19%.长格式 / 是1/1300. / 加1.默认值
    "ascii_full_stop": re.compile(f"[{HAN}”’」』》)%]\\.(?:[ {HAN}]|$)|\\d\\.(?:[{HAN}]|$)"),
    # 排序。 最多
    "space_after_full_stop": re.compile(f"。 +[{HAN}]"),
}

#: The signs that keep a whole text from being weighed at once, wherever they
#: are: an ASCII full stop after Han (``目录.``), which NFKC never makes of
#: ``。``, and a space after an ASCII mark beside Han (``文件, 目录``): an
#: author who types ASCII marks in one line does so in others.  A space after
#: ``。`` keeps only its own paragraph out: it is typed after a fullwidth mark
#: NFKC keeps.  Set by ``python bench/punctuation_accuracy.py --group 2 3 4``
#: (and texts of 8, 16, 64 lines): lines of flattened 4-line documents are
#: restored 76.0% (zh_hant.dev 84.0%), 75.7% (83.6%) with the space after
#: ``。`` vetoing the text too; leaving out the full stop changed clean texts
#: of 3 to 8 lines.  Leaving out the space after a mark changed none (77.2%,
#: 84.2%) but would restore ``打开菜单,选择选项。`` beside ``文件, 目录``.
DOCUMENT_VETOES = ("space_after_mark", "ascii_full_stop")

#: The signs of a paragraph that keep it from being judged alone but not from
#: being restored with its text: a colon and a space after Han (``注意: 文件``)
#: is also what NFKC leaves of ``：`` typed before a space (426 of the 767
#: such colons in zh_hans.dev lines holding ``，；：？！（）``).  Restoring such
#: paragraphs with their text gives 76.0% of lines of flattened 4-line
#: documents exact instead of 75.4% (zh_hant.dev 84.0%, 83.9%), 92.9% of the
#: lines changed exact instead of 93.6% (same command).
WEIGHED_DESPITE = frozenset({"colon_space"})

#: Those signs sought in a whole text at once (``$`` ends each line).
_DOCUMENT_VETO = re.compile(
    "|".join(f"(?:{_AUTHORED_ASCII[name].pattern})" for name in DOCUMENT_VETOES),
    re.MULTILINE,
)

#: A paragraph that keeps fullwidth marks NFKC leaves alone (``。、“”《》``…)
#: counts as flattened with this many tight Han-context ASCII commas
#: (``学习,使用``), or with one comma and another flattened mark (a semicolon,
#: colon or parenthesis pair in Han context).  Set by
#: bench/punctuation_accuracy.py on the clean corpus: a lone comma beside
#: ``。`` is common in authored lines (zh_hans.dev: 13 clean lines changed
#: instead of 5, for 69% of flattened lines judged instead of 41%).
MIN_COMMAS_WITH_KEPT = 2

#: One tight comma is enough beside a kept mark other than ``。`` (``、“”《》「」``
#: …), which only a Chinese input method types.  Set by the same command: the
#: clean lines with one tight comma beside ``。`` are authored (8 in
#: zh_hans.dev), those beside ``、“”《》「」`` are not (none in either file once
#: a comma before a closing mark, ``「质量,」``, is not counted as tight), and
#: such flattened lines are 6.6% of zh_hans.dev's and 4.0% of zh_hant.dev's.
MIN_COMMAS_WITH_KEPT_BEYOND_FULL_STOP = 1

#: Without such marks a paragraph needs this many tight commas *and* a tight
#: question or exclamation mark: ASCII typists in the clean corpus mostly use
#: one kind of mark, NFKC flattens every kind at once.  Commas alone (2, 3, 4
#: or more) change authored lines of the clean corpus (lists of names, man
#: pages); a comma with a ``?`` or ``!`` changes none (bench, both files).
MIN_COMMAS_WITH_QUESTION = 1

#: The summed marks of a text are judged as one paragraph's are only with at
#: least this many paragraphs holding ASCII marks beside Han; a lone paragraph
#: was judged alone already, and only :data:`MIN_LINES_WITH_KEPT` applies to
#: it.  Judging a lone paragraph with the kept marks of its text's other lines
#: changed 3 clean windows (``python bench/punctuation_accuracy.py --group 4``).
MIN_DOCUMENT_PARAGRAPHS = 2

#: A paragraph with one tight comma beside ``。`` (``打开菜单,选择选项。``) is
#: restored when at least this many lines of its text hold marks NFKC keeps:
#: the text uses Chinese punctuation on several lines, yet none of
#: ``，；：？！（）`` anywhere.  Set by ``python bench/punctuation_accuracy.py
#: --group 2 3 4``: with 3, no clean text of 3 or 4 lines is changed beyond
#: its lines alone (of 2 lines, one is: next to a line changed alone, whose
#: commas count), and lines of flattened 4-line documents are restored 76.0%
#: instead of 74.0% (zh_hant.dev 84.0%, 80.1%); with 2, a lone comma beside
#: ``。`` above a line ending in ``。`` changed a clean text too, for 76.4%
#: (84.5%); commas in lines without kept marks (``向上箭头键,向下箭头键``) and
#: lone ``?`` changed clean texts.
MIN_LINES_WITH_KEPT = 3

#: A text is weighed in blocks of this many lines: a sign of typed ASCII, or
#: a character NFKC would change, keeps only its own block from being weighed
#: as a whole (a long file would otherwise almost always hold one).  Set with
#: each corpus file flattened and repaired as one text: blocks of 16 lines
#: restore 76.9% of the flattened zh_hans.dev lines exactly (zh_hant.dev
#: 90.2%), blocks of 8 lines 77.8% (87.9%), of 32 lines 74.2% (90.6%), the
#: whole text at once 44.4% (46.6%, as lines alone); no clean text of 8, 16
#: or 32 lines starting at any corpus line is changed beyond its lines alone
#: (``python bench/punctuation_accuracy.py --group 8 16 32``).
DOCUMENT_LINES = 16

#: Confidence of each kind of edit in a paragraph judged flattened: the share
#: of such marks that were fullwidth before NFKC, measured on the flattened
#: corpus lines by bench/punctuation_accuracy.py (rounded down).
CONFIDENCE: dict[str, float] = {
    ",": 0.99,
    ";": 0.99,
    "?": 0.99,
    "!": 0.99,
    ":": 0.98,
    "()": 0.7,
}

#: A colon that ends a paragraph (``例如:``) was fullwidth in only two cases
#: of three: authors who typed ``，`` often typed ``:`` before an example.
CONFIDENCE_FINAL_COLON = 0.65


_HAN_CHAR = re.compile(f"[{HAN}]")
_SPACE = (" ", "\t", "\u3000")
_NOT_AFTER_COLON = (*_SPACE, ":", "/", "-", ")", "(")


class Signals(TypedDict):
    """Why a paragraph was judged flattened or not (JSON-ready evidence)."""

    #: NFKC would change nothing in the paragraph.
    nfkc_normalized: bool
    #: Names of the :data:`_AUTHORED_ASCII` patterns found.
    authored_ascii: list[str]
    #: Restorable marks by kind: tight commas, semicolons, question and
    #: exclamation marks, colons, colons that end the paragraph, parenthesis
    #: pairs.
    tight_marks: dict[str, int]
    #: Number of fullwidth marks NFKC keeps (``。、“”``…).
    kept_fullwidth: int
    #: Of those, the marks other than ``。``.
    kept_beyond_full_stop: int
    flattened: bool


#: The fullwidth marks this fixer restores, back to the ASCII NFKC makes of them.
_FLATTEN = str.maketrans({full: ascii for ascii, full in FULLWIDTH.items()})
_RESTORED = tuple(FULLWIDTH.values())

#: A text of several lines may be weighed as a whole although it holds one of
#: the marks this fixer restores (``，；：？！（）``).  Such a mark is what
#: resynchronising a double-byte stream read one byte off reveals in a
#: flattened text: NFKC never saw it, hidden as it was in mojibake, and the
#: text around it looked unflattened (``尚未啓用，使用 %s 啓用它;或者``).  In 300
#: four-paragraph ``content farm, --to simplified, strict`` documents, 10 of
#: the 44 restored exactly but for punctuation held such a mark; weighing them
#: restores 4 more documents exactly (59 to 63), and of 600 such documents
#: 13 more (112 to 125), changing no other.
#:
#: At most this many such marks are overlooked in a block, and only when it
#: is weighed as a whole: one resynchronised span reveals one.  Overlooking
#: every one changed 16 more clean lines of zh_hans.dev judged alone (authors
#: mix ``，`` and ``,``), and 106 clean 4-line texts beyond their lines alone
#: when only texts were weighed (``python bench/punctuation_accuracy.py
#: --group 4``).
MAX_OVERLOOKED = 1

#: A block with an overlooked mark is restored only with this many ASCII
#: marks beside Han in its weighed paragraphs (a colon ending a paragraph not
#: counted) and this many lines: with one comma, 2 clean 4-line texts changed
#: beyond their lines alone; texts of 2 and 3 lines changed with 2 or 3 marks
#: (``python bench/punctuation_accuracy.py --group 2 3 4 8 16``: with both
#: bounds no clean text changes beyond its lines alone more than with no mark
#: overlooked).
MIN_MARKS_BESIDE_OVERLOOKED = 2
MIN_LINES_BESIDE_OVERLOOKED = 4


def _nfkc_normalized(text: str, overlook: bool = False) -> bool:
    """Whether NFKC would change nothing in ``text``, with ``overlook`` but
    for :data:`MAX_OVERLOOKED` of the marks this fixer restores.

    >>> _nfkc_normalized("尚未启用，使用,然后", True), _nfkc_normalized("尚未，使用，然后", True)
    (True, False)
    >>> _nfkc_normalized("尚未启用，使用,然后"), _nfkc_normalized("共１个", True)
    (False, False)
    """
    if overlook and 0 < sum(map(text.count, _RESTORED)) <= MAX_OVERLOOKED:
        text = text.translate(_FLATTEN)
    return unicodedata.is_normalized("NFKC", text)


def _is_han(ch: str) -> bool:
    return bool(ch) and bool(_HAN_CHAR.match(ch))


def _han_or_cjk(ch: str) -> bool:
    return bool(ch) and (_is_han(ch) or ch in _CJK_PUNCT)


def _opens_or_han(ch: str) -> bool:
    return bool(ch) and (_is_han(ch) or ch in _CJK_OPEN)


def _closes(ch: str) -> bool:
    return bool(ch) and ch in _CJK_CLOSE


def _tight_comma(prev: str, nxt: str) -> bool:
    """Whether a comma between ``prev`` and ``nxt`` counts as evidence of NFKC.

    Between Han (``学习,使用``), after a closing mark or parenthesis before
    Han (``「名称」,然后``, ``(见下文),然后``), before an opening mark
    (``名称,「设置」``) or before a Latin word (``图层,Draw``).  Not before a
    closing mark (``「质量,」``, a quoted label) nor after a Latin word
    (``URL,就会``): counted, those changed clean corpus lines or windows
    (``python bench/punctuation_accuracy.py --group 4``).

    >>> _tight_comma("习", "使"), _tight_comma(")", "然"), _tight_comma("量", "」")
    (True, True, False)
    """
    if _is_han(prev):
        return _opens_or_han(nxt) or (nxt.isascii() and nxt.isalnum())
    return _is_han(nxt) and (_closes(prev) or prev == ")")


def _quoted(line: str) -> list[bool]:
    """Which positions of ``line`` lie in a title or a corner-bracket quote.

    >>> "".join("q" if q else "." for q in _quoted("见《书,名》与「甲,乙」"))
    '.qqqqq.qqqqq'
    """
    mask = [False] * len(line)
    for m in _QUOTED.finditer(line):
        mask[m.start():m.end()] = [True] * (m.end() - m.start())
    return mask


def _protected(line: str) -> list[bool]:
    """Which positions of ``line`` lie in a URL, code span or placeholder."""
    mask = [False] * len(line)
    for m in _PROTECTED.finditer(line):
        for i in range(m.start(), m.end()):
            mask[i] = True
    return mask


def _mark_candidates(line: str, mask: list[bool]) -> Iterator[tuple[int, int, str]]:
    """Single marks to restore, as ``(start, end, kind)`` with kind in CONFIDENCE.

    Only marks with a Han neighbour qualify, so the gate finds every one.

    >>> line = "共1,000个,好吗?!12:30"
    >>> [line[s:e] for s, e, _ in _mark_candidates(line, [False] * len(line))]
    [',', '?!']
    """
    n = len(line)
    i = 0
    while i < n:
        ch = line[i]
        if mask[i] or ch not in ",;:?!":
            i += 1
            continue
        prev = line[i - 1] if i else ""
        if ch in "?!":
            j = i
            while j < n and line[j] in "?!" and not mask[j]:
                j += 1
            run = line[i:j]
            nxt = line[j] if j < n else ""
            # ?? and longer runs of ? are lossy decoding, not questions.
            if _is_han(prev) and "??" not in run and nxt not in ("=", ":"):
                yield i, j, run[0]
            i = j
            continue
        nxt = line[i + 1] if i + 1 < n else ""
        han_next = _is_han(nxt)
        if ch in ",;":
            # 1,000 has no Han neighbour; 共 3,也就是 does.
            ok = (_is_han(prev) and nxt not in _SPACE) or (han_next and prev not in _SPACE)
        else:
            # Never in ::, times (12:30), URL schemes or smileys (:-) :) ).
            ok = (
                (_is_han(prev) and nxt not in _NOT_AFTER_COLON)
                or (han_next and prev.isascii() and prev.isalnum())
            ) and prev != ":"
        if ok and (_is_han(prev) or han_next):
            yield i, i + 1, ch
        i += 1


def _paren_pairs(line: str, mask: list[bool]) -> Iterator[tuple[int, int]]:
    """Matched ASCII parenthesis pairs ``(open, close)`` that enclose Han.

    A pair qualifies when neither parenthesis is padded with a space outside and
    one of the two touches Han, so the gate finds it.  A paragraph that pads
    some parentheses with spaces (``文件 (目录)``) was typed with ASCII
    parentheses: NFKC adds no spaces, so none of its pairs qualifies.

    >>> list(_paren_pairs("函数(参数)与f(x)", [False] * 11))
    [(2, 5)]
    >>> list(_paren_pairs("函数(参数)与 (x)", [False] * 11))
    []
    """
    if _SPACED_PAREN.search(line):
        return
    stack: list[int] = []
    n = len(line)
    for i, ch in enumerate(line):
        if mask[i]:
            continue
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            o = stack.pop()
            inner = line[o + 1 : i]
            before = line[o - 1] if o else ""
            after = line[i + 1] if i + 1 < n else ""
            touches = _is_han(before) or _is_han(after) or _is_han(line[o + 1]) or _is_han(
                line[i - 1]
            )
            if (
                _HAN_CHAR.search(inner)
                and touches
                and before not in (*_SPACE, "]")  # not a Markdown link target
                and after not in _SPACE
                and not any(mask[o:i])
            ):
                yield o, i


def paragraph_signals(line: str) -> Signals:
    """The evidence on which one paragraph is judged flattened or not.

    >>> paragraph_signals("不过,掌握这个工具的全部用法并不容易,要花时间。")["flattened"]
    True
    >>> paragraph_signals("文件, 目录, 链接")["authored_ascii"]
    ['space_after_mark']
    """
    mask = _protected(line)
    n = len(line)
    tight: dict[str, int] = {",": 0, ";": 0, "?!": 0, ":": 0, ":$": 0, "()": 0}
    quoted = _quoted(line)
    for s, e, kind in _mark_candidates(line, mask):
        if quoted[s]:
            continue
        prev = line[s - 1] if s else ""
        nxt = line[e] if e < n else ""
        if kind == ":":
            tight[":" if e < n else ":$"] += 1
        elif kind in ("?", "!"):
            tight["?!"] += _is_han(prev)
        elif kind == ";":
            tight[";"] += _is_han(prev) and _han_or_cjk(nxt)
        elif _tight_comma(prev, nxt):
            tight[","] += 1
    tight["()"] = sum(1 for _ in _paren_pairs(line, mask))
    normalized = _nfkc_normalized(line)
    authored = [name for name, rx in _AUTHORED_ASCII.items() if rx.search(line)]
    kept = len(_KEPT_CJK.findall(line))
    beyond = len(_KEPT_BEYOND_FULL_STOP.findall(line))
    return {
        "nfkc_normalized": normalized,
        "authored_ascii": authored,
        "tight_marks": tight,
        "kept_fullwidth": kept,
        "kept_beyond_full_stop": beyond,
        "flattened": judge(normalized, authored, tight, kept, beyond),
    }


def judge(
    normalized: bool, authored: list[str], tight: dict[str, int], kept: int, beyond: int = 0
) -> bool:
    """Decide from the signals of a paragraph whether it was flattened.

    ``kept`` counts the fullwidth marks NFKC keeps, ``beyond`` those of them
    other than ``。``.

    >>> judge(True, [], {",": 1, ";": 0, "?!": 1, ":": 0, ":$": 0, "()": 0}, 0)
    True
    >>> judge(True, [], {",": 3, ";": 0, "?!": 0, ":": 0, ":$": 0, "()": 0}, 0)
    False
    """
    if not normalized or authored:
        return False
    commas = tight[","]
    if commas >= MIN_COMMAS_WITH_QUESTION and tight["?!"] >= 1:
        return True
    if not kept:
        return False
    others = tight[";"] + tight[":"] + tight[":$"] + tight["()"]
    if beyond and commas >= MIN_COMMAS_WITH_KEPT_BEYOND_FULL_STOP:
        return True
    return commas >= MIN_COMMAS_WITH_KEPT or (commas >= 1 and others >= 1)


def _early_decline(line: str) -> str | None:
    """Why :func:`judge` rejects ``line`` whatever its tight marks, if it does.

    Most clean paragraphs with an ASCII mark beside Han are rejected by the
    cheap vetoes of :func:`judge` (not NFKC-normalised, typed-ASCII signs, or
    neither a ``?``/``!`` nor a kept fullwidth mark), which need no count of
    tight marks; the reason is the one :func:`_declined_reason` gives.

    >>> _early_decline("文件, 目录"), _early_decline("然而,学习它?")
    ('authored_ascii', None)
    """
    if not _nfkc_normalized(line):
        return "not_nfkc_normalized"
    if any(rx.search(line) for rx in _AUTHORED_ASCII.values()):
        return "authored_ascii"
    if "?" not in line and "!" not in line and not _KEPT_CJK.search(line):
        return "too_few_marks"
    return None


def _declined_early(line: str) -> bool:
    """Whether :func:`_early_decline` has a reason, cheapest test first.

    The reason itself only matters when another paragraph is restored, so it
    is asked for then; the Han-led typed-ASCII patterns come last.
    """
    if not _nfkc_normalized(line):
        return True
    if "?" not in line and "!" not in line and not _KEPT_CJK.search(line):
        return True
    return any(rx.search(line) for rx in _AUTHORED_ASCII.values())


def _paragraph_edits(line: str, offset: int, index: int, document: bool = False) -> list[Edit]:
    """The edits for one paragraph judged flattened (alone, or by its document)."""
    mask = _protected(line)
    edits: list[Edit] = []
    extra = {"document": True} if document else {}
    for s, e, kind in _mark_candidates(line, mask):
        before = line[s:e]
        after = "".join(FULLWIDTH[c] for c in before)
        context = (line[s - 1] if s else "") + "_" + (line[e] if e < len(line) else "")
        confidence = CONFIDENCE[kind]
        if kind == ":" and e == len(line):
            confidence = CONFIDENCE_FINAL_COLON
        edits.append(
            Edit(offset + s, offset + e, before, after, confidence,
                 {"paragraph": index, "context": context, **extra})
        )
    for o, c in _paren_pairs(line, mask):
        ev = {"paragraph": index, "pair": [offset + o, offset + c], **extra}
        edits.append(Edit(offset + o, offset + o + 1, "(", "（", CONFIDENCE["()"], ev))
        edits.append(Edit(offset + c, offset + c + 1, ")", "）", CONFIDENCE["()"], ev))
    edits.sort(key=lambda ed: ed.start)
    return edits


class DocumentSignals(TypedDict):
    """The evidence of several paragraphs weighed together (JSON-ready)."""

    #: Paragraphs whose marks were added up (those without a sign of typing
    #: other than :data:`WEIGHED_DESPITE`).
    paragraphs: int
    tight_marks: dict[str, int]
    kept_fullwidth: int
    kept_beyond_full_stop: int
    #: Lines of the text holding a fullwidth mark NFKC keeps.
    lines_with_kept: int
    flattened: bool


def document_signals(text: str, paragraphs: list[Signals]) -> DocumentSignals | None:
    """The marks of a text's paragraphs added up, and whether they show NFKC.

    NFKC flattens a whole text at once: every paragraph of a flattened text
    is NFKC-normalised, so paragraphs that each hold too few marks to be
    judged alone (one comma beside ``。`` here, one ``?`` there) add up.  A
    text where NFKC would change anything, or where a line shows typed ASCII
    (even a line without a mark beside Han, such as ``包含统计信息.``; see
    :data:`DOCUMENT_VETOES`), is not weighed as a whole (None); paragraphs
    with other signs of typing are left out (see :data:`WEIGHED_DESPITE`).
    Lines without a mark beside Han count too: a text whose lines keep ``。``
    and hold no ``，`` (see :data:`MIN_LINES_WITH_KEPT`).

    >>> lines = ["打开菜单,选择选项。", "要保存吗?"]
    >>> document_signals("\\n".join(lines), [paragraph_signals(x) for x in lines])["flattened"]
    True
    >>> text = "打开菜单,选择选项。\\n然后保存文件。\\n最后关闭窗口。"
    >>> document_signals(text, [paragraph_signals("打开菜单,选择选项。")])["flattened"]
    True
    """
    paragraphs = [p for p in paragraphs if WEIGHED_DESPITE.issuperset(p["authored_ascii"])]
    if not paragraphs:
        return None
    if not _nfkc_normalized(text, True) or _DOCUMENT_VETO.search(text):
        return None
    tight = {kind: sum(p["tight_marks"][kind] for p in paragraphs)
             for kind in paragraphs[0]["tight_marks"]}
    kept = len(_KEPT_CJK.findall(text))
    beyond = len(_KEPT_BEYOND_FULL_STOP.findall(text))
    # A colon that ends a paragraph (作者是:) is typed about as often as not
    # (CONFIDENCE_FINAL_COLON); beside a comma of another paragraph and a 。 of
    # a third it changed a clean text (bench --group 4 on windows at every line).
    weighed = {**tight, ":$": 0}
    lines_kept = sum(1 for line in text.splitlines() if _KEPT_CJK.search(line))
    comma_beside_kept = sum(1 for p in paragraphs if p["tight_marks"][","] and p["kept_fullwidth"])
    flattened = (
        len(paragraphs) >= MIN_DOCUMENT_PARAGRAPHS and judge(True, [], weighed, kept, beyond)
    ) or (comma_beside_kept >= 1 and lines_kept >= MIN_LINES_WITH_KEPT)
    if not unicodedata.is_normalized("NFKC", text):  # a restored mark was overlooked
        marks = sum(n for kind, n in tight.items() if kind != ":$")
        flattened = (
            flattened
            and marks >= MIN_MARKS_BESIDE_OVERLOOKED
            and len(text.splitlines()) >= MIN_LINES_BESIDE_OVERLOOKED
        )
    return {
        "paragraphs": len(paragraphs),
        "tight_marks": tight,
        "kept_fullwidth": kept,
        "kept_beyond_full_stop": beyond,
        "lines_with_kept": lines_kept,
        "flattened": flattened,
    }


class _Blocks:
    """The lines of a text (line ends kept) in blocks of :data:`DOCUMENT_LINES`.

    >>> blocks = _Blocks(("一,二。\\n三?\\n" * 10).splitlines(keepends=True))
    >>> blocks.weighable(0), blocks.text(0).count("\\n"), blocks.text(1).count("\\n")
    (True, 16, 4)
    """

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._weighable: dict[int, bool] = {}

    def _block_lines(self, block: int) -> list[str]:
        return self._lines[block * DOCUMENT_LINES:(block + 1) * DOCUMENT_LINES]

    def text(self, block: int) -> str:
        return "".join(self._block_lines(block))

    def weighable(self, block: int) -> bool:
        """Whether the block may be weighed as a whole (see document_signals)."""
        if block not in self._weighable:
            lines = self._block_lines(block)
            chunk = "".join(lines)
            self._weighable[block] = (
                len(lines) > 1
                and _nfkc_normalized(chunk, True)
                and not _DOCUMENT_VETO.search(chunk)
            )
        return self._weighable[block]


@register("punctuation", switch="restore_punctuation", gate=GATE, test=gate_test, lead=LEAD)
def restore_punctuation(text: str, config: FixConfig) -> Step | None:
    """Restore ``，；：？！（）`` in paragraphs that show NFKC flattening.

    A paragraph is judged alone first; the paragraphs left too short of
    evidence are restored when their text shows it, weighed in blocks of
    :data:`DOCUMENT_LINES` lines (see :func:`document_signals`).  The step's
    evidence lists, for each paragraph (line) it changed, the signals of
    :func:`paragraph_signals`, the summed signals of the blocks that were
    used, and counts the paragraphs it left alone by reason.

    >>> restore_punctuation("然而,学习它并非易事,需要时间(几年)。", FixConfig()).edits[0].after
    '，'
    >>> restore_punctuation("文件, 目录(见下文)。", FixConfig()) is None
    True
    >>> fixed = restore_punctuation("打开菜单,选择选项。\\n要保存吗?", FixConfig())
    >>> [edit.after for edit in fixed.edits]
    ['，', '？']
    """
    # Only lines where the gate finds a mark are looked at, and the gate finds
    # it in the paragraph too: the Han character beside a mark cannot be a
    # line break, so both lie in the paragraph.
    hits = [m.start() for m in _FAST_GATE.finditer(text)]
    if not hits:
        return None
    edits: list[Edit] = []
    restored: list[dict[str, Any]] = []
    declined: Counter[str] = Counter()
    declined_early: list[str] = []  # paragraphs whose reason is asked for at the end
    lines = text.splitlines(keepends=True)
    blocks = _Blocks(lines)
    # Per block weighed as a whole: the signals of its paragraphs, and those
    # of its paragraphs not restored alone.
    weighed: dict[int, list[Signals]] = {}
    waiting: dict[int, list[tuple[int, int, str, Signals]]] = {}
    alone: list[Signals] = []  # paragraphs judged alone and not restored
    for index, offset, line in split_lines_at(lines, hits):
        body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        block = index // DOCUMENT_LINES
        # A paragraph NFKC would change spares the look at its block.
        whole = _nfkc_normalized(body, True) and blocks.weighable(block)
        if not whole and _declined_early(body):
            declined_early.append(body)
            continue
        signals = paragraph_signals(body)
        if whole and not WEIGHED_DESPITE.issuperset(signals["authored_ascii"]):
            declined["authored_ascii"] += 1  # typed ASCII: left out of its text too
            continue
        if whole:
            weighed.setdefault(block, []).append(signals)
        if signals["flattened"]:
            done = _paragraph_edits(body, offset, index)
            restored.append({"paragraph": index, **signals, "edits": len(done)})
            edits.extend(done)
        elif whole:
            waiting.setdefault(block, []).append((index, offset, body, signals))
        else:
            alone.append(signals)
    documents: list[dict[str, Any]] = []
    for block, paragraphs in waiting.items():
        doc = document_signals(blocks.text(block), weighed[block])
        if doc is None or not doc["flattened"]:
            alone.extend(signals for *_, signals in paragraphs)
            continue
        first = block * DOCUMENT_LINES
        documents.append({"lines": [first, first + DOCUMENT_LINES - 1], **doc})
        for index, offset, body, signals in paragraphs:
            done = _paragraph_edits(body, offset, index, document=True)
            if done:
                restored.append({"paragraph": index, **signals, "edits": len(done),
                                 "by_document": True})
                edits.extend(done)
            else:
                alone.append(signals)
    if not edits:
        return None
    for signals in alone:
        declined[_declined_reason(signals)] += 1
    for body in declined_early:
        declined[_early_decline(body) or "too_few_marks"] += 1
    restored.sort(key=lambda r: int(r["paragraph"]))
    edits.sort(key=lambda ed: ed.start)
    evidence: dict[str, Any] = {"paragraphs": restored}
    if documents:
        evidence["documents"] = documents
    evidence["declined"] = dict(sorted(declined.items()))
    return Step("punctuation", tuple(edits), evidence)


def _declined_reason(signals: Signals) -> str:
    """Why a paragraph with ASCII marks beside Han was left alone, in one word."""
    if not signals["nfkc_normalized"]:
        return "not_nfkc_normalized"
    if signals["authored_ascii"]:
        return "authored_ascii"
    return "too_few_marks"
