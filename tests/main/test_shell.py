"""The site's shell as requests see it: the tab bar's current tab, 我的 (/me), the web app
manifest, the icons and the theme colour every page links, WeUI linked before site.css."""
from __future__ import annotations

import re
import struct

from html.parser import HTMLParser

import pytest

from consult.accounts.models import Role
from consult.config import PROJECT_ROOT
from consult.extensions import db
from consult.main import tabs
from consult.main.views import THEME_COLOUR
from consult.notifications.service import notify
from tests import factories


VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.texts: list[str] = []

    def __getitem__(self, name):
        return self.attrs[name]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def text(self) -> str:
        return "".join(self.texts) + "".join(c.text() for c in self.children)

    def inside(self, tag: str, cls: str = "") -> bool:
        node = self.parent
        while node is not None:
            if node.tag == tag and (not cls or cls in node.classes()):
                return True
            node = node.parent
        return False

    def find_all(self, tag: str, **attrs) -> list["Node"]:
        """Descendants named ``tag`` with these attributes (``cls`` for one class, True for
        "present")."""
        found = []
        for node in self.walk():
            if node.tag != tag:
                continue
            if "cls" in attrs and attrs["cls"] not in node.classes():
                continue
            if all(node.attrs.get(k.rstrip("_").replace("_", "-")) == v if v is not True
                   else k.rstrip("_").replace("_", "-") in node.attrs
                   for k, v in attrs.items() if k != "cls"):
                found.append(node)
        return found

    def by_id(self, ident: str) -> "Node | None":
        return next((n for n in self.walk() if n.attrs.get("id") == ident), None)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_endtag(self, tag):
        node = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        self.node.texts.append(data)


def _soup(response) -> Node:
    assert response.status_code == 200, response.status_code
    builder = _Builder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


def _current_tabs(soup) -> list[str]:
    return [a["id"] for a in soup.find_all("a", aria_current="page") if a.inside("nav", "tabbar")]


def _menu_links(soup) -> list[str]:
    return [a["href"] for a in soup.find_all("a") if a.inside("ul", "me-menu")]


def _logout_forms_in_main(soup) -> list[Node]:
    return [f for f in soup.find_all("form", action="/logout") if f.inside("main")]


def _unread(user, count: int) -> None:
    for n in range(count):
        notify([user.id], "studio.reservation_closed", {"studio": f"室{n}", "date": "d",
                                                        "time": "t"})
    db.session.commit()


# --- which tab a page belongs to (pure) ----------------------------------------------------

@pytest.mark.parametrize("endpoint, blueprint, path, args, tab", [
    ("main.home", "main", "/", {}, tabs.HOME),
    ("topics.index", "topics", "/topics", {}, tabs.TOPICS),
    ("topics.index", "topics", "/topics", {"stage": "commenting"}, tabs.TOPICS),
    ("topics.index", "topics", "/topics", {"stage": "voting"}, tabs.VOTES),
    ("topics.show", "topics", "/topics/4", {}, tabs.TOPICS),
    ("votes.show", "votes", "/votes/2", {}, tabs.VOTES),
    ("studios.index", "studios", "/studios", {}, tabs.STUDIOS),
    ("studios.my_reservations", "studios", "/me/reservations", {}, tabs.ME),
    ("main.me", "main", "/me", {}, tabs.ME),
    ("notifications.index", "notifications", "/me/notifications", {}, tabs.ME),
    ("accounts.password", "accounts", "/account/password", {}, tabs.ME),
    ("accounts.login", "accounts", "/login", {}, tabs.ME),
    ("privacy.notice", "privacy", "/privacy", {}, None),
    (None, None, "/nowhere", {}, None),
])
def test_each_page_belongs_to_one_tab_or_none(endpoint, blueprint, path, args, tab):
    assert tabs.current_tab(endpoint, blueprint, path, args) == tab


# --- the tab bar and 我的 -------------------------------------------------------------------

def test_the_tab_bar_marks_the_page_and_counts_the_unread(app, client, login):
    c = factories.community(grids=1, buildings=1, units=2)
    me = factories.resident(c, "王秀兰")
    _unread(me, 4)

    visitor = _soup(client.get("/"))
    assert _current_tabs(visitor) == ["tab-home"]
    assert visitor.by_id("tab-me-unread") is None  # nobody to count for
    assert [a["href"] for a in visitor.find_all("a") if a.inside("nav", "tabbar")] == [
        "/", "/topics", "/topics?stage=voting", "/studios", "/me"]

    login(me)
    assert _current_tabs(_soup(client.get("/topics"))) == ["tab-topics"]
    assert _current_tabs(_soup(client.get("/topics?stage=voting"))) == ["tab-votes"]
    assert _current_tabs(_soup(client.get("/studios"))) == ["tab-studios"]
    soup = _soup(client.get("/me/notifications"))
    assert _current_tabs(soup) == ["tab-me"]
    assert soup.by_id("tab-me-unread").text() == "4"
    assert "4" in soup.by_id("tab-me").find_all("span", cls="visually-hidden")[0].text()
    assert _current_tabs(_soup(client.get("/privacy"))) == []


def test_me_offers_a_visitor_to_log_in(client):
    soup = _soup(client.get("/me"))
    assert _menu_links(soup) == ["/login", "/register"]
    assert not _logout_forms_in_main(soup)


def test_me_lists_a_residents_account_pages_with_the_unread_count(app, client, login):
    c = factories.community(grids=1, buildings=1, units=2)
    me = factories.resident(c, "王秀兰")
    _unread(me, 2)
    login(me)
    soup = _soup(client.get("/me"))
    assert _current_tabs(soup) == ["tab-me"]
    links = _menu_links(soup)
    for href in ("/me/notifications", "/me/residency", "/me/data", "/me/messages",
                 "/me/devices", "/account/password"):
        assert any(link.startswith(href) for link in links), (href, links)
    assert "/me/desk" not in links  # no office, no desk
    assert "/moderation" not in links and "/admin/" not in links
    assert soup.by_id("me-notifications").find_all("span", cls="weui-badge")[0].text() == "2"
    (logout,) = _logout_forms_in_main(soup)
    assert logout.find_all("input", name="csrf_token")


def test_me_gives_an_official_the_desk_and_their_queues(app, client, login):
    c = factories.community(grids=1, buildings=1, units=2)
    secretary = factories.office_holder(c, Role.SECRETARY, "钱淑芬")
    db.session.commit()
    login(secretary)
    links = _menu_links(_soup(client.get("/me")))
    assert "/me/desk" in links and "/moderation" in links and "/verifications" in links


def test_me_runs_as_many_queries_with_many_notifications_as_with_one(app, client, login,
                                                                    count_queries):
    c = factories.community(grids=1, buildings=1, units=2)
    me = factories.resident(c, "王秀兰")
    _unread(me, 1)
    login(me)
    client.get("/me")
    with count_queries() as one:
        assert client.get("/me").status_code == 200
    _unread(me, 30)
    with count_queries() as many:
        assert client.get("/me").status_code == 200
    assert many.count == one.count <= 6


def test_me_only_reads(app, client, login):
    assert client.post("/me").status_code == 405


# --- identity: icons, manifest, theme colour ---------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_names_the_app_and_its_icons_exist(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "有事好商量·Consult"
    assert manifest["short_name"] and len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == THEME_COLOUR
    assert manifest["background_color"] == "#ffffff"
    sizes = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon["src"]
        assert image.mimetype == icon["type"]
        if icon["type"] == "image/png":
            width, height = _png_size(image.get_data())
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert {192, 512} <= sizes  # what "add to home screen" asks for


def test_the_theme_colour_is_the_headers_red():
    css = (PROJECT_ROOT / "static" / "css" / "site.css").read_text(encoding="utf-8")
    assert re.search(r"--brand:\s*" + THEME_COLOUR + ";", css)
    assert re.search(r"\.site-header\s*\{\s*background:\s*var\(--brand\)", css)


def test_every_page_links_the_icons_the_manifest_and_weui_before_site_css(client):
    soup = _soup(client.get("/"))
    (head,) = soup.find_all("head")
    assert head.find_all("meta", name="theme-color")[0]["content"] == THEME_COLOUR
    assert head.find_all("link", rel="manifest")[0]["href"] == "/manifest.webmanifest"
    icons = [link["href"] for link in head.find_all("link")
             if link["rel"] in ("icon", "apple-touch-icon")]
    sizes = {}
    for href in icons:
        image = client.get(href)
        assert image.status_code == 200, href
        if href.endswith(".png"):
            sizes[href.rsplit("/", 1)[1]] = _png_size(image.get_data())
    assert sizes == {"favicon-32.png": (32, 32), "apple-touch-icon.png": (180, 180)}
    assert head.find_all("link", rel="icon", type="image/svg+xml")
    sheets = [link["href"] for link in head.find_all("link", rel="stylesheet")]
    weui = next(i for i, href in enumerate(sheets) if re.search(r"/vendor/weui-[\d.]+\.min\.css$", href))
    assert weui < sheets.index("/static/css/site.css")
    assert client.get(sheets[weui]).status_code == 200
    # The logo mark is in the header, beside the name, and says nothing twice to a reader.
    (mark,) = [img for img in soup.find_all("img", cls="logo-mark") if img.inside("a", "brand")]
    assert mark.inside("header") and mark["alt"] == ""
    assert soup.find_all("body")[0]["data-weui-theme"] == "light"


def test_weui_is_vendored_with_its_licence():
    vendor = PROJECT_ROOT / "static" / "vendor"
    (css,) = vendor.glob("weui-*.min.css")
    version = re.search(r"weui-([\d.]+)\.min\.css", css.name).group(1)
    assert f"WeUI v{version}" in css.read_text(encoding="utf-8")[:200]
    licence = vendor / f"weui-{version}.LICENSE.txt"
    assert "MIT License" in licence.read_text(encoding="utf-8")
