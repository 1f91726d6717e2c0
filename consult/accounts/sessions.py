"""Where an account is logged in, and logging it out of everywhere at once."""
from __future__ import annotations

from sqlalchemy import update

from consult.accounts.models import User
from consult.api.models import ApiToken
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db


def log_out_everywhere(user: User, *, actor: User | None = None, why: str = "") -> int:
    """Log the account out of every browser and every app: a new session token voids every
    session cookie, and every API token still active is revoked. Returns how many tokens were.

    A password change and a password reset call it (a stolen password or a lost phone must not
    keep an app logged in), and so does "Log out every device" on the "My devices" page, which
    records it in the audit log itself (``why`` set)."""
    user.rotate_session_token()
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if why:
        record(why, user, actor=actor or user, details={"tokens_revoked": revoked or 0})
    return revoked or 0
