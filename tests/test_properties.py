"""Properties that hold for any input: no exception, idempotence, clean text untouched."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zhfix

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters of ordinary clean Chinese prose, written here by us: common Han
# characters, fullwidth punctuation, and ASCII words separated by spaces.
COMMON_HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安"
    "场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精"
    "值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属"
    "圆包火住调满县局照参红细引听该铁价严"
)
CJK_PUNCT = "，。、；：？！“”《》（）"
WORDS = ["Linux", "zhfix", "HTTP", "API", "OK", "2026", "v1.2", "README"]

clean_chunk = st.one_of(
    st.text(alphabet=COMMON_HAN, min_size=1, max_size=12),
    st.sampled_from(list(CJK_PUNCT)),
    st.sampled_from(WORDS).map(lambda w: f" {w} "),
)
clean_text = st.lists(clean_chunk, max_size=30).map("".join)


#: Any str: every code point, lone surrogates included, and characters that the
#: fixers' gates look for, so that the fixers themselves run.
ANY_STR = st.text(
    st.one_of(
        st.characters(),
        st.characters(categories=["Cs"]),
        st.sampled_from(list("鏂囦欢ÓÃ»§²´æ?()[]（）yìāǎ義中,;:!\\x")),
    )
)


@given(ANY_STR)
@SETTINGS
def test_no_exception_on_any_str(text: str) -> None:
    result = zhfix.fix_and_explain(text)
    assert isinstance(result.text, str)
    json.dumps(result.to_dict(), ensure_ascii=False)
    assert zhfix.apply_plan(text, result.steps) == result.text


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@SETTINGS
def test_idempotent_on_any_str(text: str) -> None:
    once = zhfix.fix_text(text)
    assert zhfix.fix_text(once) == once


@given(st.text(alphabet=COMMON_HAN + CJK_PUNCT + "()[],;:?! abcdefghijklmnopqrstuvwxyzāáǎàìü12"))
@SETTINGS
def test_idempotent_on_annotation_like_text(text: str) -> None:
    once = zhfix.fix_text(text)
    assert zhfix.fix_text(once) == once


@given(clean_text)
@SETTINGS
def test_clean_text_is_identical(text: str) -> None:
    assert zhfix.fix_text(text) == text
    assert not zhfix.fix_and_explain(text).steps


@given(st.text(st.one_of(st.characters(), st.characters(categories=["Cs"]))))
@SETTINGS
def test_every_script_accepts_any_str(text: str) -> None:
    """Any str, lone surrogates included (OpenCC itself refuses them)."""
    for script in zhfix.config.SCRIPTS:
        assert isinstance(zhfix.fix_text(text, script=script), str)


#: Text rich in what the gates look for, and in what their fast tests screen on.
GATE_TEXT = st.text(
    st.one_of(
        st.sampled_from(list(COMMON_HAN[:60] + CJK_PUNCT)),
        st.sampled_from(list("鏂囦欢涓婁紶ÓÃ»§²´æÔÚâ€™?()[]（）【】yìāǎàn12 ,;:!.\\x<>\"'")),
        st.characters(),
    ),
    max_size=60,
)


@given(GATE_TEXT)
@SETTINGS
def test_fast_gate_tests_answer_as_the_gates(text: str) -> None:
    """Each fixer's fast test and lead screen agree with its gate regex."""
    import re

    from zhfix import pipeline

    pipeline._load_fixers()
    for fixer in pipeline.FIXERS.values():
        found = fixer.gate.search(text) is not None
        assert bool(fixer.test(text)) == found, fixer.name
        lead = fixer.lead
        if found and lead is not None and len(text) > lead.short:
            assert re.search(lead.pattern, text), fixer.name
