"""The home page's count of each community's grids, buildings, homes and verified residents is
kept between requests (consult/written.py), and never shown stale after a write."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.community.models import Residency, ResidencyStatus
from consult.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("english")


def counts_line(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return next(line.strip() for line in page.splitlines() if "verified residents" in line)


def test_a_newly_verified_resident_is_counted_on_the_next_page(app, client, login):
    c = factories.community("幸福里社区", grids=1, buildings=1, units=2)
    first = factories.resident(c, "王秀英")
    waiting = factories.resident(c, "李明", status=ResidencyStatus.PENDING)
    db.session.commit()
    login(first)
    assert counts_line(client) == "<p>1 grids · 1 buildings · 2 homes · 1 verified residents</p>"
    assert counts_line(client).endswith("1 verified residents</p>")  # kept, still right

    residency = db.session.scalar(select(Residency).where(Residency.user_id == waiting.id))
    residency.status = ResidencyStatus.VERIFIED.value
    db.session.commit()
    assert counts_line(client).endswith("2 verified residents</p>")


def test_the_kept_statistics_spare_the_next_pages_their_queries(app, client, login,
                                                                count_queries):
    c = factories.community("幸福里社区")
    me = factories.resident(c, "王秀英")
    db.session.commit()
    login(me)
    with count_queries() as first:
        client.get("/")
    with count_queries() as again:
        client.get("/")
    assert again.count == first.count - 4  # grids, buildings, homes, residents
