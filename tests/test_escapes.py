"""Escaped bytes that stand for Chinese: Python reprs, git paths, pager escapes."""

from __future__ import annotations

import pytest
from conftest import corpus_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhfix.config import FixConfig
from zhfix.escapes import decode_escapes
from zhfix.explain import apply_edits

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ON = FixConfig(decode_escapes=True)

# Phrases written for these tests.
PHRASES = [
    "配置文件已保存", "网络连接超时", "請稍後再試", "帳號或密碼錯誤", "下载完成", "磁盘空间不足",
]


def fix(text: str) -> str:
    step = decode_escapes(text, ON)
    return text if step is None else apply_edits(text, step.edits)


def py_escapes(data: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in data)


def git_escapes(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)


def pager_escapes(data: bytes) -> str:
    return "".join(f"<{b:02X}>" for b in data)


@pytest.mark.parametrize("phrase", PHRASES)
@pytest.mark.parametrize("style", [py_escapes, git_escapes, pager_escapes])
def test_utf8_in_every_style(phrase: str, style: object) -> None:
    assert callable(style)
    assert fix(f"name: {style(phrase.encode())} (done)") == f"name: {phrase} (done)"


@pytest.mark.parametrize("phrase", PHRASES)
def test_python_repr_in_legacy_codecs(phrase: str) -> None:
    codec = "big5" if phrase in ("請稍後再試", "帳號或密碼錯誤") else "gbk"
    data = phrase.encode(codec)
    assert fix(repr(data)) == f"b'{phrase}'"


def test_evidence_names_style_bytes_and_codec() -> None:
    step = decode_escapes("<E4><B8><AD><E6><96><87>", ON)
    assert step is not None
    (edit,) = step.edits
    assert edit.evidence == {"style": "pager", "encoding": "utf-8", "bytes": "e4 b8 ad e6 96 87"}
    gbk = decode_escapes(repr("用户不存在".encode("gbk")), ON)
    assert gbk is not None and gbk.edits[0].evidence["encoding"] == "gbk"
    assert gbk.edits[0].confidence < edit.confidence


def test_single_escaped_byte_is_left() -> None:
    assert decode_escapes("\\xe6 and \\xd6", ON) is None


COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"


@given(st.text(alphabet=COMMON, min_size=1, max_size=20), st.sampled_from(["prefix ", "", "路径/"]))
@SETTINGS
def test_utf8_roundtrip(text: str, prefix: str) -> None:
    assert fix(prefix + repr(text.encode())) == f"{prefix}b'{text}'"


@given(st.binary(max_size=64))
@SETTINGS
def test_any_bytes_repr_is_safe(data: bytes) -> None:
    text = repr(data)
    step = decode_escapes(text, ON)
    if step is not None:
        out = apply_edits(text, step.edits)
        assert all(e.after and e.evidence["encoding"] for e in step.edits)
        assert len(out) < len(text)


def test_corpus_lines_with_escapes_enabled() -> None:
    """Decoding escapes is opt-in, but even when asked it must leave clean text alone."""
    changed = [
        line
        for name in ("zh_hans.dev.txt", "zh_hant.dev.txt")
        for line in corpus_lines(name)
        if fix(line) != line
    ]
    assert changed == []
