"""Ray Data: the batch fixer on real actors, ``zhfix ray``, and the same output on every path.

Runs a real local Ray instance with two CPUs; skipped when Ray is not installed
(``pip install 'zhfix[ray]'``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_batch import scale_texts, write_jsonl

from zhfix import apply_plan, fix_batch, fix_text
from zhfix.cli import main

ray = pytest.importorskip("ray")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from zhfix.integrations.ray import ZhfixBatchFixer, actor_cpus  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str | None]]:
    texts = scale_texts()
    path = tmp_path_factory.mktemp("ray") / "corpus.jsonl"
    write_jsonl(path, texts)
    return path, texts


def _read_dir(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return sorted(rows, key=lambda r: r["id"])


def _cli(argv: list[str]) -> tuple[int, bytes, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_map_batches_on_actors(cluster: None) -> None:
    texts = ["義(yì)無反顧", None, "干净", "臺風過後"] * 25
    table = pa.table({"id": list(range(len(texts))), "text": texts})
    ds = ray.data.from_arrow(table).map_batches(
        ZhfixBatchFixer,
        fn_constructor_kwargs={
            "columns": ["text"],
            "output_columns": ["fixed"],
            "explain_columns": ["steps"],
            "script": "simplified",
        },
        batch_format="pyarrow",
        batch_size=16,
        concurrency=2,
        num_cpus=actor_cpus(2, 2),
    )
    rows = sorted(ds.take_all(), key=lambda r: r["id"])
    assert [r["text"] for r in rows] == texts
    expected = fix_batch(texts, script="simplified").to_pylist()
    assert [r["fixed"] for r in rows] == expected
    for row in rows:
        if row["text"] is None:
            assert row["steps"] is None
        else:
            plan = json.loads(row["steps"])
            assert (
                apply_plan(row["text"], plan)
                == row["fixed"]
                == fix_text(row["text"], script="simplified")
            )


def test_same_output_from_api_cli_and_ray(
    cluster: None, corpus: tuple[Path, list[str | None]], tmp_path: Path
) -> None:
    """The acceptance check: plain API, CLI -j 1 and -j 2, and Ray agree byte for byte."""
    path, texts = corpus
    api = [None if t is None else fix_text(t).encode("utf-8") for t in texts]

    outputs = {}
    for jobs in ("1", "2"):
        code, out, _ = _cli([str(path), "--field", "text", "-j", jobs])
        assert code == (1 if None in texts else 0)  # a null text is a record error, kept
        outputs[jobs] = out
    assert outputs["1"] == outputs["2"]
    cli = [
        None if r["text"] is None else r["text"].encode("utf-8")
        for r in map(json.loads, outputs["1"].splitlines())
    ]
    assert cli == api

    target = tmp_path / "fixed"
    argv = ["ray", str(path), "--field", "text", "--output-field", "fixed", "-o", str(target)]
    code, _, err = _cli([*argv, "--explain-field", "steps", "-q"])
    assert code == 0, err
    rows = _read_dir(target)
    assert [r["id"] for r in rows] == list(range(len(texts)))
    assert [r["text"] for r in rows] == texts
    assert [None if r["fixed"] is None else r["fixed"].encode("utf-8") for r in rows] == api
    for row in rows:
        if row["text"] is not None:
            assert apply_plan(row["text"], json.loads(row["steps"])) == row["fixed"]


def test_ray_command_parquet_and_errors(cluster: None, tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    texts = ["義(yì)無反顧", None, "干净"]
    pq.write_table(pa.table({"id": [0, 1, 2], "text": texts}), src)
    target = tmp_path / "out"
    code, _, err = _cli(["ray", str(src), "--field", "text", "-o", str(target), "-q"])
    assert code == 0, err
    assert [r["text"] for r in _read_dir(target)] == fix_batch(texts).to_pylist()
    # An existing, non-empty output directory is never overwritten.
    code, _, err = _cli(["ray", str(src), "--field", "text", "-o", str(target), "-q"])
    assert code == 2 and "not empty" in err
    # A missing column fails with a plain message and leaves no output behind.
    missing = tmp_path / "missing"
    code, _, err = _cli(["ray", str(src), "--field", "body", "-o", str(missing), "-q"])
    assert code == 2 and "no column 'body'" in err
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out"]


def test_ray_command_joins_a_running_cluster(cluster: None, tmp_path: Path) -> None:
    """``--address`` in a separate driver process, as on a real cluster."""
    import subprocess
    import sys

    texts = ["義(yì)無反顧", "干净", None]
    path = tmp_path / "small.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    address = ray.get_runtime_context().gcs_address
    target = tmp_path / "joined"
    cmd = [sys.executable, "-m", "zhfix.cli", "ray", str(path), "--field", "text", "-q"]
    result = subprocess.run(
        [*cmd, "--address", address, "-o", str(target)], capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    rows = _read_dir(target)
    assert [r["text"] for r in rows] == fix_batch(texts).to_pylist()
