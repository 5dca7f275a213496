"""Unrecoverable garbage is reported with evidence, never changed."""

from __future__ import annotations

import pytest
from conftest import corpus_lines

import zhfix
from zhfix.config import FixConfig
from zhfix.garbage import MIN_FILL_RUN, find_garbage

CONFIG = FixConfig()


def lost_then_misread(text: str, codec: str) -> str:
    """GBK bytes read as UTF-8 with replacement, saved as UTF-8, read as ``codec``."""
    lossy = text.encode("gbk").decode("utf-8", errors="replace")
    return lossy.encode("utf-8").decode(codec, errors="replace")


@pytest.mark.parametrize("codec", ["gbk", "big5"])
def test_replacement_characters_misread(codec: str) -> None:
    garbage = lost_then_misread("中文", codec)
    text = f"标题：{garbage}。"
    findings = find_garbage(text, CONFIG)
    assert [f.evidence["kind"] for f in findings] == ["replacement_character_misread"]
    (found,) = findings
    assert text[found.start : found.end] == found.text == garbage
    assert found.evidence["read_as"] == codec and found.evidence["recoverable"] is False


@pytest.mark.parametrize("byte", [0xCC, 0xCD])
@pytest.mark.parametrize("codec", ["gbk", "big5"])
def test_uninitialised_memory(byte: int, codec: str) -> None:
    fill = bytes([byte] * 16).decode(codec)
    findings = find_garbage(f"name={fill}!", CONFIG)
    assert len(findings) == 1
    assert findings[0].text == fill and findings[0].evidence["count"] == 8
    assert "MSVC" in findings[0].evidence["how"]


def test_short_fill_runs_are_words() -> None:
    two = bytes([0xCC] * 2 * (MIN_FILL_RUN - 1)).decode("gbk")
    assert find_garbage(f"水{two}的", CONFIG) == []


def test_replacement_character_runs() -> None:
    findings = find_garbage("ok\ufffd\ufffd\ufffdok\ufffd", CONFIG)
    assert [(f.start, f.end, f.evidence["count"]) for f in findings] == [(2, 5, 3), (7, 8, 1)]


def test_findings_do_not_change_text() -> None:
    text = "上传" + lost_then_misread("失败", "gbk") + "，" + "\ufffd" * 2
    explained = zhfix.fix_and_explain(text)
    assert explained.text == zhfix.fix_text(text)
    assert explained.findings and not any(f.detector != "garbage" for f in explained.findings)
    for f in explained.findings:
        assert explained.text[f.start : f.end] == f.text
    assert "recoverable" in explained.to_json()


def test_corpus_findings() -> None:
    """The clean corpus has no such garbage, even where it quotes mojibake on purpose."""
    flagged = [
        line
        for name in ("zh_hans.dev.txt", "zh_hant.dev.txt")
        for line in corpus_lines(name)
        if find_garbage(line, CONFIG)
    ]
    assert flagged == []
