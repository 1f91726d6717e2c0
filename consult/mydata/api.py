"""``GET /api/v1/me/data``: the "my data" document for the token's user.

Answered at once, from the same builder as the download (consult/mydata/service.py), while the
history holds at most ``MYDATA_API_SYNC_ROWS`` rows (5,000 by default: a few hundred
kilobytes, under a second). A longer history is answered 409 (code ``too_large``): a GET never
writes, so it cannot queue a file; the person asks for the download on the "My data" page,
which prepares it in the background.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from consult.api import schemas as s
from consult.api.core import TOKEN, answer, bp, read, require_user
from consult.mydata import service
from consult.refusals import Refused


@bp.get("/me/data", **read(s.MyData, "Tokens", "Everything the site holds about me (我的信息)",
                           not_found=False, extra=("409",), security=TOKEN,
                           description=(
                               "The same document as the JSON download of the “My data” "
                               "page: one member per section, each with its column names in "
                               "the reader's language and every row. Answered at once up to "
                               "MYDATA_API_SYNC_ROWS rows (5,000 by default); a longer "
                               "history is a conflict (409, code `too_large`): ask for the "
                               "download on the web page, which prepares it in the "
                               "background.")))
def my_data():
    user = require_user()
    limit = int(current_app.config.get("MYDATA_API_SYNC_ROWS", 5000))
    if service.total_rows(user) > limit:
        raise Refused(_("Your history is too long to answer at once. Ask for the download "
                        "on the “My data” page; you are told when it is ready."),
                      kind="conflict", code="too_large")
    return answer(s.MyData.model_validate(service.build_document(user)))
