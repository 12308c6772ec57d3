"""Addresses: the ids a URL may carry (only well-formed ones match a route), and
absolute links for what leaves the portal.

Links in e-mails come from the configured base URL, never from the request: its
``Host`` header is whatever the client sent, and a forged one would otherwise end up
in the link a partner clicks.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request, url_for
from werkzeug.routing import BaseConverter, IntegerConverter

from portal.models.base import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number no row can have does not match (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


class ReferenceConverter(BaseConverter):
    """``<ref:public_id>``: a referral's reference as issued (``2026-7K3PQ0``). Anything
    else does not match (404) and never reaches the database: PostgreSQL refuses a
    string holding a NUL character, which a crafted address can carry."""

    regex = r"\d{4}-[0-9A-HJKMNP-TV-Z]{6}"


#: A reference as issued, whole.
REFERENCE = re.compile(ReferenceConverter.regex)


class FileIdConverter(BaseConverter):
    """``<file:attachment_id>``: an attachment's public id (32 hexadecimal digits)."""

    regex = r"[0-9a-f]{32}"


def init_app(app: Flask) -> None:
    """Before any blueprint registers its rules."""
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["ref"] = ReferenceConverter
    app.url_map.converters["file"] = FileIdConverter


def external_url(endpoint: str, **values) -> str:
    return current_app.extensions["portal.config"].base_url + url_for(endpoint, **values)


def carried_query(*taken: str) -> dict[str, str]:
    """The request's query, to carry into a link built with ``url_for``: never an
    argument that a path part already takes, nor one ``url_for`` reads as its own
    (``endpoint``, ``_external``, ``_scheme``…), which a crafted link would otherwise set."""
    return {
        name: value
        for name, value in request.args.items()
        if name not in taken and name != "endpoint" and not name.startswith("_")
    }
