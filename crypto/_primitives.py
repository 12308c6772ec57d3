"""Private primitives. Nothing outside ``crypto`` imports this module."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import DecryptionError
from crypto.params import DOMAIN, KEY_ID_BYTES, NONCE_BYTES, Argon2Profile


def context(*parts: str | bytes | int) -> bytes:
    """An unambiguous byte string from several parts: each is length-prefixed.

    ``("ab", "c")`` and ``("a", "bc")`` must never give the same AAD or info.
    """
    out = [DOMAIN]
    for part in parts:
        if isinstance(part, int):
            data = struct.pack(">Q", part)
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = bytes(part)
        out.append(struct.pack(">I", len(data)) + data)
    return b"".join(out)


def fingerprint(data: bytes, label: str) -> bytes:
    return hashlib.sha256(context("fingerprint", label, data)).digest()[:KEY_ID_BYTES]


def aead_seal(key: bytes, header: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``header || nonce || ciphertext+tag``; the header is authenticated with the AAD."""
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def aead_open(key: bytes, header_length: int, blob: bytes, aad: bytes) -> bytes:
    header = blob[:header_length]
    nonce = blob[header_length : header_length + NONCE_BYTES]
    ciphertext = blob[header_length + NONCE_BYTES :]
    if len(nonce) != NONCE_BYTES or not ciphertext:
        raise DecryptionError("blob too short")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, header + aad)
    except InvalidTag:
        raise DecryptionError("authentication failed") from None


def hkdf(secret: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def argon2id(
    secret_input: bytes, salt: bytes, profile: Argon2Profile, pepper: bytes | None
) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=profile.iterations,
        lanes=profile.lanes,
        memory_cost=profile.memory_kib,
        secret=pepper,
    ).derive(secret_input)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()
