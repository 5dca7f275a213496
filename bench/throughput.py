"""Throughput and peak memory of zhfix, ftfy and OpenCC ``t2s`` on the same input.

Each measurement runs in a fresh Python process (``python -m bench.throughput
TOOL INPUT --jobs N``), so that its peak RSS is its own: the interpreter, the
tool's imports and data, and the work.  Inside the process the tool is called on
every line of the input (one call per line, as corpus cleaning does), first on a
slice to warm up (imports, lazy tables, caches), then ``repeats`` times over the
input, each pass cut short after ``--seconds`` if given.  The median pass gives
MB/s of UTF-8 input in wall time, and MB per CPU-second from the CPU time spent
calling the tool (summed over workers), which other load on the machine
disturbs less.  With ``--jobs 2`` the lines go to a pool of worker processes in
chunks; the reported RSS is then that of the largest process (parent or worker).
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
#: pickling costs little next to the work, small enough to balance two workers
#: and to stop soon after a time budget runs out.
CHUNK_LINES = 200

#: Lines (at most) and seconds (at most) used to warm a tool up before timing.
WARMUP_LINES = 300
WARMUP_SECONDS = 1.0

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
    _TOOL("预热")  # loads the tool's lazy data before the clock starts


def _run_chunk(task: tuple[Sequence[str], float | None]) -> tuple[int, int, float, float]:
    """Lines and bytes done, CPU seconds spent, and this worker's peak RSS.

    The worker stops at the deadline (wall-clock ``time.time()``, shared by all
    processes), so a budgeted pass ends on time however slow the tool is.
    """
    assert _TOOL is not None
    tool = _TOOL
    lines, deadline = task
    start = time.process_time()
    done = n_bytes = 0
    for line in lines:
        if deadline is not None and time.time() > deadline:
            break
        tool(line)
        done += 1
        n_bytes += len(line.encode("utf-8")) + 1
    return done, n_bytes, time.process_time() - start, peak_rss_mb()


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


def _timed_pass(
    tool: Callable[[str], str], lines: list[str], sizes: list[int], seconds: float | None
) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds, bytes and lines of one pass (cut at ``seconds``)."""
    deadline = None if seconds is None else time.perf_counter() + seconds
    start, cpu_start = time.perf_counter(), time.process_time()
    done = n_bytes = 0
    for line, size in zip(lines, sizes, strict=True):
        if deadline is not None and time.perf_counter() > deadline:
            break
        tool(line)
        done += 1
        n_bytes += size
    return time.perf_counter() - start, time.process_time() - cpu_start, n_bytes, done


def _pooled_pass(
    pool: Any, chunked: list[list[str]], seconds: float | None
) -> tuple[float, float, int, int, float]:
    """Like :func:`_timed_pass` over a pool of workers; also their peak RSS."""
    deadline = None if seconds is None else time.time() + seconds
    start = time.perf_counter()
    cpu = rss = 0.0
    done = n_bytes = 0
    for chunk_done, chunk_bytes, chunk_cpu, chunk_rss in pool.imap_unordered(
        _run_chunk, [(chunk, deadline) for chunk in chunked]
    ):
        done += chunk_done
        n_bytes += chunk_bytes
        cpu += chunk_cpu
        rss = max(rss, chunk_rss)
    return time.perf_counter() - start, cpu, n_bytes, done, rss


def measure(
    name: str, lines: list[str], jobs: int, repeats: int, seconds: float | None = None
) -> dict[str, Any]:
    """Time ``name`` over ``lines`` in this process; see the module docstring.

    With ``seconds``, each pass stops after that long, and speeds are computed
    from the lines it got through (the input starts with a mix of both corpora).
    """
    tool = load_tool(name)
    warm_until = time.perf_counter() + WARMUP_SECONDS
    for line in lines[:WARMUP_LINES]:
        if time.perf_counter() > warm_until:
            break
        tool(line)
    passes: list[tuple[float, float, int, int]] = []
    worker_rss = 0.0
    if jobs == 1:
        sizes = [len(line.encode("utf-8")) + 1 for line in lines]
        for _ in range(repeats):
            passes.append(_timed_pass(tool, lines, sizes, seconds))
    else:
        import multiprocessing

        chunked = [lines[i : i + CHUNK_LINES] for i in range(0, len(lines), CHUNK_LINES)]
        with multiprocessing.Pool(jobs, initializer=_init_worker, initargs=(name,)) as pool:
            warm = (lines[:WARMUP_LINES], time.time() + WARMUP_SECONDS)
            pool.map(_run_chunk, [warm] * jobs, chunksize=1)
            for _ in range(repeats):
                wall, cpu, n_bytes, done, rss = _pooled_pass(pool, chunked, seconds)
                passes.append((wall, cpu, n_bytes, done))
                worker_rss = max(worker_rss, rss)
    return {
        "tool": name,
        "jobs": jobs,
        "lines": len(lines),
        "lines_timed": min(p[3] for p in passes),
        "repeats": repeats,
        "seconds": statistics.median(p[0] for p in passes),
        "mb_per_s": statistics.median(p[2] / 1e6 / p[0] for p in passes),
        "mb_per_cpu_s": statistics.median(p[2] / 1e6 / max(p[1], 1e-9) for p in passes),
        "peak_rss_mb": max(peak_rss_mb(), worker_rss),
    }


def run_isolated(
    name: str, input_path: Path, jobs: int, repeats: int, seconds: float | None = None
) -> dict[str, Any]:
    """:func:`measure` in a fresh process; returns its result, or ``{"error": …}``."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.throughput", name, str(input_path),
         "--jobs", str(jobs), "--repeats", str(repeats)]
        + ([] if seconds is None else ["--seconds", str(seconds)]),
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=root, check=False,
    )
    if proc.returncode != 0:
        # A crashing tool is a result: report its last error line and go on.
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"tool": name, "jobs": jobs, "error": last}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def read_lines(path: Path) -> list[str]:
    # Split on "\n" only: damaged lines may hold U+0085 or U+2028, which
    # str.splitlines() would also split on.
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tool", choices=TOOL_NAMES)
    parser.add_argument("input", type=Path, help="UTF-8 text, one document per line")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, help="stop each pass after this long")
    args = parser.parse_args(argv)
    result = measure(args.tool, read_lines(args.input), args.jobs, args.repeats, args.seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

