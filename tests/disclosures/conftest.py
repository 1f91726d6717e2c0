"""The grid tests' world serves the access record's tests too (the grid pages are what shows
whole phones and the non-voters list)."""
from __future__ import annotations

from tests.grids.conftest import at_t0, estate  # noqa: F401  (fixtures, shared)
