"""Repair text columns on a Ray cluster: :class:`ZhfixBatchFixer` and ``zhfix ray``.

:class:`ZhfixBatchFixer` is a callable class for Ray Data's ``map_batches``.
Ray builds one per actor, so the repair data is loaded once per actor, not once
per batch::

    import ray
    from zhfix.integrations.ray import ZhfixBatchFixer

    ds = ray.data.read_parquet("s3://bucket/corpus/")
    ds = ds.map_batches(
        ZhfixBatchFixer,
        fn_constructor_kwargs={"columns": ["text"], "output_columns": ["text_fixed"]},
        batch_format="pyarrow",
        concurrency=8,
        num_cpus=0.5,
    )
    ds.write_parquet("s3://bucket/fixed/")

On a small cluster give each actor less than a whole CPU (``num_cpus=0.5``, see
:func:`actor_cpus`): actors holding every CPU leave none for the tasks that read
the input, and Ray then waits forever.

Each value is repaired exactly as :func:`zhfix.fix_text` repairs it (through
:func:`zhfix.fix_batch`): nulls stay null, other columns pass through untouched.

The command ``zhfix ray INPUT... -o OUTDIR --field text`` does the same from
the shell: it reads JSON Lines (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``) or
Parquet files or directories and writes a directory of Parquet files.  Without
``--address`` it starts a local Ray instance; ``--address auto`` or
``ray://host:10001`` joins an existing cluster.  Input must be well-formed: the
Ray path has no ``--on-error`` policy (use ``zhfix`` on one machine to triage
malformed records).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any, TextIO

from zhfix.batch import fix_batch
from zhfix.config import DEFAULT_CONFIG, FixConfig
from zhfix.pipeline import run

#: Rows per batch handed to an actor: large enough that Ray's per-batch cost is
#: small against the repair, small enough to keep an actor's memory modest.
DEFAULT_BATCH_SIZE = 4096

#: Logical CPUs reserved by each repair actor (at most), and by each read or
#: write task.  Actors holding whole CPUs leave none for the tasks that list and
#: read the input, which Ray then waits for forever (seen on a 2-CPU machine with
#: Parquet input: listing the files asks for a whole CPU).  Actors are given at
#: most this share, and together always leave one CPU free; see :func:`actor_cpus`.
ACTOR_CPUS = 0.5
IO_TASK_CPUS = 0.1


class ZhfixBatchFixer:
    """Repairs text columns of Arrow tables; give it to ``Dataset.map_batches``.

    ``columns`` are repaired; the repair of ``columns[i]`` goes to
    ``output_columns[i]`` (default: in place).  With ``explain_columns``, the
    repair steps of ``columns[i]`` go to ``explain_columns[i]`` as a JSON list of
    step dicts (replayable with :func:`zhfix.apply_plan`).  ``config`` and
    ``options`` are as for :func:`zhfix.fix_text`.

    >>> import pyarrow as pa
    >>> fixer = ZhfixBatchFixer(columns=["t"], output_columns=["fixed"])
    >>> fixer(pa.table({"t": ["義(yì)無", None]})).column("fixed").to_pylist()
    ['義無', None]
    """

    def __init__(
        self,
        columns: Sequence[str] = ("text",),
        output_columns: Sequence[str] | None = None,
        explain_columns: Sequence[str] | None = None,
        config: FixConfig | None = None,
        **options: Any,
    ) -> None:
        if isinstance(columns, str):
            columns = [columns]
        self.columns = list(columns)
        self.output_columns = list(output_columns) if output_columns else list(self.columns)
        self.explain_columns = list(explain_columns) if explain_columns else []
        if not self.columns:
            raise ValueError("ZhfixBatchFixer needs at least one column to repair")
        if len(self.output_columns) != len(self.columns):
            raise ValueError("give one output column for each column")
        if self.explain_columns and len(self.explain_columns) != len(self.columns):
            raise ValueError("give one explain column for each column")
        base = DEFAULT_CONFIG if config is None else config
        self.config = base.with_options(**options)
        run("", self.config)  # imports and registers every fixer, once per actor

    def __call__(self, batch: Any) -> Any:
        """Repair one batch: a ``pyarrow.Table`` (``batch_format="pyarrow"``)."""
        import pyarrow as pa

        if not isinstance(batch, pa.Table):
            raise TypeError(
                "ZhfixBatchFixer works on Arrow tables: pass batch_format=\"pyarrow\" "
                f"to map_batches (got {type(batch).__name__})"
            )
        for i, (src, dst) in enumerate(zip(self.columns, self.output_columns, strict=True)):
            if src not in batch.column_names:
                raise KeyError(
                    f"no column {src!r} to repair; columns: {', '.join(batch.column_names)}"
                )
            column = batch.column(src)
            if self.explain_columns:
                explained = fix_batch(column, self.config, explain=True)
                batch = _put(batch, dst, _struct_field(pa, explained, "text"))
                batch = _put(batch, self.explain_columns[i], _struct_field(pa, explained, "steps"))
            else:
                batch = _put(batch, dst, fix_batch(column, self.config))
        return batch


def _struct_field(pa: Any, chunked: Any, name: str) -> Any:
    return pa.chunked_array([c.field(name) for c in chunked.chunks], type=chunked.type[name].type)


def _put(table: Any, name: str, column: Any) -> Any:
    """Replace column ``name`` (in its place) or append it."""
    index = table.schema.get_field_index(name)
    if index >= 0:
        return table.set_column(index, name, column)
    return table.append_column(name, column)


# --- zhfix ray -----------------------------------------------------------


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    from zhfix.cli import add_config_arguments

    parser = argparse.ArgumentParser(
        prog="zhfix ray",
        description="Repair text columns of JSON Lines or Parquet files on a Ray cluster; "
        "writes a directory of Parquet files.",
        epilog="Examples:\n"
        "  zhfix ray corpus/*.jsonl.zst --field text -o fixed/\n"
        "  zhfix ray --address auto s3://bucket/in/ --format parquet --field text "
        "--output-field fixed -o s3://bucket/out/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="files or directories")
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR",
        help="output directory of Parquet files (a local one must not exist yet or be empty)",
    )
    parser.add_argument(
        "--format", choices=("jsonl", "parquet"), default=None,
        help="input format; default: from the extension of the first input (or of the "
        "files of a local directory), else parquet",
    )
    parser.add_argument(
        "--field", action="append", required=True, metavar="NAME",
        help="column to repair (repeatable; top-level columns only)",
    )
    parser.add_argument("--output-field", action="append", default=[], metavar="NAME")
    parser.add_argument(
        "--explain-field", action="append", default=[], metavar="NAME",
        help="write each row's repair steps (JSON list) of the matching --field here",
    )
    parser.add_argument(
        "--address", default=None,
        help="Ray cluster to join (auto, ray://host:10001); default: start a local one",
    )
    parser.add_argument(
        "--num-cpus", type=int, default=None, metavar="N",
        help="CPUs of the local Ray instance (without --address); default: all",
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, metavar="N",
        help="number of repair actors; default: one per CPU of the cluster "
        "(the repair is CPU-bound and each actor runs one batch at a time)",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="ROWS")
    parser.add_argument("-q", "--quiet", action="store_true", help="no messages on stderr")
    switches = add_config_arguments(parser)
    return parser, switches


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    from zhfix.io import file_format

    first = args.inputs[0].rstrip("/")
    found = file_format(first)
    if found in ("jsonl", "parquet"):
        return found
    if os.path.isdir(first):
        names = sorted(os.listdir(first))
        for name in names:
            found = file_format(name)
            if found in ("jsonl", "parquet"):
                return found
    return "parquet"  # a remote directory, typically of Parquet files


def _is_local(path: str) -> bool:
    return "://" not in path


def main(argv: list[str] | None = None, stderr: TextIO | None = None) -> int:
    """Run ``zhfix ray``; returns the exit code (0 done, 1 failed, 2 usage error)."""
    import contextlib

    stderr = stderr if stderr is not None else sys.stderr
    parser, switches = build_parser()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    from zhfix.cli import config_from_args

    try:
        # Typed as Any: Ray's own annotations are partial.
        ray: Any = importlib.import_module("ray")
    except ImportError:
        stderr.write("zhfix ray: Ray is not installed; pip install 'zhfix[ray]'\n")
        return 2
    try:
        fmt = _format(args)
        if args.output_field and len(args.output_field) != len(args.field):
            raise ValueError("give one --output-field for each --field")
        if args.explain_field and len(args.explain_field) != len(args.field):
            raise ValueError("give one --explain-field for each --field")
        if _is_local(args.output) and os.path.isdir(args.output) and os.listdir(args.output):
            raise ValueError(f"{args.output} exists and is not empty; choose a new directory")
        config = config_from_args(args, switches)
    except ValueError as err:
        stderr.write(f"zhfix ray: {err}\n")
        return 2
    start = time.monotonic()
    started_here = not ray.is_initialized()
    if started_here:
        init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": not args.quiet}
        if args.address:
            init["address"] = args.address
        else:
            init["num_cpus"] = args.num_cpus
        ray.init(**init)
    staging = None
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        if args.quiet:
            ctx.enable_progress_bars = False
        cpus = float(ray.cluster_resources().get("CPU", 1))
        actors = args.concurrency or max(1, int(cpus))
        if fmt == "jsonl":
            ds = ray.data.read_json(args.inputs, num_cpus=IO_TASK_CPUS)
        else:
            ds = ray.data.read_parquet(args.inputs, num_cpus=IO_TASK_CPUS)
        schema = ds.schema()
        names = list(schema.names) if schema is not None else []
        missing = [name for name in args.field if name not in names]
        if missing:
            stderr.write(
                f"zhfix ray: no column {missing[0]!r} to repair; columns: {', '.join(names)}\n"
            )
            return 2
        ds = ds.map_batches(
            ZhfixBatchFixer,
            fn_constructor_kwargs={
                "columns": args.field,
                "output_columns": args.output_field or None,
                "explain_columns": args.explain_field or None,
                "config": config,
            },
            batch_format="pyarrow",
            batch_size=args.batch_size,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=actor_cpus(cpus, actors),
        )
        target = args.output
        if _is_local(args.output) and not str(args.address or "").startswith("ray://"):
            # Write beside the target and rename on success: no half-written output.
            # (Through Ray Client the workers write on the cluster's machines instead.)
            parent = os.path.dirname(os.path.abspath(args.output))
            os.makedirs(parent, exist_ok=True)
            staging = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(args.output))
            target = staging
        ds.write_parquet(target, ray_remote_args={"num_cpus": IO_TASK_CPUS})
        if staging is not None:
            if os.path.isdir(args.output):
                os.rmdir(args.output)  # empty, checked above
            os.replace(staging, args.output)
            staging = None
    except KeyboardInterrupt:
        stderr.write("zhfix ray: interrupted\n")
        return 130
    except Exception as err:  # Ray wraps worker errors; say what failed, not where
        stderr.write(f"zhfix ray: failed: {_root_message(err)}\n")
        return 1
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if started_here:
            ray.shutdown()
    if not args.quiet:
        stderr.write(f"zhfix ray: wrote {args.output} in {time.monotonic() - start:.1f} s\n")
    return 0


def actor_cpus(cluster_cpus: float, actors: int) -> float:
    """The logical CPUs to reserve per actor so that one CPU stays free for I/O tasks.

    >>> actor_cpus(2, 2), actor_cpus(1, 1), actor_cpus(16, 32)
    (0.5, 0.0, 0.46875)
    """
    return min(ACTOR_CPUS, max(0.0, cluster_cpus - 1) / max(actors, 1))


#: The last line of a Python traceback: ``KeyError: message``.
_ERROR_LINE = re.compile(r"^(?:\w+\.)*(\w+(?:Error|Exception)): (.+)$", re.MULTILINE)


def _root_message(err: BaseException) -> str:
    """The message of the error raised in our code: Ray wraps it in pages of context.

    Ray passes a worker's error back as the text of its traceback, so the last
    ``SomeError: message`` line that is not Ray's own is the one to show.
    """
    text = str(err)
    found = [m for m in _ERROR_LINE.finditer(text) if not m.group(0).startswith("ray.")]
    if found:
        return f"{found[-1].group(1)}: {found[-1].group(2)}"
    lines = text.strip().splitlines()
    return lines[-1] if lines else type(err).__name__
