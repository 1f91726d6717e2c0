"""Activating roster owners: the secretary issues codes (letters, or messages where a sender
exists), the owner activates with phone + code or by the letter's link, and every way a code
can fail gets one answer."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock, delivery
from consult.accounts.passwords import check_password
from consult.activation import service
from consult.activation.models import ActivationCode
from consult.audit.models import AuditEntry
from consult.community.models import Residency
from consult.privacy.rules import current as current_privacy
from consult.extensions import db
from tests.conftest import ON_POSTGRES
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}\b")
NEW_PASSWORD = "my new secret 7"
WRONG = "This code does not work"


def in_main(page: str) -> str:
    """The page's <main>: what it shows, without the header's and the tab bar's icons."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]



def codes() -> int:
    return db.session.scalar(select(func.count(ActivationCode.id)))


def audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def fresh(user):
    db.session.expire_all()
    return db.session.get(type(user), user.id)


def activate(client, code: str, identifier: str = "", password: str = NEW_PASSWORD,
             confirm: str | None = None):
    return client.post("/activate", data={"identifier": identifier, "code": code,
                                          "password": password,
                                          "confirm": password if confirm is None else confirm,
                                          "privacy": "y", "privacy_version": current_privacy().id})


def text(response) -> str:
    return response.get_data(as_text=True)


# --- issuing -----------------------------------------------------------------------------------

def test_the_secretary_issues_letters_for_the_whole_community(w, client, login):
    login(w.secretary)
    page = client.get(f"/communities/{w.community.id}/activation")
    assert page.status_code == 200 and "Issue activation codes" in text(page)
    response = client.post(f"/communities/{w.community.id}/activation",
                           data={"scope": "community", "channel": "letter"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert "cannot be shown again" in html and "stop working" in html
    # One letter per owner without an account (the resident has one), each with its own code,
    # a QR code drawn as inline SVG, the link and the homes.
    assert html.count('<article class="letter"') == len(w.owners) == 8
    assert in_main(html).count('<svg') == 8 and html.count('class="qr"') == 8
    assert "style=" not in html.split('<article class="letter"', 1)[1]  # the strict CSP
    shown = CODE.findall(html)
    assert len(set(shown)) == 8
    for code in set(shown):
        assert f"/activate/{code}" in html
    assert "1网格 1栋 0101" in html and "2网格 1栋 0201" in html  # the first owner's two homes
    assert "幸福社区" in html and "业主7" in html and "王居民" not in html
    assert 'data-print' in html  # the Print button (static/js/app.js), no inline script
    # Only fingerprints are kept.
    stored = db.session.scalars(select(ActivationCode.code_hash)).all()
    assert len(stored) == 8 and not any(c.replace("-", "") in h for c in shown for h in stored)
    entry = audit("activation.issue")[-1]
    assert entry.actor_id == w.secretary.id and entry.details["count"] == 8
    assert entry.details["channel"] == "letter" and entry.details["scope"] == "community"
    assert not any(c in str(entry.details) or c.replace("-", "") in str(entry.details)
                   for c in shown)


@pytest.mark.parametrize("key, owners", [("grid", [0, 1, 2, 3]), ("building", [0, 4, 5])])
def test_codes_for_one_grid_or_one_building(w, client, login, key, owners):
    login(w.secretary)
    scope = f"grid:{w.grids[0].id}" if key == "grid" else f"building:{w.buildings[2].id}"
    html = text(client.post(f"/communities/{w.community.id}/activation",
                            data={"scope": scope, "channel": "letter"}))
    assert html.count('<article class="letter"') == len(owners)
    for i, owner in enumerate(w.owners):
        assert (f"{owner.name}," in html) == (i in owners), owner.name
    assert codes() == len(owners)


def test_the_first_owner_is_issued_for_both_of_their_buildings(w):
    """An owner of homes in two scopes gets a letter from either, listing both homes."""
    issued = w.issue(f"building:{w.buildings[2].id}")
    letter = w.letter_of(issued, w.owners[0])
    assert letter.homes == ["1网格 1栋 0101", "2网格 1栋 0201"]


def test_a_grid_or_building_of_another_community_is_refused(w, client, login):
    login(w.secretary)
    foreign = w.other.grids[0]
    for scope in (f"grid:{foreign.id}", f"building:{foreign.buildings[0].id}", "grid:x",
                  "building:99999999999"):
        response = client.post(f"/communities/{w.community.id}/activation",
                               data={"scope": scope, "channel": "letter"})
        assert response.status_code == 200
        assert "Choose the community, one of its grids or one of its buildings" in text(response)
    assert codes() == 0 and not audit("activation.issue")


def test_the_send_channel_sends_to_phones_and_e_mails_and_prints_the_rest(w, client, login,
                                                                           caplog, app):
    app.config["SMS_PROVIDER"] = "log"  # delivery.sms_configured(): messages may be sent
    caplog.set_level(logging.WARNING)
    login(w.secretary)
    page = text(client.get(f"/communities/{w.community.id}/activation"))
    assert "Send the code by SMS or e-mail" in page
    html = text(client.post(f"/communities/{w.community.id}/activation",
                            data={"scope": "community", "channel": "message"}))
    sent = [r.getMessage() for r in caplog.records
            if r.getMessage().startswith(delivery.LOG_PREFIX + " activation to ")]
    assert len(sent) == 7  # everyone with a phone or e-mail address
    assert any(" to owner1@example.org: " in m for m in sent)
    assert any(" to 13900000000: " in m and "/activate/" in m for m in sent)
    # The owner with neither gets a letter.
    assert html.count('<article class="letter"') == 1 and "业主2," in html
    assert "7 were sent by SMS or e-mail" in html
    channels = db.session.scalars(select(ActivationCode.channel)).all()
    assert sorted(channels) == ["letter"] + ["message"] * 7
    assert audit("activation.issue")[-1].details["sent"] == 7


@pytest.mark.parametrize("env", ["development", "production"])
def test_without_a_sender_only_letters_are_offered(w, client, login, app, env):
    """Without an SMS provider (``SMS_PROVIDER`` unset) codes come on letters only, even in
    development where other messages go to the log."""
    app.config.pop("SMS_PROVIDER", None)
    app.config["ENV_NAME"] = env
    login(w.secretary)
    page = text(client.get(f"/communities/{w.community.id}/activation"))
    assert "Send the code by SMS" not in page and "cannot send text messages" in page
    response = client.post(f"/communities/{w.community.id}/activation",
                           data={"scope": "community", "channel": "message"})
    assert 'class="letter"' not in text(response) and codes() == 0


@pytest.mark.parametrize("who", ["resident", "representative", "other_secretary"])
def test_who_may_not_issue_or_see_the_counts(w, client, login, who):
    login(getattr(w, who))
    url = f"/communities/{w.community.id}/activation"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"scope": "community", "channel": "letter"}).status_code == 403
    assert codes() == 0


def test_a_visitor_is_sent_to_log_in(w, client):
    url = f"/communities/{w.community.id}/activation"
    assert "/login" in client.get(url).headers["Location"]
    assert "/login" in client.post(url, data={"scope": "community"}).headers["Location"]
    assert codes() == 0


def test_the_administrator_may_issue(w, client, login):
    login(w.admin)
    response = client.post(f"/communities/{w.community.id}/activation",
                           data={"scope": "community", "channel": "letter"})
    assert response.status_code == 200 and codes() == 8


# --- counts ------------------------------------------------------------------------------------

def counts_of(html: str, building_id: int) -> list[int]:
    row = re.search(rf'<tr id="building-{building_id}">(.*?)</tr>', html, re.S).group(1)
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row)]


def test_the_counts_per_building(w, client, login):
    w.issue(f"building:{w.buildings[1].id}")  # 业主2 and 业主3
    issued = w.issue(f"building:{w.buildings[3].id}")  # 业主6 and 业主7
    service.activate("", w.letter_of(issued, w.owners[6]).code, NEW_PASSWORD,
                     privacy_version=current_privacy().id)
    db.session.commit()
    with clock.frozen(clock.utcnow() + timedelta(days=31)):
        later = text(login(w.secretary).get(f"/communities/{w.community.id}/activation"))
    html = text(client.get(f"/communities/{w.community.id}/activation"))
    # owners, activated, codes outstanding, never activated
    assert counts_of(html, w.buildings[0].id) == [3, 1, 0, 2]  # the resident co-owns 0101
    assert counts_of(html, w.buildings[1].id) == [2, 0, 2, 0]
    assert counts_of(html, w.buildings[2].id) == [3, 0, 0, 3]  # 业主0's second home too
    assert counts_of(html, w.buildings[3].id) == [2, 1, 1, 0]
    assert counts_of(later, w.buildings[1].id) == [2, 0, 0, 2]  # expired: outstanding no more


def test_the_counts_page_runs_a_fixed_number_of_queries(w, client, login, count_queries):
    from tests.activation.conftest import roster_owner
    from tests import factories

    login(w.secretary)
    url = f"/communities/{w.community.id}/activation"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    # Ten times the owners, codes for half of them, more buildings: the same queries.
    for grid in w.grids:
        for n in range(3, 6):
            from consult.community.models import Building, Unit
            from decimal import Decimal

            building = Building(grid_id=grid.id, name=f"{n}栋")
            db.session.add(building)
            db.session.flush()
            for u in range(6):
                unit = Unit(building_id=building.id, number=f"0{u}", area_m2=Decimal("50"))
                db.session.add(unit)
                db.session.flush()
                factories.owner(roster_owner(f"新业主{grid.id}{n}{u}"), unit)
    db.session.commit()
    w.issue(f"grid:{w.grids[0].id}")
    with count_queries() as large:
        html = text(client.get(url))
    assert large.count == small.count, large.statements
    assert html.count('<tr id="building-') == 10


# --- activating --------------------------------------------------------------------------------

def test_activating_with_phone_and_code(w, client):
    issued = w.issue()
    owner = w.owners[0]
    code = w.letter_of(issued, owner).code
    typed = code.lower().replace("-", " ")  # any case, a space instead of the dash
    response = activate(client, typed, identifier="139-0000-0000")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/residency")
    owner = fresh(owner)
    assert check_password(owner.password_hash, NEW_PASSWORD)
    homes = db.session.scalars(select(Residency).where(Residency.user_id == owner.id)).all()
    assert sorted(r.unit.label for r in homes) == ["1网格 1栋 0101", "2网格 1栋 0201"]
    assert all(r.status == "verified" and r.relation == "owner" for r in homes)
    row = db.session.scalar(select(ActivationCode).where(ActivationCode.user_id == owner.id))
    assert row.used_at is not None
    page = client.get("/me/residency")  # logged in, verified
    assert page.status_code == 200 and "业主0" in text(page)
    entry = audit("account.activate")[-1]
    assert entry.actor_id == owner.id and entry.details["by"] == "identifier"
    assert code not in str(entry.details) and code.replace("-", "") not in str(entry.details)
    # From now on the phone and the password log in.
    client.post("/logout", data={})
    login = client.post("/login", data={"identifier": "13900000000", "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_activating_with_the_e_mail_address(w, client):
    issued = w.issue()
    code = w.letter_of(issued, w.owners[1]).code
    assert activate(client, code, identifier="Owner1@Example.org").status_code == 302


def test_the_letters_link_fills_in_the_code_and_writes_nothing(w, client, count_queries):
    issued = w.issue()
    letter = w.letter_of(issued, w.owners[2])  # no phone, no e-mail: the link is the way
    assert letter.link.startswith("http://127.0.0.1:5000/activate/")  # from PUBLIC_URL
    path = "/activate/" + letter.link.rsplit("/", 1)[1]
    with count_queries() as read:
        page = client.get(path)
    assert page.status_code == 200 and not any(
        s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in read.statements)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f'value="{letter.code}"' in text(page)
    assert "filled in from the link" in text(page)
    assert db.session.scalar(select(ActivationCode.used_at).where(
        ActivationCode.user_id == w.owners[2].id)) is None
    assert activate(client, letter.code).status_code == 302
    assert audit("account.activate")[-1].details["by"] == "link"


def test_a_link_with_a_malformed_code_shows_an_empty_form(w, client):
    page = client.get("/activate/not-a-code")
    assert page.status_code == 200
    assert 'value="not-a-code"' not in text(page) and "filled in from the link" not in text(page)


@pytest.mark.parametrize("how", ["wrong code", "unknown phone", "other owner's phone",
                                 "expired", "used", "reissued", "account exists"])
def test_every_code_that_does_not_work_gets_the_same_answer(w, client, how):
    issued = w.issue()
    owner = w.owners[3]
    code = w.letter_of(issued, owner).code
    phone = owner.phone
    when = clock.utcnow()
    if how == "wrong code":
        code = "ABCDE-FGHJK"
    elif how == "unknown phone":
        phone = "13711112222"
    elif how == "other owner's phone":
        phone = w.owners[4].phone
    elif how == "expired":
        when += timedelta(days=30, seconds=1)
    elif how == "used":
        assert activate(client, code, phone).status_code == 302
        client.post("/logout", data={})
    elif how == "reissued":
        w.issue(f"building:{w.buildings[1].id}")
    elif how == "account exists":
        owner.password_hash = "set by someone"
        db.session.commit()
    before = (codes(), db.session.scalar(select(func.count(Residency.id))),
              len(audit("account.activate")))
    with clock.frozen(when):
        response = activate(client, code, phone)
    assert response.status_code == 200
    assert WRONG in text(response) and "After 5 wrong tries" in text(response)
    assert 'value="' + phone + '"' in text(response)  # what was typed stays
    assert (codes(), db.session.scalar(select(func.count(Residency.id))),
            len(audit("account.activate"))) == before


def test_the_reissued_code_works_and_the_old_one_not(w, client):
    old = w.letter_of(w.issue(), w.owners[5]).code
    new = w.letter_of(w.issue(f"building:{w.buildings[2].id}"), w.owners[5]).code
    assert WRONG in text(activate(client, old, w.owners[5].phone))
    assert activate(client, new, w.owners[5].phone).status_code == 302


def test_a_code_works_until_its_thirtieth_day_ends(w, client, app):
    issued = w.issue()
    code = w.letter_of(issued, w.owners[3]).code
    with clock.frozen(clock.utcnow() + timedelta(days=29, hours=23)):
        assert activate(client, code, w.owners[3].phone).status_code == 302


def test_the_code_lifetime_is_configured(w, app):
    app.config["ACTIVATION_CODE_DAYS"] = 7
    now = clock.utcnow()
    with clock.frozen(now):
        issued = w.issue()
    assert issued.expires_at == now + timedelta(days=7)


@pytest.mark.parametrize("password, confirm, message", [
    ("short", "short", "at least 8 characters"),
    (NEW_PASSWORD, "something else", "The two passwords differ"),
])
def test_a_password_that_will_not_do_is_said_and_the_code_stays_valid(w, client, password,
                                                                       confirm, message):
    issued = w.issue()
    code = w.letter_of(issued, w.owners[3]).code
    response = activate(client, code, w.owners[3].phone, password, confirm)
    assert response.status_code == 200 and message in text(response)
    assert f'value="{code}"' in text(response)
    assert fresh(w.owners[3]).password_hash is None
    assert activate(client, code, w.owners[3].phone).status_code == 302


def test_the_service_refuses_a_short_password_too(w):
    issued = w.issue()
    from consult.refusals import Refused

    with pytest.raises(Refused) as refusal:
        service.activate("", w.letter_of(issued, w.owners[3]).code, "short",
                         privacy_version=current_privacy().id)
    assert refusal.value.field == "password"


def test_five_wrong_codes_for_one_phone_pause_it_for_fifteen_minutes(w, client):
    issued = w.issue()
    owner = w.owners[4]
    code = w.letter_of(issued, owner).code
    now = clock.utcnow()
    with clock.frozen(now):
        for _ in range(4):
            assert WRONG in text(activate(client, "ABCDE-FGHJK", owner.phone))
        fifth = text(activate(client, "ABCDE-FGHJK", "+86 " + owner.phone))  # same number
        assert "too many wrong codes" in fifth and "wait 15 minutes" in fifth
        right = text(activate(client, code, owner.phone))  # even the right code waits
        assert "wait 15 minutes" in right
        assert fresh(owner).password_hash is None
    with clock.frozen(now + timedelta(minutes=10)):
        assert "wait 5 minutes" in text(activate(client, code, owner.phone))
    with clock.frozen(now + timedelta(minutes=15, seconds=1)):
        assert activate(client, code, owner.phone).status_code == 302


def test_a_phone_not_on_the_roster_is_paused_the_same_way(w, client):
    """The pause does not tell a phone on the roster from one that is not."""
    for phone in ("13711112222", w.owners[4].phone):
        answers = [text(activate(client, "ABCDE-FGHJK", phone)) for _ in range(5)]
        assert all(WRONG in a for a in answers[:4]) and "wait 15 minutes" in answers[4]


@pytest.fixture
def limited(app):
    app.config["RATELIMIT_ENABLED"] = True
    app.config["ACTIVATION_RATE_LIMIT"] = "3 per hour"
    from consult.extensions import limiter

    limiter.init_app(app)
    limiter.reset()
    yield
    limiter.reset()


@pytest.mark.fresh_app  # the limiter is set up again on this app
def test_the_page_is_rate_limited_per_address(w, client, limited):
    for i in range(3):
        assert activate(client, "ABCDE-FGHJK", f"1371111222{i}").status_code == 200
    response = activate(client, "ABCDE-FGHJK", "13711112229")
    assert response.status_code == 429
    assert "Several activation codes were tried from this address" in text(response)
    assert client.get("/activate").status_code == 200  # reading is not limited


def test_a_pending_request_for_the_home_becomes_verified(w, client):
    from tests import factories

    owner = w.owners[3]
    owner.password_hash = None
    unit = w.buildings[1].units[1]
    db.session.add(Residency(user_id=owner.id, unit_id=unit.id, relation="tenant",
                             status="pending"))
    db.session.commit()
    issued = w.issue()
    assert activate(client, w.letter_of(issued, owner).code, owner.phone).status_code == 302
    residency = db.session.scalar(select(Residency).where(Residency.user_id == owner.id))
    assert residency.status == "verified" and residency.relation == "owner"
    assert db.session.scalar(select(func.count(Residency.id)).where(
        Residency.user_id == owner.id)) == 1
    del factories


def test_a_logged_in_person_is_sent_home(w, client, login):
    login(w.resident)
    assert client.get("/activate").status_code == 302
    assert client.post("/activate", data={}).status_code == 302


# --- the entrances -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/password/forgot", "/register"])
def test_login_reset_and_registration_point_to_activation(client, path):
    html = text(client.get(path))
    assert "Received an activation letter? Activate your account" in html
    assert 'href="/activate"' in html


def test_registering_with_a_roster_phone_points_the_owner_to_activation(w, client, caplog):
    caplog.set_level(logging.WARNING)
    client.post("/register", data={"name": "业主3", "phone": w.owners[3].phone, "email": "",
                                   "password": PASSWORD, "confirm": PASSWORD,
                                   "privacy": "y", "privacy_version": current_privacy().id})
    sent = [r.getMessage() for r in caplog.records if "registration refused" in r.getMessage()]
    assert sent and "http://127.0.0.1:5000/activate" in sent[-1]


# --- races -------------------------------------------------------------------------------------

@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="races are tested on PostgreSQL")
class TestRace:
    @pytest.fixture
    def app_config(self):
        return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 2}}

    def test_two_activations_with_one_code_at_once_make_one_account(self, app, w):
        from consult.refusals import Refused
        from tests.races import race

        for round_, owner in enumerate(w.owners[3:6]):
            code = w.letter_of(w.issue(), owner).code
            passwords = [f"racer {round_} number {i}" for i in range(3)]

            def attempt(i):
                service.activate(owner.phone, code, passwords[i],
                                 privacy_version=current_privacy().id)
                return i

            results = race(app, 3, attempt, Refused)
            won = [r for r in results if isinstance(r, int)]
            lost = [r for r in results if not isinstance(r, int)]
            assert len(won) == 1, results
            assert len(lost) == 2 and all(WRONG in m for m in lost), results
            db.session.expire_all()
            assert check_password(fresh(owner).password_hash, passwords[won[0]])
            assert db.session.scalar(select(func.count(Residency.id)).where(
                Residency.user_id == owner.id)) >= 1
            assert db.session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "account.activate",
                AuditEntry.actor_id == owner.id)) == 1


def test_the_community_page_links_the_office_to_the_activation_page(w, client, login):
    link = f'href="/communities/{w.community.id}/activation"'
    login(w.secretary)
    assert link in text(client.get(f"/communities/{w.community.id}"))
    login(w.resident)
    assert link not in text(client.get(f"/communities/{w.community.id}"))


@pytest.mark.parametrize("key", ["community", "grid", "building"])
def test_the_service_asks_the_permission_table_about_the_scope(w, key):
    """Judged on the grid or building itself, so that grid workers can be added to the rule."""
    from consult.refusals import Refused

    scope = {"community": "community", "grid": f"grid:{w.grids[1].id}",
             "building": f"building:{w.buildings[3].id}"}[key]
    for who in (w.other_secretary, w.resident, w.representative):
        with pytest.raises(Refused) as refusal:
            service.issue(who, w.scope(scope))
        assert refusal.value.forbidding
    assert codes() == 0
    assert service.issue(w.secretary, w.scope(scope)).count > 0
