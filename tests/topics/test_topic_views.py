"""Topic pages and forms over HTTP: list, propose, co-sign, review, refusals by role."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.topics import service
from consult.topics.models import Cosignature, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def place(app):
    c = factories.community("幸福里社区", grids=2, buildings=2, units=3)
    c.cosign_threshold = 2
    people = {
        "proposer": factories.resident(c, "王秀兰", unit=c.grids[0].buildings[0].units[0]),
        "neighbour": factories.resident(c, "李建华", unit=c.grids[0].buildings[0].units[1]),
        "neighbour2": factories.resident(c, "陈玉梅", unit=c.grids[0].buildings[0].units[2]),
        "far": factories.resident(c, "隔壁网格", unit=c.grids[1].buildings[0].units[0]),
        "pending": factories.resident(c, "待认证", unit=c.grids[0].buildings[0].units[0],
                                      status=ResidencyStatus.PENDING),
        "secretary": factories.office_holder(c, Role.SECRETARY, "秘书"),
        "representative": factories.office_holder(c, Role.REPRESENTATIVE, "代表"),
        "secretary_elsewhere": factories.office_holder(factories.community("别处"),
                                                       Role.SECRETARY, "外秘书"),
        "stranger": factories.user("路人"),
    }
    db.session.commit()
    return c, people


def make_topic(c, proposer, scope=None, title="楼道加装扶手") -> Topic:
    topic = service.save_draft(proposer, title=title, description="老人上楼不便。",
                               category="elderly_children",
                               scope_key=scope or f"grid:{c.grids[0].id}")
    service.submit(proposer, topic)
    db.session.commit()
    return topic


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_propose_form_submits_a_public_proposal(place, client, login):
    c, people = place
    login(people["proposer"])
    page = client.get("/topics/new")
    assert page.status_code == 200
    assert f"grid:{c.grids[0].id}" in page.get_data(as_text=True)
    response = client.post("/topics/new", data={
        "title": "小区东门加装无障碍坡道", "description": "轮椅进出困难。\n\n- 坡道\n- 扶手",
        "category": "elderly_children", "scope": f"community:{c.id}", "action": "submit"})
    assert response.status_code == 302
    topic = db.session.scalar(select(Topic))
    assert topic.stage == "proposed" and topic.title == "小区东门加装无障碍坡道"
    page = client.get(response.headers["Location"])
    html = text_of(page)
    assert "小区东门加装无障碍坡道" in html and "<li>坡道</li>" in html
    assert "0 of 2 co-signatures" in html


def test_a_draft_is_saved_edited_and_only_its_author_sees_it(place, client, login):
    c, people = place
    login(people["proposer"])
    response = client.post("/topics/new", data={
        "title": "垃圾分类亭搬迁", "description": "气味大", "category": "environment",
        "scope": f"community:{c.id}", "action": "draft"})
    assert response.status_code == 302
    topic = db.session.scalar(select(Topic))
    assert topic.stage == "draft"
    assert "垃圾分类亭搬迁" in text_of(client.get("/topics"))  # "your drafts"
    edit = client.post(f"/topics/{topic.id}/edit", data={
        "title": "垃圾分类亭搬到北侧", "description": "气味大，离窗太近", "category": "environment",
        "scope": f"community:{c.id}", "action": "draft"})
    assert edit.status_code == 302
    db.session.refresh(topic)
    assert topic.title == "垃圾分类亭搬到北侧"
    login(people["neighbour"])
    assert client.get(f"/topics/{topic.id}").status_code == 404
    assert client.get(f"/topics/{topic.id}/edit").status_code == 404
    assert "垃圾分类亭" not in text_of(client.get("/topics"))


@pytest.mark.parametrize("data, message", [
    ({"title": "短"}, "The title needs at least 5 characters."),
    ({"title": "标" * 81}, "The title can be at most 80 characters."),
    ({"description": ""}, "Describe the matter"),
    ({"category": ""}, "Choose a category."),
    ({"scope": "community:999999"}, "Choose where the topic applies"),
])
def test_bad_proposal_shows_the_message_and_keeps_what_was_typed(place, client, login, data,
                                                                 message):
    c, people = place
    login(people["proposer"])
    form = {"title": "楼道灯坏了很久", "description": "三楼<b>灯</b>不亮 <script>x()</script>",
            "category": "safety", "scope": f"community:{c.id}", "action": "submit", **data}
    response = client.post("/topics/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    if form["description"]:
        assert "三楼&lt;b&gt;灯&lt;/b&gt;不亮 &lt;script&gt;x()&lt;/script&gt;" in html
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 0


@pytest.mark.parametrize("who", ["pending", "stranger", "secretary"])
def test_only_verified_residents_get_the_proposal_form(place, client, login, who):
    _, people = place
    login(people[who])
    response = client.get("/topics/new")
    assert response.status_code == 403
    assert "verified" in response.get_data(as_text=True)


def test_visitors_are_sent_to_log_in(place, client):
    assert client.get("/topics/new").status_code == 302
    assert client.post("/topics/1/cosign").status_code == 302


def test_cosign_reaches_review_and_secretary_accepts(place, client, login):
    c, people = place
    topic = make_topic(c, people["proposer"])
    for who in ("neighbour", "neighbour2"):
        login(people[who])
        assert client.post(f"/topics/{topic.id}/cosign").status_code == 302
    db.session.refresh(topic)
    assert topic.stage == "in_review"
    login(people["secretary"])
    page = text_of(client.get(f"/topics/{topic.id}"))
    assert 'id="accept"' in page and 'id="reject"' in page
    client.post(f"/topics/{topic.id}/accept", data={"days": "5"})
    db.session.refresh(topic)
    assert topic.stage == "commenting"
    assert "Open for comment until" in text_of(client.get(f"/topics/{topic.id}"))


@pytest.mark.parametrize("who", ["proposer", "far", "pending", "stranger", "secretary",
                                 "representative", "secretary_elsewhere"])
def test_cosign_refusals_by_role(place, client, login, who):
    c, people = place
    topic = make_topic(c, people["proposer"])
    login(people[who])
    response = client.post(f"/topics/{topic.id}/cosign", follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Cosignature)) == 0


def test_cosigning_twice_says_so(place, client, login):
    c, people = place
    topic = make_topic(c, people["proposer"])
    login(people["neighbour"])
    client.post(f"/topics/{topic.id}/cosign")
    response = client.post(f"/topics/{topic.id}/cosign", follow_redirects=True)
    assert "You have already co-signed this proposal." in response.get_data(as_text=True)
    response = client.post(f"/topics/{topic.id}/cosign", data={"action": "withdraw"},
                           follow_redirects=True)
    assert "Your co-signature is withdrawn." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Cosignature)) == 0


def in_review(c, people) -> Topic:
    topic = make_topic(c, people["proposer"])
    for who in ("neighbour", "neighbour2"):
        service.cosign(people[who], topic)
    db.session.commit()
    return topic


@pytest.mark.parametrize("who", ["proposer", "neighbour", "representative",
                                 "secretary_elsewhere", "stranger"])
def test_review_refusals_by_role(place, client, login, who):
    c, people = place
    topic = in_review(c, people)
    login(people[who])
    assert 'id="accept"' not in client.get(f"/topics/{topic.id}").get_data(as_text=True)
    client.post(f"/topics/{topic.id}/accept", data={"days": "7"})
    client.post(f"/topics/{topic.id}/reject", data={"reason": "不行"})
    db.session.refresh(topic)
    assert topic.stage == "in_review"


def test_reject_without_reason_is_refused_then_reason_is_public(place, client, login):
    c, people = place
    topic = in_review(c, people)
    login(people["secretary"])
    response = client.post(f"/topics/{topic.id}/reject", data={"reason": ""},
                           follow_redirects=True)
    assert "Give a reason" in response.get_data(as_text=True)
    client.post(f"/topics/{topic.id}/reject", data={"reason": "属于<b>物业</b>职责"})
    client.get("/logout")
    html = client.get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "属于&lt;b&gt;物业&lt;/b&gt;职责" in html


@pytest.mark.parametrize("days", ["2", "31", "abc", ""])
def test_accept_with_a_bad_period_is_refused(place, client, login, days):
    c, people = place
    topic = in_review(c, people)
    login(people["secretary"])
    response = client.post(f"/topics/{topic.id}/accept", data={"days": days},
                           follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    db.session.refresh(topic)
    assert topic.stage == "in_review"


def test_proposer_withdraws_others_cannot(place, client, login):
    c, people = place
    topic = make_topic(c, people["proposer"])
    login(people["neighbour"])
    client.post(f"/topics/{topic.id}/withdraw", data={"reason": ""})
    db.session.refresh(topic)
    assert topic.stage == "proposed"
    login(people["proposer"])
    client.post(f"/topics/{topic.id}/withdraw", data={"reason": "已解决"})
    db.session.refresh(topic)
    assert topic.stage == "withdrawn"


def test_list_filters_search_sort_and_pages(place, client):
    c, people = place
    titles = []
    for i in range(25):
        topic = make_topic(c, people["proposer"], title=f"第{i:02d}号议题：停车位",
                           scope=f"community:{c.id}")
        titles.append(topic.title)
    special = make_topic(c, people["proposer"], title="健身器材维修", scope=f"grid:{c.grids[0].id}")
    special.category = "culture"
    service.cosign(people["neighbour"], special)
    db.session.commit()
    html = text_of(client.get("/topics"))
    assert "26 topics" in html and "Page 1 of 2" in html
    assert "健身器材维修" in text_of(client.get("/topics?q=健身"))
    assert "第00号" not in text_of(client.get("/topics?q=健身"))
    assert "1 topic" in text_of(client.get("/topics?category=culture"))
    assert "1 topic" in text_of(client.get(f"/topics?community={c.id}&area=grid:{c.grids[0].id}"))
    first = text_of(client.get("/topics?sort=cosigned")).split("topic-card", 2)[1]
    assert "健身器材维修" in first
    assert "第00号" in text_of(client.get("/topics?page=2"))
    assert client.get("/topics?page=99&stage=nonsense&sort=x").status_code == 200



def test_the_pager_says_next_page_in_chinese(place, client):
    """'Next' under the list is the next page (下一页, beside 上一页), not the next step of a
    form (下一步)."""
    c, people = place
    for i in range(25):
        make_topic(c, people["proposer"], title=f"第{i:02d}号议题", scope=f"community:{c.id}")
    client.set_cookie("lang", "zh_Hans")
    html = text_of(client.get("/topics"))
    pager = html.split('class="pager"', 1)[1].split("</nav>", 1)[0]
    assert 'rel="next"' in pager and ">下一页</a>" in pager and "下一步" not in pager

def test_search_escapes_like_wildcards(place, client):
    c, people = place
    make_topic(c, people["proposer"], title="路灯维修100%完成")
    make_topic(c, people["proposer"], title="绿化带补种计划")
    assert "0 topics" in text_of(client.get("/topics?q=_"))
    assert "1 topic" in text_of(client.get("/topics?q=100%25"))


def test_topic_list_runs_a_fixed_number_of_queries(place, client, login, count_queries):
    c, people = place
    login(people["neighbour"])
    counts = []
    for n in (3, 60):
        while db.session.scalar(select(func.count()).select_from(Topic)) < n:
            make_topic(c, people["proposer"], title=f"议题编号{n}")
        with count_queries() as counter:
            assert client.get(f"/topics?community={c.id}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 12, counts


def test_home_shows_topics_by_stage_and_new_proposals(place, client):
    c, people = place
    make_topic(c, people["proposer"], title="健身器材维修")
    html = text_of(client.get("/"))
    assert "健身器材维修" in html and "Gathering co-signatures: <strong>1</strong>" in html


def test_the_public_audit_log_does_not_name_who_reported_a_comment(place, client, login):
    from consult.topics import comments

    c, people = place
    topic = in_review(c, people)
    service.accept(people["secretary"], topic, 7)
    comment = comments.post(people["neighbour"], topic, "物业不作为！")
    comments.report(people["neighbour2"], comment, "人身攻击-举报理由")
    db.session.commit()
    html = client.get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "A resident: reported a comment to the moderators" in text_of(
        client.get(f"/topics/{topic.id}"))
    assert "人身攻击-举报理由" not in html
    assert "李建华" in html  # who commented is public
