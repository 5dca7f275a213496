"""Streaming readers and writers: plain text, JSON Lines (optionally gzip or zstd), Parquet.

Everything here reads and writes in bounded pieces, so that memory does not grow
with the size of a file: JSON Lines come in chunks of whole lines, Parquet in
record batches, and output is written as it is produced.  Output to a named
file goes through :class:`AtomicOutput`: a temporary file in the same directory,
renamed over the target only when the run succeeded, so an interrupted or failed
run never leaves a truncated file behind.

The format of a file is told by its extension (``.jsonl``, ``.jsonl.gz``,
``.jsonl.zst``, ``.parquet`` …) unless the caller names it:

>>> file_format("corpus.jsonl.zst"), compression_of("corpus.jsonl.zst")
('jsonl', 'zstd')
>>> file_format("notes.log"), compression_of("notes.txt.gz")
(None, 'gzip')
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Literal, cast

if TYPE_CHECKING:
    import pyarrow as pa

Format = Literal["text", "jsonl", "parquet"]
FORMATS: tuple[str, ...] = ("text", "jsonl", "parquet")

#: Extensions (after any compression suffix is removed) that name a format.
FORMAT_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
}

#: Compression suffixes understood for text and JSON Lines files.
COMPRESSION_SUFFIXES: dict[str, str] = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}

#: A JSON Lines chunk is closed after this many records …
CHUNK_RECORDS = 2000
#: … or this many bytes, whichever comes first.  About 1 MB keeps a chunk's
#: inter-process transfer cheap against its repair time (measured with
#: bench/scale.py on corpus-derived JSONL) and bounds memory per chunk.
CHUNK_BYTES = 1 << 20

#: Rows per Parquet record batch read; Parquet is read one batch at a time.
PARQUET_BATCH_ROWS = 2000


def _split_compression(name: str) -> tuple[str, str | None]:
    lower = name.lower()
    for suffix, kind in COMPRESSION_SUFFIXES.items():
        if lower.endswith(suffix):
            return lower[: -len(suffix)], kind
    return lower, None


def compression_of(name: str) -> str | None:
    """``"gzip"``, ``"zstd"`` or None, from the file name."""
    return _split_compression(name)[1]


def file_format(name: str) -> Format | None:
    """The format a file name announces, or None when its extension says nothing.

    >>> file_format("a.ndjson.gz"), file_format("b.PARQUET"), file_format("c.log")
    ('jsonl', 'parquet', None)
    """
    stem, _ = _split_compression(name)
    for suffix, fmt in FORMAT_SUFFIXES.items():
        if stem.endswith(suffix):
            return fmt
    return None


# --- reading -------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """A raw reader that counts the bytes read from the file underneath.

    Progress is measured in bytes of the file on disk (compressed or not), so
    that the share done and the time left can be estimated from its size.
    """

    def __init__(self, raw: BinaryIO, close_raw: bool = True) -> None:
        super().__init__()
        self._raw = raw
        # Standard input must outlive the readers stacked on it.
        self._close_raw = close_raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        if self._close_raw:
            with contextlib.suppress(Exception):
                self._raw.close()
        super().close()


def open_binary(
    raw: BinaryIO, compression: str | None, close_raw: bool = True
) -> tuple[BinaryIO, CountingReader]:
    """A buffered, decompressing reader over ``raw`` and the counter under it.

    ``compression`` is None, ``"gzip"`` or ``"zstd"`` (see :func:`compression_of`).
    """
    counter = CountingReader(raw, close_raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 16)
    if compression is None:
        return cast(BinaryIO, buffered), counter
    if compression == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=buffered, mode="rb")), counter
    if compression == "zstd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        return cast(BinaryIO, io.BufferedReader(_ZstdErrors(reader), buffer_size=1 << 16)), counter
    raise ValueError(f"unknown compression {compression!r}")


class _ZstdErrors(io.RawIOBase):
    """A zstd reader whose errors are :class:`OSError`, like gzip's ``BadGzipFile``."""

    def __init__(self, reader: Any) -> None:
        super().__init__()
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        import zstandard

        try:
            return int(self._reader.readinto(buffer))
        except zstandard.ZstdError as err:
            raise OSError(f"not a valid zstd stream ({err})") from None

    def close(self) -> None:
        self._reader.close()
        super().close()


def iter_line_chunks(
    stream: BinaryIO, chunk_records: int = CHUNK_RECORDS, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[int, list[bytes]]]:
    """Chunks of whole lines (terminators kept), with the 1-based number of the first.

    >>> list(iter_line_chunks(io.BytesIO(b"a\\nb\\nc"), chunk_records=2))
    [(1, [b'a\\n', b'b\\n']), (3, [b'c'])]
    """
    lines: list[bytes] = []
    size = 0
    first = 1
    for line in iter(stream.readline, b""):
        lines.append(line)
        size += len(line)
        if len(lines) >= chunk_records or size >= chunk_bytes:
            yield first, lines
            first += len(lines)
            lines, size = [], 0
    if lines:
        yield first, lines


def iter_parquet_batches(
    path: str, batch_rows: int = PARQUET_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Record batches of a Parquet file, read one row group at a time."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        yield from parquet.iter_batches(batch_size=batch_rows, use_threads=False)


def parquet_rows(path: str) -> int:
    """The number of rows of a Parquet file, read from its footer only."""
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


def parquet_schema(path: str) -> pa.Schema:
    """The Arrow schema of a Parquet file, read from its footer only."""
    import pyarrow.parquet as pq

    return pq.read_schema(path)


# --- writing -------------------------------------------------------------


def _creation_mode(path: str) -> int:
    """The mode a plain ``open(path, "w")`` would give: the target's, or 0o666 less umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class AtomicOutput:
    """A temporary file beside ``path`` that replaces ``path`` only on :meth:`commit`.

    Use it as a context manager: leaving the block without a commit (an error,
    ``KeyboardInterrupt``, a run stopped by ``--on-error fail``) removes the
    temporary file and leaves any existing ``path`` untouched.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        fd, self.temp_path = tempfile.mkstemp(
            dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
        )
        os.close(fd)
        self.done = False

    def commit(self) -> None:
        os.chmod(self.temp_path, _creation_mode(self.path))
        os.replace(self.temp_path, self.path)
        self.done = True

    def discard(self) -> None:
        if not self.done:
            with contextlib.suppress(OSError):
                os.unlink(self.temp_path)
            self.done = True

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def compressed_writer(raw: BinaryIO, compression: str | None) -> BinaryIO:
    """A writer that compresses into ``raw``; closing it finishes the stream, not ``raw``.

    Gzip headers carry no time stamp or name, so equal input gives equal bytes.
    """
    if compression is None:
        return raw
    if compression == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename=""))
    if compression == "zstd":
        import zstandard

        return cast(BinaryIO, zstandard.ZstdCompressor().stream_writer(raw, closefd=False))
    raise ValueError(f"unknown compression {compression!r}")


class BytesSink:
    """Writes text or JSON Lines bytes to a stream or, atomically, to a named file."""

    def __init__(self, stream: BinaryIO | None = None, path: str | None = None) -> None:
        self._atomic: AtomicOutput | None = None
        self._file: IO[bytes] | None = None
        if path is not None:
            self._atomic = AtomicOutput(path)
            self._file = open(self._atomic.temp_path, "wb")  # noqa: SIM115 - closed in close()
            self.stream = compressed_writer(cast(BinaryIO, self._file), compression_of(path))
        else:
            assert stream is not None
            self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def close(self, commit: bool) -> None:
        """Finish the output: keep it when ``commit`` is true, otherwise remove it."""
        if self._atomic is None:
            self.stream.flush()
            return
        assert self._file is not None
        try:
            if commit:
                if self.stream is not self._file:
                    self.stream.close()
                self._file.flush()
                os.fsync(self._file.fileno())
        finally:
            self._file.close()
            if commit:
                self._atomic.commit()
            else:
                self._atomic.discard()


class ParquetSink:
    """Writes record batches to a Parquet file, atomically; the schema comes from the first."""

    def __init__(self, path: str) -> None:
        self._atomic = AtomicOutput(path)
        self._writer: Any = None
        self._schema: pa.Schema | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._schema = batch.schema
            self._writer = pq.ParquetWriter(self._atomic.temp_path, batch.schema)
        self._writer.write_batch(batch)

    def set_schema(self, schema: pa.Schema) -> None:
        """The schema to write if no batch comes (an empty input still gives a valid file)."""
        self._schema = schema

    def close(self, commit: bool) -> None:
        import pyarrow.parquet as pq

        try:
            if commit and self._writer is None and self._schema is not None:
                self._writer = pq.ParquetWriter(self._atomic.temp_path, self._schema)
            if self._writer is not None:
                self._writer.close()
        finally:
            if commit:
                self._atomic.commit()
            else:
                self._atomic.discard()
