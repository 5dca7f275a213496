"""decode_bytes and fix_bytes: mixed encodings, byte order marks, garbage bytes."""

from __future__ import annotations

import codecs
import random

import pytest
from conftest import corpus_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zhfix
from zhfix.bytesdecode import decode_bytes, fix_bytes

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Short lines sampled per corpus file for the exact-decoding checks.
SAMPLE_LINES = 300
#: Share of sampled GBK / Big5 lines that must decode exactly; the benchmark
#: (bench/bytes_accuracy.py) measures above 99.9% on every set.
MIN_EXACT_SHARE = 0.99


@given(st.binary(max_size=300))
@SETTINGS
def test_decode_bytes_never_raises(data: bytes) -> None:
    decoded = decode_bytes(data)
    assert isinstance(decoded.text, str)
    # Segments cover the input exactly, in order.
    pos = decoded.segments[0].start if decoded.segments else len(data)
    for seg in decoded.segments:
        assert seg.start == pos and seg.end > seg.start
        pos = seg.end
    assert pos == len(data)
    replaced = sum(end - start for start, end in decoded.undecodable)
    assert decoded.text.count("\ufffd") >= replaced


@given(st.binary(max_size=200))
@SETTINGS
def test_fix_bytes_never_raises(data: bytes) -> None:
    assert isinstance(fix_bytes(data), str)


@given(st.lists(st.sampled_from(["utf-8", "gbk", "big5"]), min_size=1, max_size=6))
@SETTINGS
def test_valid_utf8_is_kept(encodings: list[str]) -> None:
    text = "\n".join("文件上传成功，用户不存在。" for _ in encodings)
    assert decode_bytes(text.encode("utf-8")).text == text


def test_mixed_lines() -> None:
    lines = [("数据库连接失败", "utf-8"), ("用户不存在，请重新登录", "gbk"),
             ("資料庫連線失敗", "big5"), ("plain ASCII", "ascii"), ("配置文件已保存", "gb18030")]
    data = b"".join(text.encode(codec) + b"\n" for text, codec in lines)
    decoded = decode_bytes(data)
    assert decoded.text == "".join(text + "\n" for text, _ in lines)
    assert decoded.encodings[:3] == ("utf-8", "gbk", "big5")
    assert decoded.undecodable == ()


def test_mixed_within_a_line() -> None:
    data = "日志：".encode() + "文件名乱码示例".encode("gbk") + " 已上传".encode()
    decoded = decode_bytes(data)
    assert decoded.text == "日志：文件名乱码示例 已上传"
    assert "gbk" in decoded.encodings and "utf-8" in decoded.encodings


@pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks(bom: str) -> None:
    text = "第一行\n第二行 with ASCII\n"
    decoded = decode_bytes(text.encode(bom))
    assert decoded.text == text
    assert decoded.bom is not None


def test_undecodable_bytes_are_reported() -> None:
    data = "正常文本".encode() + b"\xff\xfe\xff" + "继续".encode()
    decoded = decode_bytes(data)
    assert decoded.text == "正常文本\ufffd\ufffd\ufffd继续"
    assert decoded.undecodable == ((12, 15),)
    findings = zhfix.fix_and_explain(decoded.text).findings
    assert [f.evidence["count"] for f in findings] == [3]


def test_broken_utf16_is_reported() -> None:
    data = codecs.BOM_UTF16_LE + "中文".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    decoded = decode_bytes(data)
    assert decoded.text.startswith("中文") and decoded.undecodable


def test_str_is_refused_with_advice() -> None:
    with pytest.raises(TypeError, match="fix_text"):
        decode_bytes("文本")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int"):
        decode_bytes(5)  # type: ignore[arg-type]
    assert decode_bytes(bytearray("文本".encode())).text == "文本"


def test_fix_bytes_repairs_after_decoding() -> None:
    # UTF-8 text that had already been misread as GBK, then saved as UTF-8.
    mojibake = "文件上传成功".encode().decode("gbk", errors="replace")
    fixed = fix_bytes(mojibake.encode())
    assert fixed == zhfix.fix_text(mojibake)
    assert fix_bytes(b"x", decode_escapes=True) == "x"
    with pytest.raises(TypeError):
        fix_bytes(b"x", colour="blue")


@pytest.mark.parametrize(
    ("name", "codec"),
    [("zh_hans.dev.txt", "gbk"), ("zh_hant.dev.txt", "gbk"), ("zh_hant.dev.txt", "big5")],
)
def test_short_corpus_lines_decode_exactly(name: str, codec: str) -> None:
    lines = [line for line in corpus_lines(name) if not line.isascii() and len(line) <= 40]
    rng = random.Random(f"zhfix-bytes-{name}-{codec}")
    pairs = []
    for line in rng.sample(lines, min(SAMPLE_LINES * 2, len(lines))):
        try:
            pairs.append((line, line.encode(codec)))
        except UnicodeEncodeError:
            continue
    pairs = pairs[:SAMPLE_LINES]
    exact = sum(decode_bytes(data).text == line for line, data in pairs)
    assert exact >= MIN_EXACT_SHARE * len(pairs)


def test_decode_bytes_is_public() -> None:
    assert zhfix.fix_bytes is fix_bytes
    assert zhfix.decode_bytes is decode_bytes
