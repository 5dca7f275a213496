"""The command line: modes, exit codes, error handling, and the installed entry point."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zhfix import apply_plan, fix_text
from zhfix.cli import main

LEAK = "還是義(yì)無反顧，他義(yì)不容辭。"
LEAK_FIXED = "還是義無反顧，他義不容辭。"


def run_cli(argv: list[str], data: bytes = b"") -> tuple[int, bytes, str]:
    stdout = io.BytesIO()
    stderr = io.StringIO()
    code = main(argv, stdin=io.BytesIO(data), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_text_stdin_to_stdout() -> None:
    code, out, err = run_cli([], LEAK.encode())
    assert code == 0
    assert out.decode() == LEAK_FIXED
    assert err == ""


def test_clean_text_passes_byte_for_byte() -> None:
    clean = "第一行，沒有損壞。\r\nsecond line, plain English\n\n最後一行"
    code, out, _ = run_cli(["-"], clean.encode())
    assert code == 0 and out == clean.encode()


def test_files_and_output_file(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(LEAK + "\n", encoding="utf-8")
    b.write_text("干净的文本\n", encoding="utf-8")
    target = tmp_path / "out.txt"
    code, out, _ = run_cli([str(a), str(b), "-o", str(target)])
    assert code == 0 and out == b""
    assert target.read_text(encoding="utf-8") == LEAK_FIXED + "\n干净的文本\n"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_cli([str(tmp_path / "nope.txt")])
    assert code == 2 and "cannot read" in err


def test_to_script() -> None:
    code, out, _ = run_cli(["--to", "simplified"], "臺風過後".encode())
    assert code == 0 and out.decode() == "台风过后"
    code, _, err = run_cli(["--to", "klingon"], b"x")
    assert code == 2 and "invalid choice" in err


def test_invalid_utf8_names_input_encoding() -> None:
    gbk = "第一行\n用户不存在\n".encode("gbk")
    code, out, err = run_cli([], "好\n".encode() + gbk)
    assert code == 2
    assert "--input-encoding" in err and ":2:" in err
    code, out, err = run_cli(["--input-encoding", "gbk"], gbk)
    assert code == 0 and out.decode() == "第一行\n用户不存在\n"


def test_unknown_encoding() -> None:
    code, _, err = run_cli(["--input-encoding", "nope-8"], b"x")
    assert code == 2 and "unknown --input-encoding" in err


def test_check_mode_exit_codes() -> None:
    code, out, err = run_cli(["--check"], LEAK.encode())
    assert code == 1 and out == b"" and "annotations" in err
    code, out, _ = run_cli(["--check"], "沒有損壞的文本。".encode())
    assert code == 0 and out == b""


def test_explain_is_human_readable_on_stderr() -> None:
    code, out, err = run_cli(["--explain"], LEAK.encode())
    assert code == 0 and out.decode() == LEAK_FIXED
    assert "annotations" in err and "'(yì)' → ''" in err


def test_explain_json_replays() -> None:
    code, out, err = run_cli(["--explain-json"], LEAK.encode())
    assert code == 0
    records = [json.loads(line) for line in err.splitlines()]
    assert len(records) == 1 and records[0]["source"] == "<stdin>"
    assert apply_plan(LEAK, records[0]["steps"]) == out.decode()


def test_switches_turn_fixers_off() -> None:
    code, out, _ = run_cli(["--no-fix-annotations"], LEAK.encode())
    assert code == 0 and out.decode() == LEAK


JSONL = [
    {"id": 1, "damaged": "臺風過後，義(yì)無反顧", "meta": {"lang": "zh"}},
    {"id": 2, "damaged": "干净"},
]


def _jsonl(records: list[object], extra: bytes = b"") -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records) + extra


def test_jsonl_output_field_keeps_keys_and_order() -> None:
    argv = ["--jsonl", "--field", "damaged", "--output-field", "fixed", "--to", "simplified"]
    code, out, err = run_cli(argv, _jsonl(JSONL))
    assert code == 0, err
    rows = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["id"] for r in rows] == [1, 2]
    assert list(rows[0]) == ["id", "damaged", "meta", "fixed"]
    assert rows[0]["damaged"] == JSONL[0]["damaged"]
    assert rows[0]["fixed"] == fix_text(str(JSONL[0]["damaged"]), script="simplified")
    assert rows[0]["fixed"] == "台风过后，义无反顾"
    assert rows[1]["fixed"] == "干净"


def test_jsonl_in_place_and_dotted_paths() -> None:
    records = [{"a": {"b": "義(yì)無"}, "n": 1}, {"a": {"b": "clean"}, "n": 2}]
    data = _jsonl(records)
    code, out, _ = run_cli(["--jsonl", "--field", "a.b"], data)
    assert code == 0
    lines = out.splitlines(keepends=True)
    assert json.loads(lines[0])["a"]["b"] == "義無"
    # An unchanged record is written back byte for byte.
    assert lines[1] == data.splitlines(keepends=True)[1]
    code, out, _ = run_cli(["--jsonl", "--field", "a.b", "--output-field", "x.y"], data)
    assert json.loads(out.splitlines()[0])["x"] == {"y": "義無"}


BAD = _jsonl(JSONL[:1]) + b"{not json\n" + _jsonl([{"damaged": 7}, {"other": "x"}]) + _jsonl(
    JSONL[1:]
)


def test_jsonl_errors_keep_by_default() -> None:
    code, out, err = run_cli(["--jsonl", "--field", "damaged"], BAD)
    assert code == 1
    lines = out.splitlines(keepends=True)
    assert len(lines) == 5
    assert lines[1] == b"{not json\n"
    assert "<stdin>:2: malformed JSON" in err
    assert "<stdin>:3: field 'damaged' is int, not a string" in err
    assert "<stdin>:4: field 'damaged' is missing" in err
    assert "3 errors" in err


def test_jsonl_errors_skip_and_fail() -> None:
    code, out, err = run_cli(["--jsonl", "--field", "damaged", "--on-error", "skip"], BAD)
    assert code == 1 and len(out.splitlines()) == 2 and "3 skipped" in err
    code, out, err = run_cli(["--jsonl", "--field", "damaged", "--on-error", "fail"], BAD)
    assert code == 1 and len(out.splitlines()) == 1


def test_jsonl_invalid_utf8_line_is_a_record_error() -> None:
    data = _jsonl(JSONL[:1]) + '{"damaged": "用户"}\n'.encode("gbk") + _jsonl(JSONL[1:])
    code, out, err = run_cli(["--jsonl", "--field", "damaged"], data)
    assert code == 1 and ":2:" in err and "--input-encoding" in err
    assert out.splitlines()[1] == '{"damaged": "用户"}'.encode("gbk")


def test_jsonl_usage_errors() -> None:
    assert run_cli(["--jsonl"], b"")[0] == 2
    assert run_cli(["--field", "x"], b"")[0] == 2
    argv = ["--jsonl", "--field", "a", "--field", "b", "--output-field", "c"]
    assert run_cli(argv, b"")[0] == 2


def test_jsonl_blank_lines_and_crlf_survive() -> None:
    data = b'{"damaged": "\xe7\xbe\xa9(y\xc3\xac)\xe7\x84\xa1"}\r\n\n{"damaged": "ok"}'
    code, out, _ = run_cli(["--jsonl", "--field", "damaged"], data)
    assert code == 0
    assert out.split(b"\n")[1:] == [b"", b'{"damaged": "ok"}']
    assert out.startswith('{"damaged": "義無"}\r\n'.encode())


def test_entry_point_exact_command(tmp_path: Path) -> None:
    """The installed command, exactly as documented."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(_jsonl(JSONL))
    cmd = (
        "zhfix --jsonl --field damaged --output-field fixed --to simplified "
        "< in.jsonl > out.jsonl"
    )
    zhfix = Path(sys.executable).with_name("zhfix")
    if not zhfix.exists():
        pytest.skip("the zhfix entry point is not installed beside this Python")
    result = subprocess.run(
        cmd.replace("zhfix", str(zhfix), 1), shell=True, cwd=tmp_path, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    out = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["fixed"] for r in rows] == ["台风过后，义无反顾", "干净"]


def test_module_entry_broken_pipe(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("沒有損壞的一行文本。\n" * 200_000, encoding="utf-8")
    cmd = f"{sys.executable} -m zhfix.cli {big} | head -n 1"
    result = subprocess.run(cmd, shell=True, capture_output=True)
    assert result.stdout.decode() == "沒有損壞的一行文本。\n"
    assert b"Traceback" not in result.stderr
