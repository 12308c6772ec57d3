"""Absolute addresses for what leaves the portal (e-mails), from the configured base URL.

Never from the request: its ``Host`` header is whatever the client sent, and a
forged one would otherwise end up in the link a partner clicks.
"""

from __future__ import annotations

from flask import current_app, url_for


def external_url(endpoint: str, **values) -> str:
    return current_app.extensions["portal.config"].base_url + url_for(endpoint, **values)
