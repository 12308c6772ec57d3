"""What every template can use: the language, the language switch, the emergency numbers."""

from __future__ import annotations

from flask import Flask, current_app

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


def init_app(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Whitespace inside {% trans %} blocks is folded, as babel.cfg tells the extractor.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
