"""Clean-text speed: zhfix.fix_text against ftfy.fix_text, in one process.

Most text zhfix sees in corpus cleaning is clean, so the cost of passing it
through unchanged is the cost that matters most.  This measures, on one clean
corpus file, MB/s of UTF-8 input for

- ``zhfix line``: ``zhfix.fix_text`` called on every line;
- ``zhfix whole``: ``zhfix.fix_text`` called once on the whole file;
- ``ftfy line``: ``ftfy.fix_text`` called on every line;

each as the median of ``--passes`` passes after one warm-up pass (imports, lazy
tables), in wall time and in CPU time (which other load on a shared machine
disturbs less), and prints zhfix's ratio to ftfy.  Usage::

    python -m bench.clean_speed [--file PATH] [--passes 3] [--lines N]

It asserts nothing: timings belong in reports, not in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: Passes timed after the warm-up; the median is reported.
PASSES = 3

ROOT = Path(__file__).resolve().parent.parent


def default_file() -> Path:
    """zh_hans.dev.txt in ``$ZHFIX_CORPUS`` or the shared corpus directory."""
    directory = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))
    return directory / "zh_hans.dev.txt"


def forget_lines() -> None:
    """Empty zhfix's caches of per-text results (every bounded ``lru_cache``:
    mojibake lines and readings, resync islands, segmentations), so that no
    pass reuses the work of the one before on the same lines; the data tables
    (unbounded caches) stay loaded.  An older zhfix is measured the same way."""
    import sys

    for name, module in list(sys.modules.items()):
        if not name.startswith("zhfix.") or module is None:
            continue
        for value in list(vars(module).values()):
            info = getattr(value, "cache_info", None)
            if info is not None and info().maxsize is not None:
                value.cache_clear()


def timed(work: Callable[[], object], passes: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``work`` over ``passes`` passes, after a warm-up."""
    work()
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(passes):
        forget_lines()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="a clean corpus file")
    parser.add_argument("--passes", type=int, default=PASSES)
    parser.add_argument("--lines", type=int, default=None, help="only the first N lines")
    args = parser.parse_args(argv)

    import ftfy

    import zhfix

    path = args.file or default_file()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if args.lines is not None:
        lines = lines[: args.lines]
    whole = "\n".join(lines)
    mb = len(whole.encode("utf-8")) / 1e6

    def zhfix_lines() -> None:
        for line in lines:
            zhfix.fix_text(line)

    def zhfix_whole() -> None:
        zhfix.fix_text(whole)

    def ftfy_lines() -> None:
        for line in lines:
            ftfy.fix_text(line)

    runs = {"zhfix line": zhfix_lines, "zhfix whole": zhfix_whole, "ftfy line": ftfy_lines}
    print(f"{path.name}: {len(lines):,} lines, {mb:.2f} MB; median of {args.passes} passes")
    speeds: dict[str, tuple[float, float]] = {}
    for name, work in runs.items():
        wall, cpu = timed(work, args.passes)
        speeds[name] = (mb / wall, mb / cpu)
        print(f"  {name:12s} {mb / wall:7.2f} MB/s wall  {mb / cpu:7.2f} MB/s CPU")
    ftfy_wall, ftfy_cpu = speeds["ftfy line"]
    for name in ("zhfix line", "zhfix whole"):
        wall, cpu = speeds[name]
        print(f"  {name} / ftfy line: {wall / ftfy_wall:5.1f}x wall  {cpu / ftfy_cpu:5.1f}x CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
