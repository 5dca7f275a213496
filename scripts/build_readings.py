"""Build the character-readings tables used by :mod:`zhfix.annotations`.

Writes two generated files into ``src/zhfix/data/``:

- ``readings.tsv.gz``: one line per Han character,
  ``char<TAB>freq<TAB>in_use<TAB>reading reading …`` where ``freq`` is
  ``floor(log10(1 + weight))`` of the character's weight in jieba's word-frequency
  dictionary (a traditional character takes the weight of its simplified
  counterpart), 0 for characters jieba never uses; ``in_use`` is how many of the
  readings are in common use; and the readings are in tone-number spelling
  (``zhang3 chang2``, ``lv4``, neutral tone ``5``), the usual reading first.
  Readings come from pypinyin's character dictionary; a character pypinyin does
  not know gets the readings of its OpenCC counterpart (``t2s``, then ``s2t``).
  The usual reading is the one that carries the most weight in jieba's
  word-frequency dictionary, read in context by pypinyin's phrase dictionary;
  characters jieba never uses keep pypinyin's order.
- ``readings.syllables.tsv``: one line per syllable, ``syllable<TAB>zhuyin``, the
  zhuyin spelling from pypinyin's bopomofo style (``zhang3`` → ``ㄓㄤˇ``).

Run from the repository root::

    python scripts/build_readings.py

Needs pypinyin, opencc and jieba (``pip install -e .[build-data]``).
Other spellings (tone marks, ``ü``/``u:``, decomposed marks) are derived at load
time, so the files stay small.
"""

from __future__ import annotations

import gzip
import math
import os
import unicodedata
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import jieba
import opencc
from pypinyin import Style, pinyin
from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.pinyin_dict import pinyin_dict
from pypinyin.style.bopomofo import BopomofoConverter

from zhfix.chars import HAN_RE

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "zhfix" / "data"

#: jieba words rarer than this count are ignored when ranking readings: the
#: tail of jieba's dictionary is mostly names and rare compounds.
MIN_WORD_COUNT = 3

#: A reading is in common use when it carries at least this share of the
#: character's weight in jieba's dictionary: 乐 (lè 62%, yuè 38%), 还 (hái 97.5%,
#: huán 2.5%) and 好 (hǎo, hào 2.4%) have two, 義 (yì; yí and xī are archaic) one.
IN_USE_SHARE = 0.02

#: Han code point ranges searched for characters pypinyin does not know.
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)


def tone3(reading: str) -> str:
    """A tone-marked reading in tone-number spelling, ``ü`` as ``v``, neutral ``5``."""
    return str(to_tone3(reading, neutral_tone_with_five=True))


def base_readings() -> dict[str, list[str]]:
    """pypinyin's readings of every Han character it knows, in its own order.

    Private-use code points and symbols such as 〇 are left out: the fixer only
    looks at Han characters (:data:`zhfix.chars.HAN`).
    """
    table: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        if not HAN_RE.fullmatch(chr(code)):
            continue
        out: list[str] = []
        for r in readings.split(","):
            t = tone3(unicodedata.normalize("NFC", r.strip()))
            if t and t not in out:
                out.append(t)
        if out:
            table[chr(code)] = out
    return table


def add_opencc_counterparts(table: dict[str, list[str]]) -> int:
    """Give characters pypinyin lacks the readings of their OpenCC counterpart."""
    missing = [
        chr(c)
        for lo, hi in HAN_RANGES
        for c in range(lo, hi + 1)
        if chr(c) not in table
    ]
    added = 0
    for config in ("t2s", "s2t"):
        conv = opencc.OpenCC(config)
        # One character per line, so that no phrase rule spans two characters.
        converted = conv.convert("\n".join(missing)).split("\n")
        assert len(converted) == len(missing), config
        still: list[str] = []
        for ch, other in zip(missing, converted, strict=True):
            if len(other) == 1 and other != ch and other in table:
                table[ch] = list(table[other])
                added += 1
            else:
                still.append(ch)
        missing = still
    return added


def reading_weights() -> dict[str, dict[str, int]]:
    """Weight of each reading of each character, summed over jieba's dictionary."""
    path = Path(jieba.__file__).parent / "dict.txt"
    weights: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, count = parts[0], int(parts[1])
            if count < MIN_WORD_COUNT:
                continue
            readings = pinyin(word, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore")
            if len(readings) != len(word):
                continue
            for ch, r in zip(word, readings, strict=True):
                weights[ch][r[0]] += count
    return weights


def borrow_simplified_weights(
    table: dict[str, list[str]], weights: dict[str, dict[str, int]]
) -> int:
    """Give a traditional character that jieba (a simplified dictionary) barely uses
    the weights of its simplified counterpart; returns how many borrowed."""
    chars = sorted(table)
    simplified = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    assert len(simplified) == len(chars)
    borrowed = 0
    for ch, simp in zip(chars, simplified, strict=True):
        if len(simp) != 1 or simp == ch or simp not in weights:
            continue
        own = sum(weights.get(ch, {}).values())
        theirs = weights[simp]
        if sum(theirs.values()) > own:
            weights[ch] = defaultdict(int, {r: w for r, w in theirs.items() if r in table[ch]})
            borrowed += 1
    return borrowed


def frequency_classes(
    table: dict[str, list[str]], weights: dict[str, dict[str, int]]
) -> dict[str, int]:
    """``floor(log10(1 + weight))`` per character."""
    return {ch: int(math.log10(1 + sum(weights.get(ch, {}).values()))) for ch in table}


def readings_in_use(
    table: dict[str, list[str]], weights: dict[str, dict[str, int]]
) -> dict[str, int]:
    """How many of each character's readings (the first, once ordered) are in common use:
    at least :data:`IN_USE_SHARE` of its weight.  1 for characters jieba never uses."""
    out: dict[str, int] = {}
    for ch, readings in table.items():
        w = weights.get(ch, {})
        total = sum(w.values())
        used = sum(1 for r in readings if total and w.get(r, 0) >= IN_USE_SHARE * total)
        out[ch] = max(used, 1)
    return out


def order_by_usage(table: dict[str, list[str]], weights: dict[str, dict[str, int]]) -> int:
    """Put each character's most used reading first; returns how many moved."""
    moved = 0
    for ch, readings in table.items():
        w = weights.get(ch)
        if not w:
            continue
        # Stable sort: unused readings keep pypinyin's order after the used ones.
        ranked = sorted(readings, key=lambda r: -w.get(r, 0))
        if ranked[0] != readings[0]:
            moved += 1
        table[ch] = ranked
    return moved


def syllable_rows(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Every syllable used in the table, with its zhuyin."""
    bopomofo = BopomofoConverter()
    syllables = sorted({r for readings in table.values() for r in readings})
    rows = []
    for s in syllables:
        marked = pinyin_tone_marks(s)
        rows.append((s, str(bopomofo.to_bopomofo(marked))))
    return rows


def pinyin_tone_marks(syllable: str) -> str:
    """Tone-number spelling back to tone marks, through pypinyin."""
    from pypinyin.contrib.tone_convert import tone3_to_tone

    return str(tone3_to_tone(syllable))


def main() -> None:
    table = base_readings()
    known = len(table)
    added = add_opencc_counterparts(table)
    weights = reading_weights()
    borrowed = borrow_simplified_weights(table, weights)
    moved = order_by_usage(table, weights)
    freq = frequency_classes(table, weights)
    in_use = readings_in_use(table, weights)
    head = (
        f"# generated by scripts/build_readings.py from pypinyin {version('pypinyin')} (MIT), "
        f"OpenCC {version('opencc')} (Apache-2.0) and jieba {version('jieba')} (MIT); "
        "do not edit\n"
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    lines = [head] + [
        f"{ch}\t{freq[ch]}\t{in_use[ch]}\t{' '.join(rs)}\n" for ch, rs in sorted(table.items())
    ]
    path = DATA_DIR / "readings.tsv.gz"
    # mtime=0 keeps the file byte-identical across rebuilds.
    with open(path, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
    ) as gz:
        gz.write("".join(lines).encode("utf-8"))
    rows = syllable_rows(table)
    syl_path = DATA_DIR / "readings.syllables.tsv"
    with open(syl_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(head)
        for s, z in rows:
            f.write(f"{s}\t{z}\n")
    print(
        f"{len(table)} characters ({known} from pypinyin, {added} through OpenCC), "
        f"{borrowed} weighted as simplified, {moved} reordered by usage, "
        f"{sum(n > 1 for n in in_use.values())} with several readings in use; "
        f"{len(rows)} syllables; "
        f"{os.path.getsize(path)} + {os.path.getsize(syl_path)} bytes"
    )


if __name__ == "__main__":
    main()
