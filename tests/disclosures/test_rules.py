"""The pure rules of the record and who may see whole numbers."""
from __future__ import annotations

import pytest

from consult.disclosures import rules
from consult.permissions import may
from tests import factories


@pytest.mark.parametrize("held, works, platform, role", [
    (set(), True, False, "grid_worker"),
    ({"secretary", "admin"}, True, True, "grid_worker"),  # on their grid, the worker's errand
    ({"admin", "secretary"}, False, False, "secretary"),
    ({"admin"}, False, True, "admin"),
    (set(), False, True, "platform_admin"),
])
def test_the_role_a_viewer_looked_with(held, works, platform, role):
    assert rules.viewer_role(held, works, platform) == role


def test_fields_are_stored_in_one_order_and_read_back():
    assert rules.join_fields({"not_voted", "phone"}) == "phone,not_voted"
    assert rules.join_fields(set()) == "" and rules.join_fields({"unknown"}) == ""
    assert rules.split_fields("phone,not_voted") == ["phone", "not_voted"]
    assert rules.split_fields("") == []


def test_masking():
    assert rules.mask_phone("13800000001") == "138****0001"
    assert rules.mask_email("zhang@example.com") == "z***@example.com"
    assert rules.mask_phone(None) == rules.mask_email("") == ""


def test_whole_numbers_are_for_the_grids_workers_and_the_secretaries(estate):
    p = estate.people
    allowed = {who for who in p if may(p[who], "grid.see_phones", estate.grid)}
    assert allowed == {"worker", "secretary"}
    assert not may(factories.user("平台管理员", platform_admin=True), "grid.see_phones",
                   estate.grid)


def test_a_page_without_words_cannot_be_recorded(estate, app):
    from consult.disclosures import service

    with app.test_request_context(), pytest.raises(ValueError):
        service.record_shown(estate.people["worker"], {estate.people["wang"].id: {"phone"}},
                             endpoint="x.y", page="no_such_page", object_ref="grid:1")
