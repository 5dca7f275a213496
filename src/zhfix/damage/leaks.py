"""Leaked reading annotations, as a content farm makes them.

A content farm keeps a table of characters and inserts each one's reading after
*every* occurrence, by find-and-replace: ``还是义(yì)无反顾``.  :func:`leak_annotations`
does the same, reproducibly from a seed: it picks a table of the text's characters
and inserts their usual reading (the first of zhfix's readings table) in one of
:data:`LEAK_STYLES`.  The ``ruby`` styles instead pick short phrases and run each
character's reading in after it (``花huā朵duǒ``), at every occurrence of the phrase.

>>> d = leak_annotations("团结就是力量，团结一致", seed=1, style="tone_numbers", rate=0.0)
>>> d.text
'团结(jie2)就是力量(liang4)，团结(jie2)一致'
>>> leak_annotations("团结", seed=1, style="zhuyin", rate=1.0).text
'团(ㄊㄨㄢˊ)结(ㄐㄧㄝˊ)'
>>> leak_annotations("花朵", seed=1, style="ruby").text
'花huā朵duǒ'
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

from zhfix.chars import HAN
from zhfix.damage.base import Damaged

#: How the readings are spelt:
#:
#: - ``tone_marks``: ``义(yì)``;  ``tone_numbers``: ``义(yi4)``;  ``toneless``: ``义(yi)``;
#: - ``fullwidth``: ``义（yì）``;  ``brackets``: ``义[yì]``;
#: - ``nfd``: tone marks decomposed into combining characters;
#: - ``zhuyin``: ``義(ㄧˋ)``;
#: - ``v`` and ``u_colon``: tone numbers with ü spelt ``v`` or ``u:`` (``绿(lv4)``, ``绿(lu:4)``);
#: - ``ruby``: run-in readings for every character of a phrase, ``花huā朵duǒ``;
#: - ``ruby_font``: the same with the ``ɑ`` and ``ɡ`` letters of ruby fonts;
#: - ``ruby_zhuyin``: run-in zhuyin, ``花ㄏㄨㄚ朵ㄉㄨㄛˇ``.
LEAK_STYLES: tuple[str, ...] = (
    "tone_marks",
    "tone_numbers",
    "toneless",
    "fullwidth",
    "brackets",
    "nfd",
    "zhuyin",
    "v",
    "u_colon",
    "ruby",
    "ruby_font",
    "ruby_zhuyin",
)

#: Default share of a text's distinct characters that go into the table.
DEFAULT_RATE = 0.1
#: The table has at least this many characters (if the text has as many):
#: a farm's table is long, so even a short paragraph shows several.
DEFAULT_MIN_CHARS = 2
#: Ruby phrases are this many characters long at most.
RUBY_MAX_PHRASE = 4

_HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_CHAR = re.compile(f"[{HAN}]")


def _tone_marks(syllable: str) -> str:
    """``yi4`` → ``yì``; the neutral tone is left unmarked (``de5`` → ``de``)."""
    from pypinyin.contrib.tone_convert import tone3_to_tone

    return str(tone3_to_tone(syllable)) if not syllable.endswith("5") else syllable[:-1].replace(
        "v", "ü"
    )


def spell(syllable: str, style: str) -> str:
    """One reading (``yi4``) spelt in ``style``, with its brackets.

    >>> [spell("lv4", s) for s in ("tone_marks", "toneless", "v", "u_colon", "brackets")]
    ['(lǜ)', '(lü)', '(lv4)', '(lu:4)', '[lǜ]']
    >>> spell("de5", "zhuyin"), spell("guang1", "ruby_font")
    ('(ㄉㄜ˙)', 'ɡuānɡ')
    """
    from zhfix.annotations import zhuyin_of

    if style in ("tone_marks", "fullwidth", "brackets", "nfd", "ruby", "ruby_font"):
        body = _tone_marks(syllable)
        if style == "nfd":
            body = unicodedata.normalize("NFD", body)
        if style == "ruby_font":
            body = body.replace("a", "\u0251").replace("g", "\u0261")
    elif style == "tone_numbers":
        body = syllable.replace("v", "ü")
    elif style == "toneless":
        body = syllable[:-1].replace("v", "ü")
    elif style == "v":
        body = syllable
    elif style == "u_colon":
        body = syllable.replace("v", "u:")
    elif style in ("zhuyin", "ruby_zhuyin"):
        body = zhuyin_of(syllable)
    else:
        raise ValueError(f"unknown leak style {style!r}; choose one of {', '.join(LEAK_STYLES)}")
    if style.startswith("ruby"):
        return body
    if style == "fullwidth":
        return f"（{body}）"
    if style == "brackets":
        return f"[{body}]"
    return f"({body})"


def _usual(char: str) -> str | None:
    from zhfix.annotations import readings_table

    info = readings_table().get(char)
    return info.readings[0] if info else None


def _pick_chars(
    text: str, rng: random.Random, rate: float, min_chars: int, style: str
) -> list[str]:
    """The table: each distinct character with probability ``rate``, at least ``min_chars``.

    For the ``v`` and ``u_colon`` styles a character read with ü joins the table
    whenever the text has one, so that the spelling shows.
    """
    distinct = list(dict.fromkeys(c for c in _HAN_CHAR.findall(text) if _usual(c)))
    chosen = [c for c in distinct if rng.random() < rate]
    if style in ("v", "u_colon"):
        with_u = [c for c in distinct if "v" in (_usual(c) or "") and c not in chosen]
        if with_u:
            chosen.append(rng.choice(with_u))
    rest = [c for c in distinct if c not in chosen]
    need = min(min_chars, len(distinct)) - len(chosen)
    if need > 0:
        chosen += rng.sample(rest, need)
    return chosen


def _leak_chars(text: str, chars: list[str], style: str) -> tuple[str, int]:
    table = {c: spell(_usual(c) or "", style) for c in chars}
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        ch = m.group()
        if ch in table:
            count += 1
            return ch + table[ch]
        return ch

    return _HAN_CHAR.sub(sub, text), count


def _pick_phrases(text: str, rng: random.Random, rate: float, min_chars: int) -> list[str]:
    """Phrases of 2 to :data:`RUBY_MAX_PHRASE` characters taken from the text's Han runs."""
    runs = [r for r in _HAN_RUN.findall(text) if len(r) >= 2 and all(_usual(c) for c in r)]
    runs = list(dict.fromkeys(runs))
    chosen_runs = [r for r in runs if rng.random() < rate]
    rest = [r for r in runs if r not in chosen_runs]
    need = min(max(1, min_chars // 2), len(runs)) - len(chosen_runs)
    if need > 0:
        chosen_runs += rng.sample(rest, need)
    phrases = []
    for run in chosen_runs:
        n = rng.randint(2, min(RUBY_MAX_PHRASE, len(run)))
        start = rng.randint(0, len(run) - n)
        phrases.append(run[start : start + n])
    return list(dict.fromkeys(phrases))


def _leak_ruby(text: str, phrases: list[str], style: str) -> tuple[str, int]:
    if not phrases:
        return text, 0
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))
    count = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return "".join(c + spell(_usual(c) or "", style) for c in m.group())

    return pattern.sub(sub, text), count


def leak_annotations(
    text: str,
    *,
    seed: int,
    style: str,
    rate: float = DEFAULT_RATE,
    min_chars: int = DEFAULT_MIN_CHARS,
) -> Damaged:
    """Insert readings after every occurrence of a seeded table of characters.

    ``style`` is one of :data:`LEAK_STYLES`; ``rate`` is the share of the text's
    distinct characters (or, for ruby, of its Han runs) that are picked, with at
    least ``min_chars`` characters (one ruby phrase per two).  The record holds the
    parameters, the table and the number of insertions.

    >>> d = leak_annotations("义无反顾", seed=7, style="toneless")
    >>> d.text == leak_annotations("义无反顾", seed=7, style="toneless").text
    True
    >>> d.record["params"]
    {'seed': 7, 'style': 'toneless', 'rate': 0.1, 'min_chars': 2}
    """
    if style not in LEAK_STYLES:
        raise ValueError(f"unknown leak style {style!r}; choose one of {', '.join(LEAK_STYLES)}")
    rng = random.Random(f"leak_annotations:{seed}")
    record: dict[str, Any] = {
        "function": "leak_annotations",
        "params": {"seed": seed, "style": style, "rate": rate, "min_chars": min_chars},
    }
    if style.startswith("ruby"):
        phrases = _pick_phrases(text, rng, rate, min_chars)
        damaged, count = _leak_ruby(text, phrases, style)
        record["phrases"] = phrases
    else:
        chars = _pick_chars(text, rng, rate, min_chars, style)
        damaged, count = _leak_chars(text, chars, style)
        record["chars"] = chars
    record["inserted"] = count
    return Damaged(damaged, text, "annotations", record)
