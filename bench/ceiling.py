"""What the language model allows: how far the lossy repairs can go with it.

Two measurements, each on the benchmark's own documents and seeds
(:func:`bench.run.documents`, :func:`bench.accuracy.seed_for`):

1. **Holes in the last character** (``utf-8>gbk, hole in the last
   character``): the share restored exactly as zhfix ships, and with every
   hole filled by the model's first choice however unsure it is
   (:data:`zhfix.mojibake.MIN_HOLE_CONFIDENCE` at 0).  The second figure is
   the most any confidence threshold can give with this model; the
   differences left are listed by kind (a punctuation mark or a Han
   character chosen wrong).
2. **Content farm** (``content farm, --to simplified, NFKC``): for each span
   where zhfix's output differs from the reference, the reference and the
   output are scored with a few characters of context on each side, by the
   character model (:func:`zhfix.lm.logprob`), the word model
   (:func:`zhfix.lm.segment_logprob`), and both as the resynchroniser weighs
   them (:data:`zhfix.resync.WORD_WEIGHT`).  Where the model scores the output
   above the reference, a wider search cannot help: the model itself prefers
   the wrong text.

Run from the repository root::

    python bench/ceiling.py [--docs 250] [--skip-holes] [--skip-farm]
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/ceiling.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import seed_for
from bench.kinds import Kind, eligible, kinds_by_name
from bench.run import documents
from zhfix.damage import UnencodableError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))
HOLE_KIND = "utf-8>gbk, hole in the last character"
FARM_KIND = "content farm, --to simplified, NFKC"
#: Characters of context scored on each side of a differing span.
CONTEXT = 6


def _pool(kind: Kind, corpus: str) -> list[tuple[int, str]]:
    """The kind's eligible documents of ``corpus`` (index, text), in a fixed random order."""
    with open(CORPUS / f"{corpus}.dev.txt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    docs = documents(lines, kind.group)
    pool = [(i, d) for i, d in enumerate(docs) if eligible(d, kind)]
    random.Random(0).shuffle(pool)
    return pool


def _cases(kind: Kind, corpus: str, limit: int | None) -> list[tuple[str, str]]:
    """(reference, damaged text) pairs of ``kind``, up to ``limit``."""
    cases = []
    for i, doc in _pool(kind, corpus):
        try:
            reference, damaged = kind.damage(doc, seed_for(kind.name, corpus, i))
        except (UnencodableError, ValueError):
            continue
        if damaged.text != reference:
            cases.append((reference, damaged.text))
        if limit is not None and len(cases) >= limit:
            break
    return cases


def _set_hole_confidence(value: float | None) -> None:
    import zhfix.mojibake

    if value is not None:
        zhfix.mojibake.MIN_HOLE_CONFIDENCE = value


def _repair_all(cases: list[tuple[str, str]]) -> list[str]:
    import zhfix

    return [zhfix.fix_text(damaged) for _, damaged in cases]


def _repaired_with(cases: list[tuple[str, str]], confidence: float | None) -> list[str]:
    """zhfix's outputs in a fresh process, with the hole threshold at ``confidence``
    (``None``: as shipped); a process of its own, so that no cache carries over."""
    with ProcessPoolExecutor(1, initializer=_set_hole_confidence, initargs=(confidence,)) as pool:
        return pool.submit(_repair_all, cases).result()


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def holes(corpora: tuple[str, ...] = ("zh_hans", "zh_hant"), limit: int | None = None) -> None:
    kind = kinds_by_name()[HOLE_KIND]
    for corpus in corpora:
        cases = _cases(kind, corpus, limit)
        shipped = _repaired_with(cases, None)
        filled = _repaired_with(cases, 0.0)
        wrong: Counter[str] = Counter()
        for (reference, _), out in zip(cases, filled, strict=True):
            if out == reference:
                continue
            ops = [
                (reference[a:b], out[c:d])
                for tag, a, b, c, d in difflib.SequenceMatcher(
                    None, reference, out, autojunk=False
                ).get_opcodes()
                if tag != "equal"
            ]
            if len(ops) == 1 and len(ops[0][0]) == len(ops[0][1]) == 1:
                wrong["a Han character" if _is_han(ops[0][0]) else "a punctuation mark"] += 1
            else:
                wrong["other"] += 1
        n = max(len(cases), 1)
        exact = sum(o == r for (r, _), o in zip(cases, shipped, strict=True))
        exact_filled = sum(o == r for (r, _), o in zip(cases, filled, strict=True))
        print(f"{HOLE_KIND}, {corpus}: {len(cases)} documents")
        print(f"  as shipped: {exact} exact ({exact / n:.1%})")
        print(
            f"  every hole filled with the model's first choice: {exact_filled} exact "
            f"({exact_filled / n:.1%})"
        )
        for what, count in wrong.most_common():
            print(f"    first choice wrong, {what}: {count} ({count / n:.1%})")


def _spans(reference: str, out: str) -> list[tuple[str, str]]:
    """Each differing span with :data:`CONTEXT` characters each side, as (reference, output)."""
    found = []
    matcher = difflib.SequenceMatcher(None, reference, out, autojunk=False)
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag == "equal":
            continue
        found.append(
            (reference[max(0, a - CONTEXT) : b + CONTEXT], out[max(0, c - CONTEXT) : d + CONTEXT])
        )
    return found


def farm(limit: int) -> None:
    import zhfix
    from zhfix import lm
    from zhfix.resync import WORD_WEIGHT

    kind = kinds_by_name()[FARM_KIND]
    cases = _cases(kind, "zh_hans", limit)
    options = dict(kind.options)
    exact = 0
    by_doc: list[list[tuple[str, str]]] = []
    for reference, damaged in cases:
        want = unicodedata.normalize("NFKC", reference)
        got = unicodedata.normalize("NFKC", zhfix.fix_text(damaged, **options))
        if got == want:
            exact += 1
        else:
            by_doc.append(_spans(want, got))
    spans = [s for doc in by_doc for s in doc if "?" not in s[1]]
    print(
        f"{FARM_KIND}: {len(cases)} documents, {exact} exact "
        f"({exact / max(len(cases), 1):.1%}); {len(spans)} differing spans "
        f"(those left with a ? not counted)"
    )

    def weighed(text: str) -> float:
        return lm.logprob(text) + WORD_WEIGHT * lm.segment_logprob(text)

    scorers: dict[str, Callable[[str], float]] = {
        "character model": lm.logprob,
        "word model": lm.segment_logprob,
        f"both (word model x {WORD_WEIGHT})": weighed,
    }
    for name, scorer in scorers.items():
        prefers_output = sum(scorer(g) >= scorer(w) for w, g in spans)
        print(
            f"  {name}: scores the output at least as high as the reference in "
            f"{prefers_output} of {len(spans)} ({prefers_output / max(len(spans), 1):.1%})"
        )
    searchable = sum(all(weighed(w) > weighed(g) for w, g in doc) for doc in by_doc)
    print(
        f"  documents left wrong whose every differing span the model scores higher "
        f"as the reference (the most a wider search could add): {searchable} of "
        f"{len(by_doc)}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=250, help="content-farm documents")
    ap.add_argument(
        "--holes",
        type=int,
        default=None,
        help="documents per corpus for the holes (default: the whole pool)",
    )
    ap.add_argument("--skip-holes", action="store_true")
    ap.add_argument("--skip-farm", action="store_true")
    args = ap.parse_args()
    if not args.skip_holes:
        holes(limit=args.holes)
    if not args.skip_farm:
        farm(args.docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
