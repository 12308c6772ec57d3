"""Key material of the installation: creating it once, and finding public keys.

The public server needs only public keys: it seals each new referral's data key
to the Miviludes group and can never read a referral afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from portal.models import MIVILUDES_GROUP, Installation, KeyGroup
from portal.records.audit import record_event


class KeysAlreadyExist(RuntimeError):
    pass


class KeysMissing(RuntimeError):
    """``portal keys init`` has not been run: referrals cannot be accepted yet."""


@dataclass(frozen=True)
class IntakeKeys:
    """What the public intake needs: the Miviludes public key and the receipt salt."""

    group_id: int
    group_slug: str
    public_key: bytes
    receipt_salt: bytes


@dataclass(frozen=True)
class InitialisedKeys:
    key_id: str
    recovery_secret: str
    private_key: bytes  # returned to the caller only to hand it to the first administrator


def initialise_keys(session: Session) -> InitialisedKeys:
    """Create the Miviludes group key pair and the installation salt, once."""
    if session.scalar(select(KeyGroup).where(KeyGroup.slug == MIVILUDES_GROUP)) is not None:
        raise KeysAlreadyExist("the Miviludes group key already exists")
    pair = crypto.new_key_pair()
    kit = crypto.new_recovery_kit(pair.private, MIVILUDES_GROUP)
    session.add(Installation(id=1, receipt_salt=os.urandom(16)))
    session.add(
        KeyGroup(
            slug=MIVILUDES_GROUP,
            public_key=pair.public,
            key_id=pair.key_id,
            recovery_wrapped_private_key=kit.wrapped_private_key,
        )
    )
    session.flush()
    record_event(
        session,
        actor="system",
        action="keys.init",
        target=f"group:{MIVILUDES_GROUP}",
        details={"key_id": pair.key_id.hex()},
    )
    return InitialisedKeys(pair.key_id.hex(), kit.secret, pair.private)


def intake_keys(session: Session) -> IntakeKeys:
    group = session.scalar(select(KeyGroup).where(KeyGroup.slug == MIVILUDES_GROUP))
    installation = session.get(Installation, 1)
    if group is None or installation is None:
        raise KeysMissing("run `portal keys init`")
    return IntakeKeys(group.id, group.slug, group.public_key, installation.receipt_salt)


def recover_group_private_key(session: Session, secret: str, slug: str = MIVILUDES_GROUP) -> bytes:
    group = session.scalar(select(KeyGroup).where(KeyGroup.slug == slug))
    if group is None or group.recovery_wrapped_private_key is None:
        raise KeysMissing(slug)
    return crypto.recover_private_key(secret, group.recovery_wrapped_private_key, slug)
