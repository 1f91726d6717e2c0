"""Languages: Simplified Chinese by default, English on request (a cookie set by the switch)."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale

from consult.clock import to_local
from consult.extensions import babel

LANGUAGES = {"zh_Hans": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_Hans"
LANG_COOKIE = "lang"


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background work
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def html_lang(locale) -> str:
    """BCP 47 tag for ``<html lang>``: zh-Hans, en."""
    return str(locale).replace("_", "-")


def local_datetime(value, fmt: str = "medium") -> str:
    """Format a naive-UTC database time in Asia/Shanghai for the current language."""
    if value is None:
        return ""
    if fmt == "date":
        return format_datetime(to_local(value), "yyyy-MM-dd")
    if fmt == "short":
        return format_datetime(to_local(value), "yyyy-MM-dd HH:mm")
    return format_datetime(to_local(value), fmt)


def weekday(value) -> str:
    """The day of the week, in the reader's language, of a date field's value: a date, a
    datetime (local time already, as a form holds it), text like ``2026-12-01`` or
    ``2026-12-01T19:00``, or a WTForms field holding one; "" when there is no valid date."""
    if hasattr(value, "_value"):  # a form field: what it shows, typed or stored
        value = value.data if isinstance(value.data, (date, datetime)) else value._value()
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError:
            return ""
    if not isinstance(value, date):
        return ""
    return format_date(value, "EEEE")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: "Asia/Shanghai")
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["weekday"] = weekday
    from consult.text import plain_paragraphs

    app.jinja_env.filters["paragraphs"] = plain_paragraphs
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["get_locale"] = get_locale
