"""The ``zhfix`` command: repair files or standard input, plain text or JSON Lines.

Exit codes: 0 done; 1 damage found with ``--check``, or records with errors;
2 usage or I/O error (including undecodable input in text mode); 130 interrupted.

Repaired output always goes to standard output (or ``-o FILE``) as UTF-8;
explanations and diagnostics go to standard error, so that pipes stay clean.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from zhfix import __version__
from zhfix.config import SCRIPTS, FixConfig
from zhfix.explain import ExplainedText, format_steps
from zhfix.pipeline import run

#: Plain text is repaired in blocks of whole lines of at least this many
#: characters, so memory stays bounded on large files while a block is large
#: enough for document-level evidence (annotation density, punctuation style).
BLOCK_CHARS = 1 << 20

#: A single line longer than this is cut into pieces of this size in plain-text
#: mode (at a code point boundary), so that a file without line breaks cannot
#: exhaust memory.
MAX_LINE_BYTES = 16 << 20

#: Encodings in which the byte 0x0A is always a line feed, so lines can be
#: decoded one at a time and errors reported with their line number.
_ASCII_SAFE_PREFIXES = ("utf-8", "gb", "big5", "cp9", "latin", "iso8859", "cp12", "ascii", "euc")

ON_ERROR = ("keep", "skip", "fail")


class UsageError(Exception):
    """Bad arguments or unreadable input: exit code 2."""


@dataclass
class Stats:
    """Counts for the closing summary."""

    records: int = 0
    changed: int = 0
    damaged: int = 0
    errors: int = 0
    skipped: int = 0
    by_fixer: dict[str, int] = field(default_factory=dict)
    findings: int = 0

    def add(self, explained: ExplainedText) -> None:
        for step in explained.steps:
            self.by_fixer[step.fixer] = self.by_fixer.get(step.fixer, 0) + len(step.edits)
        self.findings += len(explained.findings)


def _bool_flags(parser: argparse.ArgumentParser) -> list[str]:
    """One ``--NAME/--no-NAME`` flag for every boolean switch of :class:`FixConfig`."""
    names = []
    group = parser.add_argument_group("repairs (each can be switched on or off)")
    for f in dataclasses.fields(FixConfig):
        if f.type in ("bool", bool):
            default = f.default
            group.add_argument(
                "--" + f.name.replace("_", "-"),
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=default,
                help=f"(default: {'on' if default else 'off'})",
            )
            names.append(f.name)
    return names


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    parser = argparse.ArgumentParser(
        prog="zhfix",
        description="Repair damaged Chinese text: CJK mojibake, leaked pinyin annotations, "
        "flattened punctuation, machine script conversion. Clean text passes through unchanged.",
        epilog="Examples:\n"
        "  zhfix broken.txt > fixed.txt\n"
        "  zhfix --explain --to simplified page.txt\n"
        "  zhfix --jsonl --field damaged --output-field fixed < in.jsonl > out.jsonl\n"
        "  zhfix --check docs/*.txt   # exit 1 if any damage is found",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="input files; - or none: stdin")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--to", dest="script", choices=SCRIPTS, default="keep",
        help="convert the script after repairing (OpenCC); default: keep",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print each repair step on stderr, for people"
    )
    parser.add_argument(
        "--explain-json", action="store_true",
        help="print each repair step on stderr as JSON lines (replayable with zhfix.apply_plan)",
    )
    parser.add_argument(
        "--check", action="store_true",
        help="write no output; report damage on stderr and exit 1 if any is found",
    )
    parser.add_argument(
        "--input-encoding", default="utf-8", metavar="ENC",
        help="encoding of the input bytes (e.g. gbk, big5, gb18030); default utf-8",
    )
    parser.add_argument("--jsonl", action="store_true", help="input is JSON Lines")
    parser.add_argument(
        "--field", action="append", default=[], metavar="NAME",
        help="JSONL: field to repair (repeatable; dotted paths like meta.text)",
    )
    parser.add_argument(
        "--output-field", action="append", default=[], metavar="NAME",
        help="JSONL: write the repair of the matching --field here and keep the original",
    )
    parser.add_argument(
        "--on-error", choices=ON_ERROR, default="keep",
        help="JSONL: a malformed line or non-string field: keep the record unchanged "
        "(default), skip it, or stop (fail)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    parser.add_argument("--version", action="version", version=f"zhfix {__version__}")
    switches = _bool_flags(parser)
    return parser, switches


# --- reading -------------------------------------------------------------


def _encoding(name: str) -> str:
    if name == "auto":
        return name
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            f"unknown --input-encoding {name!r}; try utf-8, gbk, gb18030, big5 or auto"
        ) from None


def _decode_hint(source: str, line_no: int, err: UnicodeDecodeError, encoding: str) -> str:
    bad = err.object[err.start : err.start + 4].hex(" ")
    hint = (
        "if the file is in a legacy encoding, pass --input-encoding gbk, big5, gb18030 "
        "or auto"
        if encoding == "utf-8"
        else "check --input-encoding, or pass --input-encoding auto"
    )
    return (
        f"{source}:{line_no}: not valid {encoding} (bytes {bad} at byte {err.start} of "
        f"the line); {hint}"
    )


def _decoder_auto(data: bytes) -> str:
    try:
        decode_bytes = importlib.import_module("zhfix.bytesdecode").decode_bytes
    except (ImportError, AttributeError):  # pragma: no cover - depends on the build
        raise UsageError("--input-encoding auto is not available in this build") from None
    decoded = decode_bytes(data)
    return decoded if isinstance(decoded, str) else str(decoded.text)


def _iter_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines with their terminators; over-long lines come in pieces."""
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        yield line


def _split_safe(piece: bytes, encoding: str) -> tuple[bytes, bytes]:
    """Split an over-long piece so that no multi-byte UTF-8 character is cut."""
    if encoding != "utf-8" or piece.endswith(b"\n"):
        return piece, b""
    cut = len(piece)
    while cut > 0 and (piece[cut - 1] & 0xC0) == 0x80:
        cut -= 1
    if cut > 0 and piece[cut - 1] >= 0xC0:
        cut -= 1
    if cut == 0:
        return piece, b""
    return piece[:cut], piece[cut:]


def iter_text_blocks(stream: BinaryIO, source: str, encoding: str) -> Iterator[tuple[int, str]]:
    """Decoded blocks of whole lines, with the line number each block starts on."""
    if encoding == "auto":
        yield 1, _decoder_auto(stream.read())
        return
    if not encoding.startswith(_ASCII_SAFE_PREFIXES) or encoding.startswith("utf-16"):
        data = stream.read()
        try:
            yield 1, data.decode(encoding)
        except UnicodeDecodeError as err:
            raise UsageError(_decode_hint(source, 1, err, encoding)) from None
        return
    block: list[str] = []
    size = 0
    start_line = line_no = 1
    carry = b""
    for raw in _iter_lines(stream):
        raw = carry + raw
        raw, carry = _split_safe(raw, encoding)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            raise UsageError(_decode_hint(source, line_no, err, encoding)) from None
        block.append(text)
        size += len(text)
        if text.endswith("\n"):
            line_no += 1
            if size >= BLOCK_CHARS:
                yield start_line, "".join(block)
                block, size, start_line = [], 0, line_no
    if carry:
        try:
            block.append(carry.decode(encoding))
        except UnicodeDecodeError as err:
            raise UsageError(_decode_hint(source, line_no, err, encoding)) from None
    if block:
        yield start_line, "".join(block)


# --- JSON Lines ----------------------------------------------------------


class RecordError(Exception):
    """A record that cannot be repaired as asked."""


_MISSING = object()


def _get_path(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = obj.get(part)
        if nxt is None:
            nxt = obj[part] = {}
        if not isinstance(nxt, dict):
            raise RecordError(f"cannot write {path!r}: {part!r} is not an object")
        obj = nxt
    obj[parts[-1]] = value


def _describe(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass
class Job:
    """Everything :func:`main` decided from the arguments."""

    config: FixConfig
    explain: bool
    explain_json: bool
    check: bool
    encoding: str
    fields: list[str]
    output_fields: list[str]
    on_error: str
    stderr: TextIO
    stats: Stats = field(default_factory=Stats)

    def report(
        self, source: str, line: int, explained: ExplainedText, field_name: str = ""
    ) -> None:
        where = f"{source}:{line}" + (f" [{field_name}]" if field_name else "")
        if self.explain and (explained.steps or explained.findings):
            self.stderr.write(f"{where}\n")
            if explained.steps:
                self.stderr.write(format_steps(explained.steps) + "\n")
            for finding in explained.findings:
                self.stderr.write(
                    f"  found {finding.detector} at {finding.start}..{finding.end}: "
                    f"{finding.text!r} (left in place)\n"
                )
        if self.explain_json and (explained.steps or explained.findings):
            record: dict[str, Any] = {"source": source, "line": line}
            if field_name:
                record["field"] = field_name
            record["steps"] = [s.to_dict() for s in explained.steps]
            record["findings"] = [f.to_dict() for f in explained.findings]
            self.stderr.write(json.dumps(record, ensure_ascii=False) + "\n")

    def fix(self, text: str, source: str, line: int, field_name: str = "") -> str:
        explained = run(text, self.config)
        self.stats.add(explained)
        if explained.damaged:
            self.stats.damaged += 1
        if explained.text != text:
            self.stats.changed += 1
        self.report(source, line, explained, field_name)
        return explained.text

    def error(self, source: str, line: int, message: str) -> None:
        self.stats.errors += 1
        self.stderr.write(f"zhfix: {source}:{line}: {message}\n")


def fix_record(job: Job, raw: bytes, source: str, line_no: int) -> bytes | None:
    """Repair one JSON line; returns the bytes to write, or None to drop it.

    Raises :class:`RecordError` for a record that cannot be repaired as asked.
    """
    body = raw.rstrip(b"\r\n")
    ending = raw[len(body) :]
    if not body.strip():
        return raw
    try:
        text = body.decode("utf-8") if job.encoding in ("utf-8", "auto") else body.decode(
            job.encoding
        )
    except UnicodeDecodeError as err:
        hint = _decode_hint(source, line_no, err, job.encoding).split(": ", 1)[1]
        raise RecordError(hint) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise RecordError(f"malformed JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, found {_describe(obj)}")
    targets = job.output_fields or job.fields
    new_values: list[tuple[str, str]] = []
    changed = False
    for src, dst in zip(job.fields, targets, strict=True):
        value = _get_path(obj, src)
        if value is _MISSING:
            raise RecordError(f"field {src!r} is missing")
        if not isinstance(value, str):
            raise RecordError(f"field {src!r} is {_describe(value)}, not a string")
        fixed = job.fix(value, source, line_no, src)
        changed = changed or fixed != value or bool(job.output_fields)
        new_values.append((dst, fixed))
    job.stats.records += 1
    if not changed:
        return raw  # byte-for-byte pass-through
    for dst, fixed in new_values:
        _set_path(obj, dst, fixed)
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + (ending or b"\n")


def run_jsonl(job: Job, stream: BinaryIO, source: str, out: BinaryIO | None) -> bool:
    """Repair a JSON Lines stream; returns False when ``--on-error fail`` stopped it."""
    line_no = 0
    while True:
        raw = stream.readline()
        if not raw:
            return True
        line_no += 1
        try:
            result = fix_record(job, raw, source, line_no)
        except RecordError as err:
            job.error(source, line_no, str(err))
            if job.on_error == "fail":
                return False
            if job.on_error == "skip":
                job.stats.skipped += 1
                continue
            result = raw
        if out is not None and result is not None:
            out.write(result)


def run_text(job: Job, stream: BinaryIO, source: str, out: BinaryIO | None) -> None:
    for line, block in iter_text_blocks(stream, source, job.encoding):
        job.stats.records += 1
        fixed = job.fix(block, source, line)
        if out is not None:
            out.write(fixed.encode("utf-8"))


# --- main ----------------------------------------------------------------


def _open_input(name: str, stdin: BinaryIO) -> tuple[BinaryIO, str]:
    if name == "-":
        return stdin, "<stdin>"
    try:
        return open(name, "rb"), name
    except OSError as err:
        raise UsageError(f"cannot read {name}: {err.strerror or err}") from None


def _summary(job: Job, stderr: TextIO) -> None:
    s = job.stats
    parts = [f"{s.records} {'records' if job.fields else 'text blocks'}"]
    parts.append(f"{s.changed} changed")
    if s.by_fixer:
        parts.append(", ".join(f"{k} {v}" for k, v in sorted(s.by_fixer.items())))
    if s.findings:
        parts.append(f"{s.findings} unrepairable damage found")
    if s.errors:
        parts.append(f"{s.errors} errors" + (f" ({s.skipped} skipped)" if s.skipped else ""))
    stderr.write("zhfix: " + "; ".join(parts) + "\n")


def main(
    argv: list[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit code."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    if stderr is None:
        stderr = sys.stderr
        if hasattr(stderr, "reconfigure"):
            # Diagnostics quote Chinese text: never fail on a narrow terminal encoding.
            stderr.reconfigure(errors="backslashreplace")
    parser, switches = build_parser()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    out_file: BinaryIO | None = None
    job: Job | None = None
    try:
        if args.jsonl and not args.field:
            raise UsageError("--jsonl needs at least one --field NAME")
        if not args.jsonl and (args.field or args.output_field):
            raise UsageError("--field and --output-field need --jsonl")
        if args.output_field and len(args.output_field) != len(args.field):
            raise UsageError("give one --output-field for each --field")
        config = FixConfig(script=args.script, **{name: getattr(args, name) for name in switches})
        job = Job(
            config=config,
            explain=args.explain,
            explain_json=args.explain_json,
            check=args.check,
            encoding=_encoding(args.input_encoding),
            fields=args.field,
            output_fields=args.output_field,
            on_error=args.on_error,
            stderr=stderr,
        )
        out: BinaryIO | None = None
        if not args.check:
            if args.output:
                try:
                    out_file = open(args.output, "wb")  # noqa: SIM115 - closed below
                except OSError as err:
                    raise UsageError(f"cannot write {args.output}: {err.strerror or err}") from None
                out = out_file
            else:
                out = stdout
        completed = True
        for name in args.files or ["-"]:
            stream, source = _open_input(name, stdin)
            try:
                if args.jsonl:
                    completed = run_jsonl(job, stream, source, out)
                else:
                    run_text(job, stream, source, out)
            finally:
                if stream is not stdin:
                    stream.close()
            if not completed:
                break
        if out is not None:
            out.flush()
    except UsageError as err:
        stderr.write(f"zhfix: {err}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (``zhfix big.txt | head``): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        stderr.write("zhfix: interrupted\n")
        return 130
    finally:
        if out_file is not None:
            out_file.close()
    assert job is not None
    if not args.quiet and (args.check or job.stats.errors or args.explain):
        _summary(job, stderr)
    if job.stats.errors:
        return 1
    if args.check and job.stats.damaged:
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
