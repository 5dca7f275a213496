"""The zhfix benchmark: accuracy per damage kind, false positives, throughput.

Usage::

    python -m bench            # the whole corpus; writes BENCHMARKS.md
    python -m bench --quick    # a sample, in under two minutes on 2 cores
    python bench/run.py --quick --jobs 1

Accuracy (:mod:`bench.accuracy`) damages documents of the clean corpus with
every kind of :mod:`bench.kinds` and compares zhfix with ftfy on the same
inputs; throughput (:mod:`bench.throughput`) times zhfix, ftfy and OpenCC
``t2s`` on clean and on damaged text, with one process and with ``--jobs``
workers.  Results are printed as tables, written as JSON to ``bench/results/``
(not committed) and as Markdown (``BENCHMARKS.md`` for a full run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import accuracy, report, throughput
from bench.kinds import BOTH, HANS, HANT, Kind, all_kinds, eligible
from bench.metrics import LEVENSHTEIN_IMPL
from zhfix.chars import han_count

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CORPUS_FILES = {HANS: "zh_hans.dev.txt", HANT: "zh_hant.dev.txt"}


@dataclass(frozen=True)
class Mode:
    """How much of the corpus a run uses; ``None`` means all of it."""

    name: str
    #: Documents per kind and corpus, sampled from the eligible ones.
    docs: int | None
    #: Clean lines per corpus for the false-positive count.
    clean: int | None
    #: UTF-8 bytes of input per throughput measurement.
    throughput_bytes: int | None
    repeats: int
    #: Fresh processes per throughput configuration, taken in turn.
    rounds: int
    #: Documents per task handed to a worker process.
    chunk: int
    #: Time budget of one accuracy task (one kind on one corpus in quick runs).
    task_seconds: float | None = None
    #: Time budget of one timed pass over the throughput input.
    run_seconds: float | None = None


#: The full run offers the whole corpus for accuracy, in random order, and
#: stops each kind x corpus after a minute (``--task-seconds 0``: no limit);
#: at zhfix's speed on damaged text (tens of milliseconds a document) the
#: unlimited run would take most of a day.  Each throughput pass stops after a
#: minute, so that a slow tool costs time in proportion to the tools.
#: The quick run's sizes and budgets keep it under two minutes on the 2-core
#: development machine with ``--jobs 2`` (measured: about 80 s with the sizes
#: alone, and the budgets bound it whatever the speed of the tools: 44 accuracy
#: tasks x 2.5 s / 2 workers + 12 throughput processes x (3 x 0.8 s + start-up)).
#: The tiny run exists for the end-to-end test.
MODES = {
    "full": Mode("full", None, None, None, repeats=1, rounds=3, chunk=2000,
                 task_seconds=60.0, run_seconds=60.0),
    "quick": Mode("quick", 150, 4000, 600_000, repeats=3, rounds=1, chunk=150,
                  task_seconds=2.5, run_seconds=0.8),
    "tiny": Mode("tiny", 12, 40, 20_000, repeats=1, rounds=1, chunk=12,
                 task_seconds=1.0, run_seconds=0.5),
}

#: Single-line kinds mixed, line by line, into the damaged throughput input.
THROUGHPUT_KINDS = (
    "utf-8>gbk",
    "gbk>cp1252",
    "utf-8>gbk ?",
    "span utf-8>gbk ?pair in a log line",
    "nfkc",
    "gbk byte-level annotation",
)


def corpus_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    return Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))


def read_corpus(directory: Path) -> dict[str, list[str]]:
    corpora: dict[str, list[str]] = {}
    for name, filename in CORPUS_FILES.items():
        path = directory / filename
        if not path.exists():
            raise SystemExit(
                f"clean corpus not found at {path}: pass --corpus DIR or set ZHFIX_CORPUS"
            )
        with open(path, encoding="utf-8", newline="") as f:
            lines = [line.rstrip("\r") for line in f.read().split("\n")]
        corpora[name] = [line for line in lines if line.strip()]
    return corpora


def documents(lines: list[str], group: int) -> list[str]:
    """Lines, or runs of ``group`` consecutive lines joined by line breaks."""
    if group == 1:
        return lines
    return ["\n".join(lines[i : i + group]) for i in range(0, len(lines) - group + 1, group)]


def sample(items: list[Any], n: int | None, label: str, shuffle: bool = False) -> list[Any]:
    """``n`` items chosen with a seed from ``label`` (all of them if ``n`` is None).

    The sample comes in random order, and so does the whole list with
    ``shuffle``: a task cut short by its time budget has measured a random sample.
    """
    if (n is None or n >= len(items)) and not shuffle:
        return items
    rng = random.Random(label)
    k = len(items) if n is None else min(n, len(items))
    return [items[i] for i in rng.sample(range(len(items)), k)]


def _score_task(
    task: tuple[str, str, list[tuple[int, str]], float | None],
) -> accuracy.KindScore:
    return accuracy.score_chunk(*task)


def _clean_task(task: tuple[str, list[str]]) -> accuracy.CleanScore:
    return accuracy.clean_chunk(*task)


def _pool_map(func: Any, tasks: list[Any], jobs: int, label: str) -> list[Any]:
    """``func`` over ``tasks`` in ``jobs`` processes, with progress on stderr."""
    results: list[Any] = []
    step = max(1, len(tasks) // 10)

    def progress() -> None:
        if len(results) % step == 0 or len(results) == len(tasks):
            print(f"  {label}: {len(results)}/{len(tasks)} tasks", file=sys.stderr)

    if jobs == 1:
        for task in tasks:
            results.append(func(task))
            progress()
        return results
    with multiprocessing.Pool(jobs) as pool:
        for result in pool.imap_unordered(func, tasks):
            results.append(result)
            progress()
    return results


def run_accuracy(
    corpora: dict[str, list[str]], kinds: list[Kind], mode: Mode, jobs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    tasks: list[tuple[str, str, list[tuple[int, str]], float | None]] = []
    pools: dict[str, dict[str, int]] = {}
    han: dict[tuple[str, int], list[tuple[int, str, int]]] = {}
    for kind in kinds:
        for corpus in kind.corpora:
            key = (corpus, kind.group)
            if key not in han:
                docs = documents(corpora[corpus], kind.group)
                han[key] = [(i, d, han_count(d)) for i, d in enumerate(docs)]
                pools.setdefault(corpus, {})[f"{kind.group} line(s)"] = len(docs)
            indexed = [(i, d) for i, d, n in han[key] if n >= kind.min_han]
            if kind.min_han:
                pools[corpus][f"{kind.group} line(s) with >= {kind.min_han} Han"] = len(indexed)
            budget = mode.task_seconds
            wanted = None if mode.docs is None else mode.docs * kind.oversample
            chosen = sample(indexed, wanted, f"{kind.name}|{corpus}", budget is not None)
            # A time budget holds for a kind and corpus as a whole: one task.
            size = mode.chunk if budget is None else max(len(chosen), 1)
            tasks += [(kind.name, corpus, list(c), budget) for c in accuracy.chunks(chosen, size)]
    clean_tasks = [
        (corpus, list(c))
        for corpus in BOTH
        for c in accuracy.chunks(sample(corpora[corpus], mode.clean, corpus), mode.chunk * 4)
    ]
    results = _pool_map(_score_task, tasks, jobs, "damaged documents")
    clean_results = _pool_map(_clean_task, clean_tasks, jobs, "clean documents")
    merged: dict[tuple[str, str], accuracy.KindScore] = {}
    for score in results:
        name_corpus = (score.kind, score.corpus)
        if name_corpus not in merged:
            merged[name_corpus] = accuracy.KindScore(score.kind, score.corpus)
        merged[name_corpus].add(score)
    by_name = {k.name: k for k in kinds}
    rows = [
        merged[(kind.name, corpus)].row(by_name[kind.name])
        for kind in kinds
        for corpus in kind.corpora
        if (kind.name, corpus) in merged
    ]
    clean: dict[str, accuracy.CleanScore] = {}
    for cscore in clean_results:
        clean.setdefault(cscore.corpus, accuracy.CleanScore(cscore.corpus)).add(cscore)
    clean_rows = [clean[c].row() for c in BOTH if c in clean]
    return rows, clean_rows, pools


def damaged_lines(lines: list[str]) -> tuple[list[str], int]:
    """Each line damaged by one of :data:`THROUGHPUT_KINDS` in turn, where it applies."""
    kinds = {k.name: k for k in all_kinds()}
    out: list[str] = []
    damaged = 0
    for i, line in enumerate(lines):
        kind = kinds[THROUGHPUT_KINDS[i % len(THROUGHPUT_KINDS)]]
        text = line
        if eligible(line, kind):
            try:
                text = kind.damage(line, accuracy.seed_for(kind.name, "throughput", i))[1].text
            except ValueError:
                text = line
        # One document per line: no line breaks inside.
        text = text.replace("\n", " ").replace("\r", " ")
        damaged += text != line
        out.append(text)
    return out, damaged


def _take_bytes(corpora: dict[str, list[str]], limit: int | None) -> list[str]:
    """Lines of both corpora in turn, up to ``limit`` bytes of UTF-8."""
    lines: list[str] = []
    used = 0
    sources = [corpora[c] for c in BOTH]
    for i in range(max(len(s) for s in sources)):
        for source in sources:
            if i < len(source):
                if limit is not None and used >= limit:
                    return lines
                lines.append(source[i])
                used += len(source[i].encode("utf-8")) + 1
    return lines


def run_throughput(
    corpora: dict[str, list[str]], mode: Mode, jobs: int, out_dir: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    clean = _take_bytes(corpora, mode.throughput_bytes)
    damaged, n_damaged = damaged_lines(clean)
    inputs = {"clean": clean, "damaged": damaged}
    rows: list[dict[str, Any]] = []
    tools = [t for t in throughput.TOOL_NAMES if throughput.available(t)]
    job_counts = sorted({1, jobs})
    paths = {}
    for label, lines in inputs.items():
        paths[label] = out_dir / f"throughput-{mode.name}-{label}.txt"
        with open(paths[label], "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
    configs = [(label, tool, n) for label in inputs for tool in tools for n in job_counts]
    runs: dict[tuple[str, str, int], list[dict[str, Any]]] = {c: [] for c in configs}
    # Rounds go through every configuration in turn, so that other load on the
    # machine falls on all tools alike; each configuration keeps its median round.
    for round_ in range(mode.rounds):
        for label, tool, n in configs:
            result = throughput.run_isolated(tool, paths[label], n, mode.repeats,
                                             mode.run_seconds)
            result["input"] = label
            runs[(label, tool, n)].append(result)
            speed = result.get("error") or f"{result['mb_per_s']:.2f} MB/s"
            print(f"  round {round_ + 1}: {label:8} {tool:11} -j {n}: {speed}", file=sys.stderr)
    for config in configs:
        results = runs[config]
        failed = [r for r in results if "error" in r]
        if failed:
            rows.append(failed[0])
            continue
        results.sort(key=lambda r: float(r["mb_per_s"]))
        row = dict(results[len(results) // 2])
        row["mb_per_cpu_s"] = statistics.median(r["mb_per_cpu_s"] for r in results)
        row["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
        row["rounds"] = len(results)
        rows.append(row)
    meta = {
        "lines": len(clean),
        "damaged_lines": n_damaged,
        "bytes": {k: sum(len(x.encode("utf-8")) + 1 for x in v) for k, v in inputs.items()},
        "damage_mix": list(THROUGHPUT_KINDS),
    }
    return rows, meta


def commit() -> str:
    """The checkout's commit, with ``-dirty`` if ``src/`` has uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True, encoding="utf-8", check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--", "src") else "")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("zhfix", "ftfy", "opencc", "rapidfuzz"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark zhfix against ftfy and OpenCC.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a sample: under two minutes")
    size.add_argument("--tiny", action="store_true", help="a few dozen documents (tests)")
    parser.add_argument("--corpus", type=Path, help="directory of zh_hans.dev.txt, zh_hant.dev.txt")
    parser.add_argument("--jobs", "-j", type=int, default=2,
                        help="worker processes (accuracy, and the second throughput run)")
    parser.add_argument("--kinds", help="only kinds whose name contains this text")
    parser.add_argument("--docs", type=int,
                        help="documents per kind and corpus (a random sample)")
    parser.add_argument("--task-seconds", type=float,
                        help="stop each kind and corpus after this long (0: no limit)")
    parser.add_argument("--rounds", type=int, help="throughput rounds (fresh processes)")
    parser.add_argument("--run-seconds", type=float,
                        help="stop each throughput pass after this long")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--json", type=Path, help="where to write the JSON results")
    parser.add_argument("--markdown", type=Path,
                        help="where to write the Markdown report "
                        "(default: BENCHMARKS.md for a full run, bench/results/ otherwise)")
    args = parser.parse_args(argv)
    mode = MODES["quick" if args.quick else "tiny" if args.tiny else "full"]
    overrides = {
        name: getattr(args, name)
        for name in ("docs", "task_seconds", "rounds", "run_seconds")
        if getattr(args, name) is not None
    }
    if overrides.get("task_seconds") == 0:
        overrides["task_seconds"] = None
    mode = dataclasses.replace(mode, **overrides)
    out_dir = RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.json or out_dir / f"bench-{mode.name}.json"
    markdown_path = args.markdown or (
        ROOT / "BENCHMARKS.md" if mode.name == "full" else out_dir / f"BENCHMARKS-{mode.name}.md"
    )
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    corpora = read_corpus(corpus_dir(args.corpus))
    kinds = [k for k in all_kinds() if not args.kinds or args.kinds in k.name]
    print(f"accuracy: {len(kinds)} kinds, mode {mode.name}, {args.jobs} job(s)", file=sys.stderr)
    rows, clean_rows, pools = run_accuracy(corpora, kinds, mode, args.jobs)
    accuracy_seconds = time.perf_counter() - started
    speed_rows: list[dict[str, Any]] = []
    speed_meta: dict[str, Any] = {}
    if not args.no_throughput:
        print("throughput:", file=sys.stderr)
        speed_rows, speed_meta = run_throughput(corpora, mode, args.jobs, out_dir)
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    results: dict[str, Any] = {
        "meta": {
            "command": command,
            "mode": mode.name,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            # Other work on the machine slows wall-clock timings; CPU time less so.
            "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
            "jobs": args.jobs,
            "versions": versions(),
            "commit": commit(),
            "levenshtein": LEVENSHTEIN_IMPL,
            "corpus_lines": {c: len(v) for c, v in corpora.items()},
            "pools": pools,
            "throughput": speed_meta,
            "task_seconds": mode.task_seconds,
            "run_seconds": mode.run_seconds,
            "accuracy_seconds": round(accuracy_seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
        },
        "accuracy": rows,
        "clean": clean_rows,
        "throughput": speed_rows,
    }
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    print(report.text_report(results))
    with open(markdown_path, "w", encoding="utf-8") as f:
        f.write(report.markdown_report(results))
    print(f"\nwrote {json_path} and {markdown_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
