"""The resync fixer's shortcuts give what the plain definitions give.

Candidate lists ranked without scoring whole pools must equal the plain
ranking, and an island whose reading stops early (every hypothesis left
reads it as it stands, no ``?`` ahead) or is not read at all (it holds a
character the codec cannot encode) must read as the whole beam reads it:
on damage made by zhfix's own generators, GBK and Big5, and on clean text.
"""

from __future__ import annotations

import importlib
import itertools

import pytest

from zhfix.config import FixConfig
from zhfix.damage import chunked_decode, content_farm

R = importlib.import_module("zhfix.resync")

#: Contexts of every kind the beam meets: none, Han (simplified and
#: traditional), ASCII letters and marks, a space, a line break, Chinese
#: punctuation, a lost character.
CONTEXTS = ["", "的", "計算", "数据", "A", "ab", " ", "\n", "。", "，我", "a。", "?", "了?", "x的"]


def pools(codec: str) -> list[tuple[int, int]]:
    """Every (lead, trail) key the beam asks candidates for, in ``codec``."""
    t = R.tables(codec)
    return (
        [(lead, R.UNK) for lead in sorted(t.by_lead)]
        + [(R.UNK, trail) for trail in sorted(t.by_trail)]
        + [(R.UNK, R.UNK)]
    )


@pytest.mark.parametrize("codec", R.CODECS)
def test_ranked_candidates_equal_the_plain_ranking(codec: str) -> None:
    t = R.tables(codec)
    for context, (lead, trail) in itertools.product(CONTEXTS, pools(codec)[::5]):
        if lead != R.UNK:
            pool = t.by_lead.get(lead, ())
        elif trail != R.UNK:
            pool = t.by_trail.get(trail, ())
        else:
            pool = R._common_chars(codec)
        ranked = R._top_ranked(context, R._ranked_pool(codec, lead, trail))
        assert ranked == R._top(context, pool), (context, lead, trail)


#: Sentences of our own, Chinese with Latin words, numbers and marks, so that
#: islands run into ASCII (where a reader gets back in step) and past it.
SENTENCES = [
    "把配置文件复制到 /etc 目录以后，运行 make install 就可以完成安装，然后重新启动服务器。",
    "这个函数返回一个指针（或者 NULL），调用者负责释放它占用的内存；详见第 3.2 节的说明。",
    "我們在會議上討論了新的計劃，大家都同意下個月開始試用 Linux 系統，並且每週報告一次進度。",
    "如果你不確定要選哪一個選項，請先閱讀使用手冊，或者在論壇上發問，通常很快就會有人回答。",
    "每个用户都可以修改自己的密码，但是只有管理员才能删除别人的帐号。设置完成后请按 OK 键。",
]
#: Clean text with question marks beside Chinese, which the fixer leaves.
CLEAN = [
    "你知道嗎?C語言是一種很老的程式語言。",
    "返回值是什么??? 请看 man page 的说明(RETURN VALUE)部分。",
    "变量“$?”保存上一个命令的退出状态。",
]


def damaged_texts() -> list[str]:
    """Chunked GBK (the content-farm pipeline) and chunked Big5 damage of
    :data:`SENTENCES`, one by one and together, with small chunks."""
    texts = []
    for seed, size in itertools.product(range(3), (16, 29, 47)):
        for sentence in [*SENTENCES, "\n".join(SENTENCES)]:
            texts.append(content_farm(sentence, seed=seed, chunk_size=size).text)
            try:
                texts.append(chunked_decode(sentence, seed=seed, codec="big5",
                                            chunk_size=size).text)
            except Exception:  # simplified characters Big5 cannot encode
                continue
    return [t for t in texts if R.gate_test(t)]


def readings(text: str) -> list[object]:
    """Every island of ``text`` decoded in every codec, as the fixer cuts them."""
    out: list[object] = []
    for line in text.split("\n"):
        for start, end in R._islands(line):
            prev = line[max(0, start - R.CONTEXT) : start]
            following = line[end] if end < len(line) else ""
            for codec in R.CODECS:
                out.append(R._decode_island(line[start:end], prev, following,
                                            end == len(line), codec))
    return out


def test_an_island_that_stops_early_reads_as_the_whole_beam_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = damaged_texts() + CLEAN
    stopped = []
    check = R._all_as_it_stands

    def spy(*args: object) -> bool:
        found: bool = check(*args)
        stopped.append(found)
        return found

    monkeypatch.setattr(R, "_all_as_it_stands", spy)
    shortcut = [readings(t) for t in texts]
    steps = [R.fix_resync(t, FixConfig()) for t in texts]
    assert any(stopped), "the shortcut was never taken"
    monkeypatch.setattr(R, "_all_as_it_stands", lambda *args: False)
    R._cached_island.cache_clear()
    assert [readings(t) for t in texts] == shortcut
    plain = [R.fix_resync(t, FixConfig()) for t in texts]
    assert plain == steps
    # The damage is real: most texts are repaired, the clean ones are not.
    assert sum(s is not None for s in plain) > len(texts) // 2
    assert plain[-len(CLEAN) :] == [None] * len(CLEAN)


def test_an_island_the_codec_cannot_encode_reads_as_the_whole_beam_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = damaged_texts() + CLEAN + SENTENCES
    texts += [s.replace("，", "?", 1) for s in SENTENCES]  # a "?" in clean text
    skipped = []
    check = R._unreadable

    def spy(text: str, codec: str) -> bool:
        found = check(text, codec)
        skipped.append(found)
        return found

    monkeypatch.setattr(R, "_unreadable", spy)
    shortcut = [readings(t) for t in texts]
    assert any(skipped), "no island was left unread"
    monkeypatch.setattr(R, "_unreadable", lambda text, codec: False)
    assert [readings(t) for t in texts] == shortcut
