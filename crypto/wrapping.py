"""Wrapping a short secret under a symmetric key (AES-256-GCM).

Used for a user's private key under their password-derived KEK, the reporter's
copy of a data key under the key derived from the receipt, and the group key
under the recovery secret.
"""

from __future__ import annotations

from crypto._primitives import aead_open, aead_seal, context, fingerprint
from crypto.errors import DecryptionError
from crypto.params import FORMAT_WRAP, KEY_ID_BYTES

WRAP_HEADER_LENGTH = 1 + KEY_ID_BYTES


def wrap_key(wrapping_key: bytes, secret: bytes, *purpose: str | bytes) -> bytes:
    """AES-256-GCM key wrap; the header names the wrapping key by its fingerprint."""
    header = bytes([FORMAT_WRAP]) + fingerprint(wrapping_key, "wrapping-key")
    return aead_seal(wrapping_key, header, secret, context("wrap", *purpose))


def unwrap_key(wrapping_key: bytes, blob: bytes, *purpose: str | bytes) -> bytes:
    if len(blob) <= WRAP_HEADER_LENGTH or blob[0] != FORMAT_WRAP:
        raise DecryptionError("unknown format")
    if blob[1:WRAP_HEADER_LENGTH] != fingerprint(wrapping_key, "wrapping-key"):
        raise DecryptionError("wrapped under another key")
    return aead_open(wrapping_key, WRAP_HEADER_LENGTH, blob, context("wrap", *purpose))
