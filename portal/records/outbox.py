"""E-mail notifications through an outbox table.

A notification is written in the same transaction as what it announces, and sent
afterwards; what failed stays queued for ``portal outbox send``. Bodies hold a link
and never any content of a referral.
"""

from __future__ import annotations

import contextlib
import smtplib
import sys
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxEmail, utcnow

MAX_ATTEMPTS = 10
SMTP_TIMEOUT_SECONDS = 10


def queue_email(
    session: Session, recipient: str, subject: str, body: str, *, forget_recipient: bool = False
) -> OutboxEmail:
    """``forget_recipient``: a reporter's address, erased from the row once the message
    is sent or can no longer be (it is in clear only while it waits)."""
    email = OutboxEmail(
        recipient=recipient, subject=subject, body=body, forget_recipient=forget_recipient
    )
    session.add(email)
    session.flush()
    return email


def _message(email: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message.set_content(email.body)
    return message


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname or "localhost", parts.port or 465, timeout=SMTP_TIMEOUT_SECONDS
        )
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(
            parts.hostname or "localhost", parts.port or 587, timeout=SMTP_TIMEOUT_SECONDS
        )
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls()
            client.ehlo()
    else:
        raise ValueError("PORTAL_SMTP_URL must start with smtp:// or smtps://")
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def deliver_pending(session: Session, smtp_url: str, sender: str, console=None) -> tuple[int, int]:
    """Send what is queued; returns (sent, failed). Without an SMTP URL the messages
    are printed on the console (the demo)."""
    pending = list(
        session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS)
            .order_by(OutboxEmail.id)
        )
    )
    if not pending:
        return 0, 0
    sent = failed = 0
    client = None
    for email in pending:  # a server that cannot be reached counts as an attempt too
        email.attempts += 1
    try:
        if smtp_url:
            client = _smtp(smtp_url)
        for email in pending:
            if client is None:
                out = console or sys.stdout
                print(
                    f"--- e-mail (demo outbox) to {email.recipient}\n"
                    f"Subject: {email.subject}\n\n{email.body}\n---",
                    file=out,
                    flush=True,
                )
            else:
                client.send_message(_message(email, sender))
            email.sent_at = utcnow()
            email.last_error = ""
            sent += 1
    except (OSError, smtplib.SMTPException) as error:
        for email in pending:
            if email.sent_at is None:
                email.last_error = type(error).__name__[:200]
                failed += 1
    finally:
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
        for email in pending:
            if email.forget_recipient and (email.sent_at or email.attempts >= MAX_ATTEMPTS):
                email.recipient = ""
    session.flush()
    return sent, failed
