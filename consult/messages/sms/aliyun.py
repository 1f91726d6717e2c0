"""Alibaba Cloud SMS (阿里云短信服务): the SendSms action of the dysmsapi API, version 2017-05-25,
called over HTTPS with an RPC request signed by signature version 1.0 (HMAC-SHA1).

The request is a form POST of the common parameters (AccessKeyId, Format, RegionId,
SignatureMethod, SignatureVersion, SignatureNonce, Timestamp, Version, Action) and the action's
own (PhoneNumbers, SignName, TemplateCode, TemplateParam, OutId), plus ``Signature``:

1. every parameter but Signature, sorted by name, each name and value percent-encoded (UTF-8;
   only A-Z a-z 0-9 - _ . ~ stay as they are, so a space is %20 and * is %2A), joined as
   ``name=value`` pairs with ``&``: the canonical query;
2. the string to sign is ``POST&%2F&`` followed by the percent-encoded canonical query;
3. the signature is the Base64 of HMAC-SHA1 over that string, keyed with the access key secret
   followed by ``&``.

The answer is JSON: ``{"Code": "OK", "Message": "OK", "BizId": ..., "RequestId": ...}`` when the
provider took the message; otherwise ``Code`` names the error, with HTTP 200 for the SMS
service's own refusals (``isv.*``) and 4xx/5xx for the gateway's (signature, key, throttling).

The HTTP client is urllib from the standard library, not ``requests``: one POST per message
needs no session, pool or retries of its own (the outbox retries), its timeouts and errors map
simply onto :class:`SendFailed`, and the app gains no dependency for it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from flask_babel import lazy_gettext as _l

from consult.messages.errors import SendFailed

from .base import Provider

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
ACTION = "SendSms"
REGION = "cn-hangzhou"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# An answer is a small JSON object; more than this is not the provider talking.
MAX_ANSWER_BYTES = 64 * 1024

# Our logical template names and the settings that hold the provider's template codes.
TEMPLATE_SETTINGS = {"code": "SMS_TEMPLATE_CODE", "notice": "SMS_TEMPLATE_NOTICE"}


# --- the signature (pure) -------------------------------------------------------------------

def percent_encode(value: str) -> str:
    """The provider's percent-encoding: UTF-8 bytes, only unreserved characters kept."""
    return quote(str(value).encode("utf-8"), safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted, encoded ``name=value&...`` of every parameter except ``Signature``."""
    return "&".join(f"{percent_encode(name)}={percent_encode(params[name])}"
                    for name in sorted(params) if name != "Signature")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64 of HMAC-SHA1 over the string to sign, keyed with ``secret + "&"``."""
    digest = hmac.new(f"{secret}&".encode("utf-8"),
                      string_to_sign(method, params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --- the provider's error codes ---------------------------------------------------------------

# Code -> (what an administrator reads on the failures page, whether sending later may work).
# Rate limits, throttling and the provider's own faults pass; a wrong number, template,
# signature, key or an empty account do not pass by themselves.
ERRORS: dict[str, tuple[object, bool]] = {
    "isv.BUSINESS_LIMIT_CONTROL": (_l(
        "The SMS provider's rate limit for this phone number was reached (too many messages to "
        "one number in a short time); sending again later may work."), True),
    "isv.DAY_LIMIT_CONTROL": (_l(
        "The daily SMS limit set in the provider's console was reached; sending again tomorrow "
        "(or after raising the limit) may work."), True),
    "isv.MONTH_LIMIT_CONTROL": (_l(
        "The monthly SMS limit set in the provider's console was reached; sending again next "
        "month (or after raising the limit) may work."), True),
    "Throttling": (_l("The SMS provider is throttling requests; sending again later may "
                      "work."), True),
    "Throttling.User": (_l("The SMS provider is throttling requests from this account; sending "
                           "again later may work."), True),
    "Throttling.Api": (_l("The SMS provider is throttling requests; sending again later may "
                          "work."), True),
    "isp.SYSTEM_ERROR": (_l("The SMS provider had an internal error; sending again later may "
                            "work."), True),
    "isp.GATEWAY_ERROR": (_l("The SMS provider's gateway had an error; sending again later may "
                             "work."), True),
    "InternalError": (_l("The SMS provider had an internal error; sending again later may "
                         "work."), True),
    "ServiceUnavailable": (_l("The SMS service is unavailable for the moment; sending again "
                              "later may work."), True),
    "SignatureNonceUsed": (_l("The SMS provider saw this request's one-time number before; "
                              "sending again may work."), True),
    "isv.MOBILE_NUMBER_ILLEGAL": (_l(
        "The SMS provider says the phone number is not a valid mobile number."), False),
    "isv.MOBILE_COUNT_OVER_LIMIT": (_l(
        "The SMS provider refused the message: too many phone numbers in one request."), False),
    "isv.AMOUNT_NOT_ENOUGH": (_l(
        "The SMS account has no credit left: top it up with the provider."), False),
    "isv.OUT_OF_SERVICE": (_l(
        "The SMS account is suspended (usually for lack of credit): top it up with the "
        "provider."), False),
    "isv.SMS_TEMPLATE_ILLEGAL": (_l(
        "The SMS template does not exist or is not approved: check SMS_TEMPLATE_CODE and "
        "SMS_TEMPLATE_NOTICE against the provider's console."), False),
    "isv.SMS_SIGNATURE_ILLEGAL": (_l(
        "The SMS signature does not exist or is not approved: check SMS_SIGN_NAME against the "
        "provider's console."), False),
    "isv.SMS_SIGN_ILLEGAL": (_l(
        "The provider forbids the SMS signature: check SMS_SIGN_NAME."), False),
    "isv.SIGN_STATE_ILLEGAL": (_l(
        "The SMS signature is not usable (see its state in the provider's console)."), False),
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": (_l(
        "The SMS signature may not be used with this template (a verification-code signature "
        "sends only verification codes): use a general signature."), False),
    "isv.TEMPLATE_MISSING_PARAMETERS": (_l(
        "The message lacks a variable its SMS template needs: check that the registered "
        "template uses ${code} or ${text}."), False),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (_l(
        "The provider refused a variable of the message (a link or a forbidden word in it)."),
        False),
    "isv.INVALID_PARAMETERS": (_l(
        "The SMS provider refused the request's parameters."), False),
    "isv.INVALID_JSON_PARAM": (_l(
        "The SMS provider could not read the message's variables."), False),
    "isv.PARAM_LENGTH_LIMIT": (_l(
        "A variable of the message is longer than the SMS provider allows for its template."),
        False),
    "isv.SMS_CONTENT_ILLEGAL": (_l(
        "The SMS provider refused the content of the message."), False),
    "isv.BLACK_KEY_CONTROL_LIMIT": (_l(
        "The message contains a word the SMS provider blocks."), False),
    "isv.DENY_IP_RANGE": (_l(
        "The SMS provider refuses requests from this server's address (it accepts mainland "
        "China addresses only)."), False),
    "isp.RAM_PERMISSION_DENY": (_l(
        "The access key may not send SMS: grant its user the SMS permission in the provider's "
        "console."), False),
    "isv.PRODUCT_UN_SUBSCRIPT": (_l(
        "The provider account has not subscribed to the SMS service."), False),
    "isv.PRODUCT_UNSUBSCRIBE": (_l(
        "The provider account has not subscribed to the SMS service."), False),
    "isv.ACCOUNT_NOT_EXISTS": (_l(
        "The SMS provider does not know the account of this access key."), False),
    "isv.ACCOUNT_ABNORMAL": (_l(
        "The SMS provider reports a problem with the account: see its console."), False),
    "SignatureDoesNotMatch": (_l(
        "The SMS provider did not accept the request's signature: check "
        "SMS_ACCESS_KEY_SECRET."), False),
    "IncompleteSignature": (_l(
        "The SMS provider did not accept the request's signature: check "
        "SMS_ACCESS_KEY_SECRET."), False),
    "InvalidAccessKeyId.NotFound": (_l(
        "The SMS provider does not know the access key: check SMS_ACCESS_KEY_ID."), False),
    "InvalidAccessKeyId.Inactive": (_l(
        "The access key is disabled in the provider's console: enable it or set another in "
        "SMS_ACCESS_KEY_ID."), False),
    "InvalidTimeStamp.Expired": (_l(
        "This server's clock is more than 15 minutes away from the SMS provider's: set the "
        "clock (NTP)."), False),
}


def failure(code: str, provider_message: str = "", *, status: int = 200) -> SendFailed:
    """The :class:`SendFailed` for an error ``code`` the provider answered (with its own
    ``provider_message``), after an answer of HTTP ``status``."""
    known = ERRORS.get(code)
    if known:
        message, retry = known
    else:
        message = _l("The SMS provider refused the message: %(code)s (%(message)s).",
                     code=code or "?", message=provider_message or "no message")
        retry = False
    # The provider's own faults pass, whatever it calls them.
    return SendFailed(message, retry=retry or status >= 500, code=code)


# --- the provider -----------------------------------------------------------------------------

class AliyunProvider(Provider):
    name = "aliyun"

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 templates: Mapping[str, str], endpoint: str = DEFAULT_ENDPOINT,
                 timeout: float = 10.0, now: Callable[[], datetime] | None = None):
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        if not endpoint.startswith(("https://", "http://")):
            raise ValueError(f"The SMS endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint
        self.timeout = timeout
        # The real time, never the app's clock (tests move that one): the provider refuses a
        # Timestamp more than 15 minutes from its own.
        self._now = now or (lambda: datetime.now(timezone.utc))

    @classmethod
    def from_config(cls, config: Mapping) -> AliyunProvider:
        return cls(access_key_id=config["SMS_ACCESS_KEY_ID"],
                   access_key_secret=config["SMS_ACCESS_KEY_SECRET"],
                   sign_name=config["SMS_SIGN_NAME"],
                   templates={name: config[setting]
                              for name, setting in TEMPLATE_SETTINGS.items()},
                   endpoint=config.get("SMS_ENDPOINT") or DEFAULT_ENDPOINT,
                   timeout=float(config.get("SMS_TIMEOUT") or 10))

    def request_params(self, phone: str, template: str, params: Mapping[str, str], *,
                       out_id: str = "") -> dict[str, str]:
        """Every parameter of the SendSms request, ``Signature`` included."""
        template_code = self.templates.get(template)
        if not template_code:
            raise SendFailed(_l("No SMS template is set for %(name)s messages.", name=template),
                             retry=False, code="template")
        values = {
            "AccessKeyId": self.access_key_id,
            "Action": ACTION,
            "Format": "JSON",
            "RegionId": REGION,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": self._now().astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT),
            "Version": API_VERSION,
            "PhoneNumbers": phone,
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            # Chinese stays as it is (then percent-encoded as UTF-8); every value a string.
            "TemplateParam": json.dumps({k: str(v) for k, v in params.items()},
                                        ensure_ascii=False, separators=(",", ":")),
        }
        if out_id:
            values["OutId"] = out_id
        values["Signature"] = signature(self._secret, "POST", values)
        return values

    def send(self, phone: str, template: str, params: dict[str, str], text: str, *,
             out_id: str = "", purpose: str = "") -> str:
        values = self.request_params(phone, template, params, out_id=out_id)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in values.items())
        request = Request(self.endpoint, data=body.encode("ascii"), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
        })
        try:
            # The endpoint is http(s) only (checked in __init__): no file: or custom schemes.
            with urlopen(request, timeout=self.timeout) as answer:  # nosec B310
                status, raw = answer.status, answer.read(MAX_ANSWER_BYTES)
        except HTTPError as error:
            status = error.code
            try:
                raw = error.read(MAX_ANSWER_BYTES)
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                error.close()
        except (TimeoutError, socket.timeout):
            # The provider may have taken the message before the answer was lost; OutId lets
            # its delivery reports tell a resend from the first.
            raise self._timed_out() from None
        except URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise self._timed_out() from None
            raise SendFailed(_l("The SMS provider could not be reached (%(reason)s); sending "
                                "again later may work.", reason=str(error.reason)),
                             retry=True, code="network") from None
        except (OSError, http.client.HTTPException) as error:
            raise SendFailed(_l("The SMS provider could not be reached (%(reason)s); sending "
                                "again later may work.", reason=str(error) or type(error).__name__),
                             retry=True, code="network") from None
        return _read_answer(status, raw)

    def _timed_out(self) -> SendFailed:
        seconds = format(self.timeout, "g")
        return SendFailed(_l("The SMS provider did not answer within %(seconds)s seconds; "
                             "sending again later may work.", seconds=seconds),
                          retry=True, code="timeout")


def _read_answer(status: int, raw: bytes) -> str:
    """The BizId of an accepted message, or the :class:`SendFailed` the answer means."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        if status >= 500:
            raise SendFailed(_l("The SMS provider had an error (HTTP %(status)s); sending again "
                                "later may work.", status=status),
                             retry=True, code=f"HTTP {status}")
        raise SendFailed(_l("The SMS provider gave an answer that is not its JSON (HTTP "
                            "%(status)s): check SMS_ENDPOINT.", status=status),
                         retry=False, code=f"HTTP {status}")
    code = str(answer.get("Code") or "")
    if status == 200 and code == "OK":
        return str(answer.get("BizId") or answer.get("RequestId") or "")
    if not code:
        code = f"HTTP {status}"
    raise failure(code, str(answer.get("Message") or ""), status=status)
