"""Demo topics (示范议题) in every stage reached so far, made through the real rules with the
clock moved back, so timelines, audit entries and notifications are what real use leaves."""
from __future__ import annotations

import random
from datetime import timedelta

from consult import clock
from consult.extensions import db
from consult.permissions import forget_memberships, may
from consult.topics import comments, service

# (title, category, scope, description, stage, days ago proposed)
TOPICS = [
    ("小区东门加装无障碍坡道", "elderly_children", "community",
     "东门只有台阶，坐轮椅的老人和推婴儿车的家长进出都要绕到南门，多走将近300米。\n\n"
     "建议：\n\n- 在东门台阶旁加建一条坡度不大于1:12的坡道\n- 两侧安装扶手\n- 费用从公共收益中列支",
     "commenting", 12),
    ("夜间广场舞音量管理", "culture", "community",
     "中心广场每晚跳舞到九点半，音箱声音很大，临近的5栋、6栋住户反映影响休息和孩子学习。\n\n"
     "希望商量出大家都能接受的时间和音量。", "commenting_ended", 20),
    ("锦绣苑楼道加装扶手", "elderly_children", "grid",
     "锦绣苑三栋楼都没有电梯，楼道台阶陡，老人上下楼不安全。建议在每层楼道加装不锈钢扶手。",
     "deliberating", 30),
    ("增设电动自行车集中充电桩", "safety", "community",
     "不少住户把电动车推进楼道或从窗户拉线充电，有火灾隐患。建议在7栋北侧空地建集中充电棚，"
     "安装带计时断电的充电桩。", "in_review", 6),
    ("垃圾分类亭搬迁到北侧", "environment", "community",
     "2栋旁的垃圾分类亭离住户窗户太近，夏天气味大。建议搬到北侧围墙边。", "proposed", 3),
    ("小区内设置智能快递柜", "property", "community",
     "快递经常堆在门卫室，容易丢。建议和物业商量引进智能快递柜。", "proposed", 1),
    ("把中心绿地改成停车位", "parking", "community",
     "车越来越多，晚上回来找不到车位。建议把中心绿地改成20个停车位。", "rejected", 25),
    ("周末组织跳蚤市场", "culture", "community",
     "每月一个周末在广场办跳蚤市场，闲置物品互相交换。", "withdrawn", 15),
]
# Comments on the open topics: (text, reply to comment number or None). Reactions follow two
# camps, so the "broad support" order differs from "most liked".
COMMENTS = {
    "小区东门加装无障碍坡道": [
        ("支持！我妈妈坐轮椅，每次出门都要绕一大圈。", None),
        ("坡道会占用门口的自行车停放区，自行车放哪里？", None),
        ("可以把自行车架挪到东门内侧的空地，那里平时没人用。", 1),
        ("费用从公共收益出我同意，但要公开预算和施工单位。", None),
        ("施工期间东门会不会封闭？希望安排在白天、分段施工。", None),
        ("坡道表面要做防滑，下雨天台阶已经很滑了。", None),
    ],
    "夜间广场舞音量管理": [
        ("建议晚上八点半以后不放音乐，周末可以到九点。", None),
        ("跳舞是老人为数不多的活动，别一刀切。", None),
        ("可以用无线耳机跳“静音广场舞”，别的小区试过效果不错。", None),
        ("音箱朝向能不能改一下，别对着5栋。", None),
        ("同意改朝向，再把音量控制在60分贝以内。", 3),
    ],
}
REJECTION = ("中心绿地属于规划绿地，依法不能改变用途。停车难的问题已另行立项，"
             "将与物业商量错时共享周边单位车位。")


def seed_topics(community, residents, secretary, rng: random.Random) -> list:
    """Create the demo topics; ``residents`` are verified residents of ``community``."""
    now = clock.utcnow()
    community_key = f"community:{community.id}"
    made = []
    for index, (title, category, scope, description, stage, days_ago) in enumerate(TOPICS):
        proposer = residents[index * 3 % len(residents)]
        if scope == "grid":
            scope_key = next(s.key for s, _ in service.scopes_for(proposer)
                             if s.key.startswith("grid:"))
        else:
            scope_key = community_key
        start = now - timedelta(days=days_ago)
        with clock.frozen(start):
            topic = service.save_draft(proposer, title=title, description=description,
                                       category=category, scope_key=scope_key)
            service.submit(proposer, topic)
        made.append(topic)
        if stage == "withdrawn":
            with clock.frozen(start + timedelta(days=2)):
                service.withdraw(proposer, topic, "已和物业沟通，物业同意先试办一次。")
            continue
        eligible = [r for r in residents if r.id != proposer.id
                    and may(r, "topic.participate", topic)]
        rng.shuffle(eligible)
        wanted = {"proposed": 4 if index % 2 == 0 else 1}.get(stage, community.cosign_threshold)
        for n, who in enumerate(eligible[:wanted]):
            with clock.frozen(start + timedelta(hours=3 + 5 * n)):
                service.cosign(who, topic)
        if stage in ("proposed", "in_review"):
            continue
        reviewed_at = start + timedelta(days=2)
        with clock.frozen(reviewed_at):
            if stage == "rejected":
                service.reject(secretary, topic, REJECTION)
                continue
            period = {"commenting": 14, "commenting_ended": 7, "deliberating": 7}[stage]
            service.accept(secretary, topic, period)
        _discuss(topic, eligible + [proposer], reviewed_at, rng)
        if stage == "deliberating":
            with clock.frozen(reviewed_at + timedelta(days=8)):
                service.move_to_deliberation(secretary, topic)
    db.session.flush()
    forget_memberships()
    return made


def _discuss(topic, people, opened_at, rng: random.Random) -> None:
    """Comments (one per author, an hour apart) and agree/disagree/pass from two camps."""
    posted = []
    for n, (text, reply_to) in enumerate(COMMENTS.get(topic.title, [])):
        with clock.frozen(opened_at + timedelta(hours=2 + n)):
            parent = posted[reply_to].id if reply_to is not None else None
            posted.append(comments.post(people[n % len(people)], topic, text, parent))
    if not posted:
        return
    camp_of = {p.id: i % 2 for i, p in enumerate(people)}
    with clock.frozen(opened_at + timedelta(days=1)):
        for person in people[:24]:
            for n, comment in enumerate(posted):
                if comment.author_id == person.id or rng.random() < 0.3:
                    continue
                # Even comments please everyone; odd ones split the two camps.
                if n % 2 == 0:
                    value = "agree" if rng.random() < 0.8 else "pass"
                else:
                    value = "agree" if camp_of[person.id] == 0 else "disagree"
                comments.react(person, comment, value)
