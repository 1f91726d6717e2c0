"""The JSON API under ``/api/v1`` for mini-program clients and open-data users (issue 8).

``bp`` is the API (bearer tokens, problem documents, CSRF-exempt); ``devices_bp`` is the
"My devices" web page where a user sees and revokes their tokens.
"""
from __future__ import annotations

from consult.activation import api as _activation  # noqa: F401  (registers its route)
from consult.messages import api as _messages  # noqa: F401  (registers its routes)
from consult.mydata import api as _mydata  # noqa: F401  (registers its route)
from consult.privacy import api as _privacy  # noqa: F401  (its routes and its check of writes)
# (imported to register the routes)
from consult.api import (  # noqa: F401
    agenda, docs, officials, outcomes, paper, proxies, reads, tokens, writes,
)
from consult.api.core import bp
from consult.api.tokens import devices_bp

__all__ = ["bp", "devices_bp"]
