"""The audit chain: every entry extends the last, the database refuses edits, verify finds tampering."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from consult.audit.log import GENESIS_HASH, record, verify_chain
from consult.audit.models import AuditEntry
from consult.extensions import db
from tests import factories


def test_entries_chain_from_genesis(app):
    actor = factories.user("秘书")
    c = factories.community()
    first = record("community.create", c, actor=actor, community_id=c.id, details={"名称": c.name})
    second = record("community.update", c, actor=actor, community_id=c.id)
    db.session.commit()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.object_type == "communities" and first.object_id == c.id
    report = verify_chain()
    assert report.ok and report.entries == 2


def test_database_refuses_to_change_or_delete_entries(app):
    record("x.y", object_type="thing", object_id=1)
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_entries SET action = 'forged'"))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_entries"))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.action)) == "x.y"


def test_verify_finds_a_forged_entry(app):
    for i in range(3):
        record("x.y", object_type="thing", object_id=i)
    db.session.commit()
    # Forge the middle entry behind the triggers' back, as someone with database access might.
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update"))
        db.session.execute(text("UPDATE audit_entries SET action = 'forged' WHERE object_id = 1"))
        db.session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(text("UPDATE audit_entries SET action = 'forged' WHERE object_id = 1"))
    db.session.commit()
    forged_id = db.session.scalar(select(AuditEntry.id).where(AuditEntry.object_id == 1))
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_id == forged_id


def test_cli_verify(app):
    record("x.y", object_type="thing", object_id=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 1 entries" in result.output
