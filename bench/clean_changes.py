"""Every clean corpus line that zhfix's default repair changes, listed.

The project's budget is 1 line in 10,000; this is the command that checks it
on the whole corpus and shows each changed line with the fixers and edits.

    python -m bench.clean_changes [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/clean_changes.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import zhfix

FILES = ("zh_hans.dev.txt", "zh_hant.dev.txt")
#: Lines changed allowed per 10,000 clean lines.
BUDGET_PER_10000 = 1.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--corpus", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    args = ap.parse_args(argv)
    total = changed_total = 0
    for name in FILES:
        with open(args.corpus / name, encoding="utf-8") as f:
            lines = f.read().splitlines()
        changed = 0
        for number, line in enumerate(lines, 1):
            explained = zhfix.fix_and_explain(line)
            if explained.text == line:
                continue
            changed += 1
            edits = [(e.before, e.after) for s in explained.steps for e in s.edits]
            fixers = sorted({s.fixer for s in explained.steps})
            print(f"  {name}:{number} {','.join(fixers)} {edits[:4]!r}")
        print(f"{name}: {changed} of {len(lines):,} lines changed")
        total += len(lines)
        changed_total += changed
    rate = changed_total / max(total, 1) * 10_000
    print(f"all: {changed_total} of {total:,} lines changed = {rate:.2f} per 10,000 "
          f"(budget {BUDGET_PER_10000})")
    return 0 if rate <= BUDGET_PER_10000 else 1


if __name__ == "__main__":
    sys.exit(main())
