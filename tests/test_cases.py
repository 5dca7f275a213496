"""Labelled JSON test cases drive the API, apply_plan and the CLI alike.

Each file in ``tests/test-cases/`` is a list of objects:

- ``label``: a short unique name;
- ``original``: the input text;
- ``fixed``: what zhfix must return;
- ``options`` (optional): keyword options for :func:`zhfix.fix_text`;
- ``expect``: ``"pass"``, or ``"fail"`` for a known failure (strict xfail);
- ``comment`` (optional): why the case exists.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from conftest import case_id, load_cases

import zhfix
from zhfix import cli

CASES = load_cases()


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case.get("expect", "pass") == "fail":
        marks.append(pytest.mark.xfail(strict=True, reason=case.get("comment", "known failure")))
    return pytest.param(case, id=case_id(case), marks=marks)


PARAMS = [_param(c) for c in CASES]


def test_cases_are_well_formed() -> None:
    labels = set()
    for case in CASES:
        assert {"label", "original", "fixed"} <= case.keys(), case
        assert case.get("expect", "pass") in {"pass", "fail"}, case
        assert case_id(case) not in labels, f"duplicate label {case_id(case)}"
        labels.add(case_id(case))
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", PARAMS)
def test_fix_text(case: dict[str, Any]) -> None:
    assert zhfix.fix_text(case["original"], **case.get("options", {})) == case["fixed"]


@pytest.mark.parametrize("case", [pytest.param(c, id=case_id(c)) for c in CASES])
def test_plan_replays(case: dict[str, Any]) -> None:
    options = case.get("options", {})
    explained = zhfix.fix_and_explain(case["original"], **options)
    assert explained.text == zhfix.fix_text(case["original"], **options)
    # Through JSON, as a user would store it.
    plan = json.loads(json.dumps([s.to_dict() for s in explained.steps]))
    assert zhfix.apply_plan(case["original"], plan) == explained.text
    if not explained.changed:  # no step, no change
        assert explained.text == case["original"]


@pytest.mark.parametrize("case", [pytest.param(c, id=case_id(c)) for c in CASES])
def test_idempotent(case: dict[str, Any]) -> None:
    options = case.get("options", {})
    once = zhfix.fix_text(case["original"], **options)
    assert zhfix.fix_text(once, **options) == once


def _cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in options.items():
        if name == "script":
            args += ["--to", str(value)]
        elif isinstance(value, bool):
            flag = name.replace("_", "-")
            args.append(f"--{flag}" if value else f"--no-{flag}")
        else:
            raise AssertionError(f"no CLI flag for option {name}")
    return args


@pytest.mark.parametrize("case", PARAMS)
def test_cli_jsonl(case: dict[str, Any]) -> None:
    """The same case through ``zhfix --jsonl --field original --output-field fixed``."""
    record = {"id": case["label"], "original": case["original"]}
    stdin = io.BytesIO((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    stdout = io.BytesIO()
    stderr = io.StringIO()
    argv = ["--jsonl", "--field", "original", "--output-field", "fixed"]
    code = cli.main(argv + _cli_args(case.get("options", {})), stdin=stdin, stdout=stdout,
                    stderr=stderr)
    assert code == 0, stderr.getvalue()
    out = json.loads(stdout.getvalue().decode("utf-8"))
    assert out["id"] == case["label"] and out["original"] == case["original"]
    assert out["fixed"] == case["fixed"]
