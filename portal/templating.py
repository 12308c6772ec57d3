"""What every template can use: the language, the language switch, the emergency numbers,
and sizes and dates written in the reader's language, one way everywhere."""

from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from flask import Flask, current_app, g, request
from flask_babel import format_decimal, get_timezone, get_translations, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from portal.extensions import once_per_process
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
#: Babel's patterns define them; ``moment`` and ``day`` write the same text from the
#: month names alone, because formatting through the pattern took 0.05 ms a date,
#: 2.5 ms of a queue page of 50 (tests/test_templating.py holds them to Babel's text).
MOMENT_PATTERN = "d MMMM y, HH:mm"
DAY_PATTERN = "d MMMM y"


@functools.cache
def _month_names(lang: str) -> dict[int, str]:
    return dict(get_month_names("wide", context="format", locale=lang))


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _reader_calendar() -> tuple[dict[int, str], ZoneInfo]:
    """The reader's month names and time zone, looked up once per request."""
    found = g.get("portal_calendar")
    if found is None:
        found = g.portal_calendar = (
            _month_names(current_language()),
            _zone(str(get_timezone())),
        )
    return found


def moment(value: datetime) -> str:
    months, zone = _reader_calendar()
    local = value.astimezone(zone)
    return f"{local.day} {months[local.month]} {local.year}, {local.hour:02d}:{local.minute:02d}"


def day(value: date) -> str:
    months, zone = _reader_calendar()
    if isinstance(value, datetime):
        value = value.astimezone(zone)
    return f"{value.day} {months[value.month]} {value.year}"


def number(value: object) -> object:
    """A count or a figure in the reader's language ("4 571", "12,5"); text as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and value != int(value):
        return format_decimal(round(value, 1), format="#,##0.0")
    return format_decimal(int(value))


def aria_invalid(field, attributes: dict | None = None) -> dict[str, str]:
    """A field's attributes, with ``aria-invalid`` when it is in error, so that
    assistive technology announces it (Jinja takes a single ``**`` per call)."""
    merged = dict(attributes or {})
    if field.errors:
        merged["aria-invalid"] = "true"
    return merged


def _translations():
    """The request's catalogue, looked up once per request and language: Flask-Babel
    looks it up anew for each string (a back-office page has about 150 of them), and
    even once it cost a fiftieth of a queue page. Templates are written in the
    request's language (``force_locale`` serves only the e-mails, written in Python)."""
    found = g.get("portal_translations")
    if found is None:
        language = current_language()
        found = g.portal_translations = once_per_process(
            f"portal.translations.{language}", get_translations
        )
    return found


FRAGMENTS_KEY = "portal.fragments"
#: How much text a worker keeps in fragments (about twice as many bytes); past it, it
#: starts afresh. The queue's pages, one per state of the data shown, make most of it.
MAX_FRAGMENT_CHARACTERS = 4_000_000


class _Fragments(dict):
    """Kept fragments by key, with the number of characters they hold."""

    characters = 0


def kept_fragment(*key, caller) -> Markup:
    """What a ``{% call kept_fragment(name, ...) %}`` block writes, rendered once per
    worker and key, then reused: the frame of every page (menus, footer: about a
    hundred strings and fifteen links) and the triage queue (kept by the rows and
    counts it shows) cost half a staff page otherwise.

    The key must name everything the block shows that may differ between two
    requests; the language, the reader's time zone and the site's root are always
    part of it. Nothing personal goes in a fragment (no e-mail, no token): those are
    written around it.
    """
    fragments: _Fragments = current_app.extensions[FRAGMENTS_KEY]
    reader = g.get("portal_fragment_reader")
    if reader is None:
        reader = g.portal_fragment_reader = (
            current_language(),
            str(_reader_calendar()[1]),
            request.script_root,
        )
    full_key = (*reader, *(tuple(part) if isinstance(part, list) else part for part in key))
    found = fragments.get(full_key)
    if found is None:
        found = Markup(caller())  # noqa: S704 (the block's output, escaped by Jinja)
        if fragments.characters + len(found) > MAX_FRAGMENT_CHARACTERS:
            fragments.clear()
            fragments.characters = 0
        fragments[full_key] = found
        fragments.characters += len(found)
    return found


def init_app(app: Flask) -> None:
    app.extensions[FRAGMENTS_KEY] = _Fragments()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.context_processor(_template_globals)
    app.jinja_env.globals["aria_invalid"] = aria_invalid
    app.jinja_env.globals["kept_fragment"] = kept_fragment
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["number"] = number
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Whitespace inside {% trans %} blocks is folded, as babel.cfg tells the extractor.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
