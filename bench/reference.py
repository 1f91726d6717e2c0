"""CPU per logged-in page: Consult against a minimal reference view over the same data.

    .venv/bin/python bench/reference.py              # topic (1,000 comments), topic list, home
    .venv/bin/python bench/reference.py --pages      # every other main logged-in page
    .venv/bin/python bench/reference.py --profile topic   # cProfile of one Consult page
    .venv/bin/python bench/reference.py --afresh     # nothing kept between requests
    .venv/bin/python bench/reference.py --after-write   # a write before each request

Everything runs in this one process over the world of bench/world.py on SQLite (seeded under
instance/bench/ by bench/pages.py's code the first time, reused afterwards). A resident of the
world logs in through the login form; the page cache is off (PAGE_CACHE_SECONDS=0), as it is
for anyone logged in. Each page is requested through the Flask test client ``--requests``
times per run, three runs; the figure is process CPU time (``time.process_time``) per request,
SQLite's work included, as min / median / max of the runs' means.

The reference is a Flask app written here with no code of Consult's: per page one or two
hand-written SQL statements, Jinja templates compiled once, the same content and the same forms
(the reaction, report and reply forms of every comment, each with its CSRF token from
Flask-WTF), links written as text. For home it runs the same statistics Consult shows. The
ratio Consult / reference is the cost of Consult's layers over the least a page can cost.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 3.0
TARGET_OTHER_MS = 15.0


# --- the reference ---------------------------------------------------------------------------

SHELL = """<!doctype html>
<html lang="zh-Hans">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }} · 有事好商量</title>
  <link rel="stylesheet" href="/static/vendor/weui-2.6.26.min.css">
  <link rel="stylesheet" href="/static/css/site.css">
  <script src="/static/vendor/htmx-2.0.11.min.js" defer></script>
  <script src="/static/js/app.js" defer></script>
</head>
<body hx-headers='{"X-CSRFToken": "{{ csrf }}"}'>
  <header class="site-header">
    <a class="brand" href="/">有事好商量</a>
    <form method="post" action="/preferences/language" class="inline">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ path }}">
      <button type="submit" name="lang" value="en" class="link-button">English</button>
    </form>
    <form method="post" action="/preferences/text-size" class="inline">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ path }}">
      <button type="submit" name="size" value="large" class="link-button">大字</button>
    </form>
    <nav class="site-nav"><ul class="nav">
      <li><a href="/">首页</a></li><li><a href="/studios">工作室</a></li>
      <li><a href="/topics">议题</a></li><li><a href="/me/notifications">通知</a></li>
      <li><a href="/me/residency">我的住户</a></li><li><a href="/me/data">我的数据</a></li>
      <li><a href="/me/devices">我的设备</a></li><li><a href="/account/password">密码</a></li>
      <li><a href="/account/phone">手机号</a></li><li><a href="/me/messages">消息设置</a></li>
      <li><form method="post" action="/logout" class="inline">
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <button type="submit" class="link-button">退出 ({{ viewer }})</button></form></li>
    </ul></nav>
  </header>
  <main id="main">{% block content %}{% endblock %}</main>
  <footer class="site-footer"><p>众人的事情由众人商量。</p><p><a href="/privacy">隐私政策</a></p></footer>
  <nav class="tab-bar"><a href="/">首页</a><a href="/topics">议题</a><a href="/me">我的</a></nav>
</body>
</html>
"""

TOPIC = """{% extends "shell" %}
{% macro article(c) -%}
<article id="comment-{{ c.id }}" class="comment">
  <header class="comment-meta"><strong class="comment-author">{{ c.name }}</strong>
    <time datetime="{{ c.created_at }}Z">{{ c.when }}</time></header>
  <div class="comment-body">{% for p in c.paragraphs %}<p>{{ p }}</p>{% endfor %}</div>
  {% if c.author_id == viewer_id %}
  <p class="reactions reaction-summary">{% for value, label, count in c.options %}<span class="reaction-total">{{ label }} {{ count }}</span>{% endfor %}</p>
  {% else %}
  <form method="post" action="/comments/{{ c.id }}/react" class="reactions" hx-post="/comments/{{ c.id }}/react" hx-target="#comment-{{ c.id }}" hx-swap="outerHTML">
    <input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="sort" value="newest">
    <div role="group" aria-label="你对这条意见的看法" class="reaction-buttons">
    {% for value, label, count in c.options %}
      <button type="submit" name="value" value="{{ 'none' if c.mine == value else value }}" id="react-{{ c.id }}-{{ value }}" class="reaction reaction-{{ value }}" aria-pressed="{{ 'true' if c.mine == value else 'false' }}">{{ label }} <span class="reaction-count">{{ count }}</span></button>
    {% endfor %}
    </div>
  </form>
  {% endif %}
  <div class="comment-tools">
  {% if c.reported %}<span class="muted">你已举报这条意见。</span>
  {% elif c.author_id != viewer_id %}
  <details class="comment-tool report-tool"><summary>举报</summary>
    <form method="post" action="/comments/{{ c.id }}/report" class="stack" hx-post="/comments/{{ c.id }}/report" hx-target="#comment-{{ c.id }}" hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="sort" value="newest">
      <div class="field"><label for="report-{{ c.id }}-reason">这条意见有什么问题？</label>
        <textarea id="report-{{ c.id }}-reason" name="reason" rows="2" maxlength="500" required aria-describedby="report-{{ c.id }}-hint"></textarea>
        <p class="hint" id="report-{{ c.id }}-hint">只有版主能看到你的举报。</p></div>
      <button type="submit" class="button" id="report-{{ c.id }}-submit">发送给版主</button>
    </form>
  </details>
  {% endif %}
  </div>
</article>
{%- endmacro %}
{% macro comment_form(fid, parent_id=none) -%}
<form id="{{ fid }}" method="post" action="/topics/{{ topic.id }}/comments" class="comment-form stack" hx-post="/topics/{{ topic.id }}/comments" hx-target="this" hx-swap="outerHTML">
  <input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="sort" value="newest">
  {% if parent_id %}<input type="hidden" name="parent_id" value="{{ parent_id }}">{% endif %}
  <div class="field"><label for="{{ fid }}-body">{{ "你的回复" if parent_id else "你的意见" }}</label>
    <textarea id="{{ fid }}-body" name="body" rows="{{ 3 if parent_id else 5 }}" maxlength="2000" required aria-describedby="{{ fid }}-hint"></textarea>
    <p class="hint" id="{{ fid }}-hint">纯文本，最多 2000 字。所有人都能看到；请围绕议题，互相尊重。</p></div>
  <button type="submit" class="button primary" id="{{ fid }}-submit">{{ "发表回复" if parent_id else "发表意见" }}</button>
</form>
{%- endmacro %}
{% block content %}
<article class="topic">
  <header class="topic-head"><p class="meta"><span class="badge stage-{{ topic.stage }}">征求意见中</span></p>
    <h1 id="topic-title">{{ topic.title }}</h1></header>
  <section class="status-panel"><p>征求意见截至 {{ topic.until }}。</p></section>
  <div class="topic-about"><p class="meta"><span>{{ topic.community }}</span></p>
    <p class="muted">提议人 {{ topic.proposer }}</p></div>
  <section id="description-section"><h2>说明</h2><div class="prose">{{ topic.description_html|safe }}</div></section>
  <section id="comments" class="comments-section"><h2>意见 <span class="muted">({{ topic.comment_count }})</span></h2>
    {{ comment_form("new-comment") }}
    <nav class="comment-sort"><ul class="inline-list">
      <li><a href="/topics/{{ topic.id }}?sort=newest#comments" aria-current="true">最新</a></li>
      <li><a href="/topics/{{ topic.id }}?sort=oldest#comments">最早</a></li>
      <li><a href="/topics/{{ topic.id }}?sort=consensus#comments">广泛支持</a></li></ul></nav>
    <ul id="comment-list" class="comment-list">
    {% for t in threads %}
      <li class="comment-thread" id="thread-{{ t.id }}">{{ article(t) }}
        <ul class="replies" id="replies-{{ t.id }}" aria-label="回复">{% for r in t.replies %}<li>{{ article(r) }}</li>{% endfor %}</ul>
        <details class="reply-tool"><summary>回复</summary>{{ comment_form("reply-" ~ t.id, t.id) }}</details>
      </li>
    {% endfor %}
    {% if more %}<li class="comment-more"><a class="button" href="/topics/{{ topic.id }}?sort=newest&amp;page=2#thread-{{ threads[-1].id }}" hx-get="/topics/{{ topic.id }}?sort=newest&amp;page=2&amp;fragment=comments" hx-target="#comment-more" hx-swap="outerHTML">显示更多意见</a></li>{% endif %}
    </ul>
  </section>
</article>
{% endblock %}
"""

TOPIC_LIST = """{% extends "shell" %}
{% block content %}
<div class="title-row"><h1>议题</h1><a class="button primary" href="/topics/new">提出议题</a></div>
<details class="filter-fold"><summary class="button">筛选</summary>
<form method="get" action="/topics" class="filters" role="search">
  <div class="field"><label for="q">搜索</label><input id="q" name="q" type="search" value=""></div>
  <div class="field"><label for="stage">阶段</label><select id="stage" name="stage"><option value="">所有阶段</option>{% for value, label in stages %}<option value="{{ value }}">{{ label }}</option>{% endfor %}</select></div>
  <div class="field"><label for="category">类别</label><select id="category" name="category"><option value="">所有类别</option>{% for value, label in categories %}<option value="{{ value }}">{{ label }}</option>{% endfor %}</select></div>
  <div class="field"><label for="community">社区</label><select id="community" name="community"><option value="">所有社区</option>{% for c in communities %}<option value="{{ c.id }}">{{ c.name }}</option>{% endfor %}</select></div>
  <div class="field"><label for="area">范围</label><select id="area" name="area"><option value="">所有地方</option><option value="mine">与我家有关</option></select></div>
  <div class="field"><label for="sort">排序</label><select id="sort" name="sort"><option value="newest">最新</option><option value="cosigned">附议最多</option><option value="closing">即将截止</option></select></div>
  <div class="actions"><button type="submit" class="button">显示</button></div>
</form></details>
<p class="muted filter-total">{{ total }} 个议题</p>
<ul class="list topic-list">
{% for t in topics %}
  <li class="card topic-card"><h2 class="h3"><a href="/topics/{{ t.id }}">{{ t.title }}</a></h2>
    <p class="meta"><span class="badge stage-{{ t.stage }}">{{ stage_names[t.stage] }}</span>{% if t.answered_at %} <span class="badge answered">已官方回复</span>{% endif %}
      <span>{{ category_names[t.category] }}</span>
      <span>{{ t.community }}{% if t.grid %} · {{ t.grid }}{% endif %}{% if t.building %} · {{ t.building }}{% endif %}</span></p>
    <p class="meta muted">{{ t.cosign_count }} 个附议 · {{ t.comment_count }} 条意见{% if t.stage == "commenting" and t.until %} · 征求意见截至 {{ t.until }}{% endif %}{% if t.submitted %} · 提出于 {{ t.submitted }}{% endif %}</p>
  </li>
{% endfor %}
</ul>
<nav class="pager"><span>第 {{ page }} 页，共 {{ pages }} 页</span>{% if page < pages %} <a rel="next" href="/topics?page={{ page + 1 }}">下一页</a>{% endif %}</nav>
{% endblock %}
"""

HOME = """{% extends "shell" %}
{% block content %}
<h1>众人的事情由众人商量</h1>
<p class="lead">提出社区事项，发表意见，关注议事厅的会议，投票，看结果和落实。</p>
{% if to_do %}<section id="to-do"><h2>我的待办</h2><ul class="list">{% for v in to_do %}<li>投票：<a href="/votes/{{ v.id }}">{{ v.question }}</a> <span class="muted">· 截至 {{ v.until }}</span></li>{% endfor %}</ul></section>{% endif %}
<section><h2>各阶段议题</h2><ul class="inline-list stage-counts">{% for stage, label in stages if stage_counts.get(stage) %}<li><a href="/topics?stage={{ stage }}">{{ label }}：<strong>{{ stage_counts[stage] }}</strong></a></li>{% endfor %}</ul></section>
{% if closing %}<section><h2>说说你的看法：即将截止征求意见</h2><ul class="list">{% for t in closing %}<li><a href="/topics/{{ t.id }}">{{ t.title }}</a> <span class="muted">· {{ t.community }} · 截至 {{ t.until }}</span></li>{% endfor %}</ul></section>{% endif %}
{% if newest %}<section><h2>正在征集附议的新提议</h2><ul class="list">{% for t in newest %}<li><a href="/topics/{{ t.id }}">{{ t.title }}</a> <span class="muted">· {{ t.community }} · {{ t.cosign_count }}/{{ t.threshold }} 个附议</span></li>{% endfor %}</ul></section>{% endif %}
<h2>社区</h2>
<ul class="cards">{% for c in communities %}<li class="card"><h3><a href="/communities/{{ c.id }}">{{ c.name }}</a></h3>
  <p>{{ c.grids }} 个网格 · {{ c.buildings }} 栋楼 · {{ c.units }} 户 · {{ c.residents }} 位已核实住户</p></li>{% endfor %}</ul>
{% endblock %}
"""

REACTION_LABELS = (("agree", "同意"), ("disagree", "不同意"), ("pass", "跳过"))
STAGE_NAMES = {"proposed": "征集附议", "in_review": "审核中", "commenting": "征求意见中",
               "deliberating": "协商中", "voting": "表决中", "publicised": "结果公示",
               "implementing": "落实中", "closed": "已办结", "rejected": "未受理",
               "withdrawn": "已撤回", "draft": "草稿"}

TOPIC_SQL = """
WITH page AS (SELECT id FROM comments WHERE topic_id = :topic AND parent_id IS NULL
              ORDER BY created_at DESC, id DESC LIMIT :size)
SELECT c.id, c.parent_id, c.author_id, c.body, c.created_at, c.agree_count,
       c.disagree_count, c.pass_count, u.name, r.value AS mine, rep.id AS reported
FROM comments c JOIN users u ON u.id = c.author_id
LEFT JOIN comment_reactions r ON r.comment_id = c.id AND r.user_id = :viewer
LEFT JOIN comment_reports rep ON rep.comment_id = c.id AND rep.reporter_id = :viewer
WHERE c.topic_id = :topic AND (c.id IN (SELECT id FROM page) OR c.parent_id IN (SELECT id FROM page))
ORDER BY c.created_at, c.id
"""
TOPIC_HEAD_SQL = """
SELECT t.id, t.title, t.stage, t.description_html, t.comment_until, t.comment_count,
       cm.name AS community, p.name AS proposer, v.name AS viewer
FROM topics t JOIN communities cm ON cm.id = t.community_id JOIN users p ON p.id = t.proposer_id
JOIN users v ON v.id = :viewer WHERE t.id = :topic
"""
TOPIC_LIST_SQL = """
SELECT t.id, t.title, t.stage, t.category, t.cosign_count, t.comment_count, t.comment_until,
       t.submitted_at, t.answered_at, cm.name AS community, g.name AS grid, b.name AS building,
       (SELECT count(*) FROM topics WHERE stage != 'draft') AS total, v.name AS viewer
FROM topics t JOIN communities cm ON cm.id = t.community_id
LEFT JOIN grids g ON g.id = t.grid_id LEFT JOIN buildings b ON b.id = t.building_id
JOIN users v ON v.id = :viewer
WHERE t.stage != 'draft'
ORDER BY t.submitted_at DESC, t.id DESC LIMIT :size
"""
HOME_STATS_SQL = """
SELECT c.id, c.name,
  (SELECT count(*) FROM grids g WHERE g.community_id = c.id) AS grids,
  (SELECT count(*) FROM buildings b JOIN grids g ON g.id = b.grid_id
   WHERE g.community_id = c.id) AS buildings,
  (SELECT count(*) FROM units u JOIN buildings b ON b.id = u.building_id
   JOIN grids g ON g.id = b.grid_id WHERE g.community_id = c.id) AS units,
  (SELECT count(DISTINCT r.user_id) FROM residencies r JOIN units u ON u.id = r.unit_id
   JOIN buildings b ON b.id = u.building_id JOIN grids g ON g.id = b.grid_id
   WHERE g.community_id = c.id AND r.status = 'verified') AS residents
FROM communities c ORDER BY c.name
"""
HOME_TOPICS_SQL = """
SELECT 'count' AS kind, NULL AS id, stage AS title, count(*) AS n, NULL AS community,
       NULL AS until, NULL AS threshold FROM topics WHERE stage != 'draft' GROUP BY stage
UNION ALL
SELECT * FROM (SELECT 'closing', t.id, t.title, 0, cm.name, t.comment_until, NULL
  FROM topics t JOIN communities cm ON cm.id = t.community_id
  WHERE t.stage = 'commenting' AND t.comment_until > :now ORDER BY t.comment_until LIMIT 5)
UNION ALL
SELECT * FROM (SELECT 'newest', t.id, t.title, t.cosign_count, cm.name, NULL, cm.cosign_threshold
  FROM topics t JOIN communities cm ON cm.id = t.community_id
  WHERE t.stage = 'proposed' ORDER BY t.submitted_at DESC LIMIT 5)
UNION ALL
SELECT * FROM (SELECT 'vote', v.id, v.question, 0, NULL, v.closes_at, NULL
  FROM votes v JOIN vote_electors e ON e.vote_id = v.id
  JOIN vote_elector_members m ON m.elector_id = e.id
  LEFT JOIN ballots bl ON bl.vote_id = v.id AND bl.elector_id = e.id
  WHERE m.user_id = :viewer AND v.opens_at <= :now AND v.closes_at > :now
    AND v.cancelled_at IS NULL AND bl.id IS NULL)
"""


def _local(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = _parse(value)
    return (value + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def _parse(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value)


def reference_app(url: str):
    """The minimal Flask app: the same pages, written with nothing but Flask, Flask-WTF's
    CSRF token, SQLAlchemy Core text() statements and precompiled Jinja templates."""
    from flask import Flask, abort, request, session
    from flask_wtf.csrf import generate_csrf
    from jinja2 import DictLoader, Environment
    from sqlalchemy import create_engine, text

    from consult.clock import utcnow

    app = Flask("reference")
    app.config.update(SECRET_KEY="reference", WTF_CSRF_ENABLED=True)
    engine = create_engine(url)
    env = Environment(loader=DictLoader({"shell": SHELL, "topic": TOPIC,
                                         "topic_list": TOPIC_LIST, "home": HOME}),
                      autoescape=True, auto_reload=False)
    templates = {name: env.get_template(name) for name in ("topic", "topic_list", "home")}
    sql = {name: text(s) for name, s in (("topic", TOPIC_SQL), ("head", TOPIC_HEAD_SQL),
                                         ("list", TOPIC_LIST_SQL), ("stats", HOME_STATS_SQL),
                                         ("home", HOME_TOPICS_SQL))}
    from consult.topics.forms import CATEGORY_LABELS

    categories = {k: str(k) for k in CATEGORY_LABELS}

    @app.route("/login/<int:user_id>")
    def login(user_id: int):
        session["uid"] = user_id
        return "ok"

    def viewer() -> int:
        uid = session.get("uid")
        if uid is None:
            abort(403)
        return uid

    @app.route("/topics/<int:topic_id>")
    def topic(topic_id: int):
        uid = viewer()
        with engine.connect() as conn:
            head = conn.execute(sql["head"], {"topic": topic_id, "viewer": uid}).mappings().first()
            if head is None:
                abort(404)
            rows = conn.execute(sql["topic"], {"topic": topic_id, "viewer": uid,
                                               "size": 31}).mappings().all()
        threads, by_id = [], {}
        for row in rows:
            c = dict(row)
            c["when"] = _local(c["created_at"])
            c["paragraphs"] = [p for p in c["body"].split("\n") if p.strip()]
            c["options"] = [(v, label, c[v + "_count"]) for v, label in REACTION_LABELS]
            c["replies"] = []
            by_id[c["id"]] = c
            if c["parent_id"] is None:
                threads.append(c)
            elif c["parent_id"] in by_id:
                by_id[c["parent_id"]]["replies"].append(c)
        threads.reverse()  # newest first
        more = len(threads) > 30
        topic_row = dict(head, until=_local(head["comment_until"]))
        return templates["topic"].render(
            title=head["title"], topic=topic_row, threads=threads[:30], more=more,
            csrf=generate_csrf(), viewer=head["viewer"], viewer_id=uid, path=request.path)

    @app.route("/topics")
    def topic_list():
        uid = viewer()
        with engine.connect() as conn:
            rows = conn.execute(sql["list"], {"viewer": uid, "size": 20}).mappings().all()
            communities = conn.execute(text("SELECT id, name FROM communities ORDER BY name")
                                       ).mappings().all()
        topics = [dict(r, until=_local(r["comment_until"]),
                       submitted=_local(r["submitted_at"])[:10]) for r in rows]
        total = rows[0]["total"] if rows else 0
        return templates["topic_list"].render(
            title="议题", topics=topics, total=total, page=1, pages=max(1, -(-total // 20)),
            communities=communities, stages=list(STAGE_NAMES.items())[:8],
            categories=list(categories.items()), stage_names=STAGE_NAMES,
            category_names=categories, csrf=generate_csrf(),
            viewer=rows[0]["viewer"] if rows else "", path=request.path)

    @app.route("/")
    def home():
        uid = viewer()
        with engine.connect() as conn:
            communities = conn.execute(sql["stats"]).mappings().all()
            rows = conn.execute(sql["home"], {"viewer": uid, "now": utcnow()}).mappings().all()
            name = conn.execute(text("SELECT name FROM users WHERE id = :id"),
                                {"id": uid}).scalar_one()
        stage_counts = {r["title"]: r["n"] for r in rows if r["kind"] == "count"}
        closing = [dict(r, until=_local(r["until"])) for r in rows if r["kind"] == "closing"]
        newest = [dict(r, cosign_count=r["n"]) for r in rows if r["kind"] == "newest"]
        to_do = [{"id": r["id"], "question": r["title"], "until": _local(r["until"])}
                 for r in rows if r["kind"] == "vote"]
        return templates["home"].render(
            title="首页", communities=communities, stage_counts=stage_counts,
            stages=list(STAGE_NAMES.items())[:8], closing=closing, newest=newest,
            to_do=to_do, csrf=generate_csrf(), viewer=name, path=request.path)

    return app, engine


# --- measuring -------------------------------------------------------------------------------

def _measure(client, path: str, requests: int, check=None) -> float:
    """CPU ms per request of ``requests`` GETs of ``path``."""
    start = time.process_time()
    for _ in range(requests):
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return (time.process_time() - start) * 1000 / requests


def _spread(values: list[float]) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _log_in(app, phone: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"csrf_token": token, "identifier": phone,
                                         "password": password})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"logging in failed: HTTP {answer.status_code}")
    return client


def _consult(url: str, afresh: bool = False, after_write: bool = False):
    from consult import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PAGE_CACHE_SECONDS": 0, "RATELIMIT_ENABLED": False,
                      "QUERY_COUNT_HEADER": False,
                      **({"FRAGMENTS_KEPT_CHARS": 0} if afresh else {})})
    if afresh or after_write:
        from consult import written

        # As if something had been written just before each request: nothing kept between
        # requests under the "something was written" generation is served (the topic list,
        # community names, the home page's figures). With ``afresh`` no rendered piece is kept
        # either (a worker that has kept nothing); after a write the pieces are kept as in
        # production, where their keys hold the values they show.
        app.before_request(written._bump)
    return app


def _queries_of(app, client, path: str) -> int:
    from sqlalchemy import event

    from consult.extensions import db

    count = [0]

    def seen(*_args, **_kwargs):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return count[0]


def _other_pages(world: dict, user_id: int, app) -> list[tuple[str, str]]:
    """The main pages a logged-in resident opens, with ids from the world."""
    from sqlalchemy import select

    from consult.extensions import db
    from consult.halls.models import Meeting
    from consult.studios.models import StudioSession

    with app.app_context():
        meeting = db.session.scalar(select(Meeting.id).where(Meeting.hall_id == world["hall_id"])
                                    .order_by(Meeting.id.desc()).limit(1))
        session_id = db.session.scalar(select(StudioSession.id).where(
            StudioSession.studio_id == world["studio_id"]).order_by(StudioSession.id.desc())
            .limit(1))
    community = world["community_id"]
    pages = [
        ("healthz (trivial)", "/healthz"),
        ("hall page", f"/halls/{world['hall_id']}"),
        ("meeting", f"/meetings/{meeting}"),
        ("minutes", f"/meetings/{meeting}/minutes"),
        ("vote page (open)", f"/votes/{world['open_vote_id']}"),
        ("vote result (closed)", f"/votes/{world['closed_vote_id']}"),
        ("outcomes board", f"/communities/{community}/outcomes"),
        ("community dashboard", f"/communities/{community}/dashboard"),
        ("community page", f"/communities/{community}"),
        ("community halls", f"/communities/{community}/halls"),
        ("studios", "/studios"),
        ("studio week", f"/studios/{world['studio_id']}"),
        ("studio session", f"/studio-sessions/{session_id}"),
        ("notifications", "/me/notifications"),
        ("desk", "/me/desk"),
        ("me", "/me"),
        ("my data", "/me/data"),
        ("my residency", "/me/residency"),
        ("my reservations", "/me/reservations"),
        ("my devices", "/me/devices"),
        ("message settings", "/me/messages"),
        ("data views of me", "/me/data/views"),
        ("grid page", "/grids"),
        ("topic, 2nd comment page", f"/topics/{world['big_topic_id']}?page=2"),
        ("topic, oldest first", f"/topics/{world['big_topic_id']}?sort=oldest"),
        ("new topic form", "/topics/new"),
        ("privacy notice", "/privacy"),
    ]
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", action="store_true",
                        help="the other logged-in pages against 15 ms, instead of the ratios")
    parser.add_argument("--requests", type=int, default=40, help="requests per page and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated page names (substring match)")
    parser.add_argument("--profile", help="cProfile one Consult page (topic, list, home, or a "
                                          "path) and print the top functions")
    parser.add_argument("--reseed", action="store_true", help="build the world again")
    parser.add_argument("--afresh", action="store_true",
                        help="keep nothing between requests (no rendered piece, and a write "
                             "counted before each request): every page built from scratch")
    parser.add_argument("--after-write", action="store_true",
                        help="a write counted before each request, rendered pieces kept (what "
                             "a page costs right after someone wrote)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    from bench.pages import _database

    url, world_file = _database(args.reseed)
    world = json.loads(world_file.read_text())
    phone, password = world["users"][0]
    app = _consult(url, args.afresh, args.after_write)
    client = _log_in(app, phone, password)
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.extensions import db

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == phone))

    main_pages = [("topic, 1,000 comments", f"/topics/{world['big_topic_id']}", "/topics/%d"
                   % world["big_topic_id"]),
                  ("topic list", "/topics", "/topics"),
                  ("home", "/", "/")]
    if args.profile:
        path = {"topic": main_pages[0][1], "list": "/topics", "home": "/"}.get(
            args.profile, args.profile)
        for _ in range(3):
            client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        _measure(client, path, args.requests)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        return

    load = Path("/proc/loadavg").read_text().split()[:3]
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    results = []
    if args.pages:
        pages = _other_pages(world, user_id, app)
        for name, path in pages:
            if only and not any(o in name for o in only) and path != "/healthz":
                continue
            answer = client.get(path)
            if answer.status_code != 200:
                print(f"  {name:<28} {path}: HTTP {answer.status_code}, left out", flush=True)
                continue
            client.get(path)
            runs = [_measure(client, path, args.requests) for _ in range(args.runs)]
            row = {"page": name, "path": path, "consult": _spread(runs),
                   "queries": _queries_of(app, client, path)}
            results.append(row)
            print(f"  {name:<28} {row['consult']['median']:7.2f} ms  "
                  f"({row['queries']} queries)", flush=True)
    else:
        ref_app, ref_engine = reference_app(url)
        ref = ref_app.test_client()
        ref.get(f"/login/{user_id}")
        for name, path, ref_path in main_pages:
            if only and not any(o in name for o in only):
                continue
            for _ in range(3):  # warm both: templates compiled, connections open
                client.get(path)
                ref.get(ref_path)
            consult_runs, ref_runs = [], []
            for _ in range(args.runs):  # interleaved, so a burst of load hits both
                consult_runs.append(_measure(client, path, args.requests))
                ref_runs.append(_measure(ref, ref_path, args.requests))
            row = {"page": name, "path": path, "consult": _spread(consult_runs),
                   "reference": _spread(ref_runs),
                   "ratio": statistics.median(consult_runs) / statistics.median(ref_runs),
                   "queries": _queries_of(app, client, path),
                   "consult_bytes": len(client.get(path).data),
                   "reference_bytes": len(ref.get(ref_path).data)}
            results.append(row)
            print(f"  {name:<24} {row['consult']['median']:7.2f} ms vs "
                  f"{row['reference']['median']:6.2f} ms: {row['ratio']:.1f}x", flush=True)
        ref_engine.dispose()
    _print(results, args, load)
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results}, indent=2,
                                              ensure_ascii=False))


def _print(results: list[dict], args, load) -> None:
    def mmm(s: dict) -> str:
        return f"{s['min']:.1f} / {s['median']:.1f} / {s['max']:.1f}"

    print()
    print(f"CPU ms per request (min / median / max of {args.runs} runs of {args.requests}), "
          f"SQLite, in-process test client, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {' '.join(load)}")
    misses = []
    if args.pages:
        print("| page | Consult CPU ms | queries |")
        print("|---|---|---|")
        for r in results:
            print(f"| {r['page']} | {mmm(r['consult'])} | {r['queries']} |")
            if r["path"] != "/healthz" and r["consult"]["median"] > TARGET_OTHER_MS:
                misses.append(f"{r['page']}: {r['consult']['median']:.1f} ms > "
                              f"{TARGET_OTHER_MS:.0f} ms")
    else:
        print("| page | Consult CPU ms | reference CPU ms | ratio | Consult queries | "
              "page KB (Consult / reference) |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r['page']} | {mmm(r['consult'])} | {mmm(r['reference'])} | "
                  f"{r['ratio']:.1f}× | {r['queries']} | "
                  f"{r['consult_bytes'] / 1024:.0f} / {r['reference_bytes'] / 1024:.0f} |")
            if r["ratio"] > TARGET_RATIO:
                misses.append(f"{r['page']}: {r['ratio']:.1f}× > {TARGET_RATIO:.0f}×")
    print()
    print("Targets missed:\n  " + "\n  ".join(misses) if misses else "All targets met.")


if __name__ == "__main__":
    main()
