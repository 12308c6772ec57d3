"""User keys protected by the user's password (DESIGN §4).

One Argon2id run over the password gives a master secret; HKDF splits it into an
authentication key (only its hash is stored, to check a login) and a KEK that
wraps the user's HPKE private key. A password change re-wraps the same private key;
a reset makes a new key pair (group keys are then granted again by someone who has them).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from crypto._primitives import argon2id, context, hkdf
from crypto.params import (
    MINIMUM_PASSWORD_PROFILE,
    PASSWORD_PROFILE,
    Argon2Profile,
    require_production_profile,
)
from crypto.wrapping import unwrap_key, wrap_key

SALT_BYTES = 16


@dataclass(frozen=True)
class PasswordSecrets:
    """What is stored for a user: salt, profile, hash of the auth key, wrapped private key."""

    salt: bytes
    profile: Argon2Profile
    auth_hash: bytes
    wrapped_private_key: bytes


@dataclass(frozen=True)
class _Derived:
    auth_key: bytes
    kek: bytes


def _derive(password: str, salt: bytes, profile: Argon2Profile) -> _Derived:
    master = argon2id(password.encode("utf-8"), salt, profile, pepper=None)
    return _Derived(
        auth_key=hkdf(master, context("password", "auth")),
        kek=hkdf(master, context("password", "kek")),
    )


def _auth_hash(auth_key: bytes) -> bytes:
    return hashlib.sha256(context("auth-hash", auth_key)).digest()


def protect_private_key(
    password: str,
    private_key: bytes,
    user: str,
    profile: Argon2Profile = PASSWORD_PROFILE,
    *,
    allow_weak: bool = False,
) -> PasswordSecrets:
    if not allow_weak:
        require_production_profile(profile, MINIMUM_PASSWORD_PROFILE)
    salt = os.urandom(SALT_BYTES)
    derived = _derive(password, salt, profile)
    return PasswordSecrets(
        salt=salt,
        profile=profile,
        auth_hash=_auth_hash(derived.auth_key),
        wrapped_private_key=wrap_key(derived.kek, private_key, "user-private-key", user),
    )


def unlock_private_key(password: str, stored: PasswordSecrets, user: str) -> bytes | None:
    """The private key if the password is right, else ``None`` (after the same work)."""
    derived = _derive(password, stored.salt, stored.profile)
    if not hmac.compare_digest(_auth_hash(derived.auth_key), stored.auth_hash):
        return None
    return unwrap_key(derived.kek, stored.wrapped_private_key, "user-private-key", user)
