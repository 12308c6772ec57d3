"""Accounts: creation, reset, passwords, TOTP, and the group keys each account holds.

A password never protects data on its own: it unlocks the account's private key, to
which the group keys are sealed. A reset makes a new key pair, so the old password
opens nothing; somebody who holds the Miviludes key grants the group keys again.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import crypto
from crypto.params import FAST_PROFILE, PASSWORD_PROFILE, PROFILES, Argon2Profile
from portal.models import (
    KEY_HOLDING_ROLES,
    MIVILUDES_GROUP,
    MIVILUDES_ROLES,
    ROLES,
    Association,
    KeyGroup,
    LoginSession,
    Membership,
    User,
    utcnow,
)
from portal.records.audit import record_event

PASSWORD_MIN_LENGTH = 12
#: Long passphrases are welcome; the bound only stops a denial of service.
PASSWORD_MAX_LENGTH = 1024
TOTP_ISSUER = "Miviludes"
#: The TOTP time step in seconds; codes of the previous and next step are accepted too.
TOTP_STEP = 30


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class NewCredentials:
    user: User
    password: str
    totp_secret: str

    @property
    def totp_uri(self) -> str:
        return totp_uri(self.user.email, self.totp_secret)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """Why a password is refused, or ``None``. Length only: no composition rules."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    return None


def generated_password() -> str:
    """Five random words' worth of entropy in a form that is easy to type: 24 characters."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(4))


def totp_uri(email: str, secret: str) -> str:
    return pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(
        name=email, issuer_name=TOTP_ISSUER
    )


def password_profile(fast: bool) -> Argon2Profile:
    return FAST_PROFILE if fast else PASSWORD_PROFILE


def _protect(user: User, password: str, profile: Argon2Profile) -> bytes:
    """Give the account a new key pair protected by ``password``; returns the private key."""
    pair = crypto.new_key_pair()
    stored = crypto.protect_private_key(
        password, pair.private, _key_owner(user), profile, allow_weak=profile is FAST_PROFILE
    )
    user.password_salt = stored.salt
    user.password_profile = profile.name
    user.auth_hash = stored.auth_hash
    user.wrapped_private_key = stored.wrapped_private_key
    user.public_key = pair.public
    user.password_changed_at = utcnow()
    return pair.private


def _key_owner(user: User) -> str:
    # The e-mail, not the id, binds the wrapped key: the id is not known before the insert.
    return f"user:{user.email}"


def _new_totp(user: User) -> str:
    secret = pyotp.random_base32()
    user.sealed_totp_secret = crypto.seal_secret(
        secret.encode(), user.public_key, "totp", _key_owner(user)
    )
    user.totp_enrolled = False
    user.totp_last_step = 0
    return secret


def create_account(
    session: Session,
    email: str,
    role: str,
    *,
    association: Association | None = None,
    password: str | None = None,
    fast_hashing: bool = False,
    actor: str = "system",
) -> NewCredentials:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if (role == "partner") != (association is not None):
        raise AccountError("a partner belongs to exactly one association; staff to none")
    if "@" not in email or len(email) > 254:
        raise AccountError("not an e-mail address")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    password = password if password is not None else generated_password()
    if problem := password_problem(password):
        raise AccountError(f"password refused: {problem.replace('_', ' ')}")
    user = User(email=email, role=role, association_id=association.id if association else None)
    _protect(user, password, password_profile(fast_hashing))
    totp_secret = _new_totp(user)
    session.add(user)
    session.flush()
    if association is not None:
        _give_new_association_group(session, user, association)
    record_event(
        session, actor=actor, action="account.create", target=user.actor, details={"role": role}
    )
    return NewCredentials(user, password, totp_secret)


def _give_new_association_group(session: Session, user: User, association: Association) -> None:
    """The first member of an association creates its group key; later members wait
    for a grant from Miviludes, which holds every association key in escrow."""
    if session.scalar(select(KeyGroup).where(KeyGroup.association_id == association.id)):
        return
    miviludes = _miviludes_group(session)
    pair = crypto.new_key_pair()
    group = KeyGroup(
        slug=association.slug,
        association_id=association.id,
        public_key=pair.public,
        key_id=pair.key_id,
        escrow_sealed_private_key=crypto.seal_secret(
            pair.private, miviludes.public_key, "escrow", association.slug
        ),
    )
    session.add(group)
    session.flush()
    _seal_membership(session, user, group, pair.private)
    record_event(
        session,
        actor="system",
        action="keys.group_create",
        target=f"group:{group.slug}",
        details={"key_id": pair.key_id.hex()},
    )


def _miviludes_group(session: Session) -> KeyGroup:
    group = session.scalar(select(KeyGroup).where(KeyGroup.slug == MIVILUDES_GROUP))
    if group is None:
        raise AccountError("run `portal keys init` first")
    return group


def _seal_membership(session: Session, user: User, group: KeyGroup, group_private: bytes) -> None:
    sealed = crypto.seal_secret(group_private, user.public_key, "membership", group.slug)
    membership = session.get(Membership, (user.id, group.id))
    if membership is None:
        session.add(Membership(user_id=user.id, group_id=group.id, sealed_group_key=sealed))
    else:
        membership.sealed_group_key = sealed
    session.flush()


def group_for(session: Session, user: User) -> KeyGroup | None:
    """The one key group an account works with."""
    if user.is_miviludes:
        return _miviludes_group(session)
    return session.scalar(select(KeyGroup).where(KeyGroup.association_id == user.association_id))


def open_group_key(
    session: Session, user: User, private_key: bytes, group: KeyGroup | None = None
) -> bytes | None:
    """The account's group private key, or ``None`` while no key has been granted to it.
    ``group`` saves a query when the caller has already looked it up."""
    group = group or group_for(session, user)
    if group is None:
        return None
    membership = session.get(Membership, (user.id, group.id))
    if membership is None:
        return None
    return crypto.open_secret(membership.sealed_group_key, private_key, "membership", group.slug)


def grant_group_keys(session: Session, user: User, miviludes_private: bytes, actor: str) -> str:
    """Seal to ``user`` the group key its role calls for; returns the group's slug."""
    if user.disabled:
        raise AccountError("the account is disabled")
    if user.role not in KEY_HOLDING_ROLES:
        raise AccountError("an analyst holds no key: they read statistics, never a case")
    miviludes = _miviludes_group(session)
    if user.is_miviludes:
        group, group_private = miviludes, miviludes_private
    else:
        group = group_for(session, user)
        if group is None or group.escrow_sealed_private_key is None:
            association = session.get(Association, user.association_id)
            _give_new_association_group(session, user, association)
            return association.slug
        group_private = crypto.open_secret(
            group.escrow_sealed_private_key, miviludes_private, "escrow", group.slug
        )
    _seal_membership(session, user, group, group_private)
    record_event(
        session, actor=actor, action="keys.grant", target=user.actor, details={"group": group.slug}
    )
    return group.slug


def _holds_own_group_key():
    """SQL: the account holds the key of the group its role calls for."""
    own_group = ((KeyGroup.slug == MIVILUDES_GROUP) & User.role.in_(MIVILUDES_ROLES)) | (
        KeyGroup.association_id == User.association_id
    )
    return (
        select(Membership.user_id)
        .join(KeyGroup, KeyGroup.id == Membership.group_id)
        .where(Membership.user_id == User.id, own_group)
        .exists()
    )


def accounts_waiting_for_keys(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.disabled.is_(False),
                User.role.in_(KEY_HOLDING_ROLES),
                ~_holds_own_group_key(),
            )
            .order_by(User.email)
        )
    )


def partner_members(session: Session) -> list[tuple[User, str]]:
    """Every active partner member with the name of their association."""
    return [
        (user, name)
        for user, name in session.execute(
            select(User, Association.name)
            .join(Association, Association.id == User.association_id)
            .where(User.role == "partner", User.disabled.is_(False))
            .order_by(Association.name, User.email)
        )
    ]


def has_group_key(session: Session, user: User) -> bool:
    return bool(session.scalar(select(_holds_own_group_key()).where(User.id == user.id)))


def reset_account(
    session: Session,
    user: User,
    *,
    password: str | None = None,
    fast_hashing: bool = False,
    actor: str = "system",
) -> NewCredentials:
    """New password, new key pair, new TOTP secret; sessions and group keys are dropped."""
    password = password if password is not None else generated_password()
    if problem := password_problem(password):
        raise AccountError(f"password refused: {problem.replace('_', ' ')}")
    _protect(user, password, password_profile(fast_hashing))
    totp_secret = _new_totp(user)
    drop_access(session, user)
    record_event(session, actor=actor, action="account.reset", target=user.actor)
    return NewCredentials(user, password, totp_secret)


def disable_account(session: Session, user: User, actor: str = "system") -> None:
    user.disabled = True
    drop_access(session, user)
    record_event(session, actor=actor, action="account.disable", target=user.actor)


def drop_access(session: Session, user: User) -> None:
    session.execute(LoginSession.__table__.delete().where(LoginSession.user_id == user.id))
    session.execute(Membership.__table__.delete().where(Membership.user_id == user.id))
    session.flush()


def find_account(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


#: Unknown accounts are checked against this so that they cost the same work.
_DECOY_SALT = os.urandom(16)


def check_password(
    session: Session, email: str, password: str, fast_hashing: bool
) -> tuple[User, bytes] | None:
    """The account and its private key, or ``None`` after the same work whatever failed."""
    user = find_account(session, email)
    if user is None or user.disabled or len(password) > PASSWORD_MAX_LENGTH:
        decoy = crypto.PasswordSecrets(_DECOY_SALT, password_profile(fast_hashing), bytes(32), b"")
        crypto.unlock_private_key(password[:PASSWORD_MAX_LENGTH], decoy, "decoy")
        return None
    stored = crypto.PasswordSecrets(
        user.password_salt,
        PROFILES[user.password_profile],
        user.auth_hash,
        user.wrapped_private_key,
    )
    private_key = crypto.unlock_private_key(password, stored, _key_owner(user))
    return (user, private_key) if private_key is not None else None


def totp_secret_of(user: User, private_key: bytes) -> str:
    return crypto.open_secret(
        user.sealed_totp_secret, private_key, "totp", _key_owner(user)
    ).decode()


def accept_totp(session: Session, user: User, private_key: bytes, code: str, now: datetime) -> bool:
    """True once per valid code: ±1 step, and a step already used is refused, even by a
    concurrent request (the step is recorded with a conditional update)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(totp_secret_of(user, private_key), interval=TOTP_STEP)
    current_step = int(now.timestamp()) // TOTP_STEP
    for step in (current_step - 1, current_step, current_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = session.execute(
                update(User)
                .where(User.id == user.id, User.totp_last_step < step)
                .values(totp_last_step=step, totp_enrolled=True)
                .execution_options(synchronize_session=False)
            )
            session.refresh(user)
            return claimed.rowcount == 1
    return False
