"""The language lives in the URL: ``/fr/…`` and ``/en/…``, each with its own slugs.

A public page is declared once with a path per language; both rules share one
endpoint and carry the language as a rule default, so ``url_for`` picks the right
slug from the ``lang`` value and views never receive it as an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, g, request, url_for

from portal.urls import carried_query
from portal.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

LANG_ARG = "lang"


def localized_route(
    blueprint: Blueprint, paths: Mapping[str, str], **options: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view`` under ``/fr<paths['fr']>`` and ``/en<paths['en']>``."""
    if set(paths) != set(LANGUAGES):
        raise ValueError(f"a localized route needs a path for each of {LANGUAGES}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        for lang, path in paths.items():
            blueprint.add_url_rule(
                f"/{lang}{path}", view_func=view, defaults={LANG_ARG: lang}, **options
            )
        return view

    return decorator


def current_language() -> str:
    """The language of the page being served.

    From the matched rule when there is one; otherwise (an unknown URL, an error
    before routing) from the URL prefix, then from ``Accept-Language``.
    """
    lang = g.get("lang") or g.get("portal_language_guess")
    if lang:
        return lang
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in LANGUAGES:
        return prefix
    # Asked for about ten times by a staff page (which has no language in its URL).
    g.portal_language_guess = request.accept_languages.best_match(LANGUAGES, DEFAULT_LANGUAGE)
    return g.portal_language_guess


def _pop_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and LANG_ARG in values:
        g.lang = values.pop(LANG_ARG)


def _add_language(endpoint: str, values: dict[str, Any]) -> None:
    if LANG_ARG not in values and current_app.url_map.is_endpoint_expecting(endpoint, LANG_ARG):
        values[LANG_ARG] = current_language()


def switch_language_url(lang: str) -> str:
    """The same page in another language, or that language's home page."""
    endpoint = request.endpoint
    if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, LANG_ARG):
        args = {**(request.view_args or {}), LANG_ARG: lang}
        # The form of a GET page (the region finder) is kept across the switch.
        return url_for(endpoint, **args, **carried_query(*args))
    return url_for("public.home", **{LANG_ARG: lang})


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_pop_language)
    app.url_defaults(_add_language)
