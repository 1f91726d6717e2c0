"""``flask demo seed`` issues activation codes for one building and prints a few to try."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.activation import service
from consult.activation.models import ActivationCode
from consult.demo.seed import seed
from consult.extensions import db
from consult.privacy.rules import current as current_privacy

LINE = re.compile(r"^  (\S+)  (1\d{10})  code ([2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})  "
                  r"(http://127\.0\.0\.1:5000/activate/\3)$")


def test_the_demo_prints_codes_that_activate(app):
    lines = []
    seed(echo=lines.append)
    heading = next(i for i, line in enumerate(lines) if line.startswith("Demo activation:"))
    shown = [LINE.match(line) for line in lines[heading + 1:heading + 4]]
    assert all(shown), lines[heading:heading + 4]
    issued = db.session.scalar(select(func.count(ActivationCode.id)))
    assert issued >= 10 and f"{issued} owners of" in lines[heading]
    db.session.commit()
    name, phone, code, _link = shown[0].groups()
    user = service.activate(phone, code, "demo tester 1", privacy_version=current_privacy().id)
    assert user.name == name and user.phone == phone
    # Activated, the owner finds the open owners' vote in "My to-do": their home has not voted.
    from consult.votes.service import votes_to_cast

    assert votes_to_cast(user), "the demo printed an owner whose home has already voted"
