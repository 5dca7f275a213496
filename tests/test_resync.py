"""Resynchronising GBK text read one byte off, with annotations inside characters."""

from __future__ import annotations

import importlib
import itertools
import unicodedata

import pytest

import zhfix
from zhfix.config import FixConfig
from zhfix.explain import apply_edits
from zhfix.resync import GATE, fix_resync

CONFIG = FixConfig()
# ``zhfix.annotations`` is shadowed by ``from __future__ import annotations`` in
# the package namespace, so import the module by name.
A = importlib.import_module("zhfix.annotations")
R = importlib.import_module("zhfix.resync")


def leak(text: str, table: dict[str, str]) -> bytes:
    """A find-and-replace of ``(reading)`` after each target's GBK bytes."""
    data = text.encode("gbk")
    for ch, reading in table.items():
        pattern, insert = ch.encode("gbk"), f"({reading})".encode("gbk")
        out = bytearray()
        i = 0
        while i < len(data):
            if data[i : i + 2] == pattern:
                out += pattern + insert
                i += 2
            else:
                out.append(data[i])
                i += 1
        data = bytes(out)
    return data


def chunked(data: bytes, splits: list[int]) -> str:
    """Decode chunks on their own: a high byte starts a pair; bad pair or cut lead → ?."""
    bounds = [0, *sorted(splits), len(data)]
    out: list[str] = []
    for a, b in itertools.pairwise(bounds):
        chunk = data[a:b]
        i = 0
        while i < len(chunk):
            if chunk[i] < 0x80:
                out.append(chr(chunk[i]))
                i += 1
            elif i + 1 < len(chunk):
                try:
                    out.append(chunk[i : i + 2].decode("gbk"))
                except UnicodeDecodeError:
                    out.append("?")
                i += 2
            else:
                out.append("?")
                i += 1
    return unicodedata.normalize("NFKC", "".join(out))


def split_inside(text: str, ch: str) -> list[int]:
    """A chunk boundary between the two bytes of the first ``ch``."""
    return [len(text[: text.index(ch)].encode("gbk")) + 1]


def repair(text: str) -> str:
    step = fix_resync(text, CONFIG)
    return text if step is None else apply_edits(text, step.edits)


def test_a_cut_full_stop_and_the_pair_it_spoils() -> None:
    # 。 = A1 A3 is cut; A3 pairs with 93 (換 = 93 51) into an invalid pair; 51 is Q.
    original = "我們已經討論過這個計劃。換句話說，所有人都同意。"
    damaged = chunked(leak(original, {}), split_inside(original, "。"))
    assert damaged.startswith("我們已經討論過這個計劃??Q句話說")
    assert repair(damaged) == unicodedata.normalize("NFKC", original)


def test_a_weak_island_is_repaired_once_another_confirms_the_damage() -> None:
    # 這 = DF 40 is cut: DF alone is "?", and 40 is "@" in step.  On its own
    # that island is weak evidence; the long misaligned run that a second cut
    # makes in the next paragraph shows the text went through a broken
    # decoder, and then both are repaired.
    original = "我們已經討論過這個計劃。換句話說，所有人都同意。\n下一步是準備會議的資料和場地。"
    splits = split_inside(original, "這") + split_inside(original, "準")
    damaged = chunked(leak(original, {}), splits)
    assert damaged.startswith("我們已經討論過?@個計劃")
    assert repair(damaged) == unicodedata.normalize("NFKC", original)
    alone = chunked(leak(original.split("\n")[0], {}), splits[:1])
    assert repair(alone) == alone


def test_annotation_inside_a_character_and_a_long_misaligned_run() -> None:
    # 總 = BF 82 straddles 每|個 (C3 BF|82 80): "(zǒng)" lands inside 個, its "("
    # is eaten by an invalid pair, and the reader stays one byte off.
    original = "每個人的工作都很重要，請準時到達會場。"
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert damaged.startswith("每?zǒng)?")
    fixed = repair(damaged)
    assert fixed.startswith("每個人的工作都很重要")
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    events = [ev for e in step.edits for ev in e.evidence["events"]]
    assert {"at": 1, "annotation": "zǒng", "eaten_paren": True, "target": "總"} in events


def test_repairs_never_increase_the_distance() -> None:
    originals = [
        "這個軟體在啟動時會讀取設定檔，然後連線到伺服器。",
        "請在對話方塊中選擇要匯出的檔案格式，再按下確定。",
        "如果找不到指定的目錄，程式會自動建立一個新的目錄。",
    ]
    for original in originals:
        for cut in original[3:12]:
            if len(cut.encode("gbk")) != 2:
                continue
            damaged = chunked(leak(original, {}), split_inside(original, cut))
            fixed = repair(damaged)
            want = unicodedata.normalize("NFKC", original)
            wrong_before = sum(a != b for a, b in zip(damaged, want, strict=False))
            wrong_after = sum(a != b for a, b in zip(fixed, want, strict=False))
            assert wrong_after <= wrong_before + abs(len(fixed) - len(want)), (damaged, fixed)


@pytest.mark.parametrize(
    "clean",
    [
        "你知道嗎?我不知道?真的?",
        "這是什麼?為什麼會這樣?",
        "請問: 這個選項(option)要怎麼設定?",
        "第一行?第二行??第三行",
        "what? 中文?English?",
    ],
)
def test_question_marks_in_clean_text_stay(clean: str) -> None:
    assert fix_resync(clean, CONFIG) is None
    assert zhfix.fix_text(clean, fix_resync=True, restore_punctuation=False) == clean


def test_gate_needs_a_question_mark_next_to_non_ascii() -> None:
    assert GATE.search("中?文")
    assert GATE.search("?zǒng)")
    assert not GATE.search("what? yes?")
    assert not GATE.search("中文，沒有問號")


def test_plan_replays() -> None:
    original = "每個人的工作都很重要，請準時到達會場。"
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    explained = zhfix.fix_and_explain(damaged)
    assert zhfix.apply_plan(damaged, explained.steps) == explained.text
    assert any(s.fixer == "resync" for s in explained.steps)


def test_the_annotator_an_island_exposes_loses_its_aligned_annotations_too() -> None:
    # "(zǒng)" inside 個 shows a find-and-replace on the bytes; the same replace
    # put "(huí)" after 回, aligned.  The annotation fixer alone keeps a lone
    # annotation outside a word as a possible gloss.
    original = "每個人的工作都很重要，這個函數必須返回 0。"
    damaged = chunked(leak(original, {"總": "zǒng", "回": "huí"}), [])
    assert "返回(huí) 0" in damaged
    assert A.fix_annotations("這個函數必須返回(huí) 0。") == "這個函數必須返回(huí) 0。"
    fixed = unicodedata.normalize("NFKC", repair(damaged))
    assert fixed == unicodedata.normalize("NFKC", original)
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    aligned = [e for e in step.edits if e.before == "(huí)"]
    assert aligned and aligned[0].after == "" and aligned[0].evidence["char"] == "回"


def test_aligned_annotations_inside_an_island_repair_go_with_it() -> None:
    # Between the misaligned start and a later cut, 模(mó) is read in step; the
    # island's repair spans both, and must not carry the annotation over.
    original = "每個人的工作模式都不同。這個模式也能換掉，請準時到達會場。"
    data = leak(original, {"總": "zǒng", "模": "mó"})
    damaged = chunked(data, [data.index("準".encode("gbk")) + 1])
    assert "這個模(mó)式" in damaged
    assert repair(damaged) == unicodedata.normalize("NFKC", original)
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    assert any(e.evidence.get("aligned_annotations") == ["mó"] for e in step.edits)


def test_without_an_annotation_in_the_islands_glosses_stay() -> None:
    # The islands here are cut characters only: no sign of a byte-level
    # annotator, so the annotation on the last line is the annotation fixer's
    # to judge (it keeps a lone one outside a word).
    original = (
        "我們已經討論過這個計劃。換句話說，所有人都同意。\n"
        "下一步是準備會議的資料和場地。\n函數必須返回(huí) 0。"
    )
    splits = split_inside(original, "。") + split_inside(original, "準")
    damaged = chunked(leak(original, {}), splits)
    assert repair(damaged) == unicodedata.normalize("NFKC", original)


@pytest.mark.parametrize(
    "original", ["每個人都可以使用 RGB 顏色模型。", "每個人都應該先執行 make 再安裝。"]
)
def test_a_space_eaten_before_a_latin_word_comes_back(original: str) -> None:
    # Out of step until the space: the trail byte of 用 (C3) pairs with the
    # space into an invalid pair, one "?" for both; the reader is in step at R.
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert "? " not in damaged and " " in damaged
    assert repair(damaged) == unicodedata.normalize("NFKC", original)


def test_the_last_byte_alone_at_the_end_of_the_text() -> None:
    # Out of step to the end: the trail byte of 要 pairs with the lead byte of
    # 。 (A1) into an invalid pair, and A3 is left alone when the bytes end.
    original = "每個人的意見都很重要。"
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert damaged.endswith("??")
    assert repair(damaged) == original


@pytest.mark.parametrize(
    "original",
    [
        # The same, with a second paragraph: A3 pairs with the line break
        # (0A), one "?" for both, and the paragraphs run together.
        "每個人的意見都很重要。\n請在明天之前回覆。",
        # The next paragraph starts with an option, which starts a paragraph
        # more often than it follows a space after 。.
        "每個人的意見都很重要。\n-f 表示強制執行。",
    ],
    ids=["han", "option"],
)
def test_a_line_break_eaten_by_an_invalid_pair(original: str) -> None:
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert "\n" not in damaged
    assert repair(damaged) == original


@pytest.mark.parametrize(
    "original", ["每個人都发布了自己的報告。", "每個人都会在会上发言，然后大家讨论。"]
)
def test_what_nfkc_expanded_out_of_step(original: str) -> None:
    # Out of step, the trail byte of 发 (A2) pairs with the next lead byte into
    # ⒉ (A2 B2) or ⒀ (A2 D1), which NFKC expands to "2." or "(13)".
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert "2." in damaged or "(13)" in damaged
    fixed = unicodedata.normalize("NFKC", repair(damaged))
    assert fixed == unicodedata.normalize("NFKC", original)


def test_an_annotation_whose_tone_letter_a_chunk_cut() -> None:
    # ā is A8 A1 in GBK: a chunk ends after A8 ("?"), and A1 pairs with the ")"
    # into an invalid pair ("?"); the reader is in step again at 們.
    original = "我們都同意他們的看法，也會支持他們。"
    data = leak(original, {"他": "tā"})
    damaged = chunked(data, [data.index("(tā)".encode("gbk")) + 3])
    assert "他(t??們" in damaged
    assert repair(damaged).count("(tā)") == 0
    assert A.fix_annotations(repair(damaged)) == unicodedata.normalize("NFKC", original)


@pytest.mark.parametrize(
    ("original", "table"),
    [
        ("如果忽略這些，則使用標準輸入。", {"赃": "zāng", "些": "xiē"}),
        ("每個人都用標尺設置縮進。", {"總": "zǒng", "置": "zhì"}),
    ],
)
def test_an_aligned_annotation_in_an_island_is_read_past(
    original: str, table: dict[str, str]
) -> None:
    # 這 is DF 40: the "(" eaten after DF, the reader is in step at "@" (40)
    # and reads 些(xiē) as it stands; read letter by letter, the annotation
    # would cost more than garbage in its place (撸佬┅o).
    damaged = chunked(leak(original, table), [])
    assert any(f"{ch}({reading})" in damaged for ch, reading in table.items())
    fixed = unicodedata.normalize("NFKC", repair(damaged))
    assert fixed == unicodedata.normalize("NFKC", original)


def test_a_lost_character_after_a_comma_is_not_another_mark() -> None:
    # 剩 lost both bytes to an invalid pair after "，": the language model has
    # no bigrams for punctuation, and without the measured rate a "。" there
    # scored as well as anywhere.
    original = "每個人都走了，剩下的人很少。"
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    fixed = repair(damaged)
    assert "，。" not in fixed and len(fixed) == len(original)


def test_the_decoder_scores_with_two_characters_of_context() -> None:
    # The language model's trigrams: after 计算, 机 is likelier than after 算 alone.
    assert R.CONTEXT == 2
    assert R._lp("计算", "机") > R._lp("的算", "机")


def test_a_lead_byte_cut_off_before_an_annotation() -> None:
    # 的話 = B5 C4|D4 92 and 脑 = C4 D4: "(nǎo)" goes inside 話, after "(de)";
    # a chunk ends on D4, which is "?" alone, and 92 pairs with what follows.
    original = "我們可能的話明天就出發。"
    data = leak(original, {"脑": "nǎo", "的": "de"})
    damaged = chunked(data, [data.index(b"(n")])
    assert "的(de)?(nǎo)" in damaged
    assert GATE.search(damaged[: damaged.index("(n") + 6])
    assert repair(damaged) == original


def test_a_misaligned_target_after_a_flattened_mark() -> None:
    # ：絕 = A3 BA|BD 5E and 航 = BA BD: "(háng)" goes inside 絕, its "(" eaten
    # by BD.  NFKC made "：" ":", but its trail byte BA is the target's lead.
    original = "請輸入參數：絕對路徑或相對路徑。"
    damaged = chunked(leak(original, {"航": "háng"}), [])
    assert ":?háng)^對" in damaged
    assert repair(damaged) == unicodedata.normalize("NFKC", original)


@pytest.mark.parametrize(
    ("original", "cut"),
    [
        ("大家都應該定期更新系統，並且備份重要的資料。", "期"),
        ("使用者需要一個帳號才能登入這個網站。", "帳"),
        ("使用者需要一個帳號才能登入這個網站。", "登"),
        ("所有的文件都已經保存成新的格式了。", "成"),
        # Converted one character at a time, the text spells 准備 and 准時,
        # words in neither script of the word lists; read as they stand the
        # cut character came back as 都備, 准其, 旨時.  Folded to simplified
        # characters, they are 准备 and 准时.
        ("請大家准備好自己的問題。", "准"),
        ("請大家准備好自己的問題。", "備"),
        ("我們要准時到達會場。", "准"),
        ("她在准備明天的考試。", "准"),
    ],
)
def test_a_cut_character_is_chosen_with_what_follows_it(original: str, cut: str) -> None:
    # The cut character's lead byte is lost: the beam chose among the
    # characters with its trail byte knowing only what came before (定在,
    # 长號, 是入, 保存疑); chosen again with the reading after it and the word
    # model, it is right.
    damaged = chunked(leak(original, {}), split_inside(original, cut))
    fixed = unicodedata.normalize("NFKC", repair(damaged))
    assert fixed == unicodedata.normalize("NFKC", original)
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    events = [ev for e in step.edits for ev in e.evidence["events"]]
    assert all(not k.startswith("_") for ev in events for k in ev)


@pytest.mark.parametrize("original", ["我們會盡快處理您的訂單。", "他們已經處理您的郵件了。"])
def test_a_target_that_lost_both_bytes_before_its_toneless_annotation(original: str) -> None:
    # 砟 (ED C4) straddles 理|您 (C0 ED|C4 FA): its annotation puts 您's lead
    # byte with the "(" into an invalid pair.  FA then pairs with 的's lead
    # (B5) and 的's trail (C4) with the "(" of its annotation: "??de)".
    # Only a character with lead C4 and a trail that cannot pair with B5
    # reads so; the model's favourites (念, 你) made "念?" and a line break
    # out of the second "?" and left "de)".
    damaged = chunked(leak(original, {"砟": "zhǎ", "的": "de"}), [])
    assert "??de)" in damaged
    assert repair(damaged) == unicodedata.normalize("NFKC", original)


def gbk_offset(text: str, ch: str) -> int:
    """A chunk boundary between the two bytes of the first ``ch`` (a number)."""
    return len(text[: text.index(ch)].encode("gbk")) + 1


@pytest.mark.parametrize(
    ("original", "also_cut"),
    [
        ("今天的會議結束了。\n明天早上再討論。", "天"),
        ("這個問題已經解決了。\n請大家放心使用。", "個"),
    ],
)
def test_a_cut_full_stop_that_ate_the_line_break_after_it(original: str, also_cut: str) -> None:
    # 。 = A1 A3 is cut after A1 ("?"), and A3 with the line break (0A) is an
    # invalid pair ("?"): "了??明".  Two question marks between Han
    # characters are about as likely as that, by the character model alone;
    # the corpus doubles one question mark after a Han character in 4,762.
    cuts = [gbk_offset(original, "。"), gbk_offset(original, also_cut)]
    damaged = chunked(leak(original, {}), cuts)
    assert "了??" in damaged
    assert repair(damaged) == unicodedata.normalize("NFKC", original)
    # Alone, with nothing else to show a broken decoder, "??" stays.
    alone = chunked(leak(original, {}), cuts[:1])
    assert repair(alone) == alone


@pytest.mark.parametrize(
    ("second", "cut"),
    [("請把圖片旋轉九十度。", "轉"), ("這裏沒有任何問題。", "沒"), ("現在無法連接伺服器。", "無")],
)
def test_a_cut_character_whose_trail_byte_is_a_letter_in_a_damaged_text(
    second: str, cut: str
) -> None:
    # 轉 = DE 44 cut after DE: "旋?D".  Alone such an island reads about as
    # well as clean text with a question mark before a letter (4.7 nats for
    # this one); after a paragraph read one byte off, it is read too.
    text = "每個月的報告都很詳細。\n\n" + second
    data = leak(text, {"總": "zǒng"})
    damaged = chunked(data, [data.rindex(cut.encode("gbk")) + 1])
    assert "?" + cut.encode("gbk")[1:].decode("ascii") in damaged
    expected = unicodedata.normalize("NFKC", text.replace("\n\n", "\n"))
    assert repair(damaged) == expected


def test_two_chunk_boundaries_are_never_a_byte_apart() -> None:
    # 法 = B7 A8 cut after B7 ("?"); A8 with the line break is an invalid
    # pair ("?").  The trail byte did not end a chunk of one byte, as
    # "方面定義" (a second boundary, back in step) had it.
    text = "每個月的報告都很詳細。\n\n這個方法\n定義新的函數。"
    data = leak(text, {"總": "zǒng"})
    damaged = chunked(data, [data.rindex("法".encode("gbk")) + 1])
    assert "方??定義" in damaged
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    for edit in step.edits:
        cuts = {
            ev["at"] for ev in edit.evidence.get("events", ())
            if ev.get("lost") in ("lead byte", "trail byte")
        }
        assert not any(at + 1 in cuts for at in cuts)
    assert "方面" not in repair(damaged)


@pytest.mark.parametrize(
    "original",
    [
        "每個月的報告都很詳細，但是沒有人看。",
        "每個人都走了，所以這裏很安靜。",
        "每個人都很忙，但是沒有人抱怨。",
    ],
)
def test_a_character_that_lost_both_bytes_between_two_invalid_pairs(original: str) -> None:
    # Out of step after "，" (A3 AC): AC with the lead byte of 但 is an
    # invalid pair, and so is 但's trail byte with the lead byte of 是, whose
    # trail byte alone is left: nothing of 但 is known, and the beam, which
    # cannot see 是 coming, kept "?".  Chosen again with 是 (both pairs kept
    # invalid), it is 但.
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert "??" in damaged
    fixed = unicodedata.normalize("NFKC", repair(damaged))
    assert fixed == unicodedata.normalize("NFKC", original)


@pytest.mark.parametrize("original", ["每個人都需要一個帳號才能登入。", "每個人都要填寫申請表格。"])
def test_two_characters_of_an_invalid_pair_are_chosen_together(original: str) -> None:
    # Out of step, the trail byte of one character and the lead byte of the
    # next made an invalid pair, one "?": each keeps one byte, and the two are
    # chosen again together (长號 → 帳號, 最寫 → 填寫), the pair kept invalid.
    damaged = chunked(leak(original, {"總": "zǒng"}), [])
    assert repair(damaged) == unicodedata.normalize("NFKC", original)
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    events = [ev for e in step.edits for ev in e.evidence["events"]]
    assert any("reconsidered" in ev for ev in events)


# Big5 (traditional Chinese): the same broken reader, with Big5's table.  Big5
# trail bytes 40-7E are ASCII, so a cut character often leaves one letter
# (``，`` = A1 41 cut after A1 is ``?A``) and islands are short.


def big5_chunked(text: str, chunk_size: int) -> str:
    from zhfix.damage import chunked_decode

    return chunked_decode(text, codec="big5", chunk_size=chunk_size).text


def test_a_big5_stream_read_one_byte_off_is_read_as_big5() -> None:
    original = "請先關閉所有視窗，再重新啟動電腦。如果問題仍然存在，請聯絡我們的技術支援部門。"
    damaged = big5_chunked(original, 23)
    assert damaged != original
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    assert apply_edits(damaged, step.edits) == original
    assert step.evidence == {"codec": "big5"}
    for edit in step.edits:
        assert edit.evidence["codec"] == "big5"
        margins = edit.evidence["margin_nats_by_codec"]
        assert margins["big5"] == edit.evidence["margin_nats"]
        assert margins.get("gbk", float("-inf")) < margins["big5"]


def test_a_weak_big5_island_is_repaired_once_another_confirms_big5() -> None:
    # 題 = C3 44 is cut: "?D".  On its own that is weak evidence; the long
    # island of the next paragraph shows a Big5 stream read one byte off.
    original = (
        "我們討論過。換個話題吧。\n"
        "這次旅行的行程還沒有決定，飯店和機票也都還沒訂好，大家下週再一起商量。"
    )
    damaged = big5_chunked(original, 19)
    assert damaged.startswith("我們討論過。換個話?D吧")
    assert repair(damaged) == original
    alone = damaged.split("\n")[0]
    assert repair(alone) == alone


@pytest.mark.parametrize(
    ("original", "chunk_size"),
    [
        # 。 = A1 43: "?C" at the end, which GBK reads no better than as it is.
        ("這本書我已經看完了，內容非常有趣。", 33),
        # 面 = AD B1 cut, B1 A1 is 情, and 41 (the trail of ，) is "A".
        ("明天下午三點在圖書館門口見面，不要遲到。", 27),
    ],
)
def test_a_lone_big5_island_that_gbk_cannot_explain_is_repaired(
    original: str, chunk_size: int
) -> None:
    damaged = big5_chunked(original, chunk_size)
    assert damaged != original
    step = fix_resync(damaged, CONFIG)
    assert step is not None and len(step.edits) == 1
    (edit,) = step.edits
    assert edit.evidence["margin_nats"] < R.RESYNC_MARGIN
    assert not edit.evidence["confirmed_by_other_islands"]
    assert apply_edits(damaged, step.edits) == original


def test_a_gbk_stream_still_reads_as_gbk() -> None:
    # The same reading of "?@" (a lead byte cut before 40) gives 這 in GBK and
    # 一 (A4 40) in Big5: the long GBK island of the document decides.
    original = "我們已經討論過這個計劃。換句話說，所有人都同意。\n下一步是準備會議的資料和場地。"
    splits = split_inside(original, "這") + split_inside(original, "準")
    damaged = chunked(leak(original, {}), splits)
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    assert step.evidence == {"codec": "gbk"}
    assert {e.evidence["codec"] for e in step.edits} == {"gbk"}
    assert {e.evidence["codec_chosen_by"] for e in step.edits} == {"document"}


@pytest.mark.parametrize(
    "text",
    [
        "你確定要刪除嗎?OK 按鈕在右邊。",
        "這是什麼?A: 這是一個範例。",
        "為什麼?C語言的指標很難學?",
        "你知道嗎?C語言很難學。",
        "要繼續嗎?Y/N",
    ],
)
def test_clean_traditional_text_with_a_question_mark_is_left_alone(text: str) -> None:
    assert GATE.search(text)
    assert fix_resync(text, CONFIG) is None


def test_a_lead_byte_cut_off_at_the_start_of_a_line_is_looked_at() -> None:
    # 無 = 9F 6F: its lead byte lost, its trail byte reads as "o", and nothing
    # non-ASCII stands before the "?" at the start of the line.
    damaged = (
        "我們已經把新?lù)陌姹旧蟼鞯椒?掌髁耍??qǐng)大家下載以后再(zài)試一次。\n"
        "?o法打開這个文件的時候,請(qǐng)先檢查文件的權限。"
    )
    assert GATE.search("?o法打開")
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    fixed = apply_edits(damaged, step.edits)
    assert fixed.split("\n")[1].startswith("無法打開")


@pytest.mark.parametrize("text", ["請按 Y?N否", "是否繼續?y是"])
def test_a_question_mark_between_ascii_and_han_in_clean_text_is_left_alone(text: str) -> None:
    assert fix_resync(text, CONFIG) is None


@pytest.mark.parametrize("split", [3, 9, 13, 17])
def test_a_letter_eaten_after_a_full_stop_does_not_start_a_paragraph(split: int) -> None:
    # Read one byte off, the trail byte of 。 (A1 A3) pairs with the "s" of
    # "sid" (A3 73, unassigned): the rest of the word, in lower case, is no
    # likely start of a paragraph, so the pair is not read as an eaten line break.
    text = "新版本先上传到测试区。sid 是还没有发布的分支。"
    damaged = chunked(text.encode("gbk"), [split])
    assert "??id" in damaged
    step = fix_resync(damaged, CONFIG)
    assert step is not None
    fixed = apply_edits(damaged, step.edits)
    assert "\n" not in fixed
    assert "测试区。" in fixed


#: Three paragraphs of our own that spell a term in the first and the last;
#: damage that cuts the second reads that term one byte off.
TERM_TEXTS = {
    "套接字": "套接字是網絡程序的基本單位，每個套接字都有自己的地址和端口。\n"
    "程序先創建一個，再把套接字綁定到本機的地址上，然後等待連接。\n"
    "關閉套接字以後，系統會收回它占用的端口，別的程序就可以用了。",
    "內建命令": "內建命令由外殼自己執行，不必啟動新的進程。\n"
    "查看內建命令的說明，可以用 help 加上它的名字。\n"
    "有些內建命令也有同名的外部程序，外殼總是先找內建命令。",
}


def chunked_gbk(text: str, chunk_size: int) -> str:
    from zhfix.damage import chunked_decode

    return unicodedata.normalize(
        "NFKC", chunked_decode(text, codec="gbk", chunk_size=chunk_size).text
    )


@pytest.mark.parametrize(
    ("term", "chunk_size"), [("套接字", 28), ("套接字", 86), ("內建命令", 46), ("內建命令", 52)]
)
def test_a_term_the_text_spells_intact_elsewhere_is_read_as_that_term(
    term: str, chunk_size: int
) -> None:
    text = TERM_TEXTS[term]
    damaged = chunked_gbk(text, chunk_size)
    first, middle, last = damaged.split("\n")
    assert term in first and term in last and term not in middle
    want = unicodedata.normalize("NFKC", text)
    # Alone, the damaged paragraph reads as another, likelier text ...
    assert repair(middle) != want.split("\n")[1]
    # ... and with the paragraphs that spell the term, as the term.
    assert repair(damaged) == want


def test_the_island_cache_keeps_readings_with_and_without_the_text_apart() -> None:
    damaged = chunked_gbk(TERM_TEXTS["套接字"], 86)
    middle = damaged.split("\n")[1]
    ((start, end),) = R._islands(middle)
    island, prev = middle[start:end], middle[max(0, start - R.CONTEXT) : start]
    following = middle[end : end + 1]
    spans = ((len(damaged.split("\n")[0]) + 1 + start, len(damaged)),)
    cache = R._doc_ngrams(damaged, spans)
    assert "套接字" in cache
    plain = R._reread(island, prev, following, False)["gbk"][0]
    cached = R._reread(island, prev, following, False, cache)["gbk"][0]
    assert "套接字" not in prev + plain and "套接字" in prev + cached
    # Remembered apart, in either order.
    assert R._reread(island, prev, following, False)["gbk"][0] == plain
    assert R._CURRENT_CACHE.get() == R._NO_CACHE


@pytest.mark.parametrize("text", TERM_TEXTS.values())
def test_clean_text_with_a_question_mark_and_repeated_terms_is_left_alone(text: str) -> None:
    # A genuine "?" beside Chinese opens an island; the terms that the text
    # repeats favour the text as it stands as much as any other reading.
    first, middle, last = text.split("\n")
    clean = "\n".join([first.replace("。", "嗎?", 1), middle, last])
    assert GATE.search(clean)
    assert fix_resync(clean, CONFIG) is None
    assert fix_resync(unicodedata.normalize("NFKC", clean), CONFIG) is None


def test_texts_read_at_once_in_threads_read_as_they_do_one_by_one() -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [chunked_gbk(t, size) for t in TERM_TEXTS.values() for size in (28, 46, 52, 86)]
    texts += [t.split("\n")[1] for t in texts]
    R._cached_island.cache_clear()
    alone = [repair(t) for t in texts]
    R._cached_island.cache_clear()
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(repair, texts)) == alone
