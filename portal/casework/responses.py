"""What the back-office and partner views share: opening keys, downloads, the outbox."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, stream_with_context
from werkzeug.http import quote_header_value

from portal.auth.sessions import OpenSession
from portal.casework import access
from portal.extensions import db
from portal.models import Referral
from portal.records import outbox

#: Types a browser may show inline; everything else is downloaded.
SHOWN_INLINE = frozenset({"application/pdf", "image/jpeg", "image/png"})
#: Shown inline only once cleaned: a PDF kept as evidence may still carry scripts,
#: actions or embedded files, which the browser's viewer would act on.
INLINE_ONLY_WHEN_CLEANED = frozenset({"application/pdf"})


def commit_keeping_what_is_loaded() -> None:
    """Commit the audit event of an opening before the page is rendered, so the
    opening is on record even if rendering fails, without expiring what the page is
    about to show: expiring it made the case page reload each association, account
    and routing one query at a time (benchmarks/triage.py)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def data_key_or_403(account: OpenSession, referral: Referral) -> bytes:
    try:
        return access.open_data_key(db.session, account.user, account.private_key, referral)
    except access.KeysNotGranted:
        abort(403)


def _content_disposition(name: str, inline: bool) -> str:
    """An ASCII fallback and the exact UTF-8 name (RFC 6266); no header injection."""
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename={quote_header_value(ascii_name)}; filename*=UTF-8''{quote(name)}"


def attachment_response(account: OpenSession, referral: Referral, attachment_id: str) -> Response:
    try:
        download = access.open_attachment(
            db.session, account.user, account.private_key, referral, attachment_id
        )
    except access.KeysNotGranted:
        abort(403)
    if download is None:
        abort(404)
    db.session.commit()  # the download is audited before the first byte leaves
    inline = download.media_type in SHOWN_INLINE and (
        download.cleaned or download.media_type not in INLINE_ONLY_WHEN_CLEANED
    )
    response = Response(
        stream_with_context(download.chunks),
        mimetype=download.media_type if inline else "application/octet-stream",
    )
    response.headers["Content-Disposition"] = _content_disposition(download.name, inline)
    response.headers["Content-Length"] = str(download.size)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_outbox() -> None:
    """Try to send what was queued, after the commit; failures stay for the retry command."""
    config = current_app.extensions["portal.config"]
    outbox.deliver_pending(db.session, config.smtp_url, config.mail_from)
    db.session.commit()
