"""Receipt codes for reporters (DESIGN §4).

A receipt is 20 Crockford base32 characters (100 bits) from ``secrets``, shown as
``XXXXX-XXXXX-XXXXX-XXXXX`` and accepted in any case, with or without dashes or
spaces, with the usual confusions folded (O→0, I/L→1).

One Argon2id run over the receipt (installation salt, pepper from the environment)
gives a secret that is never stored. Two independent values come from it by HKDF:
the **lookup token** (stored, to find the referral) and the **reporter key** (never
stored, wraps the data key so the reporter can read replies). DESIGN §4 derived the
reporter key from the stored token; that would let a database dump alone open the
reporter's copy of the data key, so both are derived from the unstored secret.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from crypto._primitives import argon2id, context, hkdf
from crypto.params import (
    RECEIPT_ALPHABET,
    RECEIPT_GROUP,
    RECEIPT_LENGTH,
    RECEIPT_PROFILE,
    Argon2Profile,
    require_production_profile,
)

_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidReceipt(ValueError):
    """Not the shape of a receipt code (it may still be a wrong one)."""


def new_receipt() -> str:
    """A fresh receipt code, normalised (no dashes)."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def format_receipt(receipt: str) -> str:
    code = normalise_receipt(receipt)
    return "-".join(code[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP))


def normalise_receipt(typed: str) -> str:
    code = "".join(ch for ch in typed.upper() if ch not in " -\t\u00a0\u2010\u2011\u2013")
    code = code.translate(_FOLD)
    if len(code) != RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in code):
        raise InvalidReceipt(typed)
    return code


@dataclass(frozen=True)
class ReceiptKeys:
    lookup_token: bytes  # stored, unique
    reporter_key: bytes  # never stored


def receipt_keys(
    receipt: str,
    salt: bytes,
    pepper: bytes,
    profile: Argon2Profile = RECEIPT_PROFILE,
    *,
    allow_weak: bool = False,
) -> ReceiptKeys:
    if not allow_weak:
        require_production_profile(profile, RECEIPT_PROFILE)
    secret = argon2id(normalise_receipt(receipt).encode("ascii"), salt, profile, pepper=pepper)
    return ReceiptKeys(
        lookup_token=hkdf(secret, context("receipt", "lookup")),
        reporter_key=hkdf(secret, context("receipt", "reporter-key")),
    )
