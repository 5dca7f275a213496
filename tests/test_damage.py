"""The damage generator: reproducible from its seed, invertible where lossless,
honest about what it lost."""

from __future__ import annotations

import json
import random
import unicodedata
from functools import cache, partial
from typing import Any

import pytest
from conftest import corpus_lines
from hypothesis import given, settings
from hypothesis import strategies as st

from zhfix import damage
from zhfix.damage import (
    Damaged,
    byte_leak,
    can_encode,
    chunked_decode,
    compose,
    invert,
    invert_span,
    mojibake,
    mojibake_span,
    nfkc,
    reproduce,
    truncate,
)

#: Chains that never lose a byte: every byte has a character in the second codec.
ALWAYS_LOSSLESS = (
    "utf-8>latin-1",
    "utf-8>cp1252",
    "gbk>latin-1",
    "gbk>cp1252",
    "big5>latin-1",
    "big5>cp1252",
    "gbk>cp1254",
    "gbk>cp1252,utf-8>cp1252",
    "utf-8>cp1252,utf-8>cp1252",
)

#: Chains that lose bytes where the second codec has no character for them.
SOMETIMES_LOSSY = (
    "utf-8>gbk",
    "utf-8>cp936",
    "utf-8>gb18030",
    "utf-8>big5",
    "big5>gbk",
    "gbk>big5",
    "gbk>cp949",
    "utf-8>gbk,utf-8>gbk",
    "utf-8>gbk,utf-8>cp1252",
)

ERRORS = ("replace", "ignore", "?", "?pair")

PUNCT_AND_ASCII = list("，。、；：？！「」『』（）《》—…·abcXYZ 0123%s-_'\"")
URO = [chr(c) for c in range(0x4E00, 0x9FA6)]
BIG5_HAN = [ch for ch in URO if can_encode(ch, "big5")]
GBK_HAN = [ch for ch in URO if can_encode(ch, "gbk")]


def chinese(han: list[str]) -> st.SearchStrategy[str]:
    """Chinese-looking strings: mostly Han, some punctuation, ASCII and spaces."""
    return st.text(
        alphabet=st.one_of(st.sampled_from(han), st.sampled_from(PUNCT_AND_ASCII)),
        min_size=1,
        max_size=40,
    )


def first_codec(chain: str) -> str:
    return chain.split(">", 1)[0]


def han_for(chain: str) -> list[str]:
    return BIG5_HAN if first_codec(chain) == "big5" or "big5>" in chain else GBK_HAN


def roundtrip_record(d: Damaged) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(d.record, ensure_ascii=False))
    return record


def check_chain(text: str, chain: str, errors: str) -> Damaged:
    d = mojibake(text, chain, errors=errors)
    assert d.original == text
    if d.record["lossless"]:
        assert d.record["lost"] == []
        assert invert(d.text, chain) == text
    else:
        # Not lossless: either bytes were lost, or inverting does not give the text back.
        lost = bool(d.record["lost"])
        try:
            back = invert(d.text, chain)
        except (UnicodeError, ValueError):
            back = None
        assert lost or back != text
    assert reproduce(text, roundtrip_record(d)) == d
    return d


@pytest.mark.parametrize("chain", ALWAYS_LOSSLESS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_lossless_chains_invert_exactly(chain: str, data: st.DataObject) -> None:
    text = data.draw(chinese(han_for(chain)))
    d = check_chain(text, chain, "replace")
    assert d.record["lossless"]
    assert invert(d.text, chain) == text


@pytest.mark.parametrize("chain", SOMETIMES_LOSSY)
@pytest.mark.parametrize("errors", ERRORS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_lossy_chains_record_losses(chain: str, errors: str, data: st.DataObject) -> None:
    text = data.draw(chinese(han_for(chain)))
    check_chain(text, chain, errors)


def test_lossy_chain_records_the_lost_bytes() -> None:
    # Nine UTF-8 bytes read as GBK: the ninth byte has no partner.
    d = mojibake("成功了", "utf-8>gbk", errors="?")
    assert not d.record["lossless"]
    assert d.text.endswith("?")
    loss = d.record["lost"][-1]
    assert bytes.fromhex(loss["bytes"]) == "了".encode()[-1:]
    assert loss["as"] == "?"


def test_cp1252_undefined_bytes_are_c1_controls() -> None:
    every_byte = bytes(range(256))
    text, lost = damage.decode_bytes(every_byte, "cp1252")
    assert lost == []
    assert len(text) == 256
    assert damage.encode_text(text, "cp1252") == every_byte


@cache
def _nonempty(name: str) -> tuple[str, ...]:
    return tuple(line for line in corpus_lines(name) if line.strip())


def sampled(name: str, n: int) -> list[str]:
    lines = _nonempty(name)
    return random.Random(name).sample(lines, min(n, len(lines)))


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_chains_on_drawn_corpus_lines(name: str, data: st.DataObject) -> None:
    """Hypothesis draws a corpus line, a chain and an error handler."""
    line = data.draw(st.sampled_from(sampled(name, 2000)), label="line")
    chain = data.draw(st.sampled_from(ALWAYS_LOSSLESS + SOMETIMES_LOSSY), label="chain")
    errors = data.draw(st.sampled_from(ERRORS), label="errors")
    if not can_encode(line, first_codec(chain)):
        return
    d = check_chain(line, chain, errors)
    if chain in ALWAYS_LOSSLESS:
        assert d.record["lossless"], (chain, d.record)


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_chains_on_corpus_lines(name: str) -> None:
    checked = 0
    for i, line in enumerate(sampled(name, 150)):
        for chain in ALWAYS_LOSSLESS + SOMETIMES_LOSSY:
            if not can_encode(line, first_codec(chain)):
                continue
            d = check_chain(line, chain, ERRORS[i % len(ERRORS)])
            if chain in ALWAYS_LOSSLESS:
                assert d.record["lossless"], (chain, d.record)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", ["zh_hans.dev.txt", "zh_hant.dev.txt"])
def test_span_damage_on_corpus_lines(name: str) -> None:
    for seed, line in enumerate(sampled(name, 100)):
        text = f'2024-01-02 10:00:00 WARN job=7 msg="{line}" retry=3'
        try:
            d = mojibake_span(text, "utf-8>gbk", errors="?pair", seed=seed)
        except ValueError:
            continue  # the line has no non-ASCII span
        start, end = d.record["span"]
        dstart, dend = d.record["damaged_span"]
        assert dstart == start
        stop = end + len(d.record["eaten"])
        assert d.text[:start] == text[:start]
        assert d.text[dend:] == text[stop:]
        if d.record["lossless"]:
            assert invert_span(d) == text
        else:
            assert d.record["lost"]
        assert reproduce(text, roundtrip_record(d)) == d


def test_span_in_sql_comment_leaves_the_rest_clean() -> None:
    text = "name VARCHAR(20) COMMENT '用户名称', -- 必填"
    d = mojibake_span(text, "utf-8>gbk", where="comment", seed=0)
    start, end = d.record["span"]
    assert text[start:end] in {"用户名称", "必填"}
    assert d.text[:start] == text[:start]
    assert d.text != text


def test_pair_decoder_eats_the_quote_after_a_lone_lead_byte() -> None:
    d = mojibake_span("msg='操作成功了' ok", "utf-8>gbk", errors="?pair")
    assert d.record["eaten"] == "'"
    assert "'" not in d.text[5:]
    assert not d.record["lossless"]


SEEDED: dict[str, Any] = {
    "truncate": truncate,
    "truncate_gbk": partial(truncate, codec="gbk", errors="?pair", tail='"'),
    "chunked_gbk": chunked_decode,
    "chunked_big5": partial(chunked_decode, codec="big5"),
    "chunked_utf8": partial(chunked_decode, codec="utf-8"),
    "byte_leak": byte_leak,
    "span": partial(mojibake_span, chain="utf-8>gbk"),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
@settings(max_examples=25, deadline=None)
@given(text=chinese(BIG5_HAN).filter(lambda t: sum(ch >= "\u4e00" for ch in t) >= 2),
       seed=st.integers(0, 2**31))
def test_each_kind_reproducible_from_its_seed(name: str, text: str, seed: int) -> None:
    func = SEEDED[name]
    a = func(text, seed=seed)
    b = func(text, seed=seed)
    assert a == b
    assert reproduce(text, roundtrip_record(a)) == a
    assert a.original == text


def test_truncate_records_what_was_lost() -> None:
    text = "上传文件成功"
    for seed in range(20):
        d = truncate(text, seed=seed)
        at = d.record["params"]["at"]
        assert d.record["lost_char"] == text[at]
        assert d.record["dropped"] == text[at + 1 :]
        assert d.text.startswith(text[:at])
        assert d.record["lost"]


def test_chunked_decode_damage_iff_a_character_was_split() -> None:
    text = "不同的語法元素，換句話說，就是把一段文字切開。" * 3
    seen_damage = False
    for size in range(2, 40):
        d = chunked_decode(text, codec="big5", chunk_size=size)
        assert (d.text != text) == bool(d.record["split_offsets"])
        seen_damage |= d.text != text
    assert seen_damage


def test_byte_leak_splits_a_character_across_a_boundary() -> None:
    d = byte_leak("我們為你", targets=["優"])
    assert d.record["matches"]["優"] == {"aligned": 0, "misaligned": 1}
    assert "(yōu)" in d.text
    assert "為" not in d.text  # its first byte went to a different pair


def test_byte_leak_aligned_match_is_a_clean_insertion() -> None:
    d = byte_leak("我們為你", targets=["為"])
    assert d.text == "我們為(wèi)你"
    assert d.record["lost"] == []


def test_nfkc_records_changes() -> None:
    d = nfkc("你好，世界！")
    assert d.text == "你好,世界!"
    assert d.record["changed"] == {"，": ",", "！": "!"}
    assert nfkc("你好。").record["changed"] == {}


def test_compose_records_every_step_and_reproduces() -> None:
    d = compose("你好，世界", nfkc, partial(mojibake, chain="utf-8>gbk"))
    assert [s["kind"] for s in d.record["steps"]] == ["nfkc", "mojibake"]
    assert invert(d.text, "utf-8>gbk") == "你好,世界"
    assert reproduce("你好，世界", roundtrip_record(d)) == d


def test_unencodable_text_says_so() -> None:
    with pytest.raises(damage.UnencodableError, match="big5 cannot encode"):
        mojibake("台风", "big5>gbk")


def test_blind_chunked_decoder_pairs_every_high_byte() -> None:
    from zhfix.damage.stream import _leak_bytes

    # 總 = BF 82 straddles 每|個 (C3 BF|82 80): "(zǒng)" lands inside 個; the
    # reader pairs 82 with "(" (one ?) and then 80 with C8, the lead of 人.
    data, annotations, matches, boundaries = _leak_bytes("每個人", "gbk", ["總"], "({})")
    assert annotations == {"總": "(zǒng)"}
    assert matches == {"總": {"aligned": 0, "misaligned": 1}}
    blind = chunked_decode("每個人", codec="gbk", chunk_size=64, blind=True)
    assert blind.text == "每個人"
    from zhfix.damage.stream import _chunked

    text, _ = _chunked(data, boundaries, 0, "gbk", 64, True)
    assert text.startswith("每?zǒng)?")
    checking, _ = _chunked(data, boundaries, 0, "gbk", 64, False)
    assert checking != text  # a decoder that checks lead bytes reads 80 alone


def test_content_farm_is_reproducible_and_records_its_steps() -> None:
    from zhfix.damage import content_farm

    text = "每个月的报告都很详细。这个计划需要每个人的参与，大家都同意了。"
    a = content_farm(text, seed=7)
    b = content_farm(text, seed=7)
    assert a == b
    assert reproduce(text, json.loads(json.dumps(a.record))) == a
    assert [s["function"] for s in a.record["steps"]] == [
        "char_convert", "byte_leak", "chunked_decode", "nfkc"
    ]
    assert unicodedata.is_normalized("NFKC", a.text)
