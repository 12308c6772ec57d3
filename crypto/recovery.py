"""The recovery kit: the Miviludes group private key wrapped under a random secret.

Printed once by ``portal keys init``; with it an administrator restores access
when every member of the group is locked out. The secret never touches the database.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from crypto._primitives import context, hkdf
from crypto.errors import DecryptionError
from crypto.wrapping import unwrap_key, wrap_key

RECOVERY_SECRET_BYTES = 32


@dataclass(frozen=True)
class RecoveryKit:
    secret: str  # shown to the administrator once; base32 in groups of 4
    wrapped_private_key: bytes  # stored in the database


def _wrapping_key(secret: str) -> bytes:
    """From the secret as printed or as typed back (any case, dashes and spaces ignored)."""
    compact = secret.replace("-", "").replace(" ", "").upper()
    try:
        raw = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except (binascii.Error, ValueError):
        raise DecryptionError("not a recovery secret") from None
    if len(raw) != RECOVERY_SECRET_BYTES:
        raise DecryptionError("not a recovery secret")
    return hkdf(raw, context("recovery"))


def new_recovery_kit(group_private_key: bytes, group: str) -> RecoveryKit:
    raw = secrets.token_bytes(RECOVERY_SECRET_BYTES)
    encoded = base64.b32encode(raw).decode("ascii").rstrip("=")
    secret = "-".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))
    wrapped = wrap_key(_wrapping_key(secret), group_private_key, "recovery", group)
    return RecoveryKit(secret=secret, wrapped_private_key=wrapped)


def recover_private_key(secret: str, wrapped_private_key: bytes, group: str) -> bytes:
    return unwrap_key(_wrapping_key(secret), wrapped_private_key, "recovery", group)
