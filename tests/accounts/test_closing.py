"""Closing an account (注销账号): the password again, then the account can no longer log in,
its tokens and sessions die, its phone and e-mail are erased (the phone can register again as a
new person), its name becomes a stable pseudonym on every public page, feed and API answer, and
what stays for the record still verifies: the vote's tally and the audit chain."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from consult import clock
from consult.accounts.closing import pseudonym_code, pseudonym_name
from consult.accounts.models import Role, RoleGrant, User
from consult.audit.log import record, verify_chain
from consult.audit.models import AuditEntry
from consult.clock import utcnow
from consult.community.models import Residency
from consult.extensions import db
from consult.notifications.models import Notification
from consult.studios.models import Reservation
from consult.topics.models import Follow
from consult.votes import service as vote_service
from tests import api_world, factories
from tests.accounts.test_registration import code_in
from tests.api_world import auth, token
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

NAME, PHONE = "张三丰", "13800000001"
PSEUDONYM = re.compile(r"居民 [A-Z2-9]{4}")


@pytest.fixture
def w(app, monkeypatch):
    return api_world.build(monkeypatch)


def me_of(w) -> User:
    """residents[1]: wrote the world's comment, has a verified home and a phone."""
    me = w.residents[1]
    me.name = NAME
    assert me.phone == PHONE
    return me


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def close_on_the_web(app, login, me, password=PASSWORD, understood="y"):
    browser = login(me, app.test_client())
    response = browser.post("/account/close", data={"password": password,
                                                     "understood": understood})
    return browser, response


def test_the_account_page_links_to_the_warning(w, app, login):
    browser = login(w.residents[2], app.test_client())
    assert "/account/close" in browser.get("/account/password").get_data(as_text=True)
    page = browser.get("/account/close").get_data(as_text=True)
    for words in ("cannot be undone", "What is erased", "What stays for the record",
                  "register again"):
        assert words in page


def test_closing_after_voting_and_commenting_keeps_the_record_verifiable(w, app, client,
                                                                        login):
    me = me_of(w)
    uid = me.id
    # An audit entry naming the person beside the chain (as a phone change or a proxy does).
    about_me = record("account.test_personal", me, actor=me,
                      personal={"name": NAME, "phone": PHONE}).id
    raw = token(client, me, "手机")
    db.session.commit()
    with clock.frozen(utcnow() + timedelta(minutes=1)):
        vote_service.cast(me, w.vote, "agree")
        vote_service.cast(w.residents[2], w.vote, "oppose")
        db.session.commit()
    runner = app.test_cli_runner()
    after_closing = w.vote.closes_at + timedelta(hours=1)
    with clock.frozen(after_closing):
        first = runner.invoke(args=["vote", "verify", str(w.vote.id)])
        assert first.exit_code == 0, first.output
        # The pages and the feed showed the name before.
        topic_page = client.get(f"/topics/{w.topic.id}").get_data(as_text=True)
        assert NAME in topic_page

        browser, response = close_on_the_web(app, login, me)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/closed")
        done = browser.get("/account/closed").get_data(as_text=True)
        assert "Your account is closed" in done

        user = fresh(uid)
        assert user.closed_at is not None and not user.can_log_in
        assert user.phone is None and user.email is None and user.password_hash is None
        assert user.name == pseudonym_name(pseudonym_code(uid)) and PSEUDONYM.fullmatch(
            user.name)
        assert user.name in done
        # Logged out at once, here and in every app.
        assert browser.get("/account/password").status_code == 302
        assert client.get("/api/v1/me", headers=auth(raw)).status_code == 401
        assert client.post("/login", data={"identifier": PHONE, "password": PASSWORD}
                           ).status_code == 200  # the form again: refused

        # The name is gone from the public pages, the API, the feed and the ballot list.
        public = [
            client.get(f"/topics/{w.topic.id}").get_data(as_text=True),
            client.get(f"/api/v1/topics/{w.topic.id}/comments").get_data(as_text=True),
            client.get(f"/communities/{w.community.id}/outcomes.atom").get_data(as_text=True),
            client.get(f"/votes/{w.vote.id}/ballots.csv").get_data(as_text=True),
            client.get(f"/votes/{w.vote.id}").get_data(as_text=True),
        ]
        assert user.name in public[0] and user.name in json.loads(public[1]).__repr__()
        for body in public:
            assert NAME not in body and PHONE not in body

        # What stays for the record still verifies.
        again = runner.invoke(args=["vote", "verify", str(w.vote.id)])
        assert again.exit_code == 0, again.output
        audit = runner.invoke(args=["audit", "verify"])
        assert audit.exit_code == 0, audit.output
    entry = db.session.get(AuditEntry, about_me)
    assert entry.personal is None and entry.personal_digest is not None
    for details, personal in db.session.execute(
            select(AuditEntry.details, AuditEntry.personal)):
        dumped = json.dumps([details, personal], ensure_ascii=False)
        assert NAME not in dumped and PHONE not in dumped
    closing = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.close"))
    assert closing.actor_id == uid and closing.details["tokens_revoked"] == 1


def test_what_was_under_way_stops(w, app, login):
    me = me_of(w)
    uid = me.id
    slot = w.session.starts_at
    db.session.add(Reservation(session_id=w.session.id, resident_id=uid, slot_start=slot,
                               slot_end=slot + timedelta(minutes=20), category="other",
                               matter="楼道灯坏了，张三丰 13800000001"))
    db.session.add(Follow(topic_id=w.topic.id, user_id=uid))
    factories.grant(me, w.community, Role.SECRETARY)
    db.session.commit()
    _browser, response = close_on_the_web(app, login, me)
    assert response.status_code == 302
    db.session.expire_all()
    reservation = db.session.scalar(select(Reservation).where(Reservation.resident_id == uid))
    assert reservation.cancelled_at is not None
    told = db.session.scalar(select(Notification).where(
        Notification.user_id == w.representative.id,
        Notification.kind == "studio.reservation_closed"))
    assert told is not None
    assert db.session.scalar(select(func.count()).select_from(Follow)
                             .where(Follow.user_id == uid)) == 0
    assert db.session.scalar(select(func.count()).select_from(RoleGrant)
                             .where(RoleGrant.user_id == uid)) == 0
    assert db.session.scalar(select(func.count()).select_from(Residency)
                             .where(Residency.user_id == uid)) == 0
    # The comment stays, under the pseudonym.
    assert w.comment.author_id == uid


def test_my_downloads_go_and_the_access_record_keeps_me_as_a_pseudonym(w, app, login):
    """The files of "my data" hold what closing erases: they go. Where I, as an official, saw
    a resident's phone, the record of it stays (the resident's right), under my pseudonym."""
    from consult.disclosures.models import DataView
    from consult.disclosures.service import record_shown
    from consult.mydata import service as mydata
    from consult.mydata.models import DataExport

    me = me_of(w)
    uid = me.id
    factories.grant(me, w.community, Role.SECRETARY)
    db.session.commit()
    export = mydata.request_export(me, "json")
    db.session.commit()  # the job runs at commit (JOBS_INLINE="now")
    db.session.expire_all()
    export = db.session.get(DataExport, export.id)
    path = mydata.export_dir() / export.file_path
    assert path.is_file() and NAME in path.read_text(encoding="utf-8")
    neighbour = w.residents[2]
    assert record_shown(me, {neighbour.id: {"phone"}}, endpoint="grids.show", page="grid",
                        object_ref="grid:1", community_id=w.community.id) == 1
    db.session.commit()

    _browser, response = close_on_the_web(app, login, fresh(uid))
    assert response.status_code == 302
    db.session.expire_all()
    assert not path.exists()
    assert db.session.scalar(select(func.count()).select_from(DataExport)
                             .where(DataExport.user_id == uid)) == 0
    view = db.session.scalar(select(DataView).where(DataView.subject_id == neighbour.id))
    assert view is not None and PSEUDONYM.fullmatch(view.viewer_name)


def test_a_wrong_password_is_refused_and_counts_as_a_failed_login(w, app, login):
    me = me_of(w)
    db.session.commit()
    browser, response = close_on_the_web(app, login, me, password="not my password")
    assert response.status_code == 200
    assert "The password is not right." in response.get_data(as_text=True)
    user = fresh(me.id)
    assert user.closed_at is None and user.phone == PHONE and user.failed_logins == 1
    # Without the tick the form is refused too, and nothing changes.
    response = browser.post("/account/close", data={"password": PASSWORD})
    assert response.status_code == 200 and "Tick the box" in response.get_data(as_text=True)
    assert fresh(me.id).closed_at is None


def test_five_wrong_passwords_lock_the_account(w, app, login):
    me = me_of(w)
    db.session.commit()
    browser = login(me, app.test_client())
    for _ in range(5):
        response = browser.post("/account/close", data={"password": "wrong", "understood": "y"})
    assert "locked until" in response.get_data(as_text=True)
    # Even the right password waits for the lock.
    response = browser.post("/account/close", data={"password": PASSWORD, "understood": "y"})
    assert "locked until" in response.get_data(as_text=True)
    assert fresh(me.id).closed_at is None


def test_the_phone_registers_again_as_a_new_person(w, app, client, login, caplog):
    caplog.set_level(logging.WARNING)
    me = me_of(w)
    uid = me.id
    db.session.commit()
    close_on_the_web(app, login, me)
    response = client.post("/register", data={
        "name": "新来的", "phone": PHONE, "email": "", "password": "a new secret 77",
        "confirm": "a new secret 77", **factories.consent()})
    assert response.status_code == 302
    response = client.post("/register/confirm", data={"code": code_in(caplog)})
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.phone == PHONE))
    assert new is not None and new.id != uid and new.name == "新来的"
    old = fresh(uid)
    assert old.closed_at is not None and PSEUDONYM.fullmatch(old.name)
    # The new person has nothing of the old: no home, no comment.
    assert db.session.scalar(select(func.count()).select_from(Residency)
                             .where(Residency.user_id == new.id)) == 0


def test_the_api_closes_the_account_and_every_token_dies(w, client):
    me = me_of(w)
    db.session.commit()
    phone, tablet = token(client, me, "手机"), token(client, me, "平板")
    wrong = client.delete("/api/v1/me", json={"password": "nope"}, headers=auth(phone))
    assert wrong.status_code == 403
    assert wrong.headers["Content-Type"].startswith("application/problem+json")
    problem = wrong.get_json()
    assert problem["field"] == "password" and problem["code"] == "wrong_password"
    assert fresh(me.id).failed_logins == 1 and fresh(me.id).closed_at is None
    missing = client.delete("/api/v1/me", json={}, headers=auth(phone))
    assert missing.status_code == 422
    assert client.delete("/api/v1/me", json={"password": PASSWORD},
                         headers=auth(phone)).status_code == 204
    for raw in (phone, tablet):
        assert client.get("/api/v1/me", headers=auth(raw)).status_code == 401
    assert client.post("/api/v1/tokens", json={"identifier": PHONE, "password": PASSWORD}
                       ).status_code == 401
    assert PSEUDONYM.fullmatch(fresh(me.id).name)


def test_the_pseudonym_is_stable_short_and_differs_between_people(app):
    codes = {pseudonym_code(i) for i in range(1, 200)}
    assert len(codes) > 195  # a clash is possible, and closing picks another then
    assert pseudonym_code(42) == pseudonym_code(42)
    assert all(len(c) == 4 and not set(c) & set("O0I1L") for c in codes)
    # From the app's secret: another secret gives other codes, so ids cannot be turned into
    # codes by someone without it.
    before = [pseudonym_code(i) for i in range(1, 20)]
    app.config["SECRET_KEY"] = "another secret"
    assert sum(a != b for a, b in zip(before, [pseudonym_code(i) for i in range(1, 20)])) > 15


def test_a_clash_takes_the_next_code(w, app, login):
    me, other = me_of(w), w.residents[3]
    other.pseudonym = pseudonym_code(me.id)  # as if someone had it already
    db.session.commit()
    close_on_the_web(app, login, me)
    assert fresh(me.id).pseudonym == pseudonym_code(me.id, 1)


def test_a_closed_owner_of_record_is_never_sent_an_activation_code(app):
    from consult.activation import service as activation

    c = factories.community("幸福社区")
    unit = factories.units_of(c)[0]
    owner = factories.user("业主甲", password=None, phone="13900000009")
    factories.owner(owner, unit)
    admin = factories.office_holder(c)
    owner.closed_at = utcnow()
    db.session.commit()
    issued = activation.issue(admin, activation.scope_of(c, "community"))
    assert issued.count == 0


def test_the_audit_triggers_allow_erasing_personal_data_only(w):
    entry = record("account.test_personal", w.residents[0], actor=w.residents[0],
                   personal={"phone": "13800000000"})
    db.session.commit()
    with pytest.raises(Exception):
        db.session.execute(text("UPDATE audit_entries SET details = '{}' WHERE id = :i"),
                           {"i": entry.id})
    db.session.rollback()
    with pytest.raises(Exception):
        db.session.execute(text("UPDATE audit_entries SET personal = '{\"phone\": \"1\"}' "
                                "WHERE id = :i"), {"i": entry.id})
    db.session.rollback()
    db.session.execute(text("UPDATE audit_entries SET personal = NULL WHERE id = :i"),
                       {"i": entry.id})
    db.session.commit()
    assert verify_chain().ok


def test_the_warning_page_reads_in_a_fixed_number_of_queries(w, app, login, count_queries):
    browser = login(w.residents[2], app.test_client())
    browser.get("/account/close")
    with count_queries() as n:
        assert browser.get("/account/close").status_code == 200
    assert n.count == 2, n.statements  # the logged-in user, and what the menu needs
