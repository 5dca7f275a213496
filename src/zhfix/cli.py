"""The ``zhfix`` command: repair files or standard input: plain text, JSON Lines, Parquet.

Exit codes: 0 done; 1 damage found with ``--check``, or records with errors;
2 usage or I/O error (including undecodable input in text mode); 130 interrupted.

Repaired output always goes to standard output (or ``-o FILE``) as UTF-8;
explanations and diagnostics go to standard error, so that pipes stay clean.
Output to ``-o FILE`` is written to a temporary file and renamed when the run
succeeds, so an interrupted or failed run leaves no truncated file.

Input is read in chunks (blocks of text, chunks of JSON lines, Parquet record
batches) that are repaired in order, in this process or, with ``-j N``, in N
worker processes (:func:`zhfix.parallel.ordered_map`); a chunk's output and its
messages are written in input order either way, so ``-j 2`` writes exactly what
``-j 1`` writes.

``zhfix ray ...`` runs the repair on a Ray cluster instead (see
:mod:`zhfix.integrations.ray`); a file named ``ray`` is ``./ray``.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import dataclasses
import importlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from zhfix import __version__
from zhfix.config import SCRIPTS, FixConfig
from zhfix.explain import ExplainedText, format_steps
from zhfix.io import (
    FORMATS,
    BytesSink,
    ParquetSink,
    compression_of,
    file_format,
    iter_line_chunks,
    iter_parquet_batches,
    open_binary,
    parquet_rows,
    parquet_schema,
)
from zhfix.parallel import Progress, ordered_map
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
    #: Edits made by each fixer.
    by_fixer: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    #: Texts each fixer changed.
    texts_by_fixer: dict[str, int] = field(default_factory=dict)

    def add(self, explained: ExplainedText) -> None:
        for step in explained.steps:
            self.by_fixer[step.fixer] = self.by_fixer.get(step.fixer, 0) + len(step.edits)
        for name in {step.fixer for step in explained.steps}:
            self.texts_by_fixer[name] = self.texts_by_fixer.get(name, 0) + 1
        self.findings += len(explained.findings)

    def merge(self, other: Stats) -> None:
        """Add the counts of ``other`` (a chunk's) to these."""
        self.records += other.records
        self.changed += other.changed
        self.damaged += other.damaged
        self.errors += other.errors
        self.skipped += other.skipped
        self.findings += other.findings
        for name, n in other.by_fixer.items():
            self.by_fixer[name] = self.by_fixer.get(name, 0) + n
        for name, n in other.texts_by_fixer.items():
            self.texts_by_fixer[name] = self.texts_by_fixer.get(name, 0) + n

    def to_dict(self) -> dict[str, Any]:
        """The counts as plain data, for ``--stats-json``."""
        data = dataclasses.asdict(self)
        data["by_fixer"] = dict(sorted(self.by_fixer.items()))
        data["texts_by_fixer"] = dict(sorted(self.texts_by_fixer.items()))
        return data


def add_config_arguments(parser: argparse.ArgumentParser) -> list[str]:
    """``--to`` and the repair switches; returns the names of the switches.

    Shared by ``zhfix`` and ``zhfix ray``; :func:`config_from_args` reads them back.
    """
    parser.add_argument(
        "--to", dest="script", choices=SCRIPTS, default="keep",
        help="convert the script after repairing (OpenCC); default: keep",
    )
    return _bool_flags(parser)


def config_from_args(args: argparse.Namespace, switches: list[str]) -> FixConfig:
    """The :class:`FixConfig` that parsed arguments of :func:`add_config_arguments` ask for."""
    return FixConfig(script=args.script, **{name: getattr(args, name) for name in switches})


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if jobs == 0:
        return os.cpu_count() or 1
    if jobs < 0:
        raise argparse.ArgumentTypeError("the number of jobs cannot be negative")
    return jobs


def _bool_flags(parser: argparse.ArgumentParser) -> list[str]:
    """One ``--NAME/--no-NAME`` flag for every boolean switch of :class:`FixConfig`."""
    group = parser.add_argument_group("repairs (each can be switched on or off)")
    defaults = FixConfig()
    for name in FixConfig.switches():
        default = getattr(defaults, name)
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            action=argparse.BooleanOptionalAction,
            default=default,
            help=f"(default: {'on' if default else 'off'})",
        )
    return list(FixConfig.switches())


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    parser = argparse.ArgumentParser(
        prog="zhfix",
        description="Repair damaged Chinese text: CJK mojibake, leaked pinyin annotations, "
        "flattened punctuation, machine script conversion. Clean text passes through unchanged.",
        epilog="Examples:\n"
        "  zhfix broken.txt > fixed.txt\n"
        "  zhfix --explain --to simplified page.txt\n"
        "  zhfix --jsonl --field damaged --output-field fixed < in.jsonl > out.jsonl\n"
        "  zhfix -j 2 --field text corpus.jsonl.zst -o fixed.jsonl.zst\n"
        "  zhfix --field text --explain-field steps data.parquet -o fixed.parquet\n"
        "  zhfix --check docs/*.txt   # exit 1 if any damage is found\n"
        "  zhfix ray --help           # the same repairs on a Ray cluster",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="input files; - or none: stdin")
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="write here instead of stdout (.gz/.zst compress; written to a temporary "
        "file and renamed on success)",
    )
    parser.add_argument(
        "-j", "--jobs", type=_jobs, default=1, metavar="N",
        help="repair in N worker processes, output in input order (0: one per CPU); default 1",
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
    parser.add_argument(
        "--format", choices=FORMATS, default=None,
        help="input format; default: from the file extension (.jsonl, .jsonl.gz, .jsonl.zst, "
        ".parquet), else text",
    )
    parser.add_argument(
        "--jsonl", dest="format", action="store_const", const="jsonl",
        help="input is JSON Lines (same as --format jsonl)",
    )
    parser.add_argument(
        "--field", action="append", default=[], metavar="NAME",
        help="JSONL/Parquet: field to repair (repeatable; JSONL: dotted paths like meta.text)",
    )
    parser.add_argument(
        "--output-field", action="append", default=[], metavar="NAME",
        help="JSONL/Parquet: write the repair of the matching --field here and keep the original",
    )
    parser.add_argument(
        "--explain-field", action="append", default=[], metavar="NAME",
        help="JSONL/Parquet: write the repair steps of the matching --field here, for audits "
        "(a list of step dicts; in Parquet a JSON string)",
    )
    parser.add_argument(
        "--on-error", choices=ON_ERROR, default="keep",
        help="JSONL: a malformed line or non-string field: keep the record unchanged "
        "(default), skip it, or stop (fail)",
    )
    parser.add_argument(
        "--stats-json", metavar="FILE", help="write the closing counts here as JSON"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line and no summary on stderr"
    )
    parser.add_argument("--version", action="version", version=f"zhfix {__version__}")
    switches = add_config_arguments(parser)
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
    explain_fields: list[str] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        """The picklable settings a worker process needs to rebuild this job."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("stderr", "stats")
        }

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

    def fix_explained(
        self, text: str, source: str, line: int, field_name: str = ""
    ) -> ExplainedText:
        explained = run(text, self.config)
        self.stats.add(explained)
        if explained.damaged:
            self.stats.damaged += 1
        if explained.text != text:
            self.stats.changed += 1
        self.report(source, line, explained, field_name)
        return explained

    def fix(self, text: str, source: str, line: int, field_name: str = "") -> str:
        return self.fix_explained(text, source, line, field_name).text

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
    new_values: list[tuple[str, Any]] = []
    changed = bool(job.output_fields or job.explain_fields)
    for i, (src, dst) in enumerate(zip(job.fields, targets, strict=True)):
        value = _get_path(obj, src)
        if value is _MISSING:
            raise RecordError(f"field {src!r} is missing")
        if not isinstance(value, str):
            raise RecordError(f"field {src!r} is {_describe(value)}, not a string")
        explained = job.fix_explained(value, source, line_no, src)
        changed = changed or explained.text != value
        new_values.append((dst, explained.text))
        if job.explain_fields:
            new_values.append((job.explain_fields[i], [s.to_dict() for s in explained.steps]))
    job.stats.records += 1
    if not changed:
        return raw  # byte-for-byte pass-through
    for dst, fixed in new_values:
        _set_path(obj, dst, fixed)
    return json.dumps(obj, ensure_ascii=False).encode("utf-8") + (ending or b"\n")


def fix_lines(job: Job, lines: list[bytes], source: str, first_line: int) -> tuple[bytes, bool]:
    """Repair a chunk of JSON lines under the ``--on-error`` policy.

    Returns the bytes to write and False when ``--on-error fail`` stopped at a
    record (the bytes then hold the records before it).
    """
    out: list[bytes] = []
    for line_no, raw in enumerate(lines, first_line):
        try:
            result = fix_record(job, raw, source, line_no)
        except RecordError as err:
            job.error(source, line_no, str(err))
            if job.on_error == "fail":
                return b"".join(out), False
            if job.on_error == "skip":
                job.stats.skipped += 1
                continue
            result = raw
        if result is not None:
            out.append(result)
    return b"".join(out), True


def fix_block(job: Job, block: str, source: str, line: int) -> bytes:
    """Repair one block of plain text."""
    job.stats.records += 1
    return job.fix(block, source, line).encode("utf-8")


# --- Parquet -------------------------------------------------------------


def _check_parquet_schema(job: Job, path: str) -> Any:
    """The file's schema, after checking that every --field is a text column."""
    import pyarrow as pa

    try:
        schema = parquet_schema(path)
    except (OSError, pa.ArrowException) as err:
        raise UsageError(f"cannot read {path} as Parquet: {err}") from None
    for name in job.fields:
        index = schema.get_field_index(name)
        if index < 0:
            raise UsageError(
                f"{path}: no column {name!r}; columns: {', '.join(schema.names)}"
            )
        kind = schema.field(index).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise UsageError(f"{path}: column {name!r} is {kind}, not a string column")
    return schema


def fix_parquet_batch(job: Job, batch: Any, source: str, first_row: int) -> Any:
    """Repair the ``--field`` columns of one record batch; nulls stay null.

    Rows are numbered from 1 in messages, like lines.
    """
    import pyarrow as pa

    from zhfix.batch import steps_json

    columns = dict(zip(batch.schema.names, batch.columns, strict=True))
    fields = {f.name: f for f in batch.schema}
    targets = job.output_fields or job.fields
    for i, (src, dst) in enumerate(zip(job.fields, targets, strict=True)):
        column = columns[src]
        texts: list[str | None] = []
        steps: list[str | None] = []
        for row, value in enumerate(column.to_pylist(), first_row):
            if value is None:
                texts.append(None)
                steps.append(None)
                continue
            explained = job.fix_explained(value, source, row, src)
            texts.append(explained.text)
            steps.append(steps_json(explained))
        columns[dst] = pa.array(texts, type=column.type)
        fields[dst] = pa.field(dst, column.type)
        if job.explain_fields:
            name = job.explain_fields[i]
            columns[name] = pa.array(steps, type=pa.string())
            fields[name] = pa.field(name, pa.string())
    job.stats.records += batch.num_rows
    schema = pa.schema([fields[name] for name in columns], metadata=batch.schema.metadata)
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=schema)


# --- chunks and workers --------------------------------------------------


@dataclass
class Chunk:
    """A piece of input: a text block, JSON lines, or a Parquet record batch."""

    format: str
    source: str
    #: Line (or row) number of the first record, from 1.
    first: int
    data: Any
    #: Input bytes read when the chunk was cut, for the progress line.
    bytes_done: int


@dataclass
class ChunkResult:
    """A repaired chunk: output, messages for stderr, counts, and whether to go on."""

    data: Any
    messages: str
    stats: Stats
    completed: bool
    bytes_done: int


_WORKER_JOB: Job | None = None


def init_worker(settings: dict[str, Any]) -> None:
    """Prepare this process to repair chunks: the job, and the fixers loaded once."""
    global _WORKER_JOB
    _WORKER_JOB = Job(stderr=io.StringIO(), **settings)
    run("", _WORKER_JOB.config)  # imports and registers every fixer


def process_chunk(chunk: Chunk) -> ChunkResult:
    """Repair one chunk with this process's job (see :func:`init_worker`)."""
    job = _WORKER_JOB
    assert job is not None, "init_worker was not called in this process"
    job.stderr = io.StringIO()
    job.stats = Stats()
    completed = True
    if chunk.format == "jsonl":
        data, completed = fix_lines(job, chunk.data, chunk.source, chunk.first)
    elif chunk.format == "parquet":
        data = fix_parquet_batch(job, chunk.data, chunk.source, chunk.first)
    else:
        data = fix_block(job, chunk.data, chunk.source, chunk.first)
    return ChunkResult(data, job.stderr.getvalue(), job.stats, completed, chunk.bytes_done)


# --- main ----------------------------------------------------------------


def _open_input(name: str, stdin: BinaryIO) -> tuple[BinaryIO, str]:
    if name == "-":
        return stdin, "<stdin>"
    try:
        return open(name, "rb"), name
    except OSError as err:
        raise UsageError(f"cannot read {name}: {err.strerror or err}") from None


def _read_chunks(
    job: Job, files: list[str], fmt: str, stdin: BinaryIO
) -> Iterator[Chunk]:
    """The chunks of every input file, in order."""
    done_before = 0
    first_schema = None
    for name in files:
        if fmt == "parquet":
            if name == "-":
                raise UsageError("Parquet cannot be read from standard input; name the file")
            schema = _check_parquet_schema(job, name)
            if first_schema is None:
                first_schema = schema
            elif not schema.equals(first_schema):
                raise UsageError(
                    f"{name} has other columns than {files[0]}; one output file needs one "
                    "schema: repair them one at a time"
                )
            size = os.path.getsize(name)
            rows_total = parquet_rows(name)
            row = 1
            batches = iter_parquet_batches(name)
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except (OSError, ValueError) as err:  # pyarrow's errors are ValueErrors
                    raise UsageError(f"cannot read {name} as Parquet: {err}") from None
                done = done_before + (size * (row - 1 + batch.num_rows) // max(rows_total, 1))
                yield Chunk(fmt, name, row, batch, done)
                row += batch.num_rows
            done_before += size
            continue
        raw, source = _open_input(name, stdin)
        stream, counter = open_binary(
            raw, compression_of(name) if name != "-" else None, close_raw=name != "-"
        )
        try:
            if fmt == "jsonl":
                for first, lines in iter_line_chunks(stream):
                    yield Chunk(fmt, source, first, lines, done_before + counter.count)
            else:
                for line, block in iter_text_blocks(stream, source, job.encoding):
                    yield Chunk(fmt, source, line, block, done_before + counter.count)
        except (OSError, EOFError) as err:
            raise UsageError(f"cannot read {source}: {err}") from None
        finally:
            stream.close()
        done_before += counter.count


def _input_format(args: argparse.Namespace) -> str:
    """The one format of every input: named by --format, else told by the extensions."""
    if args.format:
        return str(args.format)
    found = {name: file_format(name) or "text" if name != "-" else "text" for name in args.files}
    kinds = sorted(set(found.values())) or ["text"]
    if len(kinds) > 1:
        raise UsageError(
            "the input files have different formats ("
            + ", ".join(f"{n}: {k}" for n, k in found.items())
            + "); run zhfix once per format, or pass --format"
        )
    return kinds[0]


def _check_arguments(args: argparse.Namespace, fmt: str) -> None:
    records = fmt in ("jsonl", "parquet")
    if records and not args.field:
        what = "--jsonl" if args.format == "jsonl" else f"{fmt} input"
        raise UsageError(f"{what} needs at least one --field NAME (the text to repair)")
    if not records and (args.field or args.output_field or args.explain_field):
        raise UsageError(
            "--field, --output-field and --explain-field need --jsonl, "
            "--format jsonl or parquet, or a .jsonl/.parquet file"
        )
    if args.output_field and len(args.output_field) != len(args.field):
        raise UsageError("give one --output-field for each --field")
    if args.explain_field and len(args.explain_field) != len(args.field):
        raise UsageError("give one --explain-field for each --field")
    if fmt == "parquet" and not args.check and not args.output:
        raise UsageError("Parquet output needs -o FILE.parquet")
    if args.output and fmt != "parquet" and file_format(args.output) == "parquet":
        raise UsageError(
            f"-o {args.output}: Parquet output needs Parquet input; "
            "for JSON Lines to Parquet use `zhfix ray`"
        )


def _plural(n: int, word: str) -> str:
    """
    >>> _plural(1, "edit"), _plural(3, "text")
    ('1 edit', '3 texts')
    """
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary(job: Job, stderr: TextIO) -> None:
    s = job.stats
    parts = [_plural(s.records, "record" if job.fields else "text block")]
    changed = f"{s.changed} changed"
    if s.by_fixer:
        changed += " (" + ", ".join(
            f"{k}: {_plural(s.texts_by_fixer.get(k, 0), 'text')}, {_plural(v, 'edit')}"
            for k, v in sorted(s.by_fixer.items())
        ) + ")"
    parts.append(changed)
    if s.findings:
        parts.append(f"{s.findings} unrepairable damage found")
    if s.errors:
        parts.append(f"{s.errors} errors" + (f" ({s.skipped} skipped)" if s.skipped else ""))
    stderr.write("zhfix: " + "; ".join(parts) + "\n")


def _total_size(files: list[str]) -> int | None:
    try:
        return sum(os.path.getsize(name) for name in files) if "-" not in files else None
    except OSError:
        return None


def _write_stats(path: str, job: Job, progress: Progress, jobs: int, completed: bool) -> None:
    data = job.stats.to_dict()
    data.update(
        bytes_read=progress.bytes,
        seconds=round(progress.elapsed, 3),
        jobs=jobs,
        completed=completed,
    )
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
    except OSError as err:
        raise UsageError(f"cannot write --stats-json {path}: {err.strerror or err}") from None


def _run(
    job: Job,
    args: argparse.Namespace,
    fmt: str,
    sink: BytesSink | ParquetSink | None,
    stdin: BinaryIO,
    progress: Progress,
) -> bool:
    """Repair every input chunk in order; False when ``--on-error fail`` stopped the run."""
    chunks = _read_chunks(job, args.files or ["-"], fmt, stdin)
    results = ordered_map(
        process_chunk, chunks, jobs=args.jobs, initializer=init_worker,
        initargs=(job.settings(),),
    )
    with contextlib.closing(results):
        for result in results:
            if result.messages:
                progress.clear()
                job.stderr.write(result.messages)
            job.stats.merge(result.stats)
            if sink is not None and (fmt == "parquet" or result.data):
                sink.write(result.data)
            progress.update(result.stats.records, result.bytes_done)
            if not result.completed:
                return False
    return True


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
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["ray"]:
        from zhfix.integrations.ray import main as ray_main

        return int(ray_main(argv[1:], stderr=stderr))
    parser, switches = build_parser()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    sink: BytesSink | ParquetSink | None = None
    job: Job | None = None
    completed = False
    interactive = stderr.isatty() and not args.quiet
    progress = Progress(stderr, enabled=False)
    try:
        fmt = _input_format(args)
        _check_arguments(args, fmt)
        job = Job(
            config=config_from_args(args, switches),
            explain=args.explain,
            explain_json=args.explain_json,
            check=args.check,
            encoding=_encoding(args.input_encoding),
            fields=args.field,
            output_fields=args.output_field,
            explain_fields=args.explain_field,
            on_error=args.on_error,
            stderr=stderr,
        )
        progress = Progress(
            stderr,
            enabled=interactive and not (args.explain or args.explain_json),
            total_bytes=_total_size(args.files or ["-"]),
        )
        if not args.check:
            try:
                sink = ParquetSink(args.output) if fmt == "parquet" else (
                    BytesSink(path=args.output) if args.output else BytesSink(stream=stdout)
                )
            except OSError as err:
                raise UsageError(f"cannot write {args.output}: {err.strerror or err}") from None
        completed = _run(job, args, fmt, sink, stdin, progress)
        if completed and isinstance(sink, ParquetSink) and args.files:
            sink.set_schema(_empty_schema(job, args.files[0]))
        if sink is not None:
            # Output stopped by --on-error fail is incomplete: keep none of a named file.
            sink.close(commit=completed)
            sink = None
    except UsageError as err:
        progress.clear()
        stderr.write(f"zhfix: {err}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (``zhfix big.txt | head``): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:  # a full disk, a vanished directory: an I/O error
        progress.clear()
        stderr.write(f"zhfix: {err}\n")
        return 2
    except KeyboardInterrupt:
        progress.clear()
        stderr.write("zhfix: interrupted\n")
        return 130
    finally:
        if sink is not None:
            sink.close(commit=False)
    assert job is not None
    progress.clear()
    if not args.quiet and (args.check or job.stats.errors or args.explain or interactive):
        _summary(job, stderr)
    if args.stats_json:
        try:
            _write_stats(args.stats_json, job, progress, args.jobs, completed)
        except UsageError as err:
            stderr.write(f"zhfix: {err}\n")
            return 2
    if job.stats.errors:
        return 1
    if args.check and job.stats.damaged:
        return 1
    return 0


def _empty_schema(job: Job, path: str) -> Any:
    """The output schema of a Parquet file with no rows: the input's, plus new columns."""
    import pyarrow as pa

    schema = _check_parquet_schema(job, path)
    batch = pa.RecordBatch.from_pylist([], schema=schema)
    return fix_parquet_batch(dataclasses.replace(job, stats=Stats()), batch, path, 1).schema


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
