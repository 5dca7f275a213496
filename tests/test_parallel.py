"""Parallel workers: input order kept, bounded memory, one set-up per worker, -j N = -j 1."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_batch import scale_texts, write_jsonl

from zhfix import fix_text
from zhfix.cli import main
from zhfix.parallel import Progress, ordered_map

_SETUPS = 0


def _count_setup() -> None:
    global _SETUPS
    _SETUPS += 1


def _pid_and_setups(item: int) -> tuple[int, int, int]:
    # Uneven work, so that workers finish out of order.
    sum(range((item % 7) * 20_000))
    return item, os.getpid(), _SETUPS


def _fail_on_five(item: int) -> int:
    if item == 5:
        raise ValueError("five")
    return item


def test_order_kept_and_one_setup_per_worker() -> None:
    results = list(ordered_map(_pid_and_setups, range(60), jobs=2, initializer=_count_setup))
    assert [r[0] for r in results] == list(range(60))
    assert all(setups == 1 for _, _, setups in results)
    assert os.getpid() not in {pid for _, pid, _ in results}


def test_one_job_runs_here_with_the_same_setup() -> None:
    global _SETUPS
    _SETUPS = 0
    results = list(ordered_map(_pid_and_setups, range(5), jobs=1, initializer=_count_setup))
    assert [r[0] for r in results] == list(range(5))
    assert {pid for _, pid, _ in results} == {os.getpid()} and _SETUPS == 1


def test_input_is_read_no_faster_than_results_are_taken() -> None:
    """Memory is bounded: at most ``window`` items are in flight at any time."""
    taken = 0

    def items() -> Iterator[int]:
        nonlocal taken
        for i in range(40):
            taken += 1
            yield i

    window = 4
    for done, _ in enumerate(ordered_map(_fail_on_five, items(), jobs=2, window=window), 1):
        if done == 5:  # item 5 raises; stop before it
            break
        assert taken - done <= window
    # The pool was stopped; the input was not drained.
    assert taken < 40


def test_worker_errors_reach_the_caller() -> None:
    with pytest.raises(ValueError, match="five"):
        list(ordered_map(_fail_on_five, range(10), jobs=2))


def test_bad_jobs() -> None:
    with pytest.raises(ValueError):
        list(ordered_map(str, ["a"], jobs=0))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_and_clear() -> None:
    stream = _Terminal()
    progress = Progress(stream, enabled=True, total_bytes=1000)
    progress.update(10, 500)
    assert "10 records" in stream.getvalue() and "50%" in stream.getvalue()
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = io.StringIO()
    Progress(quiet, enabled=False).update(10, 10)
    assert quiet.getvalue() == ""


# --- the command line with -j --------------------------------------------


def _cli(argv: list[str], data: bytes = b"") -> tuple[int, bytes, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(data), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def corpus_jsonl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str | None]]:
    """JSON Lines of the scale test corpus, with malformed lines among them."""
    texts = scale_texts()
    path = tmp_path_factory.mktemp("scale") / "corpus.jsonl"
    write_jsonl(path, texts, malformed_every=101)
    return path, texts


def test_jobs_two_writes_what_jobs_one_writes(
    corpus_jsonl: tuple[Path, list[str | None]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, texts = corpus_jsonl
    # Small chunks, so that the corpus spreads over many chunks and both workers.
    monkeypatch.setattr("zhfix.io.CHUNK_RECORDS", 7)
    outputs = []
    for jobs in ("1", "2"):
        stats = tmp_path / f"stats{jobs}.json"
        argv = [str(path), "--field", "text", "--explain-json", "-j", jobs]
        code, out, err = _cli([*argv, "--stats-json", str(stats)])
        data = json.loads(stats.read_text(encoding="utf-8"))
        del data["seconds"], data["jobs"]
        outputs.append((code, out, err, data))
    assert outputs[0] == outputs[1]
    code, out, err, data = outputs[0]
    assert code == 1  # the malformed lines and the null are errors, kept as they were
    fixed = [json.loads(line) for line in out.splitlines() if not line.startswith(b"{not")]
    assert [r["text"] for r in fixed] == [None if t is None else fix_text(t) for t in texts]
    assert data["errors"] == out.count(b"{not json") + texts.count(None)
    assert data["records"] == len(texts) - texts.count(None)


def test_jobs_two_text_mode_and_fail_policy(
    corpus_jsonl: tuple[Path, list[str | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = corpus_jsonl
    monkeypatch.setattr("zhfix.cli.BLOCK_CHARS", 2000)
    one = _cli(["--format", "text", str(path)])
    two = _cli(["--format", "text", str(path), "-j", "2"])
    assert one == two and one[0] == 0
    monkeypatch.setattr("zhfix.io.CHUNK_RECORDS", 7)
    argv = [str(path), "--field", "text", "--on-error", "fail"]
    one = _cli(argv)
    two = _cli([*argv, "-j", "2"])
    assert one == two and one[0] == 1
    assert one[1].count(b"\n") == 51  # records 0..50, then the first malformed line


def test_jobs_usage() -> None:
    assert _cli(["-j", "-1"])[0] == 2
    assert _cli(["-j", "x"])[0] == 2
    assert _cli(["-j", "0"], "干净".encode()) == (0, "干净".encode(), "")


def test_ctrl_c_with_workers_leaves_nothing(tmp_path: Path) -> None:
    """A real SIGINT to a ``-j 2`` run: exit 130, no output, no temporary file."""
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "big.jsonl"
    line = json.dumps({"text": "還是義(yì)無反顧，沒有損壞的一行文本。"}, ensure_ascii=False)
    src.write_text((line + "\n") * 200_000, encoding="utf-8")
    target = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "zhfix.cli", str(src), "--field", "text", "-j", "2"]
    proc = subprocess.Popen([*cmd, "-o", str(target)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # Wait until output is being written, then interrupt.
    while time.monotonic() < deadline and proc.poll() is None:
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 0:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be interrupted")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]
