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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

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


@dataclass(eq=False)
class OpenSession:
    """A session that opened, read as plain columns: a page that only lists needs the
    account's id, role and e-mail, and building the two ORM objects cost a sixth of
    a triage-queue page. The account's ORM object is loaded when a view asks for it."""

    id_hash: bytes
    stage: str
    user_id: int
    role: str
    email: str
    private_key: bytes
    #: ``last_seen_at`` was moved forward in this request's transaction.
    touched: bool
    _session: Session = field(repr=False)

    @cached_property
    def user(self) -> User:
        return self._session.get_one(User, self.user_id)


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
    select(
        LoginSession.stage,
        LoginSession.wrapped_private_key,
        LoginSession.created_at,
        LoginSession.last_seen_at,
        User.id,
        User.role,
        User.email,
        User.disabled,
    )
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.id_hash == bindparam("id_hash"))
)
_TOUCH = (
    update(LoginSession)
    .where(LoginSession.id_hash == bindparam("session_id_hash"))
    .values(last_seen_at=bindparam("now"))
)
_END = delete(LoginSession).where(LoginSession.id_hash == bindparam("id_hash"))


def load_session(
    session: Session, cookie: str | None, now: datetime, policy: SessionPolicy
) -> OpenSession | None:
    """The open session for a cookie, or ``None``; an expired row is deleted on sight."""
    parts = _split(cookie or "")
    if parts is None:
        return None
    session_id, session_key = parts
    id_hash = _id_hash(session_id)
    connection = session.connection()
    row = connection.execute(_SESSION_WITH_ACCOUNT, {"id_hash": id_hash}).first()
    if row is None:
        return None
    stage, wrapped_private_key, created_at, last_seen_at, user_id, role, email, disabled = row
    if now - last_seen_at > policy.idle or now - created_at > policy.absolute:
        connection.execute(_END, {"id_hash": id_hash})
        return None
    if disabled:
        return None
    try:
        private_key = crypto.unwrap_key(session_key, wrapped_private_key, "session", str(user_id))
    except DecryptionError:
        return None
    touched = now - last_seen_at > TOUCH_INTERVAL
    if touched:
        connection.execute(_TOUCH, {"session_id_hash": id_hash, "now": now})
    return OpenSession(id_hash, stage, user_id, role, email, private_key, touched, session)


def end_session(session: Session, login: OpenSession) -> None:
    session.connection().execute(_END, {"id_hash": login.id_hash})


def purge_expired(session: Session, now: datetime, policy: SessionPolicy) -> int:
    result = session.execute(
        delete(LoginSession).where(
            (LoginSession.last_seen_at < now - policy.idle)
            | (LoginSession.created_at < now - policy.absolute)
        )
    )
    return result.rowcount
