"""The roster match rule (consult/community/rules.py): who counts as the owner on the roster."""
from __future__ import annotations

import pytest

from consult.community.rules import (
    RosterCheck, RosterOwner, is_roster_owner, needs_reason, roster_check,
)

WANG = RosterOwner(7, "王业主", phone="13900000001", email="wang@example.org")
LI = RosterOwner(8, "李业主", phone=None, email=None)


def test_the_ownerships_own_account_matches():
    assert is_roster_owner(7, None, None, [WANG])
    assert roster_check("owner", 8, None, None, [WANG, LI]) == RosterCheck.MATCH  # a co-owner


def test_same_phone_matches_even_written_otherwise():
    assert roster_check("owner", 99, "13900000001", None, [WANG]) == RosterCheck.MATCH
    assert roster_check("owner", 99, "+86 139-0000-0001", None, [WANG]) == RosterCheck.MATCH


def test_same_email_matches_whatever_its_case_and_spaces():
    assert roster_check("owner", 99, None, "wang@example.org", [WANG]) == RosterCheck.MATCH
    assert roster_check("owner", 99, None, "  Wang@Example.ORG ", [WANG]) == RosterCheck.MATCH
    owner_in_capitals = RosterOwner(7, "王业主", email=" WANG@example.org")
    assert roster_check("owner", 99, None, "wang@example.org",
                        [owner_in_capitals]) == RosterCheck.MATCH


def test_someone_else_is_a_mismatch():
    assert roster_check("owner", 99, "13800138000", "zhao@example.org",
                        [WANG]) == RosterCheck.MISMATCH
    assert needs_reason(RosterCheck.MISMATCH)


def test_missing_contact_details_never_match_each_other():
    """A roster owner without phone or e-mail and a claimant without them are not alike."""
    assert roster_check("owner", 99, None, None, [LI]) == RosterCheck.MISMATCH
    assert roster_check("owner", 99, "", "  ", [LI]) == RosterCheck.MISMATCH


def test_a_home_nobody_owns_on_the_roster():
    assert roster_check("owner", 7, "13900000001", None, []) == RosterCheck.NO_OWNER
    assert needs_reason(RosterCheck.NO_OWNER)


@pytest.mark.parametrize("relation", ["tenant", "family"])
@pytest.mark.parametrize("owners", [[WANG], []])
def test_tenant_and_family_claims_are_never_flagged(relation, owners):
    check = roster_check(relation, 99, "13800138000", None, owners)
    assert check == RosterCheck.NOT_COMPARED and not needs_reason(check)
    # Not even when the claimant is the owner: the claim is not an owner's.
    assert roster_check(relation, 7, None, None, [WANG]) == RosterCheck.NOT_COMPARED


def test_a_match_needs_no_reason():
    assert not needs_reason(RosterCheck.MATCH)
