"""Translated, styled error pages for every HTTP error the portal can raise."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import recover_storage

logger = logging.getLogger(__name__)

#: Status → (title, explanation); anything else falls back to the generic text.
MESSAGES = {
    400: (
        _l("Request not understood"),
        _l("The page received a request it could not read. Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or has moved.")),
    405: (
        _l("Action not allowed"),
        _l(
            "This page cannot be used in this way. "
            "Please go back and use the links or buttons on the page."
        ),
    ),
    413: (
        _l("Too much data sent"),
        _l(
            "What you sent is larger than the portal accepts. "
            "If you attached files, send smaller or fewer files."
        ),
    ),
    422: (
        _l("This cannot be done"),
        _l(
            "This action does not apply to what it names in its present state, for example "
            "an account that has been disabled. Reload the page and try again."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l(
            "Too many requests came from your connection in a short time. "
            "Please wait a few minutes before trying again."
        ),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "The portal met an unexpected error. Nothing you did caused it. "
            "Please try again in a few minutes."
        ),
    ),
    503: (
        _l("This service is not open yet"),
        _l(
            "The portal cannot receive requests for the moment. "
            "In an emergency, call 17 or 112; otherwise, please come back later."
        ),
    ),
}
GENERIC = (_l("An error occurred"), _l("The portal could not answer this request."))
#: The database cannot be reached, is locked past the timeout or cannot be written.
STORAGE_FAULT = (
    _l("The portal is unavailable for a moment"),
    _l(
        "A technical problem on our side stops the portal from answering just now. "
        "Please try again in a few minutes. If someone is in danger, call 17 or 112 now."
    ),
)
#: Seconds a client is asked to wait after a storage fault.
RETRY_AFTER_SECONDS = 30


def render_error(error: HTTPException):
    if error.response is not None:
        # A view or an extension chose the answer itself (the referral form given back
        # when its limit is reached): keep it.
        return error.response
    code = error.code or 500
    title, explanation = MESSAGES.get(code, GENERIC)
    response = render_template("errors/error.html", code=code, title=title, explanation=explanation)
    return response, code


def _render_unexpected(error: Exception):
    # Only the exception is logged: no request data, so no address or user agent.
    logger.exception("unhandled error", exc_info=error)
    return render_error(InternalServerError())


def _render_storage_fault(error: OperationalError):
    """A fault that passes (an outage, a lock, a read-only disk): 503, not 500, and the
    pool renewed so the next request heals. Forms that hold typed text catch the fault
    themselves and give the text back; this is for every other page."""
    logger.error("the database could not answer: %s", type(error.orig).__name__)
    recover_storage()
    title, explanation = STORAGE_FAULT
    response = render_template("errors/error.html", code=503, title=title, explanation=explanation)
    return response, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, _render_storage_fault)
    app.register_error_handler(Exception, _render_unexpected)
