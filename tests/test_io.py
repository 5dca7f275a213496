"""Streaming readers and writers, formats by extension, Parquet, and crash-safe output."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from zhfix import apply_plan, fix_and_explain, fix_text
from zhfix.cli import main
from zhfix.io import (
    AtomicOutput,
    BytesSink,
    compressed_writer,
    compression_of,
    file_format,
    iter_line_chunks,
    open_binary,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

LEAK = "還是義(yì)無反顧，他義(yì)不容辭。"
CLEAN = "沒有損壞的一行文本。"
RECORDS: list[dict[str, Any]] = [
    {"id": 1, "text": LEAK},
    {"id": 2, "text": CLEAN},
    {"id": 3, "text": "臺風過後，" + LEAK},
]


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def _cli(
    argv: list[str], data: bytes = b"", stderr: io.StringIO | None = None
) -> tuple[int, bytes, str]:
    stdout, err = io.BytesIO(), stderr if stderr is not None else io.StringIO()
    code = main(argv, stdin=io.BytesIO(data), stdout=stdout, stderr=err)
    return code, stdout.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "fmt", "compression"),
    [
        ("a.jsonl", "jsonl", None),
        ("a.JSONL.GZ", "jsonl", "gzip"),
        ("dir.v2/a.ndjson.zst", "jsonl", "zstd"),
        ("a.parquet", "parquet", None),
        ("a.txt.gz", "text", "gzip"),
        ("a.json", None, None),
        ("README", None, None),
    ],
)
def test_format_by_extension(name: str, fmt: str | None, compression: str | None) -> None:
    assert file_format(name) == fmt
    assert compression_of(name) == compression


def test_line_chunks_are_bounded_and_lossless() -> None:
    data = b"".join(f"line {i}\r\n".encode() for i in range(100)) + b"no newline at the end"
    chunks = list(iter_line_chunks(io.BytesIO(data), chunk_records=30, chunk_bytes=200))
    assert b"".join(b"".join(lines) for _, lines in chunks) == data
    assert all(len(lines) <= 30 and sum(map(len, lines)) < 200 + 12 for _, lines in chunks)
    firsts = [first for first, _ in chunks]
    assert firsts[0] == 1
    assert all(b == a + len(c[1]) for a, b, c in zip(firsts, firsts[1:], chunks, strict=False))


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_compressed_round_trip_and_byte_count(compression: str | None) -> None:
    if compression == "zstd":
        pytest.importorskip("zstandard")
    raw = io.BytesIO()
    writer = compressed_writer(raw, compression)
    payload = _jsonl(RECORDS) * 50
    writer.write(payload)
    if writer is not raw:
        writer.close()
    stored = raw.getvalue()
    stream, counter = open_binary(io.BytesIO(stored), compression)
    assert b"".join(iter(stream.readline, b"")) == payload
    assert counter.count == len(stored)


def test_gzip_output_is_reproducible() -> None:
    outputs = []
    for _ in range(2):
        raw = io.BytesIO()
        writer = compressed_writer(raw, "gzip")
        writer.write(b"same\n")
        writer.close()
        outputs.append(raw.getvalue())
    assert outputs[0] == outputs[1]


def test_atomic_output_commit_and_discard(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with AtomicOutput(str(target)) as out:
        Path(out.temp_path).write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "old"  # not committed: discarded
    with AtomicOutput(str(target)) as out:
        Path(out.temp_path).write_text("new", encoding="utf-8")
        out.commit()
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_bytes_sink_compresses_by_name(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl.gz"
    sink = BytesSink(path=str(target))
    sink.write(b"abc\n")
    sink.close(commit=True)
    assert gzip.decompress(target.read_bytes()) == b"abc\n"


# --- the command line: formats ---------------------------------------------


def test_jsonl_detected_by_extension_and_compressed_both_ways(tmp_path: Path) -> None:
    plain = tmp_path / "in.jsonl"
    plain.write_bytes(_jsonl(RECORDS))
    packed = tmp_path / "in.jsonl.gz"
    packed.write_bytes(gzip.compress(_jsonl(RECORDS)))
    code, expected, _ = _cli([str(plain), "--field", "text"])
    assert code == 0
    assert [json.loads(x)["text"] for x in expected.splitlines()] == [
        fix_text(r["text"]) for r in RECORDS
    ]
    target = tmp_path / "out.jsonl.gz"
    code, out, _ = _cli([str(packed), "--field", "text", "-o", str(target)])
    assert code == 0 and out == b""
    assert gzip.decompress(target.read_bytes()) == expected
    # The extension asks for records: without --field that is a usage error.
    code, _, err = _cli([str(plain)])
    assert code == 2 and "--field" in err
    # --format text overrides the extension.
    code, out, _ = _cli([str(plain), "--format", "text"])
    assert code == 0 and out.decode() == fix_text(_jsonl(RECORDS).decode())


def test_zstd_jsonl(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    src = tmp_path / "in.jsonl.zst"
    src.write_bytes(zstandard.ZstdCompressor().compress(_jsonl(RECORDS)))
    target = tmp_path / "out.jsonl.zst"
    code, _, err = _cli([str(src), "--field", "text", "-o", str(target)])
    assert code == 0, err
    with zstandard.ZstdDecompressor().stream_reader(open(target, "rb")) as reader:
        rows = [json.loads(x) for x in reader.read().splitlines()]
    assert [r["text"] for r in rows] == [fix_text(r["text"]) for r in RECORDS]


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(_jsonl(RECORDS))
    (tmp_path / "b.txt").write_text(CLEAN, encoding="utf-8")
    code, _, err = _cli([str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt"), "--field", "text"])
    assert code == 2 and "different formats" in err


def test_explain_field_replays(tmp_path: Path) -> None:
    code, out, err = _cli(
        ["--jsonl", "--field", "text", "--explain-field", "steps"], _jsonl(RECORDS)
    )
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    for record, row in zip(RECORDS, rows, strict=True):
        assert isinstance(row["steps"], list)
        assert apply_plan(record["text"], row["steps"]) == row["text"] == fix_text(record["text"])
    assert rows[1]["steps"] == []  # every record gets the field, clean ones too
    assert _cli(["--field", "a", "--explain-field", "x", "--explain-field", "y", "--jsonl"])[0] == 2
    assert _cli(["--explain-field", "x"], b"text")[0] == 2


# --- Parquet -------------------------------------------------------------


def _parquet(path: Path, rows: int = 50, text_type: Any = None) -> list[str | None]:
    texts: list[str | None] = [[LEAK, CLEAN, None, "臺風過後"][i % 4] for i in range(rows)]
    table = pa.table(
        {"id": list(range(rows)), "text": pa.array(texts, type=text_type or pa.string())},
        metadata={"origin": "zhfix tests"},
    )
    pq.write_table(table, path, row_group_size=16)
    return texts


@pytest.mark.parametrize("text_type", ["string", "large_string"])
def test_parquet_in_parquet_out(tmp_path: Path, text_type: str) -> None:
    src = tmp_path / "in.parquet"
    texts = _parquet(src, text_type=getattr(pa, text_type)())
    target = tmp_path / "out.parquet"
    argv = [str(src), "--field", "text", "--output-field", "fixed", "--explain-field", "steps"]
    code, out, err = _cli([*argv, "-o", str(target)])
    assert code == 0 and out == b"", err
    table = pq.read_table(target)
    assert table.column_names == ["id", "text", "fixed", "steps"]
    assert table.schema.field("fixed").type == getattr(pa, text_type)()
    assert table.schema.metadata[b"origin"] == b"zhfix tests"
    assert table.column("text").to_pylist() == texts
    fixed = table.column("fixed").to_pylist()
    assert fixed == [None if t is None else fix_text(t) for t in texts]
    for text, steps in zip(texts, table.column("steps").to_pylist(), strict=True):
        assert (steps is None) == (text is None)
        if text is not None:
            assert apply_plan(text, json.loads(steps)) == fix_text(text)
    # -j 2 writes the same file, byte for byte.
    target2 = tmp_path / "out2.parquet"
    assert _cli([*argv, "-o", str(target2), "-j", "2"])[0] == 0
    assert target2.read_bytes() == target.read_bytes()


def test_parquet_usage_errors(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    _parquet(src)
    code, _, err = _cli([str(src), "--field", "text"])
    assert code == 2 and "-o" in err
    code, _, err = _cli([str(src), "--field", "body", "-o", str(tmp_path / "o.parquet")])
    assert code == 2 and "no column 'body'" in err and "id, text" in err
    code, _, err = _cli([str(src), "--field", "id", "-o", str(tmp_path / "o.parquet")])
    assert code == 2 and "not a string column" in err
    code, _, err = _cli(["--jsonl", "--field", "text", "-o", str(tmp_path / "o.parquet")], b"")
    assert code == 2 and "zhfix ray" in err
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"text": ["x"]}), other)
    code, _, err = _cli([str(src), str(other), "--field", "text", "-o", str(tmp_path / "o.pq")])
    assert code == 2 and "other columns" in err
    other.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_parquet_check_and_empty_file(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    _parquet(src)
    code, _, err = _cli([str(src), "--field", "text", "--check"])
    assert code == 1 and "records" in err
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"text": pa.array([], type=pa.string())}), empty)
    target = tmp_path / "out.parquet"
    code, _, _ = _cli([str(empty), "--field", "text", "--explain-field", "s", "-o", str(target)])
    assert code == 0 and pq.read_table(target).column_names == ["text", "s"]


# --- crash safety ----------------------------------------------------------


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    import zhfix.cli

    real = zhfix.cli.run
    seen = 0

    def run(text: str, config: Any) -> Any:
        nonlocal seen
        seen += 1
        if seen > calls:
            raise KeyboardInterrupt
        return real(text, config)

    monkeypatch.setattr(zhfix.cli, "run", run)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".parquet"])
def test_interrupt_leaves_no_partial_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    src = tmp_path / ("in" + suffix)
    if suffix == ".parquet":
        _parquet(src, rows=100)
    else:
        data = _jsonl(RECORDS * 100)
        src.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    target = tmp_path / ("out" + suffix)
    target.write_bytes(b"previous output")
    monkeypatch.setattr("zhfix.io.CHUNK_RECORDS", 10)
    monkeypatch.setattr("zhfix.io.PARQUET_BATCH_ROWS", 10)
    _interrupt_after(monkeypatch, 55)
    code, _, err = _cli([str(src), "--field", "text", "-o", str(target)])
    assert code == 130 and "interrupted" in err
    assert target.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, target.name])


def test_failures_leave_no_partial_output(tmp_path: Path) -> None:
    # --on-error fail stops the run: the output file would be incomplete.
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(RECORDS) + b"{broken\n" + _jsonl(RECORDS))
    target = tmp_path / "out.jsonl"
    code, _, err = _cli([str(src), "--field", "text", "--on-error", "fail", "-o", str(target)])
    assert code == 1 and ":4: malformed JSON" in err
    assert not target.exists()
    # With the default policy the output is complete: kept, errors counted.
    code, _, err = _cli([str(src), "--field", "text", "-o", str(target)])
    assert code == 1 and "1 errors" in err
    assert len(target.read_bytes().splitlines()) == 7
    # Undecodable text in a later block is a usage error: nothing written.
    bad = tmp_path / "bad.txt"
    bad.write_bytes((CLEAN + "\n").encode() * 1000 + "用户".encode("gbk"))
    text_target = tmp_path / "bad.out"
    code, _, err = _cli([str(bad), "-o", str(text_target)])
    assert code == 2 and "--input-encoding" in err and not text_target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "in.jsonl", "out.jsonl"]


def test_output_may_replace_its_input(tmp_path: Path) -> None:
    src = tmp_path / "doc.txt"
    src.write_text(LEAK, encoding="utf-8")
    os.chmod(src, 0o640)
    assert _cli([str(src), "-o", str(src)])[0] == 0
    assert src.read_text(encoding="utf-8") == fix_text(LEAK)
    assert os.stat(src).st_mode & 0o777 == 0o640


# --- progress and statistics ---------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_gets_progress_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("zhfix.parallel.PROGRESS_INTERVAL", 0.0)
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(RECORDS))
    terminal = _Terminal()
    code, _, err = _cli([str(src), "--field", "text"], stderr=terminal)
    assert code == 0
    assert "3 records, " in err and "100%" in err  # the progress line
    summary = err.rsplit("\r\x1b[K", 1)[-1]  # after the progress line is cleared
    changed = sum(fix_text(r["text"]) != r["text"] for r in RECORDS)
    assert summary.startswith(f"zhfix: 3 records; {changed} changed")
    quiet = _Terminal()
    assert _cli([str(src), "--field", "text", "-q"], stderr=quiet)[2] == ""


def test_stats_json(tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    data = _jsonl(RECORDS) + b"[1]\n"
    code, _, _ = _cli(["--jsonl", "--field", "text", "--stats-json", str(stats)], data)
    assert code == 1
    counts = json.loads(stats.read_text(encoding="utf-8"))
    assert counts["records"] == 3 and counts["errors"] == 1 and counts["completed"] is True
    assert counts["changed"] == sum(fix_text(r["text"]) != r["text"] for r in RECORDS)
    assert counts["bytes_read"] == len(data)
    assert set(counts["by_fixer"]) >= {"annotations"}
    explained = [fix_and_explain(r["text"]) for r in RECORDS]
    assert counts["texts_by_fixer"]["annotations"] == sum(
        any(s.fixer == "annotations" for s in e.steps) for e in explained
    )
    assert counts["by_fixer"]["annotations"] == sum(
        len(s.edits) for e in explained for s in e.steps if s.fixer == "annotations"
    )


def test_compressed_plain_text(tmp_path: Path) -> None:
    src = tmp_path / "doc.txt.gz"
    text = (LEAK + "\n" + CLEAN + "\n") * 3
    src.write_bytes(gzip.compress(text.encode("utf-8")))
    code, out, _ = _cli([str(src)])
    assert code == 0 and out.decode("utf-8") == fix_text(text)


@pytest.mark.parametrize("name", ["bad.jsonl.gz", "bad.jsonl.zst", "bad.parquet"])
def test_corrupt_input_is_an_io_error(tmp_path: Path, name: str) -> None:
    if name.endswith(".zst"):
        pytest.importorskip("zstandard")
    src = tmp_path / name
    src.write_bytes(b"PAR1 this is not what the name says" * 10 + b"PAR1")
    target = tmp_path / "out"
    code, _, err = _cli([str(src), "--field", "text", "-o", str(target) + src.suffix])
    assert code == 2 and f"cannot read {src}" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
