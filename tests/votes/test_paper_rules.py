"""Paper ballots, the pure rules: serial numbers, the double-entry decision, photo types."""
from __future__ import annotations

import pytest

from consult.votes import paper_rules as rules
from consult.votes.paper_rules import Mark


@pytest.mark.parametrize("typed", [
    "ABCD-EFGH-JKMN", "abcd-efgh-jkmn", "ABCDEFGHJKMN", " abcd efgh jkmn ", "ab-cd ef—gh_jk.mn",
    "ABCD\tEFGH\nJKMN", "ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ",  # full width, from a Chinese input method
])
def test_a_serial_is_found_whatever_its_case_spaces_and_dashes(typed):
    assert rules.normalise_serial(typed) == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize("typed", [
    "", None, "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP",  # too short, too long
    "ABCD-EFGH-JKM0", "ABCD-EFGH-JKMO", "ABCD-EFGH-JKM1", "ABCD-EFGH-JKMI",  # not the alphabet
    "ABCD-EFGH-JKM?", "ABCD-EFGH-JKMＯ",
])
def test_what_cannot_be_a_serial_is_none(typed):
    assert rules.normalise_serial(typed) is None


def test_new_serials_are_in_the_alphabet_grouped_and_differ():
    serials = {rules.new_serial() for _ in range(500)}
    assert len(serials) == 500
    for serial in serials:
        assert len(serial) == 14 and serial[4] == serial[9] == "-"
        assert rules.normalise_serial(serial) == serial
        assert set(serial.replace("-", "")) <= set(rules.SERIAL_ALPHABET)
    assert not set("01OIL") & set(rules.SERIAL_ALPHABET)


def test_the_first_entry_waits():
    assert rules.decide("printed", None, Mark("agree", 1)) == rules.FIRST


def test_a_second_person_reading_the_same_confirms():
    assert rules.decide("entered", Mark("agree", 1), Mark("agree", 2)) == rules.AGREE
    assert rules.decide("entered", Mark(None, 1), Mark(None, 2)) == rules.AGREE  # both spoilt


@pytest.mark.parametrize("first, second", [("agree", "oppose"), ("agree", None), (None, "abstain")])
def test_a_second_person_reading_otherwise_disagrees(first, second):
    assert rules.decide("entered", Mark(first, 1), Mark(second, 2)) == rules.DISAGREE


@pytest.mark.parametrize("second", ["agree", "oppose", None])
def test_nobody_confirms_their_own_entry(second):
    assert rules.decide("entered", Mark("agree", 1), Mark(second, 1)) == rules.OWN


@pytest.mark.parametrize("status", ["counted", "spoilt"])
def test_a_decided_paper_is_not_entered_again(status):
    assert rules.decide(status, Mark("agree", 1), Mark("agree", 3)) == rules.DONE


def test_a_disputed_paper_waits_for_a_resolution():
    assert rules.decide("disputed", Mark("agree", 1), Mark("agree", 3)) == rules.DISPUTED


@pytest.mark.parametrize("data, kind", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"), (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"), (b"GIF89a", None), (b"hello, a text file", None),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", None), (b"", None),
])
def test_a_photo_is_known_by_its_content(data, kind):
    assert rules.photo_kind(data) == kind
