"""Clean corpus lines must come back unchanged (sampled; bench/ runs all of them)."""

from __future__ import annotations

import random

import pytest
from conftest import corpus_lines

import zhfix

#: Lines sampled per corpus file on every test run.  The whole corpus is run by
#: the benchmark; this sample keeps the suite fast while covering every source.
SAMPLE_LINES = 4000


def budget(lines: int) -> int:
    """Changed lines allowed among ``lines``.

    The project's budget is 1 in 10,000 clean lines, and at least one line per
    test, because the corpus holds a few paragraphs that are themselves damaged
    (one is GBK read one byte off, which zhfix repairs).
    """
    return max(1, lines // 10_000)


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_sampled_corpus_lines_are_unchanged(name: str) -> None:
    lines = corpus_lines(name)
    rng = random.Random(f"zhfix-corpus-{name}")
    sample = rng.sample(lines, min(SAMPLE_LINES, len(lines)))
    changed = [line for line in sample if zhfix.fix_text(line) != line]
    assert len(changed) <= budget(len(sample)), changed


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_sampled_corpus_block_is_unchanged(name: str) -> None:
    """Lines joined into one multi-paragraph document, as the CLI reads a file."""
    lines = corpus_lines(name)
    rng = random.Random(f"zhfix-block-{name}")
    start = rng.randrange(max(1, len(lines) - 2000))
    block_lines = lines[start : start + 2000]
    block = "\n".join(block_lines) + "\n"
    fixed = zhfix.fix_text(block).split("\n")[:-1]
    assert len(fixed) == len(block_lines)
    changed = [a for a, b in zip(block_lines, fixed, strict=True) if a != b]
    assert len(changed) <= budget(len(block_lines)), changed
