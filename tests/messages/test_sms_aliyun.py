"""The SMS providers (consult/messages/sms/): Alibaba Cloud's requests checked by a local server
that verifies them as the provider does (tests/sms_server.py), the log backend, and the
settings that choose them."""
from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from consult.config import load_config
from consult.messages import sms
from consult.messages.errors import SendFailed
from consult.messages.sms import aliyun
from consult.messages.sms.aliyun import AliyunProvider
from consult.messages.sms.base import LogProvider
from tests import sms_server as server_module

pytestmark = pytest.mark.usefixtures("english")

PHONE = "13800138000"
CODE_TEXT = "【社区议事】您的验证码是 482913，10 分钟内有效。"


@pytest.fixture
def provider(sms_app_config):
    return sms.provider(sms_app_config)


def _failure(provider, phone=PHONE, template="code", params=None) -> SendFailed:
    with pytest.raises(SendFailed) as caught:
        provider.send(phone, template, params or {"code": "482913"}, CODE_TEXT)
    return caught.value


# --- the signature ---------------------------------------------------------------------------

def test_the_signature_matches_the_providers_documented_example():
    # The worked example of the provider's RPC signature documentation (a GET of ECS's
    # DescribeRegions, secret "testsecret").
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z",
              "Version": "2014-05-26"}
    assert aliyun.signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert server_module.expected_signature("testsecret", "GET", params) == \
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_the_providers_rules():
    assert aliyun.percent_encode("a b*c~d-_.") == "a%20b%2Ac~d-_."
    assert aliyun.percent_encode("2026-12-06T08:00:00Z") == "2026-12-06T08%3A00%3A00Z"
    assert aliyun.percent_encode("议") == "%E8%AE%AE"
    assert aliyun.percent_encode('{"code":"1"}') == "%7B%22code%22%3A%221%22%7D"


# --- sending ---------------------------------------------------------------------------------

def test_a_code_reaches_the_server_signed_with_its_template_and_params(sms_server, provider):
    assert isinstance(provider, AliyunProvider) and provider.name == "aliyun"
    biz_id = provider.send(PHONE, "code", {"code": "482913"}, CODE_TEXT, out_id="outbox-17")
    [message] = sms_server.accepted
    assert biz_id == message.biz_id and biz_id.endswith("^0")
    assert message.phone == PHONE
    assert message.sign_name == "社区议事"
    assert message.template_code == server_module.TEMPLATE_CODE
    assert message.params == {"code": "482913"}
    assert message.out_id == "outbox-17"
    assert message.method == "POST"


def test_a_chinese_notice_keeps_its_text_and_each_request_has_a_new_nonce(sms_server,
                                                                           provider):
    text = "议题《东门外停车 & 充电桩*规划》进入表决 100% ~ 回T退订"
    provider.send(PHONE, "notice", {"text": text}, text)
    provider.send("+8613900139000", "notice", {"text": text}, text)
    first, second = sms_server.accepted
    assert first.template_code == server_module.TEMPLATE_NOTICE
    assert first.params == {"text": text} and first.out_id == ""
    assert second.phone == "+8613900139000"
    assert len(sms_server.nonces) == 2


def test_the_request_carries_the_common_parameters(provider):
    params = provider.request_params(PHONE, "code", {"code": "1234"}, out_id="x")
    assert {k: params[k] for k in ("Action", "Version", "Format", "RegionId",
                                   "SignatureMethod", "SignatureVersion")} == {
        "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON",
        "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
    stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(stamp.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)) \
        < timedelta(minutes=1)
    assert params["TemplateParam"] == '{"code":"1234"}'
    assert params["Signature"] == server_module.expected_signature(
        server_module.ACCESS_KEY_SECRET, "POST", params)


def test_the_server_refuses_a_parameter_changed_after_signing_and_a_reused_nonce(
        sms_server, provider):
    params = provider.request_params(PHONE, "code", {"code": "1234"})
    body = "&".join(f"{aliyun.percent_encode(k)}={aliyun.percent_encode(v)}"
                    for k, v in params.items())

    def post(data: str):
        request = Request(sms_server.url, data=data.encode(), method="POST",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urlopen(request, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    status, answer = post(body.replace(PHONE, "13900139000"))
    assert status == 400 and "SignatureDoesNotMatch" in answer
    assert post(body)[0] == 200
    status, answer = post(body)
    assert status == 400 and "SignatureNonceUsed" in answer
    assert len(sms_server.accepted) == 1


# --- refusals and their retry flag -----------------------------------------------------------

def test_a_wrong_secret_is_refused_by_the_server_and_not_retried(sms_server, sms_app_config):
    provider = sms.provider({**sms_app_config, "SMS_ACCESS_KEY_SECRET": "not-the-secret"})
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("SignatureDoesNotMatch", False)
    assert "SMS_ACCESS_KEY_SECRET" in str(failed.message)
    assert sms_server.accepted == []


def test_an_unknown_access_key_is_not_retried(sms_app_config):
    failed = _failure(sms.provider({**sms_app_config, "SMS_ACCESS_KEY_ID": "LTAI-nobody"}))
    assert (failed.code, failed.retry) == ("InvalidAccessKeyId.NotFound", False)
    assert "SMS_ACCESS_KEY_ID" in str(failed.message)


@pytest.mark.parametrize("code, status", [
    ("isv.BUSINESS_LIMIT_CONTROL", 200),
    ("isv.DAY_LIMIT_CONTROL", 200),
    ("Throttling.User", 400),
    ("isp.SYSTEM_ERROR", 200),
    ("ServiceUnavailable", 503),
    ("SomethingNew", 502),  # any 5xx is the provider's fault
])
def test_limits_throttling_and_provider_faults_are_retried(sms_server, provider, code, status):
    sms_server.fail(PHONE, code, status=status)
    failed = _failure(provider)
    assert (failed.code, failed.retry) == (code, True)
    assert sms_server.refused == [(code, PHONE)]


def test_the_limit_message_is_clear(sms_server, provider):
    sms_server.fail(PHONE, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控")
    assert "rate limit for this phone number" in str(_failure(provider).message)


@pytest.mark.parametrize("code", [
    "isv.AMOUNT_NOT_ENOUGH", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.DENY_IP_RANGE",
])
def test_refusals_that_sending_again_cannot_cure_are_not_retried(sms_server, provider, code):
    sms_server.fail(PHONE, code)
    failed = _failure(provider)
    assert (failed.code, failed.retry) == (code, False)
    assert str(failed.message) == str(aliyun.ERRORS[code][0])


def test_the_servers_own_checks_map_to_clear_refusals(sms_app_config):
    provider = sms.provider(sms_app_config)
    failed = _failure(provider, phone="12345")
    assert (failed.code, failed.retry) == ("isv.MOBILE_NUMBER_ILLEGAL", False)
    assert "not a valid mobile number" in str(failed.message)

    failed = _failure(sms.provider({**sms_app_config, "SMS_TEMPLATE_CODE": "SMS_999"}))
    assert (failed.code, failed.retry) == ("isv.SMS_TEMPLATE_ILLEGAL", False)
    assert "SMS_TEMPLATE_CODE" in str(failed.message)

    failed = _failure(sms.provider({**sms_app_config, "SMS_SIGN_NAME": "别的签名"}))
    assert (failed.code, failed.retry) == ("isv.SMS_SIGNATURE_ILLEGAL", False)

    failed = _failure(provider, params={"other": "1"})
    assert failed.code == "isv.TEMPLATE_MISSING_PARAMETERS"


def test_an_unknown_code_is_not_retried_and_shows_the_providers_words(sms_server, provider):
    sms_server.fail(PHONE, "isv.SOMETHING_NEW", "新的错误")
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("isv.SOMETHING_NEW", False)
    assert str(failed.message) == \
        "The SMS provider refused the message: isv.SOMETHING_NEW (新的错误)."


def test_a_clock_far_from_the_providers_is_refused(sms_app_config):
    provider = sms.provider(sms_app_config)
    provider._now = lambda: datetime.now(timezone.utc) - timedelta(minutes=20)
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("InvalidTimeStamp.Expired", False)
    assert "clock" in str(failed.message)


def test_an_unknown_template_name_is_refused_before_sending(sms_server, provider):
    failed = _failure(provider, template="digest")
    assert (failed.code, failed.retry) == ("template", False)
    assert sms_server.nonces == set()


# --- the network -------------------------------------------------------------------------------

def test_http_500_is_retried(sms_server, provider):
    sms_server.break_down()
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("HTTP 500", True)
    assert "HTTP 500" in str(failed.message)


def test_a_provider_that_does_not_answer_in_time_is_retried(sms_server, sms_app_config):
    sms_server.hang(10)
    provider = sms.provider({**sms_app_config, "SMS_TIMEOUT": 0.3})
    started = datetime.now()
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("timeout", True)
    assert "0.3 seconds" in str(failed.message)
    assert datetime.now() - started < timedelta(seconds=5)


def test_a_provider_that_cannot_be_reached_is_retried(sms_app_config):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = sms.provider({**sms_app_config, "SMS_ENDPOINT": f"http://127.0.0.1:{port}/"})
    failed = _failure(provider)
    assert (failed.code, failed.retry) == ("network", True)
    assert "could not be reached" in str(failed.message)


# --- the log backend and the choice of provider -----------------------------------------------

def test_the_log_backend_writes_the_message_to_the_app_log(app, caplog):
    caplog.set_level(logging.WARNING)
    chosen = sms.provider()  # SMS_PROVIDER unset, outside production
    assert isinstance(chosen, LogProvider) and chosen.name == "log"
    message_id = chosen.send(PHONE, "code", {"code": "482913"}, CODE_TEXT)
    assert message_id.startswith("log-")
    [record] = [r for r in caplog.records if r.getMessage().startswith("SMS to")]
    assert record.getMessage() == f"SMS to {PHONE}: {CODE_TEXT}"
    assert record.levelno == logging.WARNING and record.name == app.logger.name


@pytest.fixture
def app_config(request):
    """The app's settings: the defaults, or with ``"sms"`` those of the local SMS server."""
    return request.getfixturevalue("sms_app_config") if getattr(request, "param", "") == "sms" \
        else {}


@pytest.mark.parametrize("app_config", ["sms"], indirect=True)
def test_the_app_sends_through_the_provider_its_settings_name(app, sms_server):
    chosen = sms.provider()
    assert isinstance(chosen, AliyunProvider)
    chosen.send(PHONE, "code", {"code": "7788"}, "验证码 7788")
    assert [m.params for m in sms_server.accepted] == [{"code": "7788"}]


@pytest.mark.parametrize("config, expected", [
    ({"ENV_NAME": "development"}, LogProvider),
    ({"ENV_NAME": "development", "SMS_PROVIDER": "log"}, LogProvider),
    ({"ENV_NAME": "production", "SMS_PROVIDER": "log"}, LogProvider),
    ({"ENV_NAME": "production"}, type(None)),
    ({"ENV_NAME": "production", "SMS_PROVIDER": ""}, type(None)),
])
def test_the_setting_chooses_the_provider(config, expected):
    assert isinstance(sms.provider(config), expected)


def test_aliyun_without_its_settings_refuses_to_start():
    with pytest.raises(RuntimeError) as caught:
        sms.provider({"ENV_NAME": "production", "SMS_PROVIDER": "aliyun",
                      "SMS_ACCESS_KEY_ID": "LTAI-x"})
    assert str(caught.value) == (
        "SMS_PROVIDER=aliyun needs SMS_ACCESS_KEY_SECRET, SMS_SIGN_NAME, SMS_TEMPLATE_CODE, "
        "SMS_TEMPLATE_NOTICE to be set")


def test_an_unknown_provider_refuses_to_start():
    with pytest.raises(RuntimeError, match="'twilio' is not a known SMS provider"):
        sms.provider({"SMS_PROVIDER": "twilio"})


ALIYUN_ENV = {"SMS_PROVIDER": "aliyun", "SMS_ACCESS_KEY_ID": "LTAI-x",
              "SMS_ACCESS_KEY_SECRET": "s", "SMS_SIGN_NAME": "社区议事",
              "SMS_TEMPLATE_CODE": "SMS_1", "SMS_TEMPLATE_NOTICE": "SMS_2"}


def test_load_config_reads_the_sms_settings(monkeypatch, tmp_path):
    for name, value in ALIYUN_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMS_ENDPOINT", raising=False)
    monkeypatch.setenv("SMS_TIMEOUT", "4.5")
    config = load_config(str(tmp_path))
    assert {k: config[k] for k in ALIYUN_ENV} == ALIYUN_ENV
    assert config["SMS_ENDPOINT"] == "https://dysmsapi.aliyuncs.com/"
    assert config["SMS_TIMEOUT"] == 4.5
    assert isinstance(sms.provider({**config}), AliyunProvider)


def test_load_config_defaults_to_no_provider_name(monkeypatch, tmp_path):
    for name in (*ALIYUN_ENV, "SMS_ENDPOINT", "SMS_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(str(tmp_path))
    assert config["SMS_PROVIDER"] == "" and config["SMS_TIMEOUT"] == 10.0


@pytest.mark.parametrize("changes, words", [
    ({"SMS_SIGN_NAME": "", "SMS_TEMPLATE_NOTICE": " "},
     "needs SMS_SIGN_NAME, SMS_TEMPLATE_NOTICE to be set"),
    ({"SMS_PROVIDER": "Tencent"}, "'tencent' is not a known SMS provider"),
    ({"SMS_TIMEOUT": "soon"}, "SMS_TIMEOUT must be a number of seconds above 0"),
    ({"SMS_TIMEOUT": "0"}, "SMS_TIMEOUT must be a number of seconds above 0"),
    ({"SMS_ENDPOINT": "dysmsapi.example"}, "SMS_ENDPOINT must be an http(s) URL"),
])
def test_load_config_refuses_sms_settings_that_cannot_work(monkeypatch, tmp_path, changes,
                                                           words):
    for name, value in {**ALIYUN_ENV, **changes}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError) as caught:
        load_config(str(tmp_path))
    assert words in str(caught.value)


def test_the_provider_opens_http_urls_only(sms_app_config):
    with pytest.raises(ValueError, match="http"):
        AliyunProvider.from_config({**sms_app_config, "SMS_ENDPOINT": "file:///etc/passwd"})
