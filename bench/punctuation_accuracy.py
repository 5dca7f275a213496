"""Measure the punctuation fixer on the clean corpus and on its NFKC-flattened lines.

Usage: ``python bench/punctuation_accuracy.py [--corpus DIR] [--list N] [--group N ...]``

(a) Clean lines: every corpus line goes through the fixer alone; each line it
    changes is listed (the goal is none).
(b) Flattened lines: each corpus line holding ``，；：？！（）`` is passed through
    ``unicodedata.normalize("NFKC", ...)`` and repaired.  The ideal output is the
    original line with NFKC applied to every other character (the fixer restores
    only these seven marks).  A line counts as

    - *exact* when the output equals the ideal;
    - *modulo ambiguity* when it differs only where the flattened text cannot
      say what the original was: marks the original itself typed in ASCII (the
      flattened text is the same as if they had been fullwidth), and
      parentheses around content without Han (``（ls）`` and ``(ls)`` are both
      in use).

(c) With ``--group N ...``: documents of N consecutive corpus lines, passed to the
    fixer as one text (the fixer weighs the evidence of all its paragraphs).
    Clean documents, one starting at every line: those the fixer changes
    otherwise than their lines alone (the goal is none; each line is listed).
    Flattened documents (NFKC on the whole group; consecutive groups holding
    ``，；：？！（）``): lines and documents restored exactly, against the same
    lines repaired one at a time.

It also prints, per kind of edit, the share of edits that restored a mark that
was fullwidth in the original: the ``CONFIDENCE`` constants of
``zhfix.punctuation`` come from these figures.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from zhfix.config import FixConfig
from zhfix.explain import apply_edits
from zhfix.punctuation import FULLWIDTH, GATE, restore_punctuation

ROOT = Path(__file__).resolve().parents[1]
CORPUS_FILES = ("zh_hans.dev.txt", "zh_hant.dev.txt")
FULLWIDTH_MARKS = frozenset(FULLWIDTH.values())
_PAIR = re.compile(r"\(([^()]*)\)")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def ideal_restoration(line: str) -> str:
    """``line`` with NFKC applied to everything but the seven restorable marks."""
    return "".join(ch if ch in FULLWIDTH_MARKS else unicodedata.normalize("NFKC", ch)
                   for ch in line)


def fix(line: str, config: FixConfig) -> str:
    if not GATE.search(line):
        return line
    step = restore_punctuation(line, config)
    return line if step is None else apply_edits(line, step.edits)


def ambiguous_positions(flat: str, ideal: str) -> set[int]:
    """Positions of ``flat`` whose original width the flattened text cannot show."""
    positions = {i for i, (a, b) in enumerate(zip(flat, ideal, strict=True))
                 if a == b and a in FULLWIDTH}
    for m in _PAIR.finditer(flat):
        if not _HAN.search(m.group(1)):
            positions.update((m.start(), m.end() - 1))
    return positions


def measure(path: Path, config: FixConfig, list_limit: int) -> dict[str, int]:
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    counts: Counter[str] = Counter()
    counts["lines"] = len(lines)
    changed: list[tuple[int, str, str]] = []
    for number, line in enumerate(lines, 1):
        out = fix(line, config)
        if out != line:
            changed.append((number, line, out))
    counts["clean_changed"] = len(changed)
    print(f"== {path.name}: {len(lines)} lines")
    print(f"(a) clean lines changed: {len(changed)}")
    for number, line, out in changed[:list_limit]:
        print(f"  line {number}: {line[:120]}")
        print(f"       -> {out[:120]}")

    edit_ok: Counter[str] = Counter()
    edit_all: Counter[str] = Counter()
    for line in lines:
        if not any(ch in FULLWIDTH_MARKS for ch in line):
            continue
        flat = unicodedata.normalize("NFKC", line)
        ideal = ideal_restoration(line)
        if len(ideal) != len(flat) or unicodedata.normalize("NFKC", ideal) != flat:
            counts["flat_skipped"] += 1
            continue
        counts["flat"] += 1
        if flat == ideal:
            counts["flat_nothing_to_restore"] += 1
        step = restore_punctuation(flat, config) if GATE.search(flat) else None
        out = flat if step is None else apply_edits(flat, step.edits)
        if step is not None:
            counts["flat_judged_flattened"] += 1
            for edit in step.edits:
                kind = "()" if edit.before in "()" else edit.before[0]
                if kind == ":" and edit.end == len(flat):
                    kind = ":$"  # a colon that ends the paragraph
                edit_all[kind] += 1
                edit_ok[kind] += ideal[edit.start:edit.end] == edit.after
        if out == ideal:
            counts["flat_exact"] += 1
            counts["flat_modulo_ambiguity"] += 1
        else:
            ambiguous = ambiguous_positions(flat, ideal)
            if all(i in ambiguous for i, (a, b) in enumerate(zip(out, ideal, strict=True))
                   if a != b):
                counts["flat_modulo_ambiguity"] += 1
    n = counts["flat"]
    print(f"(b) flattened lines: {n} (skipped {counts['flat_skipped']}; "
          f"{counts['flat_nothing_to_restore']} already equal to the ideal)")
    for key in ("flat_judged_flattened", "flat_exact", "flat_modulo_ambiguity"):
        print(f"  {key[5:]:<20} {counts[key]:>6}  {counts[key] / max(n, 1):.1%}")
    print("  edit precision by kind:")
    for kind in sorted(edit_all):
        print(f"    {kind!r:6} {edit_ok[kind]:>7}/{edit_all[kind]:<7} "
              f"{edit_ok[kind] / edit_all[kind]:.4f}")
    return dict(counts)


def measure_groups(path: Path, config: FixConfig, size: int, list_limit: int) -> dict[str, int]:
    """Part (c): clean and flattened documents of ``size`` consecutive lines."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    counts: Counter[str] = Counter()
    alone = [fix(line, config) for line in lines]
    worse: dict[int, tuple[str, str]] = {}
    # Clean documents start at every line: each line is seen in ``size`` contexts.
    for start in range(len(lines) - size + 1):
        group = lines[start:start + size]
        text = "\n".join(group)
        out = fix(text, config)
        counts["clean_docs"] += 1
        counts["clean_docs_changed"] += out != text
        separate = "\n".join(alone[start:start + size])
        if out != separate:
            counts["clean_docs_changed_beyond_lines"] += 1
            for k, (a, b) in enumerate(zip(separate.split("\n"), out.split("\n"),
                                           strict=True)):
                if a != b:
                    worse[start + k + 1] = (group[k], b)
    print(f"== {path.name}: documents of {size} lines")
    print(f"(c) clean documents (one starting at every line): {counts['clean_docs']}, "
          f"changed {counts['clean_docs_changed']}, changed beyond their lines alone "
          f"{counts['clean_docs_changed_beyond_lines']} ({len(worse)} lines)")
    for number, (line, out) in sorted(worse.items())[:list_limit]:
        print(f"  line {number}: {line[:120]}")
        print(f"       -> {out[:120]}")
    for start in range(0, len(lines) - size + 1, size):
        group = lines[start:start + size]
        if not any(FULLWIDTH_MARKS.intersection(line) for line in group):
            continue
        flat = [unicodedata.normalize("NFKC", line) for line in group]
        ideal = [ideal_restoration(line) for line in group]
        if any(len(a) != len(b) for a, b in zip(flat, ideal, strict=True)):
            counts["flat_docs_skipped"] += 1
            continue
        counts["flat_docs"] += 1
        out_lines = fix("\n".join(flat), config).split("\n")
        alone_lines = [fix(line, config) for line in flat]
        counts["flat_docs_exact"] += out_lines == ideal
        counts["flat_docs_exact_alone"] += alone_lines == ideal
        for k in range(size):
            if flat[k] == ideal[k]:
                continue
            counts["flat_lines"] += 1
            counts["flat_lines_exact"] += out_lines[k] == ideal[k]
            counts["flat_lines_exact_alone"] += alone_lines[k] == ideal[k]
            if out_lines[k] != flat[k]:
                counts["flat_lines_changed"] += 1
                counts["flat_lines_changed_exact"] += out_lines[k] == ideal[k]
    docs, n = counts["flat_docs"], counts["flat_lines"]
    print(f"(c) flattened documents: {docs} (skipped {counts['flat_docs_skipped']}); "
          f"lines with a mark to restore: {n}")
    print(f"  documents exact     {counts['flat_docs_exact']:>6}  "
          f"{counts['flat_docs_exact'] / max(docs, 1):.1%}   (lines alone: "
          f"{counts['flat_docs_exact_alone'] / max(docs, 1):.1%})")
    print(f"  lines exact         {counts['flat_lines_exact']:>6}  "
          f"{counts['flat_lines_exact'] / max(n, 1):.1%}   (lines alone: "
          f"{counts['flat_lines_exact_alone'] / max(n, 1):.1%})")
    changed = counts["flat_lines_changed"]
    print(f"  lines changed       {changed:>6}  of which exact "
          f"{counts['flat_lines_changed_exact'] / max(changed, 1):.1%}")
    return dict(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--list", type=int, default=50, help="clean lines to list per file")
    parser.add_argument("--group", type=int, nargs="+", default=[], metavar="N",
                        help="also measure documents of N consecutive lines (part c), "
                             "for each N given")
    args = parser.parse_args(argv)
    config = FixConfig()
    for name in CORPUS_FILES:
        path = args.corpus / name
        if not path.exists():
            print(f"corpus file {path} not found; pass --corpus DIR", file=sys.stderr)
            return 2
        measure(path, config, args.list)
        for size in args.group:
            if size > 1:
                measure_groups(path, config, size, args.list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
