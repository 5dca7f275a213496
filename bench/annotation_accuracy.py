"""How well the annotations fixer works on the clean corpus and on leaks made from it.

Measures, with only ``fix_annotations`` enabled (``--all-fixers``: the defaults):

1. the corpus lines the fixer changes (every line of both dev files; each is
   listed, the goal is none);
2. exact restoration of leaks generated from sampled corpus lines by
   :func:`zhfix.damage.leaks.leak_annotations`, per style and overall (goal 99.5%);
3. with ``--speed``, the fixer's throughput on the clean corpus in MB/s (UTF-8),
   line by line and as one text.

Run from the repository root::

    python bench/annotation_accuracy.py [--sample 1500] [--seed 0] [--speed] [--failures 5]
                                        [--all-fixers]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import zhfix
from zhfix.config import FixConfig
from zhfix.damage.leaks import LEAK_STYLES, leak_annotations

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = ("zh_hans.dev.txt", "zh_hant.dev.txt")
_HAN = re.compile("[\u4e00-\u9fff]")


def only_annotations() -> FixConfig:
    """A config with every repair off except ``fix_annotations``."""
    return FixConfig.only("fix_annotations")


def read_lines(name: str) -> list[str]:
    with open(CORPUS_DIR / name, encoding="utf-8") as f:
        return f.read().splitlines()


def clean_changes(config: FixConfig) -> int:
    """Print every corpus line the fixer changes; return how many."""
    total = 0
    for name in FILES:
        lines = read_lines(name)
        changed = 0
        for i, line in enumerate(lines, 1):
            fixed = zhfix.fix_text(line, config)
            if fixed != line:
                changed += 1
                print(f"  {name}:{i}: {line[:120]!r}\n    -> {fixed[:120]!r}")
        print(f"{name}: {changed} of {len(lines)} lines changed")
        total += changed
    return total


def restoration(config: FixConfig, sample: int, seed: int, show: int) -> float:
    """Leak sampled lines in every style and count exact restorations."""
    rng = random.Random(seed)
    lines: list[str] = []
    for name in FILES:
        pool = [line for line in read_lines(name) if _HAN.search(line)]
        lines += rng.sample(pool, min(sample, len(pool)))
    ok: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    for i, line in enumerate(lines):
        for style in LEAK_STYLES:
            damaged = leak_annotations(line, seed=seed * 1_000_003 + i, style=style)
            if damaged.text == line:
                continue
            tried[style] += 1
            if zhfix.fix_text(damaged.text, config) == line:
                ok[style] += 1
            elif shown[style] < show:
                shown[style] += 1
                fixed = zhfix.fix_text(damaged.text, config)
                print(f"  [{style}] {damaged.text[:160]!r}\n      -> {fixed[:160]!r}")
    for style in LEAK_STYLES:
        n = tried[style]
        print(f"{style:>14}: {ok[style]:>6} / {n:<6} {100 * ok[style] / max(n, 1):7.2f}%")
    rate = sum(ok.values()) / max(sum(tried.values()), 1)
    print(f"{'overall':>14}: {sum(ok.values()):>6} / {sum(tried.values()):<6} {100 * rate:7.2f}%")
    return rate


def speed(config: FixConfig) -> None:
    """Throughput of fix_text on the clean corpus, line by line and whole."""
    for name in FILES:
        text = (CORPUS_DIR / name).read_text(encoding="utf-8")
        mb = len(text.encode("utf-8")) / 1e6
        lines = text.splitlines()
        zhfix.fix_text("預熱(yù)", config)  # load the fixers and tables first
        t = time.perf_counter()
        for line in lines:
            zhfix.fix_text(line, config)
        per_line = time.perf_counter() - t
        t = time.perf_counter()
        zhfix.fix_text(text, config)
        whole = time.perf_counter() - t
        print(
            f"{name}: {mb:.1f} MB, line by line {mb / per_line:.1f} MB/s, "
            f"as one text {mb / whole:.1f} MB/s"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=1500, help="lines sampled per file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", action="store_true", help="also measure MB/s")
    parser.add_argument("--failures", type=int, default=5, help="failures shown per style")
    parser.add_argument(
        "--all-fixers",
        action="store_true",
        help="run every default fixer, not only fix_annotations (shows interactions)",
    )
    args = parser.parse_args(argv)
    if not all((CORPUS_DIR / f).exists() for f in FILES):
        print(f"clean corpus not found in {CORPUS_DIR}; set ZHFIX_CORPUS", file=sys.stderr)
        return 2
    config = FixConfig() if args.all_fixers else only_annotations()
    print("== clean corpus, every line")
    clean_changes(config)
    print(f"== restoration of generated leaks ({args.sample} lines per file, seed {args.seed})")
    restoration(config, args.sample, args.seed, args.failures)
    if args.speed:
        print("== throughput on clean text")
        speed(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
