"""SMS (短信): one provider interface, chosen by ``SMS_PROVIDER``.

- ``log``: development and tests; the message goes to the app's log.
- ``aliyun``: Alibaba Cloud SMS (阿里云短信服务), see :mod:`.aliyun`.
- unset: ``log`` outside production, and no SMS at all in production (:func:`provider`
  answers None; the caller records that nothing was sent).

:func:`check_settings` runs when the configuration is loaded, so that a misconfigured provider
stops the app at start rather than at the first message.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

from .aliyun import DEFAULT_ENDPOINT, TEMPLATE_SETTINGS, AliyunProvider
from .base import LogProvider, Provider

__all__ = ["DEFAULT_ENDPOINT", "PROVIDERS", "Provider", "check_settings", "chosen", "provider"]

PROVIDERS = ("log", "aliyun")
# What ``aliyun`` needs besides the endpoint and timeout, which have defaults.
ALIYUN_REQUIRED = ("SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME",
                   *TEMPLATE_SETTINGS.values())


def chosen(config: Mapping) -> str | None:
    """The provider's name the settings choose, or None for no SMS (production, unset)."""
    name = (config.get("SMS_PROVIDER") or "").strip().lower()
    if name:
        return name
    return None if config.get("ENV_NAME") == "production" else "log"


def check_settings(config: Mapping) -> None:
    """Raise RuntimeError, naming what to set, when the SMS settings cannot work."""
    name = chosen(config)
    if name is None or name == "log":
        return
    if name not in PROVIDERS:
        raise RuntimeError(f"SMS_PROVIDER={config.get('SMS_PROVIDER')!r} is not a known SMS "
                           f"provider: use one of {', '.join(PROVIDERS)}, or leave it unset")
    missing = [setting for setting in ALIYUN_REQUIRED if not (config.get(setting) or "").strip()]
    if missing:
        raise RuntimeError(f"SMS_PROVIDER=aliyun needs {', '.join(missing)} to be set")
    endpoint = config.get("SMS_ENDPOINT") or DEFAULT_ENDPOINT
    if not endpoint.startswith(("https://", "http://")):
        raise RuntimeError(f"SMS_ENDPOINT must be an http(s) URL such as {DEFAULT_ENDPOINT}, "
                           f"not {endpoint!r}")
    try:
        timeout = float(config.get("SMS_TIMEOUT") or 10)
    except (TypeError, ValueError):
        timeout = 0
    if not timeout > 0:
        raise RuntimeError(f"SMS_TIMEOUT must be a number of seconds above 0, not "
                           f"{config.get('SMS_TIMEOUT')!r}")


def provider(config: Mapping | None = None) -> Provider | None:
    """The SMS provider the settings choose (``config``, or the current app's), or None when
    no SMS may be sent (production without ``SMS_PROVIDER``)."""
    if config is None:
        config = current_app.config
    check_settings(config)
    name = chosen(config)
    if name is None:
        return None
    if name == "log":
        return LogProvider()
    return AliyunProvider.from_config(config)
