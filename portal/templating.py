"""What every template can use: the language, the language switch, the emergency numbers,
and sizes and dates written in the reader's language, one way everywhere."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_decimal, ngettext
from flask_babel import gettext as _

from portal.i18n import current_language, switch_language_url
from portal.vocabulary import EMERGENCY_NUMBERS, LANGUAGES

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def _template_globals() -> dict[str, object]:
    lang = current_language()
    return {
        "lang": lang,
        "other_languages": [
            {"code": code, "name": LANGUAGE_NAMES[code], "url": switch_language_url(code)}
            for code in LANGUAGES
            if code != lang
        ],
        "language_names": LANGUAGE_NAMES,
        "emergency_numbers": EMERGENCY_NUMBERS,
        "quick_exit_url": current_app.extensions["portal.config"].quick_exit_url,
    }


def file_size(size: int) -> str:
    """Jinja's ``filesizeformat`` speaks English only ("17 Bytes"); staff read French."""
    if size < 1000:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1000 * 1000:
        return _("%(size)s kB", size=format_decimal(round(size / 1000, 1)))
    return _("%(size)s MB", size=format_decimal(round(size / 1000 / 1000, 1)))


#: One way to write a moment and a day on every page, in both languages
#: ("2 décembre 2026, 17:52" / "2 December 2026, 17:52"), in the reader's time zone.
MOMENT_PATTERN = "d MMMM y, HH:mm"
DAY_PATTERN = "d MMMM y"


def moment(value: datetime) -> str:
    return format_datetime(value, MOMENT_PATTERN)


def day(value: date) -> str:
    return format_date(value, DAY_PATTERN)


def aria_invalid(field, attributes: dict | None = None) -> dict[str, str]:
    """A field's attributes, with ``aria-invalid`` when it is in error, so that
    assistive technology announces it (Jinja takes a single ``**`` per call)."""
    merged = dict(attributes or {})
    if field.errors:
        merged["aria-invalid"] = "true"
    return merged


def init_app(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.jinja_env.globals["aria_invalid"] = aria_invalid
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["day"] = day
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Whitespace inside {% trans %} blocks is folded, as babel.cfg tells the extractor.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
