"""How well machine simplified → traditional conversion is detected and undone.

Documents are runs of consecutive corpus lines (paragraphs) holding at least
three lines and ``--size`` Han characters.  Measures:

1. detection of documents of ``zh_hans.dev.txt`` converted one character at a
   time by :func:`zhfix.damage.script.char_convert`, per policy (goal ≥ 95 %);
2. false detection on genuine traditional text, ``zh_hant.dev.txt``, per line
   and per document (goal ≤ 2 %), and on the simplified documents themselves;
3. detection of the single paragraphs of converted documents (why the decision
   is made per document);
4. how often ``fix_text(doc, script="original")`` gives back the simplified
   document exactly, with only the script step and with every default repair;
5. the same detection figures without the OpenCC-orthography evidence
   (``爲``, ``衆``), to show how much rests on it.

Run from the repository root::

    python bench/machine_accuracy.py [--size 200 500 1000] [--failures 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import zhfix
import zhfix.machine as machine
from zhfix.chars import han_count
from zhfix.config import FixConfig
from zhfix.damage.script import POLICIES, char_convert
from zhfix.machine import Tally, tally_lines, verdict

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))

#: A document holds at least this many lines (paragraphs).
MIN_LINES = 3


def read_lines(name: str) -> list[str]:
    path = CORPUS_DIR / name
    if not path.exists():
        sys.exit(f"corpus not found at {path}; set ZHFIX_CORPUS")
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def documents(lines: list[str], min_han: int) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` of consecutive lines with ≥ MIN_LINES lines and ``min_han`` Han."""
    runs: list[tuple[int, int]] = []
    start = han = 0
    for i, line in enumerate(lines):
        han += han_count(line)
        if han >= min_han and i + 1 - start >= MIN_LINES:
            runs.append((start, i + 1))
            start, han = i + 1, 0
    return runs


def line_tallies(lines: list[str]) -> list[Tally]:
    """The evidence in each line, OpenCC run once over all of them."""
    return [t for _, t in tally_lines("\n".join(lines))]


def merged(tallies: list[Tally], start: int, end: int) -> Tally:
    total = Tally()
    for t in tallies[start:end]:
        total.add(t)
    return total


def rate(flags: Iterator[bool] | list[bool]) -> tuple[int, int]:
    values = list(flags)
    return sum(values), len(values)


def show(label: str, hits: int, total: int, goal: str = "") -> None:
    pct = 100.0 * hits / total if total else 0.0
    print(f"  {label:<52} {hits:>6} / {total:<6} {pct:6.2f} %  {goal}")


def only_script() -> FixConfig:
    """Every repair off; only the script step runs."""
    off = {
        f.name: False
        for f in dataclasses.fields(FixConfig)
        if f.type in ("bool", bool)
    }
    return FixConfig(script="original", **off)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[200, 500, 1000],
                        help="minimum Han characters per document")
    parser.add_argument("--failures", type=int, default=3, help="failures to print")
    args = parser.parse_args(argv)

    hans = read_lines("zh_hans.dev.txt")
    hant = read_lines("zh_hant.dev.txt")
    converted = {p: char_convert("\n".join(hans), policy=p).text.split("\n") for p in POLICIES}
    print("tallying lines …", file=sys.stderr)
    t_hant = line_tallies(hant)
    t_hans = line_tallies(hans)
    t_conv = {p: line_tallies(converted[p]) for p in POLICIES}

    def detected(tally: Tally) -> bool:
        return verdict(tally).is_machine

    print("genuine traditional lines (zh_hant.dev.txt), false detection:")
    show("per line", *rate(detected(t) for t in t_hant), "goal ≤ 2 %")

    for size in args.size:
        print(f"\ndocuments of ≥ {MIN_LINES} lines and ≥ {size} Han characters:")
        d_hant = documents(hant, size)
        d_hans = documents(hans, size)
        show("genuine traditional, false detection",
             *rate(detected(merged(t_hant, a, b)) for a, b in d_hant), "goal ≤ 2 %")
        show("simplified, false detection",
             *rate(detected(merged(t_hans, a, b)) for a, b in d_hans))
        for p in POLICIES:
            show(f"char_convert policy={p!r}, detection",
                 *rate(detected(merged(t_conv[p], a, b)) for a, b in d_hans), "goal ≥ 95 %")
        for p in POLICIES:
            # Paragraphs of converted documents that hold Han text, one by one.
            paras = [t_conv[p][i] for a, b in d_hans for i in range(a, b) if t_conv[p][i].han]
            show(f"  single paragraphs, policy={p!r}, detection", *rate(detected(t) for t in paras))
        saved = machine.WEIGHT_OPENCC_FORM
        machine.WEIGHT_OPENCC_FORM = 0.0
        try:
            show("without OpenCC forms: genuine, false detection",
                 *rate(detected(merged(t_hant, a, b)) for a, b in d_hant))
            for p in POLICIES:
                show(f"without OpenCC forms: policy={p!r}, detection",
                     *rate(detected(merged(t_conv[p], a, b)) for a, b in d_hans))
        finally:
            machine.WEIGHT_OPENCC_FORM = saved

    size = 500 if 500 in args.size else args.size[0]
    print(f"\nrestoration by fix_text(doc, script='original'), documents of ≥ {size} Han:")
    d_hans = documents(hans, size)
    script_only = only_script()
    for p in POLICIES:
        failures: list[tuple[str, str]] = []
        exact_script = exact_full = 0
        for a, b in d_hans:
            original = "\n".join(hans[a:b])
            damaged = "\n".join(converted[p][a:b])
            out = zhfix.fix_text(damaged, script_only)
            exact_script += out == original
            if out != original and len(failures) < args.failures:
                failures.append((original, out))
            exact_full += zhfix.fix_text(damaged, script="original") == zhfix.fix_text(original)
        show(f"policy={p!r}, script step only, exact", exact_script, len(d_hans))
        show(f"policy={p!r}, all default repairs, exact*", exact_full, len(d_hans))
        for original, out in failures:
            diffs = [(x, y) for x, y in zip(original, out, strict=False) if x != y][:8]
            print(f"    e.g. {len(original)} chars, differences {diffs}")
    print("  * compared with fix_text(original document)")
    d_hant = documents(hant, size)
    unchanged = sum(
        zhfix.fix_text(t, script_only) == t for t in ("\n".join(hant[a:b]) for a, b in d_hant)
    )
    show("genuine traditional documents left unchanged", unchanged, len(d_hant))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
