"""How often short Chinese lines in GBK or Big5 are decoded exactly.

Takes lines of the clean corpus, encodes each in GBK (simplified and
traditional files) and in Big5 (traditional file) where the line is encodable,
and counts the lines decoded back exactly by
``charset_normalizer.from_bytes(b).best()`` and by :func:`zhfix.decode_bytes`.

    python bench/bytes_accuracy.py                # lines of at most 40 characters
    python bench/bytes_accuracy.py --max-chars 0  # lines of any length

It also measures mixed input, which whole-input detectors cannot decode: lines
alternately in UTF-8 and GBK/Big5 in one file, and lines whose first half is
UTF-8 and second half GBK.

Lines are sampled evenly through each file (``--per-set`` lines per set) so the
run stays short; the same sample is given to both decoders.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from zhfix.bytesdecode import decode_bytes

CORPUS_DIR = Path(
    os.environ.get("ZHFIX_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)

#: (corpus file, codec) pairs measured.
SETS: tuple[tuple[str, str], ...] = (
    ("zh_hans.dev.txt", "gbk"),
    ("zh_hant.dev.txt", "gbk"),
    ("zh_hant.dev.txt", "big5"),
)


def sample(name: str, codec: str, max_chars: int, per_set: int) -> list[tuple[str, bytes]]:
    """Encodable non-ASCII lines of at most ``max_chars`` characters, evenly spaced."""
    with open(CORPUS_DIR / name, encoding="utf-8") as f:
        lines = f.read().splitlines()
    chosen: list[tuple[str, bytes]] = []
    for line in lines:
        if line.isascii() or (max_chars and len(line) > max_chars):
            continue
        try:
            chosen.append((line, line.encode(codec)))
        except UnicodeEncodeError:
            continue
    step = max(1, len(chosen) // per_set)
    return chosen[::step][:per_set]


def charset_normalizer_decoder() -> Callable[[bytes], str] | None:
    try:
        import charset_normalizer
    except ImportError:
        return None

    def decode(data: bytes) -> str:
        best = charset_normalizer.from_bytes(data).best()
        return "" if best is None else str(best)

    return decode


def measure(decode: Callable[[bytes], str], pairs: list[tuple[str, bytes]]) -> tuple[int, float]:
    start = time.perf_counter()
    exact = sum(1 for line, data in pairs if decode(data) == line)
    return exact, time.perf_counter() - start


def mixed(pairs: list[tuple[str, bytes]], codec: str) -> None:
    """Exact lines in a file of alternating UTF-8 and ``codec`` lines, and in lines
    whose first half is UTF-8 and second half ``codec``."""
    data = b"".join(
        (line.encode("utf-8") if i % 2 else encoded) + b"\n"
        for i, (line, encoded) in enumerate(pairs)
    )
    out = decode_bytes(data).text.split("\n")
    exact = sum(1 for (line, _), got in zip(pairs, out, strict=False) if got == line)
    print(f"  alternating UTF-8/{codec} lines in one file: {exact}/{len(pairs)} exact")
    halves = []
    for line, _ in pairs:
        half = len(line) // 2
        try:
            halves.append((line, line[:half].encode("utf-8") + line[half:].encode(codec)))
        except UnicodeEncodeError:
            continue
    exact = sum(1 for line, data in halves if decode_bytes(data).text == line)
    print(f"  lines half UTF-8, half {codec}: {exact}/{len(halves)} exact")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chars", type=int, default=40, help="0: any length")
    parser.add_argument("--per-set", type=int, default=2000)
    parser.add_argument("--show-errors", type=int, default=0, help="print some zhfix misses")
    args = parser.parse_args(argv)
    decoders: dict[str, Callable[[bytes], str]] = {"zhfix": lambda b: decode_bytes(b).text}
    cn = charset_normalizer_decoder()
    if cn is None:
        print("charset-normalizer is not installed; measuring zhfix only", file=sys.stderr)
    else:
        decoders["charset-normalizer"] = cn
    for name, codec in SETS:
        pairs = sample(name, codec, args.max_chars, args.per_set)
        for label, decode in decoders.items():
            exact, seconds = measure(decode, pairs)
            print(
                f"{name} as {codec}: {label:18} {exact}/{len(pairs)} exact "
                f"({100 * exact / max(1, len(pairs)):.2f}%) in {seconds:.1f}s"
            )
        mixed(pairs, codec)
        if args.show_errors:
            misses = [(line, data) for line, data in pairs if decode_bytes(data).text != line]
            for line, data in misses[: args.show_errors]:
                d = decode_bytes(data)
                print("   miss:", [s.encoding for s in d.segments], len(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
