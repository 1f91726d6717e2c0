"""Grid workers (网格员) deliver activation letters: they issue codes and see the counts for the
buildings of their own grid only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.activation import service
from consult.activation.models import ActivationCode
from consult.extensions import db
from consult.refusals import Refused
from tests import factories


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def worker(w):
    user = factories.grid_worker(w.grids[0], "赵网格员")
    db.session.commit()
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def codes() -> int:
    return db.session.scalar(select(func.count(ActivationCode.id)))


def test_a_grid_worker_sees_and_issues_for_their_grid_only(w, worker, client, login):
    login(worker)
    url = f"/communities/{w.community.id}/activation"
    page = text(client.get(url))
    own, other = w.grids[0], w.grids[1]
    assert f'value="grid:{own.id}"' in page and f'value="grid:{other.id}"' not in page
    assert 'value="community"' not in page
    assert f'value="building:{w.buildings[2].id}"' not in page
    # The counts list the buildings of their grid only.
    assert "1网格" in page and "2网格" not in page
    html = text(client.post(url, data={"scope": f"building:{w.buildings[0].id}",
                                       "channel": "letter"}))
    assert html.count('<article class="letter"') == 2 and codes() == 2


@pytest.mark.parametrize("scope", ["community", "grid:OTHER", "building:OTHER"])
def test_a_grid_worker_cannot_issue_beyond_their_grid(w, worker, client, login, scope):
    login(worker)
    scope = scope.replace("OTHER", str(w.grids[1].id if scope.startswith("grid")
                                       else w.buildings[2].id))
    response = client.post(f"/communities/{w.community.id}/activation",
                           data={"scope": scope, "channel": "letter"})
    assert response.status_code == 200 and 'class="letter"' not in text(response)
    assert codes() == 0


def test_the_service_refuses_a_grid_worker_beyond_their_grid(w, worker):
    with pytest.raises(Refused):
        service.issue(worker, w.scope(f"grid:{w.grids[1].id}"))
    with pytest.raises(Refused):
        service.issue(worker, w.scope("community"))
    assert codes() == 0
    assert service.issue(worker, w.scope(f"grid:{w.grids[0].id}")).count == 4


def test_a_grid_worker_of_another_community_is_refused(w, client, login):
    stranger = factories.grid_worker(w.other.grids[0], "外社区网格员")
    db.session.commit()
    login(stranger)
    assert client.get(f"/communities/{w.community.id}/activation").status_code == 403
