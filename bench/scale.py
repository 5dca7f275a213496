"""Corpus-scale throughput and memory of ``zhfix``: -j 1, -j 2, and Ray with 2 CPUs.

Usage::

    python bench/scale.py                      # 200 MB JSONL, all three runs
    python bench/scale.py --size-mb 1000 --runs j1   # the 1 GB memory check

The input is JSON Lines generated in a scratch directory (default
``/tmp/zhfix-scale``, never in the repository) from the lines of the clean
corpus, cycled until the size is reached, with one line in
``--damage-every`` damaged by :mod:`zhfix.damage` (mojibake of a span, NFKC
flattening, leaked annotations, in turn) so that the fixers have work to do.

Each run is the installed command in its own process (``zhfix FILE --field text
-o OUT -j N``, ``zhfix ray FILE --field text -o DIR --num-cpus 2``), timed in wall
time.  Peak memory is sampled from ``/proc`` every :data:`SAMPLE_SECONDS` over
the whole process tree (workers and Ray's daemons included): the largest single
process and the largest sum over the tree are reported, with the
``RUSAGE_CHILDREN`` peak (the largest process that ran) as a cross-check.
Records/s and MB/s count input records and input bytes.  Afterwards the
outputs are compared: -j 1 and -j 2 byte for byte, Ray's texts (in id order)
with -j 1's; the exit code is 1 if they differ.  Results print as a table and,
with ``--json FILE``, as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))
CORPUS_FILES = ("zh_hans.dev.txt", "zh_hant.dev.txt")

#: Seconds between two samples of the process tree's memory.
SAMPLE_SECONDS = 0.1

#: One corpus line in this many is damaged (default of ``--damage-every``): most
#: lines of a real corpus are clean.  Repairing a damaged line costs about 400
#: times a clean one (12 ms against 30 µs, measured on corpus lines with this
#: script's damage), so this rate decides the throughput.
DAMAGE_EVERY = 100

PAGE = os.sysconf("SC_PAGE_SIZE")


def _damaged_lines(lines: list[str], every: int = DAMAGE_EVERY) -> Iterator[str]:
    """Corpus lines with one in ``every`` damaged, in three kinds in turn."""
    try:
        from zhfix import damage
    except ImportError:  # pragma: no cover - zhfix.damage is part of the package
        damage = None  # type: ignore[assignment]
    for i, line in enumerate(lines):
        if damage is None or i % every:
            yield line
            continue
        kind = (i // every) % 3
        try:
            if kind == 0:
                yield damage.mojibake_span(line, "utf-8>gbk", seed=i).text
            elif kind == 1:
                yield damage.nfkc(line).text
            else:
                yield damage.leak_annotations(line, seed=i, style=_leak_style(damage)).text
        except Exception:  # some lines have nothing the damage applies to
            yield line


def _leak_style(damage: Any) -> str:
    styles = getattr(damage, "LEAK_STYLES", ("tone_marks",))
    return str(next(iter(styles)))


def generate(path: Path, size_mb: float, every: int = DAMAGE_EVERY) -> int:
    """Write about ``size_mb`` MB of JSON Lines to ``path``; returns the record count."""
    lines: list[str] = []
    for name in CORPUS_FILES:
        with open(CORPUS_DIR / name, encoding="utf-8") as f:
            lines += [line.rstrip("\n") for line in f if line.strip()]
    damaged = list(_damaged_lines(lines, every))
    target = int(size_mb * 1e6)
    written = records = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        while written < target:
            for text in damaged:
                row = json.dumps({"id": records, "text": text}, ensure_ascii=False) + "\n"
                out.write(row)
                written += len(row.encode("utf-8"))
                records += 1
                if written >= target:
                    break
    return records


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="utf-8") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def measure(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd``; wall time and peak memory of its process tree."""
    peak = {"process": 0, "tree": 0}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            sizes = [_rss(pid) for pid in _tree(proc.pid)]
            peak["process"] = max(peak["process"], max(sizes, default=0))
            peak["tree"] = max(peak["tree"], sum(sizes))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.monotonic() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.stderr.write(err.decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return {
        "seconds": seconds,
        "peak_process_mb": peak["process"] / 1e6,
        "peak_tree_mb": peak["tree"] / 1e6,
        # ru_maxrss is in KiB on Linux: the largest process waited for so far.
        "rusage_children_max_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        * 1024
        / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--damage-every", type=int, default=DAMAGE_EVERY, metavar="N")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/zhfix-scale"))
    parser.add_argument(
        "--runs", default="j1,j2,ray", help="comma-separated: j1, j2, ray (default all)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep outputs in --workdir")
    args = parser.parse_args(argv)
    zhfix = shutil.which("zhfix") or str(Path(sys.executable).with_name("zhfix"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"corpus-{args.size_mb:g}mb-d{args.damage_every}.jsonl"
    if not source.exists():
        print(f"generating {source} …", file=sys.stderr)
        generate(source, args.size_mb, args.damage_every)
    with open(source, "rb") as f:
        records = sum(1 for _ in f)
    size = source.stat().st_size
    commands = {
        "j1": [zhfix, str(source), "--field", "text", "-q", "-j", "1"],
        "j2": [zhfix, str(source), "--field", "text", "-q", "-j", "2"],
        "ray": [zhfix, "ray", str(source), "--field", "text", "-q", "--num-cpus", "2"],
    }
    results = []
    outputs: dict[str, Path] = {}
    for name in args.runs.split(","):
        out = args.workdir / ("out-" + name + (".parquet.d" if name == "ray" else ".jsonl"))
        shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
        cmd = [*commands[name], "-o", str(out)]
        print("$ " + " ".join(cmd), file=sys.stderr)
        result = measure(cmd)
        result.update(
            run=name,
            records=records,
            input_mb=size / 1e6,
            records_per_s=records / result["seconds"],
            mb_per_s=size / 1e6 / result["seconds"],
        )
        results.append(result)
        outputs[name] = out
    same = compare(outputs)
    if not args.keep:
        for out in outputs.values():
            shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink(missing_ok=True)
    print(f"input: {source} ({size / 1e6:.0f} MB, {records:,} records)")
    print(f"{'run':5} {'seconds':>8} {'records/s':>10} {'MB/s':>6} {'peak proc MB':>13} "
          f"{'peak tree MB':>13}")
    for r in results:
        print(
            f"{r['run']:5} {r['seconds']:8.1f} {r['records_per_s']:10,.0f} {r['mb_per_s']:6.2f} "
            f"{r['peak_process_mb']:13.0f} {r['peak_tree_mb']:13.0f}"
        )
    for check, ok in same.items():
        print(f"{check}: {'same' if ok else 'DIFFERENT'}")
    if args.json:
        args.json.write_text(
            json.dumps({"runs": results, "same": same}, indent=2) + "\n", encoding="utf-8"
        )
    return 0 if all(same.values()) else 1


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _jsonl_texts(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


def compare(outputs: dict[str, Path]) -> dict[str, bool]:
    """-j 1 and -j 2 outputs byte for byte; Ray's texts (in id order) against -j 1's."""
    same: dict[str, bool] = {}
    if "j1" in outputs and "j2" in outputs:
        same["j1 = j2 (bytes)"] = _digest(outputs["j1"]) == _digest(outputs["j2"])
    if "j1" in outputs and "ray" in outputs:
        import pyarrow.parquet as pq

        table = pq.read_table(outputs["ray"], columns=["id", "text"]).sort_by("id")
        ray_texts = iter(table.column("text").to_pylist())
        try:
            same["j1 = ray (texts)"] = all(
                a == b for a, b in zip(_jsonl_texts(outputs["j1"]), ray_texts, strict=True)
            )
        except ValueError:  # not as many records
            same["j1 = ray (texts)"] = False
    return same


if __name__ == "__main__":
    sys.exit(main())
