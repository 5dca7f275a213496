"""Shared fixtures: the labelled JSON test cases and the clean corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = Path(__file__).resolve().parent / "test-cases"
#: The clean corpus lies beside the checkout; ZHFIX_CORPUS points elsewhere.
CORPUS_DIR = Path(os.environ.get("ZHFIX_CORPUS", ROOT.parent / "shared" / "corpus"))


def load_cases() -> list[dict[str, Any]]:
    """Every case of every ``tests/test-cases/*.json`` file, with its file name."""
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for case in data:
            case = dict(case)
            case["file"] = path.name
            cases.append(case)
    return cases


def case_id(case: dict[str, Any]) -> str:
    return f"{case['file']}:{case['label']}"


def corpus_lines(name: str) -> list[str]:
    """Lines of a corpus file; skips the test with a clear message if it is absent."""
    path = CORPUS_DIR / name
    if not path.exists():
        pytest.skip(
            f"clean corpus not found at {path}: check out ../shared beside the repository "
            "or set ZHFIX_CORPUS"
        )
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()
