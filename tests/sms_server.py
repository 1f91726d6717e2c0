"""A local stand-in for Alibaba Cloud SMS (SendSms, dysmsapi 2017-05-25), for tests.

It answers as the provider does: it checks the method, Action and Version, every required
parameter, that the Timestamp is within 15 minutes of now, that no SignatureNonce comes twice,
and the HMAC-SHA1 signature, recomputed here with the known secret by code of its own (not the
app's, so that one mistake cannot hide in both). It answers ``{"Code": "OK", ...}`` with a BizId
when all is well and keeps the accepted message; otherwise the provider's error code, as HTTP
400/404 JSON for the gateway's refusals and HTTP 200 JSON for the SMS service's (``isv.*``).

A test can tell it to refuse a given phone number with a given code (``fail``), to answer
HTTP 500 (``break_down``) or to hang (``hang``). Fixtures: ``sms_server`` and
``sms_app_config`` (the SMS_* settings pointing the app at it).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

ACCESS_KEY_ID = "LTAI-test-key"
ACCESS_KEY_SECRET = "test-secret-of-the-sms-server"
SIGN_NAME = "社区议事"
# Template codes as the provider issues them, and the variables each registered template has.
TEMPLATE_CODE = "SMS_100000001"
TEMPLATE_NOTICE = "SMS_100000002"
TEMPLATES = {TEMPLATE_CODE: ("code",), TEMPLATE_NOTICE: ("text",)}

REQUIRED = ("AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod", "SignatureNonce",
            "SignatureVersion", "Timestamp", "Version", "Signature", "PhoneNumbers", "SignName",
            "TemplateCode")
MAX_SKEW = timedelta(minutes=15)
_MOBILE = re.compile(r"(?:\+?86|0086)?1[3-9]\d{9}")


@dataclass
class Accepted:
    """One message the server took."""

    phone: str
    sign_name: str
    template_code: str
    params: dict
    out_id: str
    method: str
    biz_id: str


@dataclass
class Failure:
    code: str
    message: str
    status: int = 200


@dataclass
class SmsServer:
    url: str = ""
    access_key_id: str = ACCESS_KEY_ID
    secret: str = ACCESS_KEY_SECRET
    sign_name: str = SIGN_NAME
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (code, phone) answered
    failures: dict[str, Failure] = field(default_factory=dict)
    broken: bool = False
    hang_seconds: float = 0.0
    nonces: set[str] = field(default_factory=set)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(760010000000000001))

    def fail(self, phone: str, code: str, message: str = "", status: int = 200) -> None:
        """Answer ``code`` (with HTTP ``status``) to every message for ``phone``."""
        self.failures[phone] = Failure(code, message or f"{code} (from the test server)", status)

    def break_down(self, broken: bool = True) -> None:
        """Answer HTTP 500 (an HTML page, as a failing gateway does) to every request."""
        self.broken = broken

    def hang(self, seconds: float) -> None:
        """Wait ``seconds`` before answering (or until the server stops)."""
        self.hang_seconds = seconds

    def messages_to(self, phone: str) -> list[Accepted]:
        return [m for m in self.accepted if m.phone == phone]


# --- the provider's rules, written here independently of consult/messages/sms/aliyun.py -------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _encode(value: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in value.encode("utf-8"))


def expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    query = "&".join(_encode(k) + "=" + _encode(v) for k, v in pairs)
    to_sign = "&".join((method, _encode("/"), _encode(query)))
    mac = hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def _handler(state: SmsServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet test output
            pass

        def do_GET(self):
            self._handle("GET", urlsplit(self.path).query)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            if not (self.headers.get("Content-Type") or "").startswith(
                    "application/x-www-form-urlencoded"):
                self._json(400, {"Code": "InvalidParameter",
                                 "Message": "The form must be application/x-www-form-urlencoded"})
                return
            self._handle("POST", body)

        def _handle(self, method: str, query: str) -> None:
            if state.hang_seconds:
                state.released.wait(state.hang_seconds)
            if state.broken:
                self._send(500, "text/html", b"<html><body>500 Internal Server Error</body>"
                                             b"</html>")
                return
            try:
                self._json(200, self._accept(method, query))
            except _Refusal as refusal:
                self._json(refusal.status, {"Code": refusal.code, "Message": refusal.message})

        def _accept(self, method: str, query: str) -> dict:
            pairs = parse_qsl(query, keep_blank_values=True)
            params = dict(pairs)
            if len(params) != len(pairs):
                raise _Refusal(400, "InvalidParameter", "A parameter is given twice.")
            for name in REQUIRED:
                if not params.get(name):
                    raise _Refusal(400, f"Missing{name}",
                                   f"{name} is mandatory for this action.")
            if params["Action"] != "SendSms":
                raise _Refusal(404, "InvalidAction.NotFound", "Specified api is not found.")
            if params["Version"] != "2017-05-25":
                raise _Refusal(400, "InvalidVersion", "Specified parameter Version is not valid.")
            if (params["SignatureMethod"], params["SignatureVersion"]) != ("HMAC-SHA1", "1.0"):
                raise _Refusal(400, "InvalidSignatureMethod",
                               "Specified signature method is not supported.")
            if params["Format"] not in ("JSON", "XML"):
                raise _Refusal(400, "InvalidParameter", "Format must be JSON or XML.")
            if params["AccessKeyId"] != state.access_key_id:
                raise _Refusal(404, "InvalidAccessKeyId.NotFound",
                               "Specified access key is not found.")
            try:
                sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=timezone.utc)
            except ValueError:
                raise _Refusal(400, "InvalidTimeStamp.Format",
                               "Specified time stamp or date value is not well formatted.")
            if abs(datetime.now(timezone.utc) - sent_at) > MAX_SKEW:
                raise _Refusal(400, "InvalidTimeStamp.Expired",
                               "Specified time stamp or date value is expired.")
            if params["Signature"] != expected_signature(state.secret, method, params):
                raise _Refusal(400, "SignatureDoesNotMatch",
                               "Specified signature is not matched with our calculation.")
            with state.lock:
                if params["SignatureNonce"] in state.nonces:
                    raise _Refusal(400, "SignatureNonceUsed",
                                   "Specified signature nonce was used already.")
                state.nonces.add(params["SignatureNonce"])
            return self._send_sms(method, params)

        def _send_sms(self, method: str, params: dict) -> dict:
            phone = params["PhoneNumbers"]
            failure = state.failures.get(phone)
            if failure:
                state.refused.append((failure.code, phone))
                raise _Refusal(failure.status, failure.code, failure.message)
            if not _MOBILE.fullmatch(phone):
                raise _Refusal(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
            if params["SignName"] != state.sign_name:
                raise _Refusal(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
            variables = TEMPLATES.get(params["TemplateCode"])
            if variables is None:
                raise _Refusal(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
            try:
                values = json.loads(params.get("TemplateParam") or "{}")
            except ValueError:
                raise _Refusal(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
            if not isinstance(values, dict) or not all(isinstance(v, str)
                                                       for v in values.values()):
                raise _Refusal(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
            if any(not values.get(name) for name in variables):
                raise _Refusal(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
            biz_id = f"{next(state._ids)}^0"
            state.accepted.append(Accepted(phone, params["SignName"], params["TemplateCode"],
                                           values, params.get("OutId", ""), method, biz_id))
            return {"Code": "OK", "Message": "OK", "BizId": biz_id,
                    "RequestId": str(uuid.uuid4()).upper()}

        def _json(self, status: int, answer: dict) -> None:
            answer.setdefault("RequestId", str(uuid.uuid4()).upper())
            self._send(status, "application/json;charset=utf-8",
                       json.dumps(answer, ensure_ascii=False).encode("utf-8"))

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

    return Handler


@pytest.fixture
def sms_server():
    """A running stand-in for the SMS provider on a free local port; stopped after the test."""
    state = SmsServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="sms-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.released.set()  # let a hanging answer end
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def sms_app_config(sms_server):
    """The SMS_* settings that send through ``sms_server`` (merge them into ``app_config``)."""
    return {
        "SMS_PROVIDER": "aliyun",
        "SMS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "SMS_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "SMS_SIGN_NAME": SIGN_NAME,
        "SMS_TEMPLATE_CODE": TEMPLATE_CODE,
        "SMS_TEMPLATE_NOTICE": TEMPLATE_NOTICE,
        "SMS_ENDPOINT": sms_server.url,
        "SMS_TIMEOUT": 2.0,
    }
