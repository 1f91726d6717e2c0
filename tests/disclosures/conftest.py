from __future__ import annotations

import pytest

from consult import clock
from tests.grids.world import T0, build


@pytest.fixture
def estate(app):
    return build()


@pytest.fixture
def at_t0():
    clock.set_frozen(T0)
    yield T0
    clock.set_frozen(None)
