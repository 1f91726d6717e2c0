"""SMS length and opt-out rules (consult/messages/sms/rules.py): pure, no app."""
from __future__ import annotations

import pytest

from consult.messages.sms import rules

SIGN = "社区议事"  # 【社区议事】 takes 6 of the 70


def test_the_signature_counts_and_a_chinese_message_fits_70():
    assert rules.length("", SIGN) == (6, 70, 67)
    assert rules.segments("验" * 64, SIGN) == 1
    assert rules.fits_one("验" * 64, SIGN)
    assert rules.segments("验" * 65, SIGN) == 2
    assert not rules.fits_one("验" * 65, SIGN)


def test_a_split_ucs2_message_takes_67_per_segment():
    # 6 + 128 = 134 = 2 x 67; one more needs a third segment.
    assert rules.segments("验" * 128, SIGN) == 2
    assert rules.segments("验" * 129, SIGN) == 3


def test_one_chinese_character_makes_a_latin_text_ucs2():
    assert rules.length("a" * 10) == (10, 160, 153)
    assert rules.length("a" * 10 + "验") == (11, 70, 67)
    # The 【】 around a signature are not GSM-7 either.
    assert rules.length("abc", "Consult") == (12, 70, 67)


def test_gsm7_latin_texts_take_160_then_153():
    assert rules.segments("a" * 160) == 1
    assert rules.segments("a" * 161) == 2
    assert rules.segments("a" * 306) == 2
    assert rules.segments("a" * 307) == 3


def test_gsm7_extension_characters_take_two():
    assert rules.length("[x]") == (5, 160, 153)
    assert rules.segments("€" * 80) == 1
    assert rules.segments("€" * 81) == 2


def test_a_character_beyond_the_bmp_takes_two_units():
    assert rules.length("😀", SIGN)[0] == 8


def test_an_empty_text_is_one_segment():
    assert rules.segments("") == 1
    assert rules.segments("", SIGN) == 1


@pytest.mark.parametrize("title, room, expected", [
    ("物业费调整", 10, "物业费调整"),
    ("物业费调整", 5, "物业费调整"),
    ("关于小区停车位重新划分的议题", 8, "关于小区停车位…"),
    ("Parking  spaces\nagain", 100, "Parking spaces again"),
    ("Parking spaces again", 9, "Parking…"),  # no space before the ellipsis
    ("议题", 1, "…"),
    ("议题", 0, ""),
    ("议题", -3, ""),
])
def test_shorten(title, room, expected):
    result = rules.shorten(title, room)
    assert result == expected
    assert len(result) <= max(room, 0)


def test_shorten_to_the_room_left_makes_a_notice_fit_one_segment():
    before, after = "您关注的议题《", "》有新进展。"
    room = rules.room_left(before + after + " " + rules.OPT_OUT, SIGN)
    title = rules.shorten("关于小区东门外非机动车停放区域重新规划及增设充电桩的议题" * 2, room)
    text = rules.with_opt_out(before + title + after)
    assert rules.fits_one(text, SIGN)
    assert len(rules.signed(text, SIGN)) == 70
    assert rules.room_left("验" * 80, SIGN) == 0


def test_with_opt_out_adds_the_words_once():
    text = rules.with_opt_out("议题《绿化》已进入表决。")
    assert text == "议题《绿化》已进入表决。 回T退订"
    assert rules.with_opt_out(text) == text
    assert rules.with_opt_out("Vote open.  ") == "Vote open. 回T退订"


def test_the_opt_out_words_count_towards_the_length():
    body = "验" * 60
    assert rules.fits_one(body, SIGN)
    assert not rules.fits_one(rules.with_opt_out(body), SIGN)


def test_with_opt_out_says_which_messages_need_it():
    doc = rules.with_opt_out.__doc__
    assert "non-transactional" in doc and "codes" in doc
