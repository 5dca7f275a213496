"""Throughput and peak memory of zhfix, ftfy and OpenCC ``t2s`` on the same input.

Each measurement runs in a fresh Python process (``python -m bench.throughput
TOOL INPUT --jobs N``), so that its peak RSS is its own: the interpreter, the
tool's imports and data, and the work.  Inside the process the tool is called on
every line of the input (one call per line, as corpus cleaning does), first once
on a slice to warm up (imports, lazy tables, caches), then ``repeats`` times over
the whole input; the median wall time gives MB/s of UTF-8 input, and the median CPU time spent
calling the tool (summed over workers) gives MB per CPU-second, which other load
on the machine disturbs less.  With
``--jobs 2`` the lines go to a pool of worker processes in chunks; the reported
RSS is then that of the largest process (parent or worker).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: Lines per chunk sent to a worker with ``--jobs`` > 1: large enough that
#: pickling costs little next to the work, small enough to balance two workers.
CHUNK_LINES = 500

#: Lines used to warm a tool up before timing.
WARMUP_LINES = 300

#: Tools measured, by report name.
TOOL_NAMES: tuple[str, ...] = ("zhfix", "ftfy", "opencc t2s")

_TOOL: Callable[[str], str] | None = None


def load_tool(name: str) -> Callable[[str], str]:
    if name == "zhfix":
        import zhfix

        return zhfix.fix_text
    if name == "ftfy":
        import ftfy

        fix: Callable[[str], str] = ftfy.fix_text
        return fix
    if name == "opencc t2s":
        import opencc

        convert: Callable[[str], str] = opencc.OpenCC("t2s").convert
        return convert
    raise ValueError(f"unknown tool {name!r}; known: {', '.join(TOOL_NAMES)}")


def available(name: str) -> bool:
    try:
        load_tool(name)
    except ImportError:
        return False
    return True


def _init_worker(name: str) -> None:
    global _TOOL
    _TOOL = load_tool(name)
    _TOOL("预热")


def _run_chunk(lines: Sequence[str]) -> tuple[int, float, float]:
    """Changed lines, CPU seconds spent, and this worker's peak RSS."""
    assert _TOOL is not None
    tool = _TOOL
    start = time.process_time()
    changed = sum(1 for line in lines if tool(line) != line)
    return changed, time.process_time() - start, peak_rss_mb()


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux's ``VmHWM`` belongs to the address space, so it starts afresh in a
    new program and in a forked worker; ``ru_maxrss`` is kept across ``exec``
    and would report the parent's peak for a process it started.
    """
    try:
        with open("/proc/self/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, lines: list[str], jobs: int, repeats: int) -> dict[str, Any]:
    """Time ``name`` over ``lines`` in this process; see the module docstring."""
    tool = load_tool(name)
    n_bytes = sum(len(line.encode("utf-8")) + 1 for line in lines)
    for line in lines[:WARMUP_LINES]:
        tool(line)
    times: list[float] = []
    cpu_times: list[float] = []
    changed = 0
    worker_rss = 0.0
    if jobs == 1:
        for _ in range(repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            changed = sum(1 for line in lines if tool(line) != line)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    else:
        import multiprocessing

        chunked = [lines[i : i + CHUNK_LINES] for i in range(0, len(lines), CHUNK_LINES)]
        with multiprocessing.Pool(jobs, initializer=_init_worker, initargs=(name,)) as pool:
            pool.map(_run_chunk, [lines[:WARMUP_LINES]] * jobs)
            for _ in range(repeats):
                start = time.perf_counter()
                counts = list(pool.imap(_run_chunk, chunked))
                times.append(time.perf_counter() - start)
                changed = sum(n for n, _, _ in counts)
                cpu_times.append(sum(cpu for _, cpu, _ in counts))
                worker_rss = max([worker_rss] + [rss for _, _, rss in counts])
    median = statistics.median(times)
    cpu = statistics.median(cpu_times)
    return {
        "tool": name,
        "jobs": jobs,
        "lines": len(lines),
        "bytes": n_bytes,
        "repeats": repeats,
        "seconds": median,
        "mb_per_s": n_bytes / 1e6 / median if median > 0 else float("inf"),
        "cpu_seconds": cpu,
        "mb_per_cpu_s": n_bytes / 1e6 / cpu if cpu > 0 else float("inf"),
        "changed_lines": changed,
        "peak_rss_mb": max(peak_rss_mb(), worker_rss),
    }


def run_isolated(name: str, input_path: Path, jobs: int, repeats: int) -> dict[str, Any]:
    """:func:`measure` in a fresh process; returns its result, or ``{"error": …}``."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.throughput", name, str(input_path),
         "--jobs", str(jobs), "--repeats", str(repeats)],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=root, check=False,
    )
    if proc.returncode != 0:
        # A crashing tool is a result: report its last error line and go on.
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"tool": name, "jobs": jobs, "error": last}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tool", choices=TOOL_NAMES)
    parser.add_argument("input", type=Path, help="UTF-8 text, one document per line")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.tool, read_lines(args.input), args.jobs, args.repeats)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

