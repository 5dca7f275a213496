"""Accuracy of the resync repair on the content-farm pipeline, and its false positives.

Pipeline, per paragraph of zh_hans.dev.txt: :func:`zhfix.damage.content_farm`
(character-level simplified→traditional conversion, a byte-level pinyin leak
on GBK bytes, chunked GBK decoding, NFKC).
Reports the share of paragraphs whose misaligned islands are all repaired
(compared after NFKC and after the annotation fixer), and the number of clean
corpus lines the resync fixer changes.

    python bench/resync_accuracy.py [--limit N] [--seed S] [--group N] [--codec big5]

With ``--codec big5`` the pipeline is chunked Big5 decoding alone
(:func:`zhfix.damage.chunked_decode`) of zh_hant.dev.txt paragraphs, compared
as they are.

With ``--group N`` the sampled paragraphs are joined N at a time into
documents, as the benchmark's content-farm kind damages them (one byte stream:
a line break eaten by an invalid pair runs two paragraphs together).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

if __package__ in (None, ""):  # run as ``python bench/resync_accuracy.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.metrics import cer
from zhfix.config import FixConfig
from zhfix.damage import Damaged, UnencodableError, chunked_decode, content_farm
from zhfix.damage.script import char_convert
from zhfix.resync import GATE, fix_resync

_ANN = re.compile("\\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}\\)")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ONLY_RESYNC = FixConfig.only("fix_resync", "fix_annotations")


def _repair(text: str) -> str:
    """Resync, then the annotation fixer, as the pipeline runs them."""
    from zhfix.annotations import remove_annotations
    from zhfix.explain import apply_edits

    for fixer in (fix_resync, remove_annotations):
        step = fixer(text, ONLY_RESYNC)
        if step is not None:
            text = apply_edits(text, step.edits)
    return text


def _lines(name: str) -> list[str]:
    with open(CORPUS / name, encoding="utf-8") as f:
        return [x for x in f.read().splitlines() if x.strip()]


def _margins(sample: list[tuple[str, str]]) -> None:
    """What set RESYNC_MARGIN: margins on clean NFKC'd lines against damaged
    islands, the best over the codecs the fixer reads (one column each)."""
    from zhfix.resync import CODECS, _decode_island, _islands

    exclusive: list[float] = []

    def margins(line: str) -> list[tuple[float, str, str, str]]:
        found = []
        for s, e in _islands(line):
            before = line[s - 1] if s else ""
            after = line[e] if e < len(line) else ""
            by_codec = {}
            for codec in CODECS:
                r = _decode_island(line[s:e], before, after, codec=codec)
                if r:
                    by_codec[codec] = r[1]
                    found.append((r[1], codec, line[s:e][:30], r[0][:30]))
            if "big5" in by_codec:
                exclusive.append(by_codec["big5"] - max(0.0, by_codec.get("gbk", 0.0)))
        return found

    clean: list[tuple[float, str, str, str]] = []
    gated = 0
    for name in ("zh_hans.dev.txt", "zh_hant.dev.txt"):
        for line in _lines(name):
            line = unicodedata.normalize("NFKC", line)
            if GATE.search(line):
                gated += 1
                clean += margins(line)
    clean.sort(reverse=True)
    print(f"clean NFKC'd lines through the gate: {gated}; readings with an alternative: "
          f"{len(clean)}")
    for m, codec, a, b in clean[:10]:
        print(f"  {m:7.1f}  {codec:5} {a} -> {b}")
    for codec in CODECS:
        top = [m for m, c, _, _ in clean if c == codec][:3]
        print(f"  highest clean margins read as {codec}: "
              + " ".join(f"{m:.1f}" for m in top))
    print("  highest clean Big5 margin over the island and its GBK reading "
          f"(RESYNC_MARGIN_BIG5): {max(exclusive, default=0.0):.1f}")
    exclusive.clear()
    damaged: list[float] = []
    for _, obs in sample:
        best: dict[str, float] = {}
        for m, _, a, _ in margins(obs):
            best[a] = max(best.get(a, m), m)
        damaged += best.values()
    damaged.sort()
    if damaged:
        qs = [damaged[int(q * len(damaged))] for q in (0.05, 0.1, 0.25, 0.5)]
        print(f"damaged islands: {len(damaged)}; margin quantiles 5/10/25/50%: "
              + " ".join(f"{q:.1f}" for q in qs))
    if exclusive:
        exclusive.sort()
        qs = [exclusive[int(q * len(exclusive))] for q in (0.05, 0.1, 0.25, 0.5)]
        print(f"damaged islands read as Big5: {len(exclusive)}; margin over the island "
              "and its GBK reading, quantiles 5/10/25/50%: " + " ".join(f"{q:.1f}" for q in qs))


def _damage(line: str, seed: int, codec: str) -> tuple[str, str]:
    """The text as it should be (before NFKC) and as damaged."""
    if codec == "big5":
        damaged: Damaged = chunked_decode(line, codec="big5", seed=seed)
        return line, damaged.text
    return char_convert(line, seed=seed).text, content_farm(line, seed=seed).text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--group", type=int, default=1,
                    help="join this many sampled paragraphs into one document")
    ap.add_argument("--codec", choices=("gbk", "big5"), default="gbk",
                    help="gbk: the content-farm pipeline on zh_hans.dev.txt; "
                    "big5: chunked Big5 decoding of zh_hant.dev.txt")
    ap.add_argument("--fp", action="store_true", help="also run every clean corpus line")
    ap.add_argument(
        "--margins", action="store_true",
        help="margins of the best alternative on clean (NFKC'd) and damaged islands",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    source = "zh_hans.dev.txt" if args.codec == "gbk" else "zh_hant.dev.txt"
    lines = [x for x in _lines(source) if 20 <= len(x) <= 300]
    sample = rng.sample(lines, args.limit)
    if args.group > 1:
        sample = ["\n".join(sample[k : k + args.group])
                  for k in range(0, len(sample), args.group)]
    ok = damaged = ok_resync = worse = total_chars = 0
    err_before = err_after = 0.0
    fails = []
    observed: list[tuple[str, str]] = []
    t0 = time.time()
    for i, line in enumerate(sample):
        try:
            trad, obs = _damage(line, i, args.codec)
        except UnencodableError:
            continue
        if obs == unicodedata.normalize("NFKC", trad):
            continue
        observed.append((trad, obs))
        damaged += 1
        fixed = _repair(obs)
        want = unicodedata.normalize("NFKC", trad)
        if unicodedata.normalize("NFKC", fixed) == want:
            ok += 1
        if _ANN.sub("", unicodedata.normalize("NFKC", fixed)) == want:
            ok_resync += 1
        err_before += cer(obs, want) * len(want)
        err_after += cer(unicodedata.normalize("NFKC", fixed), want) * len(want)
        total_chars += len(want)
        if cer(unicodedata.normalize("NFKC", fixed), want) > cer(obs, want):
            worse += 1
        elif unicodedata.normalize("NFKC", fixed) != want:
            fails.append((trad, obs, fixed))
    dt = time.time() - t0
    unit = "paragraphs" if args.group == 1 else f"documents of {args.group} paragraphs"
    print(f"damaged {unit}: {damaged}; restored (NFKC-equal): {ok} "
          f"({ok / max(1, damaged):.1%}); {dt:.1f}s")
    print(f"restored once every in-step (pinyin) is dropped: {ok_resync} "
          f"({ok_resync / max(1, damaged):.1%})")
    print(f"character error rate: {err_before / max(1, total_chars):.2%} as damaged, "
          f"{err_after / max(1, total_chars):.2%} repaired; {unit} made worse: {worse}")
    for trad, obs, fixed in fails[:8]:
        print("  want:", trad[:90])
        print("  got: ", fixed[:90])
        print("  obs: ", obs[:90])
    if args.margins:
        _margins(observed)
    if args.fp:
        changed = 0
        gated = 0
        for name in ("zh_hans.dev.txt", "zh_hant.dev.txt"):
            for line in _lines(name):
                if not GATE.search(line):
                    continue
                gated += 1
                if fix_resync(line, ONLY_RESYNC) is not None:
                    changed += 1
                    print("  FP:", line[:120])
        print(f"clean lines through the gate: {gated}; changed: {changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
