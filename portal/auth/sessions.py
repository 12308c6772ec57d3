"""Server-side login sessions (DESIGN §4).

The cookie carries a random session id and a random session key. The row is found
by a hash of the id and holds the account's private key wrapped under the session
key: a database dump alone opens nothing, and a cookie alone opens nothing once the
row is gone (logout, 30 minutes idle, 8 hours in all).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, joinedload

import crypto
from crypto import DecryptionError
from portal.models import LoginSession, User

TOKEN_BYTES = 32
#: ``last_seen_at`` is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
STAGES = ("password", "active")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class OpenSession:
    row: LoginSession
    user: User
    private_key: bytes


def _id_hash(session_id: bytes) -> bytes:
    return hashlib.sha256(b"miviludes-portal/session/" + session_id).digest()


def start_session(
    session: Session, user: User, private_key: bytes, stage: str, now: datetime
) -> str:
    """Create a row and return the cookie value; a new id every time (no fixation)."""
    if stage not in STAGES:
        raise ValueError(stage)
    session_id, session_key = os.urandom(TOKEN_BYTES), os.urandom(TOKEN_BYTES)
    session.add(
        LoginSession(
            id_hash=_id_hash(session_id),
            user_id=user.id,
            stage=stage,
            wrapped_private_key=crypto.wrap_key(session_key, private_key, "session", str(user.id)),
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return base64.urlsafe_b64encode(session_id + session_key).decode().rstrip("=")


def _split(cookie: str) -> tuple[bytes, bytes] | None:
    try:
        raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 2 * TOKEN_BYTES:
        return None
    return raw[:TOKEN_BYTES], raw[TOKEN_BYTES:]


#: A session and its account in one query, built once: every signed-in page asks
#: (building it anew, as ``Session.get`` does, cost as much as running it).
_SESSION_WITH_ACCOUNT = (
    select(LoginSession)
    .options(joinedload(LoginSession.user))
    .where(LoginSession.id_hash == bindparam("id_hash"))
)


def load_session(
    session: Session, cookie: str | None, now: datetime, policy: SessionPolicy
) -> OpenSession | None:
    """The open session for a cookie, or ``None``; an expired row is deleted on sight."""
    parts = _split(cookie or "")
    if parts is None:
        return None
    session_id, session_key = parts
    found = session.execute(_SESSION_WITH_ACCOUNT, {"id_hash": _id_hash(session_id)})
    row = found.scalar_one_or_none()
    if row is None:
        return None
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        session.delete(row)
        session.flush()
        return None
    user = row.user
    if user.disabled:
        return None
    try:
        private_key = crypto.unwrap_key(
            session_key, row.wrapped_private_key, "session", str(user.id)
        )
    except DecryptionError:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return OpenSession(row, user, private_key)


def end_session(session: Session, row: LoginSession) -> None:
    session.delete(row)
    session.flush()


def purge_expired(session: Session, now: datetime, policy: SessionPolicy) -> int:
    result = session.execute(
        delete(LoginSession).where(
            (LoginSession.last_seen_at < now - policy.idle)
            | (LoginSession.created_at < now - policy.absolute)
        )
    )
    return result.rowcount
