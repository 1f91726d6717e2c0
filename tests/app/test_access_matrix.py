"""The whole-app authorization matrix: every route and method of ``app.url_map`` (the JSON API
included, ``static`` excepted) × every persona of tests/access_world.py, with the one answer
each must get. A route without an entry in ``EXPECTED`` fails here until someone says who may
use it; an entry for a route that is gone fails too.

Answers:

* ``ok``: 2xx, or a redirect that is neither to the login page nor carrying an error message;
  a POST/PUT/DELETE must also have written something: a row more or less, or, for an entry
  that names what it ``watch``-es, a change of that (a column, or a cookie set);
* ``noop``: answered like ``ok`` but nothing written (a logged-in user posting the sign-up form);
* ``login``: a redirect to the login page; 401 with a problem document from the API;
* ``forbidden`` 403, ``not_found`` 404 (how the app hides other people's things), ``conflict``
  409, ``invalid`` 400/422 or the form shown again with its error;
* ``refused``: sent back with an error message (the topic and vote pages flash refusals).

Every answer other than ``ok`` must leave every table as it was.

"Beyond the ten personas" below runs the administration, roster, hall, studio and grid routes
for six more people of the world whose standing the ten do not show (an administrator of B on
A's objects, an account with no home and no role, a second resident of A, a second
representative of A's studio and one attached to none, a grid worker of A's second grid), the
resident on a meeting they are
already registered for, and the messages of the administration's refusals. The permission
table's object-level rules on studios and sessions are in tests/app/test_permissions.py.
"""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from consult import clock
from consult.extensions import db
from consult.privacy import rules as privacy_rules
from tests import factories
from tests.access_world import DAY, NOW, PERSONAS, Rig, changed_tables

OK, NOOP, LOGIN, FORBIDDEN, NOT_FOUND, CONFLICT, INVALID, REFUSED = (
    "ok", "noop", "login", "forbidden", "not_found", "conflict", "invalid", "refused")
REFUSALS = {LOGIN, FORBIDDEN, NOT_FOUND, CONFLICT, INVALID, REFUSED}


def answers(default: str, **cells: str) -> dict[str, str]:
    return {p: cells.get(p, default) for p in PERSONAS}


def everyone() -> dict[str, str]:
    return answers(OK)


def members(**cells) -> dict[str, str]:
    """Anyone logged in."""
    return answers(OK, visitor=LOGIN, **cells)


def only(*who: str, others: str = FORBIDDEN, visitor: str = LOGIN) -> dict[str, str]:
    return {p: OK if p in who else visitor if p == "visitor" else others for p in PERSONAS}


ADMINS = ("admin", "platform_admin")  # who administers A
OFFICE = ("secretary", *ADMINS)  # who runs A's topics, meetings and moderation
SPEAKERS = ("secretary", "representative", "admin")  # who speaks for A in its threads


@dataclass(frozen=True)
class Entry:
    answers: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)  # URL argument -> world id
    data: dict | Callable | None = None  # form or JSON that succeeds for an allowed persona
    query: str = ""
    # What a success changes when it adds or removes no row: an SQL query whose answer
    # changes, or "cookie:NAME" for a cookie the answer sets.
    watch: str | None = None


def roster_upload(values: dict, persona: str) -> dict:
    csv = factories.roster_csv(("1网格", "9栋", "0101", "80.00", "新业主", "13600000001", ""))
    return {"community": str(values["community"]), "file": (io.BytesIO(csv), "roster.csv")}


def token_request(values: dict, persona: str) -> dict:
    if persona == "visitor":  # no account: a wrong password is all a visitor can send
        return {"identifier": values["bystander_phone"], "password": "not the password"}
    return {"identifier": values["identifier"], "password": factories.PASSWORD,
            "name": "我的手机"}


PROPOSAL = {"title": "小区增设快递柜", "description": "快递经常丢失，希望增设智能快递柜。",
            "category": "property", "scope": "community:{community}"}

# (endpoint, method) -> Entry
EXPECTED: dict[tuple[str, str], Entry] = {
    # --- accounts -----------------------------------------------------------------------------
    ("accounts.login", "GET"): Entry(everyone()),
    ("accounts.login", "POST"): Entry(everyone(), data={
        "identifier": "{bystander_phone}", "password": factories.PASSWORD},
        watch="SELECT last_login_at FROM users WHERE id = {bystander}"),
    ("accounts.logout", "POST"): Entry(members(), data={},
                                       watch="SELECT session_token FROM users WHERE id = {me}"),
    ("accounts.password", "GET"): Entry(members()),
    ("accounts.password", "POST"): Entry(members(), data={
        "current_password": factories.PASSWORD, "new_password": "another secret 99",
        "confirm": "another secret 99"}),
    # Closing one's own account: anyone logged in, for themself (the session is the account).
    ("closing.close_account", "GET"): Entry(members()),
    ("closing.close_account", "POST"): Entry(members(), data={
        "password": factories.PASSWORD, "understood": "y"}),
    # Shown once after closing; anyone else is sent to the home page.
    ("closing.closed", "GET"): Entry(everyone()),
    ("accounts.register_view", "GET"): Entry(everyone()),  # logged in: sent home
    ("accounts.register_view", "POST"): Entry(answers(NOOP, visitor=OK), data={
        "name": "新居民", "phone": "13700000099", "email": "", "password": factories.PASSWORD,
        "confirm": factories.PASSWORD, **factories.consent()}),
    # Without a registration waiting for its code (the rig's sessions have none) the code page
    # sends back to the form and nothing is written: tests/accounts/test_registration.py has the rest.
    ("accounts.register_confirm", "GET"): Entry(everyone()),
    ("accounts.register_confirm", "POST"): Entry(answers(NOOP), data={"code": "123456"}),
    ("accounts.register_resend", "POST"): Entry(answers(NOOP), data={}),
    # Anyone may ask for a reset link, and anyone holding a valid link may use it.
    ("accounts.forgot_password", "GET"): Entry(everyone()),
    ("accounts.forgot_password", "POST"): Entry(everyone(), data={"identifier": "{identifier}"}),
    ("accounts.reset_password", "GET"): Entry(everyone()),
    ("accounts.reset_password", "POST"): Entry(everyone(), data={
        "password": "a brand new secret", "confirm": "a brand new secret"}),
    # With no code waiting in the session (the rig's sessions have none) the code page sends
    # back to the form and nothing is written: tests/accounts/test_phone_codes.py has the rest.
    ("accounts.reset_with_code", "GET"): Entry(everyone()),
    ("accounts.reset_with_code", "POST"): Entry(answers(NOOP), data={
        "code": "123456", "password": "a brand new secret", "confirm": "a brand new secret"}),
    # Anyone logged in may change their phone number: the code goes to the new number.
    ("accounts.change_phone", "GET"): Entry(members()),
    ("accounts.change_phone", "POST"): Entry(members(), data={
        "phone": "13700000098", "password": factories.PASSWORD}),
    ("accounts.confirm_phone", "GET"): Entry(members()),
    ("accounts.confirm_phone", "POST"): Entry(answers(NOOP, visitor=LOGIN),
                                              data={"code": "123456"}),
    # --- messages: my settings, the unsubscribe link, the administrators' failures page -----
    ("messages.preferences", "GET"): Entry(members()),
    ("messages.preferences", "POST"): Entry(members(), data={
        "mode_votes": "immediate", "mode_closing": "immediate", "mode_my_ballot": "immediate",
        "mode_appointments": "inapp", "mode_verification": "immediate",
        "mode_replies": "digest", "mode_followed": "digest", "mode_work": "digest",
        "channel": "email", "quiet_start": "22", "quiet_end": "7"}),
    # The link's signed token is the key (anyone holding the e-mail may use it).
    ("messages.unsubscribe_page", "GET"): Entry(everyone(), args={"token": "unsubscribe_token"}),
    ("messages.unsubscribe", "POST"): Entry(everyone(), args={"token": "unsubscribe_token"},
                                            data={}),
    ("messages.failures", "GET"): Entry(only("platform_admin")),
    ("messages.retry_message", "POST"): Entry(only("platform_admin"),
                                              args={"message_id": "failed_message"}, data={},
                                              watch="SELECT status FROM outbox_messages "
                                                    "WHERE id = {failed_message}"),
    ("messages.retry_job", "POST"): Entry(only("platform_admin"),
                                          args={"failure_id": "failed_job"}, data={},
                                          watch="SELECT resolved_at FROM job_failures "
                                                "WHERE id = {failed_job}"),
    # --- activation of roster owners (codes issued by A's office; the owner activates) -------
    # (grid workers for their grid only: tests/activation/test_activation_grid_workers.py)
    ("activation.overview", "GET"): Entry(only(*OFFICE, "grid_worker")),
    ("activation.issue", "POST"): Entry(only(*OFFICE, "grid_worker"),
                                        data={"scope": "grid:{grid}", "channel": "letter"}),
    ("activation.activate", "GET"): Entry(everyone()),  # logged in: sent home
    ("activation.activate_code", "GET"): Entry(everyone(), args={"code": "activation_code"}),
    ("activation.activate_post", "POST"): Entry(answers(NOOP, visitor=OK), data={
        "identifier": "{roster_owner_phone}", "code": "{activation_code}",
        "password": "a brand new secret", "confirm": "a brand new secret",
        **factories.consent()}),
    # --- the privacy notice: read by anyone; agreeing needs an account. Every persona has agreed
    # to the version in force, so agreeing again writes nothing (tests/privacy has the rest).
    ("privacy.notice", "GET"): Entry(everyone()),
    ("privacy.notice_version", "GET"): Entry(everyone()),
    ("privacy.agree", "GET"): Entry(members()),
    ("privacy.agree_post", "POST"): Entry(answers(NOOP, visitor=LOGIN), data={
        "privacy_version": privacy_rules.current().id}),
    # --- administration (admins of A; creating communities is for platform admins) -------------
    ("admin.index", "GET"): Entry(only(*ADMINS)),
    ("admin.create_community", "GET"): Entry(only("platform_admin")),
    ("admin.create_community", "POST"): Entry(only("platform_admin"), data={
        "name": "新社区", "cosign_threshold": "10"}),
    ("admin.community", "GET"): Entry(only(*ADMINS)),
    ("admin.community", "POST"): Entry(only(*ADMINS), data={
        "community-name": "改名社区", "community-cosign_threshold": "3"}),
    ("admin.vote_settings", "POST"): Entry(only(*ADMINS), data={
        "votes-vote_notice_days": "20", "votes-vote_min_open_days": "10"}),
    ("admin.add_grid", "POST"): Entry(only(*ADMINS), data={"grid-name": "新网格"}),
    ("admin.grid", "GET"): Entry(only(*ADMINS)),
    ("admin.grid", "POST"): Entry(only(*ADMINS), data={"name": "改名网格"}),
    ("admin.delete_grid", "POST"): Entry(only(*ADMINS), data={}),
    ("admin.add_building", "POST"): Entry(only(*ADMINS), data={
        "building-grid": "{grid}", "building-name": "新楼"}),
    ("admin.building", "GET"): Entry(only(*ADMINS)),
    ("admin.building", "POST"): Entry(only(*ADMINS), data={"building-name": "改名楼"}),
    ("admin.delete_building", "POST"): Entry(only(*ADMINS), data={}),
    ("admin.add_unit", "POST"): Entry(only(*ADMINS), data={
        "unit-number": "9901", "unit-area_m2": "66.5"}),
    ("admin.unit", "GET"): Entry(only(*ADMINS)),
    ("admin.unit", "POST"): Entry(only(*ADMINS), data={"number": "0199", "area_m2": "70"}),
    ("admin.delete_unit", "POST"): Entry(only(*ADMINS), data={}),
    ("admin.roles", "GET"): Entry(only(*ADMINS)),
    ("admin.roles", "POST"): Entry(only(*ADMINS), data={
        "identifier": "{bystander_phone}", "role": "representative"}),
    ("admin.revoke", "POST"): Entry(only(*ADMINS), data={}),
    ("roster.upload", "GET"): Entry(only(*ADMINS)),
    ("roster.upload", "POST"): Entry(only(*ADMINS), data=roster_upload),
    # --- main ---------------------------------------------------------------------------------
    ("main.home", "GET"): Entry(everyone()),
    ("main.healthz", "GET"): Entry(everyone()),
    ("main.readyz", "GET"): Entry(everyone()),
    ("main.me", "GET"): Entry(everyone()),  # 我的: a visitor is offered to log in
    ("main.manifest", "GET"): Entry(everyone()),
    ("main.set_language", "POST"): Entry(everyone(), data={"lang": "zh_Hans"},
                                         watch="cookie:lang"),
    ("main.set_text_size", "POST"): Entry(everyone(), data={"size": "large"},
                                          watch="cookie:text_size"),
    # --- community and residency --------------------------------------------------------------
    ("community.community", "GET"): Entry(everyone()),
    ("community.my_residency", "GET"): Entry(members()),
    ("community.my_residency", "POST"): Entry(
        members(), query="?community={community}&building={building}",
        data={"unit": "{empty_unit}", "relation": "tenant"}),
    ("community.verifications", "GET"): Entry(only("other_secretary", *OFFICE)),
    # The pending claim is an owner's on a home with nobody on the roster: verifying it
    # needs a written reason.
    ("community.decide_residency", "POST"): Entry(
        only(*OFFICE), data={"decision": "verify", "reason": "房产证原件已在办公室当面核对"}),
    # --- notifications and devices ------------------------------------------------------------
    ("notifications.index", "GET"): Entry(members()),
    ("notifications.open_one", "POST"): Entry(
        only("resident", others=NOT_FOUND), data={},
        watch="SELECT read_at FROM notifications WHERE id = {notification}"),
    ("notifications.read_all", "POST"): Entry(members(), data={}, watch=(
        "SELECT count(*) FROM notifications WHERE user_id = {me} AND read_at IS NULL")),
    # "My data": everyone logged in sees their own; a download is its owner's only.
    ("mydata.index", "GET"): Entry(members()),
    ("mydata.full", "GET"): Entry(members(), args={"key": "mydata_section"}),
    ("mydata.ask_export", "POST"): Entry(members(), data={"format": "csv"}),
    ("mydata.exports_status", "GET"): Entry(members()),
    ("mydata.download", "GET"): Entry(only("resident", others=NOT_FOUND),
                                      args={"export_id": "data_export"}),
    ("devices.devices", "GET"): Entry(members()),
    ("devices.revoke_device", "POST"): Entry(only("resident", others=NOT_FOUND), data={}),
    ("devices.log_out_every_device", "POST"): Entry(members(), data={},
                                                    watch="SELECT session_token FROM users "
                                                          "WHERE id = {me}"),
    # --- topics -------------------------------------------------------------------------------
    ("topics.index", "GET"): Entry(everyone()),
    ("topics.show", "GET"): Entry(everyone(), args={"topic_id": "t_open"}),
    # A resident of B may propose in B: the page is theirs, the scope of A is not.
    ("topics.new", "GET"): Entry(only("resident", "outsider")),
    ("topics.new", "POST"): Entry(answers(FORBIDDEN, visitor=LOGIN, resident=OK,
                                          outsider=INVALID),
                                  data={**PROPOSAL, "action": "save"}),
    ("topics.edit", "GET"): Entry(only("resident", others=NOT_FOUND),
                                  args={"topic_id": "t_draft"}),
    ("topics.edit", "POST"): Entry(only("resident", others=NOT_FOUND),
                                   args={"topic_id": "t_draft"},
                                   data={**PROPOSAL, "action": "save"},
                                   watch="SELECT title FROM topics WHERE id = {t_draft}"),
    ("topics.submit", "POST"): Entry(only("resident", others=NOT_FOUND),
                                     args={"topic_id": "t_draft"}, data={}),
    ("topics.cosign", "POST"): Entry(only("resident", others=REFUSED),
                                     args={"topic_id": "t_proposed"}, data={}),
    ("topics.withdraw", "POST"): Entry(only("resident", others=REFUSED),
                                       args={"topic_id": "t_mine"}, data={}),
    ("topics.accept", "POST"): Entry(only(*OFFICE, others=REFUSED),
                                     args={"topic_id": "t_review"}, data={"days": "7"}),
    ("topics.reject", "POST"): Entry(only(*OFFICE, others=REFUSED),
                                     args={"topic_id": "t_review"},
                                     data={"reason": "不属于社区事务"}),
    ("topics.deliberate", "POST"): Entry(only(*OFFICE, others=REFUSED),
                                         args={"topic_id": "t_ended"}, data={}),
    ("topics.close_comments", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_open"},
                                             data={"close-reason": "意见已经充分"}),
    ("topics.extend_comments", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_open"},
                                              # t_open's comments close 2026-12-10 10:00
                                              data={"extend-day": "2026-12-12",
                                                    "extend-time": "20:00",
                                                    "extend-reason": "居民要求延长"}),
    ("topics.follow", "POST"): Entry(members(), args={"topic_id": "t_open"}, data={}),
    ("topics.from_reception", "POST"): Entry(only("representative", others=REFUSED),
                                             data={"proposer": "representative"}),
    # --- comments (a refusal is 403 even for a visitor: the htmx forms show its message) -------
    # A's secretary, representative and administrator speak in A's topics without a home
    ("comments.create", "POST"): Entry(only("resident", *SPEAKERS, visitor=FORBIDDEN),
                                       args={"topic_id": "t_open"},
                                       data={"body": "同意限制音量。"}),
    ("comments.show", "GET"): Entry(everyone(), args={"comment_id": "c_neighbour"}),
    ("comments.edit", "GET"): Entry(only("resident", visitor=FORBIDDEN),
                                    args={"comment_id": "c_mine"}),
    ("comments.edit", "POST"): Entry(only("resident", visitor=FORBIDDEN),
                                     args={"comment_id": "c_mine"},
                                     data={"body": "音量应该限制在晚上八点半以前。"}),
    ("comments.withdraw", "POST"): Entry(only("resident", visitor=FORBIDDEN),
                                         args={"comment_id": "c_mine"}, data={}),
    ("comments.react", "POST"): Entry(only("resident", visitor=FORBIDDEN),
                                      args={"comment_id": "c_neighbour"},
                                      data={"value": "agree"}),
    ("comments.report", "POST"): Entry(only("resident", visitor=FORBIDDEN),
                                       args={"comment_id": "c_neighbour"},
                                       data={"reason": "不文明"}),
    ("comments.hide", "POST"): Entry(only(*OFFICE, visitor=FORBIDDEN),
                                     args={"comment_id": "c_neighbour"},
                                     data={"reason": "人身攻击"}),
    ("comments.restore", "POST"): Entry(only(*OFFICE, visitor=FORBIDDEN),
                                        args={"comment_id": "c_hidden"}, data={}),
    ("comments.dismiss", "POST"): Entry(only(*OFFICE, visitor=FORBIDDEN),
                                        args={"comment_id": "c_reported"}, data={}),
    ("comments.moderation", "GET"): Entry(only("other_secretary", *OFFICE)),
    # the official's desk: anyone holding an office somewhere (a grid worker holds none)
    ("desk.index", "GET"): Entry(only("other_secretary", "representative", *OFFICE)),
    # --- halls, meetings and minutes ----------------------------------------------------------
    ("halls.community_halls", "GET"): Entry(everyone()),
    ("halls.community_calendar", "GET"): Entry(everyone()),
    ("halls.hall", "GET"): Entry(everyone()),
    ("halls.hall_calendar", "GET"): Entry(everyone()),
    ("halls.meeting", "GET"): Entry(everyone(), args={"meeting_id": "m_upcoming"}),
    ("halls.minutes", "GET"): Entry(everyone(), args={"meeting_id": "m_done"}),
    ("halls.print_minutes", "GET"): Entry(everyone(), args={"meeting_id": "m_done"}),
    ("halls.minutes_revision", "GET"): Entry(everyone(), args={"meeting_id": "m_done"}),
    ("halls.new_hall", "GET"): Entry(only(*ADMINS)),
    ("halls.new_hall", "POST"): Entry(only(*ADMINS), data={"name": "二号议事厅",
                                                           "capacity": "20"}),
    ("halls.edit_hall", "GET"): Entry(only(*ADMINS)),
    ("halls.edit_hall", "POST"): Entry(only(*ADMINS), data={"name": "改名议事厅",
                                                            "capacity": "20"}),
    ("halls.schedule", "GET"): Entry(only(*OFFICE)),
    ("halls.schedule", "POST"): Entry(only(*OFFICE), data={
        "hall": "{hall}", "title": "新会议", "day": "2026-12-05", "start": "09:00",
        "end": "10:00", "topics": "{t_ended}"}),
    ("halls.reschedule", "GET"): Entry(only(*OFFICE), args={"meeting_id": "m_upcoming"}),
    ("halls.reschedule", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_upcoming"},
                                        data={"hall": "{hall}", "title": "改期",
                                              "day": "2026-12-06", "start": "09:00",
                                              "end": "10:00"}),
    ("halls.cancel", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_upcoming"},
                                    data={"reason": "场地维修"}),
    ("halls.register", "POST"): Entry(only("resident"), args={"meeting_id": "m_upcoming"},
                                      data={}),
    # Only one's own registration can be given up: others are told they are not registered.
    ("halls.unregister", "POST"): Entry(only("resident", others=CONFLICT),
                                        args={"meeting_id": "m_registered"}, data={}),
    ("halls.edit_minutes", "GET"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"}),
    ("halls.edit_minutes", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"},
                                          data={"present_count": "9", "residents_count": "7",
                                                "action": "save"}),
    ("halls.resolution_fields", "GET"): Entry(
        only(*OFFICE), args={"meeting_id": "m_draft", "topic_id": "t_agenda"},
        query="?res-{t_agenda}-kind=no_action"),
    ("halls.preview_minutes", "GET"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"}),
    ("halls.publish_minutes", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"},
                                             data={}),
    ("halls.correct_minutes", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_done"},
                                             data={"note": "更正出席人数"}),
    # --- votes --------------------------------------------------------------------------------
    ("votes.open_vote", "GET"): Entry(only(*OFFICE), args={"topic_id": "t_to_vote"}),
    ("votes.open_vote", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_to_vote"}, data={
        "question": "是否同意绿化带改造？", "kind": "yes_no", "electorate": "residents",
        "scope": "community:{community}", "rule": "simple_majority",
        "opens_at": "2026-11-30T10:00", "closes_at": "2026-12-07T10:00"}),
    ("votes.show", "GET"): Entry(everyone(), args={"vote_id": "v_voting"}),
    ("votes.preparing", "GET"): Entry(everyone(), args={"vote_id": "v_voting"}),
    ("votes.cast", "POST"): Entry(only("resident", others=REFUSED),
                                  args={"vote_id": "v_voting"}, data={"option": "agree"}),
    ("votes.receipt", "GET"): Entry(everyone(), args={"vote_id": "v_voting"}),
    ("votes.result_csv", "GET"): Entry(everyone(), args={"vote_id": "v_voted"}),
    ("votes.cancel", "GET"): Entry(only(*OFFICE), args={"vote_id": "v_voting"}),
    ("votes.cancel", "POST"): Entry(only(*OFFICE), args={"vote_id": "v_voting"},
                                    data={"reason": "问题表述有误，撤销后重新公告表决。"}),
    ("votes.ballots_csv", "GET"): Entry(everyone(), args={"vote_id": "v_voted"}),
    # paper ballots (书面表决票): the desk, printing and entering are for grid workers of the
    # elector's grid and the secretaries; resolving disagreements and photos for secretaries.
    ("votes.paper_desk", "GET"): Entry(only("grid_worker", *OFFICE), args={"vote_id": "v_voting"}),
    ("votes.paper_print", "POST"): Entry(only("grid_worker", *OFFICE),
                                         args={"vote_id": "v_voting"},
                                         data={"building": "{paper_building}"}),
    ("votes.paper_sheets", "GET"): Entry(only("grid_worker", *OFFICE),
                                         args={"vote_id": "v_voting"},
                                         query="?building={paper_building}"),
    ("votes.paper_enter", "POST"): Entry(only("grid_worker", *OFFICE),
                                         args={"vote_id": "v_voting"},
                                         data={"serial": "{paper_serial}", "option": "agree"}),
    ("votes.paper_resolve", "GET"): Entry(only(*OFFICE), args={
        "vote_id": "v_voting", "paper_id": "p_disputed"}),
    ("votes.paper_resolve", "POST"): Entry(only(*OFFICE), args={
        "vote_id": "v_voting", "paper_id": "p_disputed"}, data={"option": "agree"}),
    ("votes.paper_photo", "GET"): Entry(only(*OFFICE), args={"entry_id": "paper_photo"}),
    # proxies (委托投票) in the open residents' vote: the resident (an elector) authorises; the
    # outsider is named (by phone) in the neighbour's request (p_pending) and in a paper form
    # for the resident's vote (p_active); secretaries record paper ones and read their scans.
    ("vote_proxies.grant", "POST"): Entry(only("resident"), args={"vote_id": "v_voting"},
                                          data={"name": "代理人", "phone": "13700000088"}),
    ("vote_proxies.accept", "POST"): Entry(only("outsider"), args={
        "vote_id": "v_voting", "proxy_id": "p_pending"}, data={}),
    ("vote_proxies.revoke", "POST"): Entry(only("resident", *OFFICE), args={
        "vote_id": "v_voting", "proxy_id": "p_active"}, data={}),
    ("vote_proxies.cast", "POST"): Entry(only("outsider"), args={
        "vote_id": "v_voting", "proxy_id": "p_active"}, data={"option": "agree"}),
    ("vote_proxies.paper", "GET"): Entry(only(*OFFICE), args={"vote_id": "v_voting"}),
    ("vote_proxies.paper", "POST"): Entry(only(*OFFICE), args={"vote_id": "v_voting"}, data={
        "elector": "{e_neighbour2}", "name": "代理人", "phone": "13700000088",
        "reference": "委托书 002"}),
    ("vote_proxies.scan", "GET"): Entry(only(*OFFICE), args={"vote_id": "v_voting",
                                                             "proxy_id": "p_active"}),
    # --- outcomes -----------------------------------------------------------------------------
    ("outcomes.publish", "GET"): Entry(only(*OFFICE), args={"topic_id": "t_voted"}),
    ("outcomes.publish", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_voted"}, data={
        "decision": "同意更换大门。", "days": "7", "act": "act"}),
    ("outcomes.extend_publicity", "POST"): Entry(
        only(*OFFICE), args={"topic_id": "t_publicised"},
        # its window ends 2026-12-06 10:00
        data={"publicity-day": "2026-12-08", "publicity-time": "20:00",
              "publicity-reason": "居民要求延长"}),
    ("outcomes.object_", "POST"): Entry(only("resident"), args={"topic_id": "t_publicised"},
                                        data={"objection": "不同意，预算太高。"}),
    ("outcomes.answer", "POST"): Entry(only(*OFFICE), data={
        "o{objection}-answer": "施工期已压缩到两周。"}),
    ("outcomes.plan", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_implementing"},
                                     data={"responsible": "物业服务中心",
                                           "target_date": "2026-12-31"}),
    ("outcomes.progress", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_implementing"},
                                         data={"progress": "已采购材料", "percent": "40"}),
    ("outcomes.done", "POST"): Entry(only(*OFFICE, others=REFUSED),
                                     args={"topic_id": "t_implementing"},
                                     data={"note": "完工"}),
    ("outcomes.rate", "POST"): Entry(only("resident"), args={"topic_id": "t_done"},
                                     data={"stars": "4", "comment": "不错"}),
    ("outcomes.board", "GET"): Entry(everyone()),
    ("outcomes.feed", "GET"): Entry(everyone()),
    ("outcomes.dashboard", "GET"): Entry(everyone()),
    # --- studios ------------------------------------------------------------------------------
    ("studios.index", "GET"): Entry(everyone()),
    ("studios.studio", "GET"): Entry(everyone()),
    ("studios.studio_calendar", "GET"): Entry(everyone()),
    ("studios.representative", "GET"): Entry(everyone()),
    ("studios.representative_calendar", "GET"): Entry(everyone()),
    ("studios.session", "GET"): Entry(everyone(), args={"session_id": "s_open"}),
    ("studios.my_reservations", "GET"): Entry(members()),
    ("studios.my_sessions", "GET"): Entry(members()),
    ("studios.reserve", "POST"): Entry(only("resident"), args={"session_id": "s_open"}, data={
        "slot": "{free_slot}", "category": "other", "matter": "楼道灯坏了"}),
    # Another resident's reservation does not exist for you.
    ("studios.cancel_reservation", "POST"): Entry(only("resident", others=NOT_FOUND),
                                                  data={}),
    ("studios.cancel_session", "POST"): Entry(only("representative", *ADMINS),
                                              args={"session_id": "s_open"},
                                              data={"reason": "参加区人大会议"}),
    ("studios.record", "GET"): Entry(only("representative"),
                                     args={"session_id": "s_past", "reservation_id": "r_waiting"}),
    ("studios.record", "POST"): Entry(only("representative"),
                                      args={"session_id": "s_past",
                                            "reservation_id": "r_waiting"},
                                      data={"attendance": "no_show"}),
    # The matter raised at a reception, followed by the representative holding the session.
    ("studios.matter_handling", "POST"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={}, watch="SELECT matter_status FROM reception_records WHERE id = "
                       "{reception_record}"),
    ("studios.matter_due", "POST"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={"due_on": "2026-12-14"},
        watch="SELECT due_on FROM reception_records WHERE id = {reception_record}"),
    ("studios.matter_answer", "POST"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={"answer": "物业已修好路灯"},
        watch="SELECT answer FROM reception_records WHERE id = {reception_record}"),
    # ... and rated by the resident who raised it: another's does not exist for you.
    ("studios.rate_matter", "POST"): Entry(
        only("resident", others=NOT_FOUND), args={"reservation_id": "r_answered"},
        data={"rating": "4"},
        watch="SELECT rating FROM reception_records WHERE reservation_id = {r_answered}"),
    ("studios.book", "GET"): Entry(only("representative")),
    ("studios.book", "POST"): Entry(only("representative"), data={
        "room": "{room2}", "day": "2026-12-03", "start": "09:00", "end": "10:00",
        "slot_minutes": "20", "weeks": "1"}),
    ("studios.admin_studios", "GET"): Entry(only(*ADMINS)),
    ("studios.admin_studios", "POST"): Entry(only(*ADMINS), data={
        "kind": "liaison", "name": "代表联络站", "address": "东风街道1号"}),
    ("studios.admin_studio", "GET"): Entry(only(*ADMINS)),
    ("studios.admin_studio", "POST"): Entry(only(*ADMINS), data={
        "studio-kind": "cppcc", "studio-name": "改名工作室", "studio-address": "新地址"}),
    ("studios.admin_add_room", "POST"): Entry(only(*ADMINS), data={"room-name": "接待室三"}),
    ("studios.admin_delete_room", "POST"): Entry(only(*ADMINS), data={}),
    ("studios.admin_add_hours", "POST"): Entry(only(*ADMINS), data={
        "hours-weekday": "6", "hours-opens": "21:00", "hours-closes": "22:00"}),
    ("studios.admin_delete_hours", "POST"): Entry(only(*ADMINS), data={}),
    ("studios.admin_attach", "POST"): Entry(only(*ADMINS),
                                            data={"attach-user": "{unattached_rep}"}),
    ("studios.admin_detach", "POST"): Entry(only(*ADMINS), data={}),
    ("studios.admin_profile", "GET"): Entry(only(*ADMINS)),
    ("studios.admin_profile", "POST"): Entry(only(*ADMINS), data={
        "body": "district_cppcc", "area_served": "第二选区", "bio": ""}),
    # --- grid workers (网格员): A's first grid; the resident consented to its grid workers -------
    ("grids.index", "GET"): Entry(members()),
    # --- who saw what (查阅记录): my record, the administrators' export --------------------
    ("disclosures.views_of_me", "GET"): Entry(members()),
    ("disclosures.export_page", "GET"): Entry(only(*ADMINS)),
    ("disclosures.export_csv", "GET"): Entry(only(*ADMINS),
                                             query="?start=2026-11-01&end=2026-12-31"),
    ("grids.show", "GET"): Entry(only("grid_worker", *OFFICE), args={"grid_id": "grid"}),
    ("grids.not_voted_csv", "GET"): Entry(only("grid_worker", *OFFICE), args={
        "grid_id": "grid", "vote_id": "v_voting"}),
    ("grids.resident", "GET"): Entry(only("grid_worker"), args={
        "grid_id": "grid", "user_id": "resident_user"}),
    ("grids.record_consent", "POST"): Entry(only("grid_worker"), args={
        "grid_id": "grid", "user_id": "resident_user"}, data={
        "scope": "vote", "last_day": "2026-12-30", "evidence": "签字表第3号"}),
    ("grids.vote_for", "POST"): Entry(only("grid_worker"), args={
        "grid_id": "grid", "user_id": "resident_user"}, data={
        "vote": "{v_voting}", "option": "agree"}),
    ("grids.comment_for", "POST"): Entry(only("grid_worker"), args={
        "grid_id": "grid", "user_id": "resident_user"}, data={
        "topic": "{t_open}", "body": "网格员代为发表：同意限制音量。"}),
    # Only a verified resident gives consent, for the grid they live in; only they revoke it.
    ("grids.assistance", "GET"): Entry(members()),
    ("grids.assistance", "POST"): Entry(only("resident"), data={
        "grid": "{grid}", "scope": "vote_comment", "last_day": "2026-12-30"}),
    ("grids.revoke", "POST"): Entry(only("resident", others=NOT_FOUND),
                                    args={"consent_id": "consent"}, data={}),
    # --- the JSON API: a bearer token per persona, none for the visitor ----------------------
    ("api.openapi_json", "GET"): Entry(everyone()),
    ("api.docs_page", "GET"): Entry(everyone()),
    ("api.communities", "GET"): Entry(everyone()),
    ("api.community_meetings", "GET"): Entry(everyone()),
    ("api.community_outcomes", "GET"): Entry(everyone()),
    ("api.topics", "GET"): Entry(everyone()),
    ("api.topic", "GET"): Entry(everyone(), args={"topic_id": "t_open"}),
    ("api.topic_comments_list", "GET"): Entry(everyone(), args={"topic_id": "t_open"}),
    ("api.topic_outcome", "GET"): Entry(everyone(), args={"topic_id": "t_publicised"}),
    ("api.meeting", "GET"): Entry(everyone(), args={"meeting_id": "m_upcoming"}),
    ("api.meeting_minutes", "GET"): Entry(everyone(), args={"meeting_id": "m_done"}),
    ("api.vote", "GET"): Entry(everyone(), args={"vote_id": "v_voting"}),
    ("api.vote_ballots", "GET"): Entry(everyone(), args={"vote_id": "v_voted"}),
    ("api.studios", "GET"): Entry(everyone()),
    ("api.studio", "GET"): Entry(everyone()),
    ("api.studio_sessions", "GET"): Entry(everyone()),
    ("api.studio_session", "GET"): Entry(everyone(), args={"session_id": "s_open"}),
    ("api.representative", "GET"): Entry(everyone()),
    ("api.representative_sessions", "GET"): Entry(everyone()),
    ("api.tokens_create", "POST"): Entry(members(), data=token_request),
    ("api.tokens_delete_current", "DELETE"): Entry(members()),
    # The code is the credential: a token, or none, changes nothing.
    ("api.activations_create", "POST"): Entry(everyone(), data={
        "identifier": "{roster_owner_phone}", "code": "{activation_code}",
        "password": "a brand new secret", "privacy_version": privacy_rules.current().id}),
    ("api.me", "GET"): Entry(members()),
    ("api.me_delete", "DELETE"): Entry(members(), data={"password": factories.PASSWORD}),
    ("api.privacy_notice", "GET"): Entry(everyone()),
    ("api.privacy_consent", "POST"): Entry(answers(NOOP, visitor=LOGIN), data={
        "version": privacy_rules.current().id}),
    ("api.my_reservations", "GET"): Entry(members()),
    ("api.my_message_settings", "GET"): Entry(members()),
    ("api.my_data", "GET"): Entry(members()),
    ("api.change_message_settings", "PUT"): Entry(members(), data={
        "modes": {"votes": "digest"}, "channel": "email", "quiet_start": 22, "quiet_end": 7}),
    # A resident of B holds a verified home, so the table lets them propose, but not in the
    # scope of A: 403 in the API, which keeps 422 for what breaks its document.
    ("api.propose", "POST"): Entry(answers(FORBIDDEN, visitor=LOGIN, resident=OK),
                                   data=PROPOSAL),
    ("api.cosign", "POST"): Entry(only("resident"), args={"topic_id": "t_proposed"}, data={}),
    # Withdrawing a co-signature one never gave is a conflict, whoever asks.
    ("api.withdraw_cosignature", "DELETE"): Entry(only("resident", others=CONFLICT),
                                                  args={"topic_id": "t_cosigned"}),
    ("api.comment", "POST"): Entry(only("resident", *SPEAKERS), args={"topic_id": "t_open"},
                                   data={"body": "同意限制音量。"}),
    ("api.reply", "POST"): Entry(only("resident", *SPEAKERS), args={"comment_id": "c_neighbour"},
                                 data={"body": "我也这么想。"}),
    ("api.react", "PUT"): Entry(only("resident"), args={"comment_id": "c_neighbour"},
                                data={"value": "agree"}),
    ("api.cast", "POST"): Entry(only("resident"), args={"vote_id": "v_voting"},
                                data={"option": "agree"}),
    ("api.paper_ballot", "POST"): Entry(only("grid_worker", *OFFICE),
                                        args={"vote_id": "v_voting"},
                                        data={"serial": "{paper_serial}", "option": "agree"}),
    ("api.vote_proxies", "GET"): Entry(members(), args={"vote_id": "v_voting"}),
    ("api.grant_proxy", "POST"): Entry(only("resident"), args={"vote_id": "v_voting"},
                                       data={"name": "代理人", "phone": "13700000088"}),
    ("api.revoke_proxy", "DELETE"): Entry(only("resident", *OFFICE), args={
        "vote_id": "v_voting", "proxy_id": "p_active"}),
    ("api.accept_proxy", "POST"): Entry(only("outsider"), args={
        "vote_id": "v_voting", "proxy_id": "p_pending"}),
    ("api.proxy_cast", "POST"): Entry(only("outsider"), args={
        "vote_id": "v_voting", "proxy_id": "p_active"}, data={"option": "agree"}),
    ("api.cancel_vote", "POST"): Entry(only(*OFFICE), args={"vote_id": "v_voting"},
                                       data={"reason": "问题表述有误，撤销后重新公告表决。"}),
    ("api.reserve", "POST"): Entry(only("resident"), args={"session_id": "s_open"}, data={
        "slot": "{free_slot}", "category": "other", "matter": "楼道灯坏了"}),
    ("api.cancel_reservation", "DELETE"): Entry(only("resident", others=NOT_FOUND)),
    ("api.lodge_objection", "POST"): Entry(only("resident"), args={"topic_id": "t_publicised"},
                                           data={"body": "不同意，预算太高。"}),
    ("api.rate", "PUT"): Entry(only("resident"), args={"topic_id": "t_done"},
                               data={"stars": 4, "comment": "不错"}),
    # The officials' follow-up (issue 15): as the pages, through the same services.
    ("api.outcome_draft", "GET"): Entry(only(*OFFICE), args={"topic_id": "t_voted"}),
    ("api.publish_outcome", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_voted"}, data={
        "decision": "同意更换大门。", "days": 7, "act": True}),
    ("api.extend_publicity", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_publicised"},
                                            data={"until": "2026-12-08T20:00:00+08:00",
                                                  "reason": "居民要求延长"}),
    ("api.answer_objection", "POST"): Entry(only(*OFFICE), data={"answer": "施工期已压缩到两周。"}),
    ("api.plan_implementation", "PUT"): Entry(
        only(*OFFICE), args={"topic_id": "t_implementing"},
        data={"responsible": "物业服务中心", "target_date": "2026-12-31"}),
    ("api.post_progress", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_implementing"},
                                         data={"body": "已采购材料", "percent": 40}),
    ("api.implementation_done", "POST"): Entry(only(*OFFICE),
                                               args={"topic_id": "t_implementing"},
                                               data={"note": "完工"}),
    ("api.book_sessions", "POST"): Entry(only("representative"), data=lambda values, _p: {
        "room_id": values["room2"], "day": "2026-12-03", "start": "09:00", "end": "10:00",
        "slot_minutes": 20, "weeks": 1}),
    ("api.record_reception", "PUT"): Entry(only("representative"), args={
        "session_id": "s_past", "reservation_id": "r_waiting"}, data={"attendance": "no_show"}),
    ("api.handle_matter", "POST"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={}, watch="SELECT matter_status FROM reception_records WHERE id = "
                       "{reception_record}"),
    ("api.matter_due", "PUT"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={"due_on": "2026-12-14"},
        watch="SELECT due_on FROM reception_records WHERE id = {reception_record}"),
    ("api.answer_matter", "POST"): Entry(
        only("representative"), args={"session_id": "s_past", "reservation_id": "r_attended"},
        data={"answer": "物业已修好路灯"},
        watch="SELECT answer FROM reception_records WHERE id = {reception_record}"),
    ("api.rate_matter", "PUT"): Entry(
        only("resident", others=NOT_FOUND), args={"reservation_id": "r_answered"},
        data={"rating": 4},
        watch="SELECT rating FROM reception_records WHERE reservation_id = {r_answered}"),
    ("api.my_matters", "GET"): Entry(members()),
    ("api.representative_matters", "GET"): Entry(members()),
    ("api.desk", "GET"): Entry(only("other_secretary", "representative", *OFFICE)),
    # The secretary's agenda (issue 15): the office of A, as on the pages.
    ("api.community_halls", "GET"): Entry(everyone()),
    ("api.agenda_candidates", "GET"): Entry(everyone()),
    ("api.accept_proposal", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_review"},
                                           data={"days": 7}),
    ("api.reject_proposal", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_review"},
                                           data={"reason": "不属于社区事务"}),
    ("api.comment_period", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_open"}, data={
        "action": "extend", "until": "2026-12-12T12:00:00Z", "reason": "居民要求延长"}),
    ("api.schedule_meeting", "POST"): Entry(only(*OFFICE), data=lambda v, p: {
        "hall": v["hall"], "title": "新会议", "day": "2026-12-05", "start": "09:00",
        "end": "10:00", "topics": [v["t_ended"]]}),
    ("api.reschedule_meeting", "PUT"): Entry(only(*OFFICE), args={"meeting_id": "m_upcoming"},
                                             data=lambda v, p: {
                                                 "hall": v["hall"], "title": "改期",
                                                 "day": "2026-12-06", "start": "09:00",
                                                 "end": "10:00"}),
    ("api.cancel_meeting", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_upcoming"},
                                          data={"reason": "场地维修"}),
    ("api.minutes_draft", "GET"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"}),
    ("api.save_minutes_draft", "PUT"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"},
                                             data={"present_count": 9, "residents_count": 7}),
    ("api.publish_minutes", "POST"): Entry(only(*OFFICE), args={"meeting_id": "m_draft"}),
    ("api.open_vote", "POST"): Entry(only(*OFFICE), args={"topic_id": "t_to_vote"},
                                     data=lambda v, p: {
                                         "question": "是否同意绿化带改造？",
                                         "electorate": "residents", "rule": "simple_majority",
                                         "scope": f"community:{v['community']}",
                                         "opens_at": "2026-11-30T02:00:00Z",
                                         "closes_at": "2026-12-07T02:00:00Z"}),
    # The closed vote's result is already stored (as the scheduled close did): nothing to write.
    ("api.tally_vote", "POST"): Entry(answers(FORBIDDEN, visitor=LOGIN,
                                              **{p: NOOP for p in OFFICE}),
                                      args={"vote_id": "v_voted"}),
}

# What a URL argument names when the entry does not say.
DEFAULT_ARGS = {
    "community_id": "community", "hall_id": "hall", "studio_id": "studio", "user_id": "rep",
    "grid_id": "empty_grid", "building_id": "empty_building", "unit_id": "empty_unit",
    "grant_id": "secretary_grant", "residency_id": "pending_residency",
    "notification_id": "notification", "token_id": "resident_token",
    "objection_id": "objection", "room_id": "spare_room", "hours_id": "hours",
    "attachment_id": "second_attachment", "record_id": "reception_record",
    "reservation_id": "r_mine", "session_id": "s_upcoming",
}
# the first revision of the minutes; the privacy notice's version in force
LITERAL_ARGS = {"number": 1, "version": privacy_rules.current().id}
TEXT_ARGS = {"token": "reset_token"}


def routes(app) -> dict[tuple[str, str], object]:
    return {(rule.endpoint, method): rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" for method in rule.methods - {"HEAD", "OPTIONS"}}


def build_url(rule, entry: Entry, values: dict) -> str:
    args = {}
    for name in rule.arguments:
        if name in entry.args:
            args[name] = values[entry.args[name]]
        elif name in LITERAL_ARGS:
            args[name] = LITERAL_ARGS[name]
        elif name in TEXT_ARGS:
            args[name] = values[TEXT_ARGS[name]]
        else:
            key = entry.args.get(name) or DEFAULT_ARGS.get(name)
            assert key is not None, f"{rule.endpoint}: say which object <{name}> names"
            args[name] = values[key]
    return rule.build(args)[1] + entry.query.format(**values)


def fill(data, values: dict, persona: str):
    if data is None:
        return None
    if callable(data):
        return data(values, persona)
    return {k.format(**values): v.format(**values) if isinstance(v, str) else v
            for k, v in data.items()}


def observe(response, api: bool, error_flashed: bool) -> str:
    status = response.status_code
    if api:
        if status >= 400:
            assert response.mimetype == "application/problem+json", response.get_data()
        return {401: LOGIN}.get(status) or _by_status(status)
    if 300 <= status < 400:
        if urlsplit(response.headers["Location"]).path == "/login":
            return LOGIN
        return REFUSED if error_flashed else OK
    return _by_status(status)


def _by_status(status: int) -> str:
    if 200 <= status < 300:
        return OK
    return {403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 400: INVALID,
            422: INVALID}.get(status, f"HTTP {status}")


@dataclass
class Call:
    url: str
    response: object
    wrote: list[str]  # what changed: tables whose row count moved, the watched value
    flashed: list[tuple[str, str]]  # (category, message)
    # Every INSERT, UPDATE or DELETE the request sent, committed or rolled back.
    writes: list[str] = field(default_factory=list)


WRITING_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# The one write a read may make: when an API token was last used ("My devices" shows it, so a
# person can spot a token used by someone else), at most once per token every five minutes.
# It is bookkeeping of the access, not a change of anything the request reads or shows.
TOKEN_LAST_USE = re.compile(r"^UPDATE api_tokens SET last_used_at=[^,]*? WHERE api_tokens.id = ")
# And the record of a read the law asks for (查阅记录, consult/disclosures/service.py): which
# official was shown whose phone, e-mail or not-voted status. Also bookkeeping of the access.
DATA_VIEW_RECORD = re.compile(r"^INSERT INTO data_views \(")


@contextmanager
def writes_sent(app):
    """Collect the writing statements ``app`` sends to its database inside the block."""
    sent: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if WRITING_STATEMENT.match(statement):
            folded = " ".join(statement.split())
            if not TOKEN_LAST_USE.match(folded) and not DATA_VIEW_RECORD.match(folded):
                sent.append(folded[:160])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


def call(rig, endpoint: str, method: str, persona: str, *, session: bool | None = None,
         headers: dict | None = None, csrf_token: bool | None = None,
         args: dict[str, str] | None = None, at: datetime = NOW) -> Call:
    """Send ``endpoint``'s request as ``persona`` with the entry's data, on a fresh world.
    API calls carry the persona's bearer token and no session cookie unless told otherwise.
    With ``csrf_token`` true or false, the client first opens the home page, as a browser
    would, and the form carries the CSRF token it got there, or not. ``args`` names other
    objects for the URL's arguments than the entry does."""
    rig.fresh()
    api = endpoint.startswith("api.")
    rule = routes(rig.app).get((endpoint, method))
    assert rule is not None, f"{method} {endpoint}: no such route (drop it from EXPECTED)"
    entry = EXPECTED[(endpoint, method)]
    if args:
        entry = replace(entry, args={**entry.args, **args})
    values = rig.world.values()
    person = rig.world.people.get(persona)
    values.update(identifier=person.identifier if person else values["bystander_phone"],
                  me=person.id if person else 0)
    url = build_url(rule, entry, values)
    data = fill(entry.data, values, persona)
    client = rig.client(persona, session=not api if session is None else session)
    if headers is None:
        headers = rig.bearer(persona) if api else {}
    if csrf_token is not None:
        home = client.get("/").get_data(as_text=True)
        if csrf_token:
            data = {**(data or {}), "csrf_token": re.search(
                r'name="csrf_token" value="([^"]+)"', home).group(1)}
    watch = entry.watch.format(**values) if entry.watch else None
    before = rig.counts()
    watched = rig.query(watch) if watch and not watch.startswith("cookie:") else None
    with clock.frozen(at), writes_sent(rig.app) as writes:
        if api:
            response = client.open(url, method=method, json=data, headers=headers)
        else:
            response = client.open(url, method=method, data=data, headers=headers)
    with client.session_transaction() as sess:
        flashed = sess.get("_flashes", [])
    wrote = changed_tables(before, rig.counts())
    # A success may have updated rows without changing the counts; a refusal rolled back.
    succeeded = response.status_code < 400 and not any(c == "error" for c, _ in flashed)
    rig.dirty = bool(wrote) or (method != "GET" and succeeded)
    if watched is not None and rig.query(watch) != watched:
        wrote.append(watch)
    elif watch and watch.startswith("cookie:") and any(
            h.startswith(watch[7:] + "=") for h in response.headers.getlist("Set-Cookie")):
        wrote.append(watch)
    return Call(url, response, wrote, flashed, writes)


CELLS = [(endpoint, method, persona) for (endpoint, method) in EXPECTED for persona in PERSONAS]


@pytest.fixture(scope="module")
def rig(database_template, tmp_path_factory):
    rig = Rig(database_template, tmp_path_factory.mktemp("access"))
    yield rig
    rig.close()


def test_every_route_has_an_expected_answer(rig):
    present = set(routes(rig.app))
    missing = sorted(present - set(EXPECTED))
    gone = sorted(set(EXPECTED) - present)
    assert not missing, f"say who may use {missing} in EXPECTED"
    assert not gone, f"drop {gone} from EXPECTED: no such route"


@pytest.mark.parametrize("endpoint, method, persona", CELLS)
def test_access(rig, endpoint, method, persona):
    assert_answer(rig, endpoint, method, persona, EXPECTED[(endpoint, method)].answers[persona])


def assert_answer(rig, endpoint: str, method: str, persona: str, expected: str,
                  args: dict[str, str] | None = None) -> None:
    """``persona`` gets the ``expected`` answer; a success wrote, a refusal wrote nothing."""
    c = call(rig, endpoint, method, persona, args=args)
    status = c.response.status_code
    got = observe(c.response, endpoint.startswith("api."),
                  any(category == "error" for category, _ in c.flashed))
    if got == OK and not c.wrote and expected in (INVALID, NOOP) and \
            (expected == NOOP or status == 200):
        got = expected  # NOOP; INVALID: the form shown again with its error
    cell = f"{method} {c.url} as {persona}"
    assert got == expected, f"{cell}: expected {expected}, got {status} ({got}); " \
                            f"flashed {[str(m) for _, m in c.flashed]}"
    if expected == OK and method != "GET":
        assert c.wrote, f"{cell}: answered {status} but wrote nothing"
    elif expected != OK:
        assert not c.wrote, f"{cell}: refused but wrote {c.wrote}"
    if method == "GET":
        assert not c.writes, f"{cell}: a GET sent {c.writes}"


GETS = [(endpoint, persona) for (endpoint, method) in EXPECTED if method == "GET"
        for persona in PERSONAS]


@pytest.mark.parametrize("endpoint, persona", GETS)
def test_a_get_writes_nothing_even_when_everything_is_due(rig, endpoint, persona):
    """Three weeks on, the open vote has closed and the outcome's publicity window has ended
    with nobody having looked: reading any page still writes nothing (not even a write that
    is rolled back). Closing and settling are for the scheduled commands and for writes."""
    c = call(rig, endpoint, "GET", persona, at=NOW + 21 * DAY)
    assert c.response.status_code < 500, f"GET {c.url} as {persona}: {c.response.status_code}"
    assert not c.writes, f"GET {c.url} as {persona} three weeks on sent {c.writes}"


@pytest.mark.parametrize("path, item", [("/verifications", "待认证"),
                                        ("/moderation", "跳舞的人太自私了")])
def test_a_queue_holds_only_its_readers_communities(rig, path, item):
    """The other community's secretary may open the queue, but it holds nothing of A's."""
    rig.fresh()
    with clock.frozen(NOW):
        mine = rig.client("secretary").get(path).get_data(as_text=True)
        theirs = rig.client("other_secretary").get(path).get_data(as_text=True)
    assert item in mine
    assert item not in theirs


# --- beyond the ten personas -------------------------------------------------------------------

# More people of the world (tests/access_world.py), each answered in these families of routes
# as the resident of B ("outsider") is, except where listed.
BEYOND_FAMILIES = ("admin.", "roster.", "halls.", "studios.", "grids.")
BEYOND = {
    # The administrator of B enters the administration (and the roster upload, for B), but
    # every object of A in a URL or a form is refused: community, grids, buildings, units,
    # role grants, halls, meetings, studios, rooms, hours, attachments, sessions.
    "admin_of_other": {("admin.index", "GET"): OK, ("roster.upload", "GET"): OK},
    # An account with no home and no role reads what visitors read and its own pages.
    "no_roles": {},
    # A second verified resident of A registers and reserves for themselves, but cannot give
    # up the resident's registration (not registered: 409) or cancel the resident's
    # reservation (not theirs: 404).
    "neighbour": {("halls.register", "POST"): OK, ("studios.reserve", "POST"): OK,
                  # ... and consents to the grid workers of the grid they live in (A's first)
                  ("grids.assistance", "POST"): OK},
    # A second representative attached to A's studio books sessions there, but may neither
    # cancel nor record a session another representative holds.
    "second_rep": {("studios.book", "GET"): OK, ("studios.book", "POST"): OK},
    # A representative of A attached to no studio may not book in A's studio.
    "unattached_rep": {},
    # A grid worker of A's second grid sees nothing of the first grid and acts for nobody
    # there: everything of the first grid is refused (403), as it is to the resident of B.
    "other_grid_worker": {},
}
BEYOND_CELLS = [
    pytest.param(endpoint, method, person, overrides.get(
        (endpoint, method), entry.answers["outsider"]), id=f"{endpoint}-{method}-{person}")
    for person, overrides in BEYOND.items()
    for (endpoint, method), entry in EXPECTED.items() if endpoint.startswith(BEYOND_FAMILIES)]


def test_the_people_beyond_the_ten_are_in_the_world(rig):
    assert set(BEYOND) <= set(rig.world.people) - set(PERSONAS)
    for person, overrides in BEYOND.items():
        gone = set(overrides) - set(EXPECTED)
        assert not gone, f"{person}: no such route {gone}"


@pytest.mark.parametrize("endpoint, method, person, expected", BEYOND_CELLS)
def test_access_beyond_the_ten_personas(rig, endpoint, method, person, expected):
    assert_answer(rig, endpoint, method, person, expected)


def test_registering_twice_for_a_meeting_is_a_conflict(rig):
    """The resident is already registered for m_registered: asking again writes nothing."""
    assert_answer(rig, "halls.register", "POST", "resident", CONFLICT,
                  args={"meeting_id": "m_registered"})


@pytest.mark.parametrize("person, path, message", [
    *[(p, "/admin/communities/{community}", "Only an administrator may do this.")
      for p in ("no_roles", "resident", "secretary")],
    ("admin_of_other", "/admin/communities/{community}",
     "Only an administrator of this community may do this."),
    ("admin", "/admin/communities/new", "Only a platform administrator may do this."),
])
def test_admin_refusals_say_why(rig, person, path, message):
    rig.fresh()
    with clock.frozen(NOW):
        response = rig.client(person).get(path.format(**rig.world.values()))
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
