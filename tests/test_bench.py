"""The benchmark harness runs end to end on a few dozen documents.

Only the structure of the results is checked (every row present, every number
in range), never their values, and never a timing.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from conftest import CORPUS_DIR, ROOT

sys.path.insert(0, str(ROOT))

from bench import run
from bench.kinds import all_kinds
from bench.metrics import bit_parallel_levenshtein, cer


def test_levenshtein_matches_the_textbook_recurrence() -> None:
    def textbook(a: str, b: str) -> int:
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]

    import random

    rng = random.Random(0)
    for _ in range(500):
        a = "".join(rng.choice("ab文字。") for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice("ab文字。") for _ in range(rng.randint(0, 70)))
        assert bit_parallel_levenshtein(a, b) == textbook(a, b), (a, b)
    assert cer("abc", "abc") == 0.0


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    for name in run.CORPUS_FILES.values():
        if not (CORPUS_DIR / name).exists():
            pytest.skip(f"clean corpus not found at {CORPUS_DIR}: set ZHFIX_CORPUS")
    out = tmp_path_factory.mktemp("bench")
    code = run.main(["--tiny", "--jobs", "1", "--corpus", str(CORPUS_DIR),
                     "--json", str(out / "r.json"), "--markdown", str(out / "r.md")])
    assert code == 0
    with open(out / "r.json", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    data["markdown"] = (out / "r.md").read_text(encoding="utf-8")
    return data


def test_every_kind_and_corpus_has_a_row(results: dict[str, Any]) -> None:
    rows = {(r["kind"], r["corpus"]) for r in results["accuracy"]}
    expected = {(k.name, c) for k in all_kinds() for c in k.corpora}
    assert rows == expected


def test_accuracy_numbers_are_in_range(results: dict[str, Any]) -> None:
    for row in results["accuracy"]:
        assert 0 < row["docs"] <= row["seen"]
        assert row["damaged_cer"] > 0  # unchanged documents are not counted
        assert 0 <= row["zhfix_flagged"] <= 1
        assert "zhfix" in row["tools"]
        for score in row["tools"].values():
            assert 0 <= score["exact"] <= 1
            assert score["cer"] >= 0
            assert score["errors"] >= 0


def test_clean_rows(results: dict[str, Any]) -> None:
    assert [r["corpus"] for r in results["clean"]] == ["simplified", "traditional"]
    for row in results["clean"]:
        assert row["docs"] > 0
        for score in row["tools"].values():
            assert 0 <= score["changed"] <= row["docs"]


def test_throughput_rows(results: dict[str, Any]) -> None:
    rows = results["throughput"]
    measured = {(r["input"], r["tool"]) for r in rows if "error" not in r}
    assert ("clean", "opencc t2s") in measured
    assert ("damaged", "opencc t2s") in measured
    assert {r["tool"] for r in rows} >= {"zhfix", "opencc t2s"}
    for r in rows:
        if "error" in r:
            continue
        assert r["mb_per_s"] > 0
        assert r["peak_rss_mb"] > 0
        assert r["jobs"] == 1
    assert results["meta"]["throughput"]["damaged_lines"] > 0


def test_reports_are_written(results: dict[str, Any]) -> None:
    text = results["markdown"]
    assert text.startswith("# zhfix benchmarks")
    for heading in ("## Accuracy per damage kind", "## False positives", "## Throughput"):
        assert heading in text


def test_bench_doctests() -> None:
    import doctest

    from bench import metrics

    assert doctest.testmod(metrics).failed == 0


def test_ceiling_spans_hold_each_difference_with_its_context() -> None:
    from bench import ceiling

    spans = ceiling._spans("一二三四五六七八九十甲乙丙丁", "一二三四五六七X九十甲乙丙丁")
    assert spans == [("二三四五六七八九十甲乙丙丁", "二三四五六七X九十甲乙丙丁")]
    assert ceiling._spans("同样", "同样") == []


def test_ceiling_runs_on_a_few_documents(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import ceiling

    if not (CORPUS_DIR / "zh_hans.dev.txt").exists():
        pytest.skip(f"clean corpus not found at {CORPUS_DIR}: set ZHFIX_CORPUS")
    ceiling.CORPUS = CORPUS_DIR
    ceiling.holes(("zh_hans",), limit=4)
    ceiling.farm(3)
    out = capsys.readouterr().out
    assert f"{ceiling.HOLE_KIND}, zh_hans: 4 documents" in out
    assert "every hole filled with the model's first choice" in out
    assert f"{ceiling.FARM_KIND}: 3 documents" in out
    assert out.count("scores the output at least as high as the reference") == 3
