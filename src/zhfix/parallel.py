"""Ordered parallel work, and a progress line for people watching a long run.

:func:`ordered_map` applies a function to chunks of records in worker processes
and yields the results in input order, so ``-j 2`` writes exactly what ``-j 1``
writes.  It keeps only a bounded number of chunks in flight: the input is read
no faster than the workers repair it, so memory does not grow with the file.
Each worker runs ``initializer`` once, where the repair data is loaded; the
chunks then carry only records.  With one job everything runs in this process,
through the same functions.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from multiprocessing.pool import AsyncResult
from typing import Any, TextIO, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Chunks in flight per worker: two keep a worker busy while its last result
#: travels back, and more only cost memory.
CHUNKS_PER_WORKER = 3


def _ignore_sigint(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # Ctrl-C reaches the whole process group; only the parent decides what to do
    # with it, so that the workers do not die with tracebacks mid-chunk.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def _context() -> multiprocessing.context.BaseContext:
    # fork is the cheapest start on Linux; elsewhere (and where fork is unsafe)
    # use the platform default.
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def ordered_map(
    func: Callable[[T], R],
    items: Iterable[T],
    jobs: int = 1,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    window: int | None = None,
) -> Generator[R, None, None]:
    """``map(func, items)`` over ``jobs`` processes, results in input order.

    At most ``window`` items (default ``jobs * CHUNKS_PER_WORKER``) are taken
    from ``items`` before their results have been yielded.  ``func`` and the
    items must be picklable when ``jobs > 1``.  Closing the iterator early (or an
    exception, including ``KeyboardInterrupt``) stops the workers.

    >>> list(ordered_map(str.upper, ["a", "b"], jobs=1))
    ['A', 'B']
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs}")
    if jobs == 1:
        if initializer is not None:
            initializer(*initargs)
        for item in items:
            yield func(item)
        return
    limit = window if window is not None else jobs * CHUNKS_PER_WORKER
    pool = _context().Pool(jobs, initializer=_ignore_sigint, initargs=(initializer, initargs))
    try:
        pending: deque[AsyncResult[R]] = deque()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.apply_async(func, (item,)))
            if not pending:
                break
            yield pending.popleft().get()
        pool.close()
        pool.join()
    finally:
        pool.terminate()


# --- progress ------------------------------------------------------------

#: Seconds between two redraws of the progress line.
PROGRESS_INTERVAL = 0.25


def _human_time(seconds: float) -> str:
    """
    >>> _human_time(75), _human_time(3725)
    ('1:15', '1:02:05')
    """
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A one-line progress display on a terminal: records, MB, rate, time left.

    It draws only when ``enabled`` (the CLI enables it when standard error is a
    terminal), at most every :data:`PROGRESS_INTERVAL` seconds.  ``total_bytes``
    (the size of the input files) gives the share done and the time left; it is
    None for standard input.
    """

    def __init__(self, stream: TextIO, enabled: bool, total_bytes: int | None = None) -> None:
        self.stream = stream
        self.enabled = enabled
        self.total_bytes = total_bytes
        self.records = 0
        self.bytes = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def update(self, records: int, bytes_done: int) -> None:
        """Add ``records``; ``bytes_done`` is the running total of input bytes read."""
        self.records += records
        self.bytes = bytes_done
        now = time.monotonic()
        if self.enabled and now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The text of the progress line.

        >>> p = Progress(sys.stderr, enabled=False, total_bytes=4_000_000)
        >>> p.start = 0.0
        >>> p.records, p.bytes = 5000, 1_000_000
        >>> p.line(now=2.0)
        'zhfix: 5,000 records, 1.0 MB, 2,500 rec/s, 0.5 MB/s, 25%, 0:06 left'
        """
        now = time.monotonic() if now is None else now
        elapsed = max(now - self.start, 1e-9)
        mb = self.bytes / 1e6
        parts = [
            f"{self.records:,} records",
            f"{mb:.1f} MB",
            f"{self.records / elapsed:,.0f} rec/s",
            f"{mb / elapsed:.1f} MB/s",
        ]
        if self.total_bytes and self.bytes:
            share = min(self.bytes / self.total_bytes, 1.0)
            left = elapsed * (1 - share) / share if share else 0.0
            parts.append(f"{share:.0%}")
            parts.append(f"{_human_time(left)} left")
        return "zhfix: " + ", ".join(parts)

    def _draw(self, now: float) -> None:
        self.stream.write("\r\x1b[K" + self.line(now))
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erase the progress line, before other messages or the summary."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start
