"""Accounts without secrets in a terminal: an administrator invites a member, or resets
an account, and the person sets their own password through a one-time link; the
authentication app is enrolled at their first login, as for any new account.

No password or TOTP secret is ever shown to an administrator or sent by e-mail: the
e-mail carries only the link. The token is 256 random bits, stored as its SHA-256,
valid once and for 72 hours. A reset gives the account a new key pair (its old
group keys are dropped); an administrator grants them again from the accounts page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import accounts
from portal.models import MIVILUDES_ROLES, ROLES, Association, Invitation, User
from portal.records import outbox
from portal.records.audit import record_event
from portal.vocabulary import LANGUAGES

VALID_FOR = timedelta(hours=72)
#: Roles an administrator may move an account between (a partner stays with its
#: association: a new account is invited for another one).
STAFF_SIDE_ROLES = ("staff", "admin", "analyst")


class InvitationRefused(ValueError):
    """Why an invitation cannot be sent (the message is a code the view translates)."""


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Sent:
    invitation: Invitation
    link: str


def invite(
    session: Session,
    email: str,
    role: str,
    association: Association | None,
    actor: User,
    now: datetime,
    link_for,
) -> Sent:
    """A new member: the account is created when they set their password."""
    email = accounts.normalise_email(email)
    if role not in ROLES:
        raise InvitationRefused("role")
    if (role == "partner") != (association is not None):
        raise InvitationRefused("association")
    if accounts.find_account(session, email) is not None:
        raise InvitationRefused("exists")
    return _send(session, email, role, association, None, actor, now, link_for)


def invite_reset(session: Session, user: User, actor: User, now: datetime, link_for) -> Sent:
    """A new password (and key pair) for an existing account, through the same link."""
    association = session.get(Association, user.association_id) if user.association_id else None
    return _send(session, user.email, user.role, association, user, actor, now, link_for)


def _send(session, email, role, association, user, actor, now, link_for) -> Sent:
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_hash(token),
        email=email,
        role=role,
        association_id=association.id if association else None,
        user_id=user.id if user else None,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(invitation)
    session.flush()
    link = link_for(token)
    subject, body = _email(link, reset=user is not None)
    outbox.queue_email(session, email, subject, body)
    record_event(
        session,
        actor=actor.actor,
        action="account.reset_link" if user else "account.invite",
        target=user.actor if user else f"invitation:{invitation.id}",
        details={"role": role},
    )
    return Sent(invitation, link)


def _email(link: str, *, reset: bool) -> tuple[str, str]:
    """French then English, like every notification; the link only, never a secret."""
    subjects, paragraphs = [], []
    for language in LANGUAGES:
        with force_locale(language):
            if reset:
                subjects.append(gettext("Set a new password for the Miviludes portal"))
                paragraphs.append(
                    gettext(
                        "An administrator reset your account. Open this link within 72 hours "
                        "to choose a new password; at your next login you will enrol your "
                        "authentication app again."
                    )
                )
            else:
                subjects.append(gettext("Your account on the Miviludes portal"))
                paragraphs.append(
                    gettext(
                        "An administrator invited you to the Miviludes referral portal. Open "
                        "this link within 72 hours to choose your password; at your first "
                        "login you will enrol an authentication app."
                    )
                )
            paragraphs.append(
                gettext("If you did not expect this message, ignore it: the link expires.")
            )
    return " / ".join(subjects), "\n\n".join(paragraphs) + f"\n\n{link}\n"


def open_invitation(session: Session, token: str, now: datetime) -> Invitation | None:
    """The invitation of a link, unused and unexpired; ``None`` otherwise."""
    if not token or len(token) > 100:
        return None
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def accept(
    session: Session, invitation: Invitation, password: str, now: datetime, fast_hashing: bool
) -> User:
    """Set the password: a new account, or the reset of an existing one. The link is
    used up in the same transaction (a second use finds it used)."""
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise InvitationRefused("used")
    if invitation.user_id is not None:
        user = session.get_one(User, invitation.user_id)
        accounts.reset_account(
            session, user, password=password, fast_hashing=fast_hashing, actor=user.actor
        )
        return user
    association = (
        session.get(Association, invitation.association_id) if invitation.association_id else None
    )
    created = accounts.create_account(
        session,
        invitation.email,
        invitation.role,
        association=association,
        password=password,
        fast_hashing=fast_hashing,
        actor=f"invitation:{invitation.id}",
    )
    return created.user


def change_role(session: Session, user: User, role: str, actor: User) -> None:
    """Between staff, administrator and analyst. An analyst holds no key: becoming one
    drops the account's keys and sessions; becoming staff waits for keys."""
    if role not in STAFF_SIDE_ROLES or user.role not in STAFF_SIDE_ROLES:
        raise InvitationRefused("role")
    if user.id == actor.id:
        raise InvitationRefused("self")
    previous, user.role = user.role, role
    if role not in MIVILUDES_ROLES:
        accounts.drop_access(session, user)
    record_event(
        session,
        actor=actor.actor,
        action="account.role",
        target=user.actor,
        details={"from": previous, "to": role},
    )
    session.flush()


def accounts_list(session: Session) -> list[tuple[User, str | None]]:
    """Every account with its association's name (for partners)."""
    return list(
        session.execute(
            select(User, Association.name)
            .outerjoin(Association, Association.id == User.association_id)
            .order_by(User.disabled, User.role, User.email)
        ).all()
    )
