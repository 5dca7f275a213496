"""The README's table of repairs is checked, row by row, against zhfix itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import zhfix

README = Path(__file__).resolve().parents[1] / "README.md"


def table_rows() -> list[tuple[str, list[str], list[str], dict[str, Any]]]:
    """(damage, examples, repairs, options) for each row with one repair per example."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## What it repairs", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].startswith("`"):
            continue
        damage, example, repaired, fixer = cells
        examples = re.findall(r"`([^`]+)`", example)
        repairs = [r.strip() for r in re.sub(r"\([^)]*\)", "", repaired).split(", ")]
        if len(examples) != len(repairs) or "detector" in fixer or "script" in fixer:
            continue
        options = {"decode_escapes": True} if "decode_escapes" in fixer else {}
        rows.append((damage, examples, repairs, options))
    return rows


ROWS = table_rows()


def test_the_table_is_read() -> None:
    assert len(ROWS) >= 8


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_readme_row(row: tuple[str, list[str], list[str], dict[str, Any]]) -> None:
    _, examples, repairs, options = row
    for example, repaired in zip(examples, repairs, strict=True):
        assert zhfix.fix_text(example, **options) == repaired


def test_sample_file_is_repaired() -> None:
    sample = (README.parent / "examples" / "sample.txt").read_text(encoding="utf-8")
    fixed = zhfix.fix_text(sample)
    shown = README.read_text(encoding="utf-8").split("```text\n$ zhfix examples/sample.txt\n")[1]
    assert fixed == shown.split("```", 1)[0]
