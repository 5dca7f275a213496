"""Build zhfix's character language model: src/zhfix/data/lm.tsv.gz and lm.rare.txt.

Sources (install with ``pip install -e .[build-data]``):

- wordfreq's Chinese word list (``wordfreq.get_frequency_dict("zh")``), data
  under CC-BY-SA 4.0: the generated model is derived from it and shared under
  the same licence (see NOTICE);
- jieba's dictionary (``jieba/dict.txt``, MIT), which adds rarer vocabulary.

Both lists are simplified Chinese.  Every word is also converted through
OpenCC ``s2t`` and ``s2tw`` so that traditional text scores as well as
simplified text: the model is a mixture of a simplified and a traditional
"dialect" of the same word distribution.  The word table of the segmentation
also takes the ``s2twp`` forms (Taiwan vocabulary: 檔案, 程式, 字元).

The model counts characters inside words, weighted by word frequency:

- the unigram ``P(c)``;
- within-word bigrams and trigrams, combined with the unigram by backoff: a character
  followed by another inside a word predicts it with the bigram count; a
  word-final character is followed by the unigram distribution.  So
  ``P(b | a) = (n(ab) + f(a) P(b)) / n(a)`` where ``f(a)`` is how often ``a``
  ends a word (plus a little smoothing, :data:`FINAL_SMOOTHING`).

``lm.rare.txt`` lists the characters that wrong readers produce (the GBK, Big5,
cp949, cp1252 and cp1254 decodings of high bytes) and the model finds rare
(:data:`RARE_LOGPROB`): what the gate of :mod:`zhfix.mojibake` looks for.

Only bigrams that raise ``P(b | a)`` well above the backoff estimate are kept
(:data:`MIN_BIGRAM_GAIN`), which keeps the file small.  Log-probabilities are
stored in tenths of a nat.

Run from the repository root::

    python scripts/build_lm.py
"""

from __future__ import annotations

import gzip
import math
import os
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "zhfix" / "data" / "lm.tsv.gz"

#: Weight of each source in the mixture (wordfreq is the broader, better kept
#: list; jieba adds rare words and characters).
WORDFREQ_WEIGHT = 0.7
JIEBA_WEIGHT = 0.3

#: Weight of the simplified form of each word, and of its ``s2t`` and ``s2tw``
#: forms.  Half simplified, half traditional.
SCRIPT_WEIGHTS = {"simplified": 0.5, "s2t": 0.25, "s2tw": 0.25}

#: The word table (``lm.words.tsv.gz``) also takes OpenCC's ``s2twp`` forms,
#: which replace mainland terms by Taiwan ones (文件 → 檔案, 参数 → 引數,
#: 字符 → 字元), with weight taken evenly from ``s2t`` and ``s2tw``.  The
#: character model keeps :data:`SCRIPT_WEIGHTS`: every threshold of zhfix is set
#: on its scores.  On 800 documents of each dev file damaged as UTF-8 read as
#: GBK with a hole in the last character, this restored 92.0 % of the
#: traditional ones exactly (91.1 % without), and 92.1 % of the simplified
#: ones either way.
WORD_SCRIPT_WEIGHTS = {"simplified": 0.5, "s2t": 0.2, "s2tw": 0.15, "s2twp": 0.15}

#: Fraction of a character's occurrences treated as word-final on top of the
#: counted ones, so that no character predicts only its in-word successors.
FINAL_SMOOTHING = 0.1

#: A bigram is stored when it raises ``log P(b | a)`` by at least this many nats
#: over the backoff estimate; smaller gains change scores by less than the
#: storage precision matters for.  Chosen for a file of about 2 MB.
MIN_BIGRAM_GAIN = 1.0

#: Bigrams rarer than this (probability per character of text) are dropped.
MIN_BIGRAM_PROB = 2e-9

#: Within-word trigrams (``P(c | ab)``, for three-character words such as
#: 上下文 or 主机名) are stored when they beat the bigram estimate by this many
#: nats and are at least this probable; chosen for about 1 MB more data.
MIN_TRIGRAM_GAIN = 1.5
MIN_TRIGRAM_PROB = 1e-8

#: Log-probabilities are stored as integers in this unit (nats).
QUANTUM = 0.1

RARE_OUT = OUT.with_name("lm.rare.txt")
WORDS_OUT = OUT.with_name("lm.words.tsv.gz")

#: Words of two to four Han characters at least this probable go into
#: ``lm.words.tsv.gz`` (about 250,000), for the word segmentation that chooses
#: a character for a lost byte.
MIN_WORD_PROB = 3e-8

#: A character produced by a wrong reader is *rare* below this log-probability
#: (model with its character classes, see zhfix.lm).  Measured on the clean dev
#: corpus: two rare characters within two positions occur in 1.3 % of clean
#: lines and in over 95 % of damaged Han spans of four or more characters.
RARE_LOGPROB = -12.0

#: The readers whose output the gate watches: Python codecs decoding double
#: bytes, and single-byte codecs (whose undefined bytes read as C1 controls).
#: Mirrors zhfix.mojibake.DOUBLE_BYTE_READERS.
DOUBLE_BYTE_CODECS = ("gbk", "gb18030", "big5", "cp950", "cp949")
SINGLE_BYTE_CODECS = ("cp1252", "cp1254", "latin-1")


def wordfreq_words() -> dict[str, float]:
    """wordfreq's Chinese word list as word → probability."""
    import wordfreq

    words = wordfreq.get_frequency_dict("zh")
    total = sum(words.values())
    return {w: p / total for w, p in words.items()}


def jieba_words() -> dict[str, float]:
    """jieba's dictionary as word → probability."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    counts: dict[str, float] = defaultdict(float)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                counts[parts[0]] += float(parts[1])
    total = sum(counts.values())
    return {w: c / total for w, c in counts.items()}


def with_traditional(
    words: dict[str, float], weights: dict[str, float] = SCRIPT_WEIGHTS
) -> dict[str, float]:
    """Add the OpenCC forms of every word (``s2t``, ``s2tw``, ...), by weight."""
    import opencc

    keys = list(words)
    joined = "\n".join(keys)
    out: dict[str, float] = defaultdict(float)
    for w in keys:
        out[w] += words[w] * weights["simplified"]
    for config in (c for c in weights if c != "simplified"):
        converted = opencc.OpenCC(config).convert(joined).split("\n")
        # strict: OpenCC must keep one line per word.
        for w, t in zip(keys, converted, strict=True):
            out[t] += words[w] * weights[config]
    return out


def normalise(word: str) -> str:
    """The form the model counts: lower case, as zhfix.lm looks characters up."""
    return word.lower()


def count(words: dict[str, float]) -> tuple[dict[str, float], dict[str, float], float]:
    """Character and within-word bigram masses, and the total character mass."""
    uni: dict[str, float] = defaultdict(float)
    big: dict[str, float] = defaultdict(float)
    total = 0.0
    for word, p in words.items():
        w = normalise(word)
        if any(c.isspace() for c in w):
            continue
        for i, c in enumerate(w):
            uni[c] += p
            if i:
                big[w[i - 1] + c] += p
        total += p * len(w)
    return uni, big, total


def scripts(chars: list[str]) -> dict[str, str]:
    """``"s"`` for simplified-only characters, ``"t"`` for traditional-only ones.

    A character is simplified-only when OpenCC ``s2t`` changes it and ``t2s``
    does not (后 → 後 is left out: 后 is also traditional), and the reverse.
    """
    import opencc

    joined = "\n".join(chars)
    to_t = opencc.OpenCC("s2t").convert(joined).split("\n")
    to_s = opencc.OpenCC("t2s").convert(joined).split("\n")
    out: dict[str, str] = {}
    for c, t, s in zip(chars, to_t, to_s, strict=True):
        if t != c and s == c:
            out[c] = "s"
        elif s != c and t == c:
            out[c] = "t"
    return out


def count_trigrams(words: dict[str, float]) -> dict[str, float]:
    """Within-word character trigram masses."""
    tri: dict[str, float] = defaultdict(float)
    for word, p in words.items():
        w = normalise(word)
        if any(c.isspace() for c in w):
            continue
        for i in range(2, len(w)):
            tri[w[i - 2 : i + 1]] += p
    return tri


def simplified_words() -> dict[str, float]:
    """Both word lists mixed, simplified only."""
    mixed: dict[str, float] = defaultdict(float)
    for weight, source in ((WORDFREQ_WEIGHT, wordfreq_words()), (JIEBA_WEIGHT, jieba_words())):
        for w, p in source.items():
            mixed[w] += weight * p
    return mixed


def word_lines(words: dict[str, float]) -> list[str]:
    """``lm.words.tsv.gz``: the words on one line, their -log P on the next."""
    total = sum(words.values())
    kept = sorted(
        w
        for w, p in words.items()
        if 2 <= len(w) <= 4
        and all("\u4e00" <= c <= "\u9fff" for c in w)
        and p / total >= MIN_WORD_PROB
    )
    q = 1 / QUANTUM
    print(f"{len(kept)} words kept", file=sys.stderr)
    return [
        "# Words of zhfix's language model. Generated by scripts/build_lm.py, do not edit.",
        "# Derived from wordfreq (CC-BY-SA 4.0) and jieba (MIT); licence: CC-BY-SA 4.0.",
        f"# quantum\t{QUANTUM}",
        "# First line: the words, separated by spaces; second: -log P(word), same order.",
        " ".join(kept),
        " ".join(str(round(-math.log(words[w] / total) * q)) for w in kept),
    ]


def build(words: dict[str, float]) -> list[str]:
    """The lines of the model file."""
    uni, big, total = count(words)
    succ: dict[str, float] = defaultdict(float)
    for ab, n in big.items():
        succ[ab[0]] += n
    lines = [
        "# zhfix character language model. Generated by scripts/build_lm.py, do not edit.",
        "# Derived from wordfreq (CC-BY-SA 4.0) and jieba (MIT); licence: CC-BY-SA 4.0.",
        f"# quantum\t{QUANTUM}",
        "# One line per table, columns separated by tabs: the keys written one after",
        "# the other (1, 2 or 3 characters each), then space-separated values in",
        "# tenths of a nat. U: characters, -log P, -log backoff, script (s/t/-);",
        "# B: pairs, -log P(b|a); T: triples, -log P(c|ab).",
    ]
    q = 1 / QUANTUM
    script = scripts(sorted(uni))
    backoff: dict[str, float] = {}
    for c in sorted(uni):
        n = uni[c]
        final = max(n - succ[c], 0.0) + FINAL_SMOOTHING * n
        backoff[c] = math.log(final / (n * (1 + FINAL_SMOOTHING)))
        lines.append(
            f"U\t{c}\t{round(-math.log(n / total) * q)}\t{round(-backoff[c] * q)}"
            f"\t{script.get(c, '-')}"
        )

    def bigram_logprob(a: str, b: str) -> float:
        pb = uni[b] / total
        final = max(uni[a] - succ[a], 0.0) + FINAL_SMOOTHING * uni[a]
        return math.log((big.get(a + b, 0.0) + final * pb) / (uni[a] * (1 + FINAL_SMOOTHING)))

    kept = 0
    for ab in sorted(big):
        n = big[ab]
        if n / total < MIN_BIGRAM_PROB:
            continue
        a, b = ab
        lp = bigram_logprob(a, b)
        if lp - (backoff[a] + math.log(uni[b] / total)) < MIN_BIGRAM_GAIN:
            continue
        lines.append(f"B\t{ab}\t{round(-lp * q)}")
        kept += 1
    print(f"{len(uni)} characters, {kept} of {len(big)} bigrams kept", file=sys.stderr)
    tri = count_trigrams(words)
    tri_succ: dict[str, float] = defaultdict(float)
    for abc, n in tri.items():
        tri_succ[abc[:2]] += n
    kept = 0
    for abc in sorted(tri):
        n = tri[abc]
        if n / total < MIN_TRIGRAM_PROB:
            continue
        ab = abc[:2]
        context = big[ab]
        final = max(context - tri_succ[ab], 0.0) + FINAL_SMOOTHING * context
        back = bigram_logprob(abc[1], abc[2])
        lp = math.log((n + final * math.exp(back)) / (context * (1 + FINAL_SMOOTHING)))
        if lp - back < MIN_TRIGRAM_GAIN:
            continue
        lines.append(f"T\t{abc}\t{round(-lp * q)}")
        kept += 1
    print(f"{kept} of {len(tri)} trigrams kept", file=sys.stderr)
    return lines


def reader_outputs() -> set[str]:
    """Every non-ASCII character a wrong reader makes of one or two bytes."""
    out: set[str] = set()
    for codec in DOUBLE_BYTE_CODECS:
        for lead in range(0x81, 0xFF):
            for trail in range(0x40, 0xFF):
                try:
                    ch = bytes([lead, trail]).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1:
                    out.add(ch)
    for codec in SINGLE_BYTE_CODECS:
        for b in range(0x80, 0x100):
            try:
                out.add(bytes([b]).decode(codec))
            except UnicodeDecodeError:
                out.add(chr(b))
    return out


def rare_ranges() -> list[str]:
    """Ranges (hex code points) of rare reader outputs, under the new model."""
    sys.path.insert(0, str(OUT.parents[2] / "src"))
    from zhfix import lm

    lm.model.cache_clear()
    m = lm.model()
    codes = sorted(ord(c) for c in reader_outputs() if m.char_logprob("", c) < RARE_LOGPROB)
    ranges: list[str] = []
    k = 0
    while k < len(codes):
        j = k
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        ranges.append(f"{codes[k]:04X}" if j == k else f"{codes[k]:04X}-{codes[j]:04X}")
        k = j + 1
    return ranges


def pack(lines: list[str]) -> list[str]:
    """One line per table (see the header) from one line per entry: fast to load."""
    out = [line for line in lines if line.startswith("#")]
    for kind in ("U", "B", "T"):
        rows = [line.split("\t")[1:] for line in lines if line.startswith(kind + "\t")]
        keys = "".join(row[0] for row in rows)
        columns = [" ".join(row[k] for row in rows) for k in range(1, len(rows[0]))]
        if kind == "U":
            columns[-1] = columns[-1].replace(" ", "")  # one script letter per character
        out.append("\t".join([kind, keys, *columns]))
    return out


def write_gzip(path: Path, lines: list[str]) -> None:
    """Write lines gzip'd; mtime=0, so the same sources give the same bytes."""
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(path, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as f:
        f.write(data)
    print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)


def main() -> None:
    simplified = simplified_words()
    words = with_traditional(simplified)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_gzip(OUT, pack(build(words)))
    write_gzip(WORDS_OUT, word_lines(with_traditional(simplified, WORD_SCRIPT_WEIGHTS)))
    header = [
        "# Characters wrong readers produce that zhfix.lm finds rare (log P < "
        f"{RARE_LOGPROB}), as hex code point ranges.",
        "# Generated by scripts/build_lm.py, do not edit.",
    ]
    with open(RARE_OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(header + rare_ranges()) + "\n")
    print(f"wrote {RARE_OUT} ({RARE_OUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
