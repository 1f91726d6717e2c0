"""Languages: Simplified Chinese by default, English on request (a cookie set by the switch)."""
from __future__ import annotations

from flask import Flask, g, has_app_context, has_request_context, request
from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale, get_translations

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
    # The two numeric patterns read the same in every language (Babel's "yyyy-MM-dd" and
    # "yyyy-MM-dd HH:mm"); strftime writes them without Babel's pattern machinery, which a
    # page with dozens of times paid for each.
    if fmt == "date":
        return to_local(value).strftime("%Y-%m-%d")
    if fmt == "short":
        return to_local(value).strftime("%Y-%m-%d %H:%M")
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


def _translations():
    """Flask-Babel's translations for the request's language, looked up once per request (and
    again when ``force_locale`` changes the language) rather than at each ``_()`` of a
    template: a page has hundreds."""
    ctx = g.get("_flask_babel") if has_app_context() else None
    if ctx is not None:
        kept = getattr(ctx, "consult_translations", None)
        if kept is not None and kept[0] is getattr(ctx, "babel_locale", None):
            return kept[1]
    translations = get_translations()
    ctx = g.get("_flask_babel") if has_app_context() else None
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.consult_translations = (ctx.babel_locale, translations)
    return translations


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: "Asia/Shanghai")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["weekday"] = weekday
    from consult.text import plain_paragraphs

    app.jinja_env.filters["paragraphs"] = plain_paragraphs
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["get_locale"] = get_locale
