"""A second version of the privacy notice, published for a test: every account made by the
factories agreed to the first."""
from __future__ import annotations

from datetime import date

import pytest

from consult.privacy import rules

FIRST = rules.VERSIONS[0].id
NEW = "2027-03-01"


@pytest.fixture
def new_version(monkeypatch) -> rules.Version:
    """Publishes version ``NEW`` (its documents are those of the first version)."""
    version = rules.Version(NEW, date(2027, 3, 1), "Ratings are now kept for two years.",
                            document=FIRST)
    monkeypatch.setattr(rules, "VERSIONS", (*rules.VERSIONS, version))
    return version
