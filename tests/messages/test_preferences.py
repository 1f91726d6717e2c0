"""My message settings (我的消息设置) and the unsubscribe link, as a person uses them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.messages import service
from consult.messages.models import MessagePreference, MessageSettings
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _checked(page: str, name: str) -> str | None:
    """The value of the ticked radio button ``name``."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def _choices(**overrides):
    data = {f"mode_{c.key}": c.default for c in service.rules.CATEGORIES}
    data.update(channel="sms", quiet_start="21", quiet_end="8")
    data.update(overrides)
    return data


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_a_visitor_is_asked_to_log_in(client):
    answer = client.get("/me/messages")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_page_shows_the_defaults_and_where_messages_go(client, login):
    person = f.user(phone="13800138001", email="li@example.org")
    db.session.commit()
    page = login(person).get("/me/messages").get_data(as_text=True)
    assert "138****8001" in page and "l***@example.org" in page
    assert "A vote of your home is announced" in page
    # The defaults: a vote at once, replies in the digest.
    assert _checked(page, "mode_votes") == "immediate"
    assert _checked(page, "mode_replies") == "digest"
    assert _checked(page, "channel") == "sms"
    assert "This site sends no SMS or e-mail yet" in page


def test_saving_choices_keeps_them(client, login):
    person = f.user(phone="13800138002")
    db.session.commit()
    c = login(person)
    token = _csrf(c.get("/me/messages").get_data(as_text=True))
    answer = c.post("/me/messages", data={**_choices(mode_replies="immediate",
                                                     mode_votes="inapp", quiet_start="22",
                                                     quiet_end="7"), "csrf_token": token})
    assert answer.status_code == 302
    assert service.modes_of(person.id)["replies"] == "immediate"
    assert service.modes_of(person.id)["votes"] == "inapp"
    settings = db.session.get(MessageSettings, person.id)
    assert (settings.quiet_start, settings.quiet_end, settings.channel) == (22, 7, "sms")
    page = c.get("/me/messages").get_data(as_text=True)
    assert "Your message settings are saved." in page


def test_a_made_up_choice_is_refused_and_nothing_is_kept(client, login):
    person = f.user(phone="13800138003")
    db.session.commit()
    c = login(person)
    token = _csrf(c.get("/me/messages").get_data(as_text=True))
    answer = c.post("/me/messages", data={**_choices(mode_votes="everything", quiet_end="99"),
                                          "csrf_token": token})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Please correct what is marked below." in page
    assert db.session.scalars(select(MessagePreference)).all() == []


def test_sms_cannot_be_chosen_without_a_phone(client, login):
    person = f.user(email="wang@example.org")
    db.session.commit()
    c = login(person)
    token = _csrf(c.get("/me/messages").get_data(as_text=True))
    answer = c.post("/me/messages", data={**_choices(channel="sms"), "csrf_token": token})
    assert answer.status_code == 200
    assert db.session.get(MessageSettings, person.id) is None


def test_a_post_without_the_form_token_is_refused(client, login):
    person = f.user(phone="13800138004")
    db.session.commit()
    answer = login(person).post("/me/messages", data=_choices())
    assert answer.status_code in (400, 403)
    assert db.session.get(MessageSettings, person.id) is None


def test_the_unsubscribe_link_asks_first_and_a_get_changes_nothing(client):
    person = f.user(email="zhao@example.org")
    db.session.commit()
    token = service.unsubscribe_token(person.id, "replies")
    page = client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "Replies and answers to you" in page and "Stop these messages" in page
    assert service.modes_of(person.id)["replies"] == "digest"


def test_one_click_unsubscribe_without_a_form_token(client):
    """RFC 8058: the mail program posts ``List-Unsubscribe=One-Click`` to the link itself."""
    person = f.user(email="zhou@example.org")
    db.session.commit()
    token = service.unsubscribe_token(person.id, "followed")
    answer = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    db.session.expire_all()
    modes = service.modes_of(person.id)
    assert modes["followed"] == "inapp" and modes["votes"] == "immediate"


def test_the_link_for_everything_stops_every_category(client):
    person = f.user(email="qian@example.org")
    db.session.commit()
    client.post(f"/unsubscribe/{service.unsubscribe_token(person.id, None)}")
    db.session.expire_all()
    assert set(service.modes_of(person.id).values()) == {"inapp"}


def test_an_altered_link_is_refused_without_harm(client):
    person = f.user(email="sun@example.org")
    db.session.commit()
    token = service.unsubscribe_token(person.id, None)
    bad = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for answer in (client.get(f"/unsubscribe/{bad}"), client.post(f"/unsubscribe/{bad}")):
        assert answer.status_code == 404
        assert "This unsubscribe link is not valid" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert service.modes_of(person.id)["votes"] == "immediate"


def test_only_administrators_see_the_failures_page(client, login):
    person = f.user()
    admin = f.user(platform_admin=True)
    db.session.commit()
    assert login(person).get("/admin/messages").status_code == 403
    assert login(admin).get("/admin/messages").status_code == 200



def _message_to(person, channel: str, address: str, status: str) -> None:
    """One message of the outbox to ``person``, committed."""
    from consult.messages.models import OutboxMessage

    db.session.flush()
    db.session.add(OutboxMessage(dedup_key=f"{channel}-{status}", user_id=person.id,
                                 channel=channel, to_address=address, purpose="vote.opened",
                                 status=status))
    db.session.commit()


def test_a_failed_message_is_sent_again_not_submitted_again_in_chinese(client, login):
    """'Send again' beside a failed SMS sends the message again (重新发送); re-submitting a
    form (重新提交) is the other meaning."""
    person = f.user(phone="13800138006")
    admin = f.user(platform_admin=True)
    _message_to(person, "sms", person.phone, "failed")
    login(admin).set_cookie("lang", "zh_Hans")
    page = client.get("/admin/messages").get_data(as_text=True)
    assert ">重新发送</button>" in page and "重新提交" not in page


def test_e_mail_as_the_way_a_message_goes_is_said_so_in_chinese(client, login):
    """'E-mail' as a way of sending (电子邮件), in the choice and in the list of messages sent,
    is not an e-mail address (电子邮箱)."""
    person = f.user(phone="13800138007", email="wang@example.org")
    _message_to(person, "email", person.email, "sent")
    login(person).set_cookie("lang", "zh_Hans")
    page = client.get("/me/messages").get_data(as_text=True)
    choice = re.search(r'<label class="choice"><input[^>]*value="email"[^>]*>([^<]*)</label>',
                       page)
    assert choice and choice.group(1).strip() == "电子邮件"
    sent = page.split('<ul class="plain">', 1)[1].split("</ul>", 1)[0]
    assert "电子邮件" in sent and "电子邮箱" not in sent


def test_the_pages_run_a_fixed_number_of_queries(client, login, count_queries):
    from consult.jobs.models import JobFailure
    from consult.messages.models import OutboxMessage

    person = f.user(phone="13800138005")
    admin = f.user(platform_admin=True)
    db.session.commit()

    def counts():
        c = login(person)
        with count_queries() as mine:
            assert c.get("/me/messages").status_code == 200
        with count_queries() as failures:
            assert login(admin).get("/admin/messages").status_code == 200
        return mine.count, failures.count

    before = counts()
    for n in range(12):
        db.session.add(OutboxMessage(dedup_key=f"q{n}", user_id=person.id, channel="sms",
                                     to_address=person.phone, purpose="vote.opened",
                                     status="failed" if n % 2 else "sent"))
        db.session.add(JobFailure(name="messages.send_due", params={}, error="busy"))
        db.session.add(MessagePreference(user_id=person.id, category=f"c{n}", mode="inapp"))
    db.session.commit()
    assert counts() == before
