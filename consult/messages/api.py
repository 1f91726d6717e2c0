"""Message settings in the API: the same choices as the "Message settings" page, through the
same service (:func:`consult.messages.service.save_preferences`)."""
from __future__ import annotations

from typing import Annotated, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field, create_model

from consult.api.core import TOKEN, answer, bp, read, require_user, write
from consult.api.schemas import JsonBody, Says, Shape, _whole
from consult.messages import channels, rules, service

Mode = Literal[rules.MODES]  # the one list of modes, in consult/messages/rules.py
Channel = Literal[rules.CHANNELS]
# An hour of the day; 8.0 is 8 to JSON Schema.
Hour = Annotated[int, Field(ge=0, le=23), BeforeValidator(_whole),
                 Says(_l("Choose an hour from 0 to 23."))]

# One member per kind of notification (rules.CATEGORIES), described by its label.
Modes = create_model(
    "MessageModes", __base__=Shape,
    **{c.key: (Mode, Field(description=str(c.label))) for c in rules.CATEGORIES})
ModesBody = create_model(
    "MessageModesBody", __base__=JsonBody,
    **{c.key: (Mode | None, Field(None, description=str(c.label))) for c in rules.CATEGORIES})


class MessageSettingsShape(Shape):
    modes: Modes = Field(description="per kind of notification: in the site only, at once by "
                                     "SMS or e-mail, or in the daily digest")
    channel: Channel | None = Field(description="where messages at once go "
                                                    "first (null: SMS when there is a phone)")
    quiet_start: int = Field(description="no SMS from this hour (Beijing time)…")
    quiet_end: int = Field(description="…until this hour")
    sms_on: bool = Field(description="this site sends SMS")
    email_on: bool = Field(description="this site sends e-mail")


class MessageSettingsBody(JsonBody):
    modes: ModesBody = Field(default_factory=ModesBody, description="the kinds to change; "
                             "those left out keep their choice")
    channel: Channel | None = None
    quiet_start: Hour = Field(21, description="no SMS from this hour (Beijing time)…")
    quiet_end: Hour = Field(8, description="…until this hour")


def _shape(user) -> MessageSettingsShape:
    settings = service.settings_of(user.id)
    on = channels.on()
    return MessageSettingsShape(modes=Modes(**service.modes_of(user.id)), channel=settings.channel,
                                quiet_start=settings.quiet_start, quiet_end=settings.quiet_end,
                                sms_on=on[rules.SMS], email_on=on[rules.EMAIL])


@bp.get("/me/messages", **read(MessageSettingsShape, "Tokens",
                               "The user's message settings (SMS, e-mail, digest)",
                               security=TOKEN, not_found=False))
def my_message_settings():
    return answer(_shape(require_user()))


@bp.put("/me/messages", **write(MessageSettingsShape, "Tokens",
                                "Change the user's message settings", status="200"))
def change_message_settings(body: MessageSettingsBody):
    user = require_user()
    changes = {k: v for k, v in body.modes.model_dump().items() if v is not None}
    service.save_preferences(user, changes, channel=body.channel,
                             quiet_start=body.quiet_start, quiet_end=body.quiet_end)
    return answer(_shape(user))
