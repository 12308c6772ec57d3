"""HPKE key pairs and sealing data keys to them (DESIGN §4, RFC 9180 base mode).

Suite: KEM MLKEM768_X25519 (hybrid post-quantum), KDF HKDF-SHA256, AEAD AES-256-GCM.
``Suite.encrypt`` takes no AAD, so the grant's context (referral, recipient) is
bound through ``info``; the blob header (format byte, recipient key id) is in it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from crypto._primitives import context, fingerprint
from crypto.errors import DecryptionError
from crypto.params import (
    DATA_KEY_BYTES,
    FORMAT_GRANT,
    HPKE_PRIVATE_KEY_BYTES,
    HPKE_PUBLIC_KEY_BYTES,
    KEY_ID_BYTES,
)

_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_MLKEM_SEED = 64
_MLKEM_PUBLIC = 1184
GRANT_HEADER_LENGTH = 1 + KEY_ID_BYTES


@dataclass(frozen=True)
class KeyPair:
    """Serialised HPKE key pair: ``private`` is secret and is only ever stored wrapped."""

    public: bytes
    private: bytes = b""

    @property
    def key_id(self) -> bytes:
        return key_id(self.public)


def key_id(public: bytes) -> bytes:
    return fingerprint(public, "hpke-public-key")


def new_key_pair() -> KeyPair:
    ml = mlkem.MLKEM768PrivateKey.generate()
    xk = x25519.X25519PrivateKey.generate()
    public = ml.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()
    return KeyPair(public=public, private=ml.private_bytes_raw() + xk.private_bytes_raw())


def public_key_of(private: bytes) -> bytes:
    """The public half of a serialised private key (the hybrid object cannot serialise)."""
    ml, xk = _private_halves(private)
    return ml.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()


def _private_halves(private: bytes) -> tuple[mlkem.MLKEM768PrivateKey, x25519.X25519PrivateKey]:
    if len(private) != HPKE_PRIVATE_KEY_BYTES:
        raise DecryptionError("not a private key")
    ml = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[:_MLKEM_SEED])
    xk = x25519.X25519PrivateKey.from_private_bytes(private[_MLKEM_SEED:])
    return ml, xk


def _load_private(private: bytes) -> hpke.MLKEM768X25519PrivateKey:
    return hpke.MLKEM768X25519PrivateKey(*_private_halves(private))


def _load_public(public: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(public) != HPKE_PUBLIC_KEY_BYTES:
        raise ValueError("not an MLKEM768_X25519 public key")
    ml = mlkem.MLKEM768PublicKey.from_public_bytes(public[:_MLKEM_PUBLIC])
    xk = x25519.X25519PublicKey.from_public_bytes(public[_MLKEM_PUBLIC:])
    return hpke.MLKEM768X25519PublicKey(ml, xk)


def seal_secret(secret: bytes, recipient_public: bytes, *purpose: str | bytes) -> bytes:
    """Seal a short secret (a data key, a group private key) to a public key."""
    header = bytes([FORMAT_GRANT]) + key_id(recipient_public)
    info = context("hpke", header, *purpose)
    return header + _SUITE.encrypt(secret, _load_public(recipient_public), info=info)


def open_secret(blob: bytes, recipient_private: bytes, *purpose: str | bytes) -> bytes:
    if len(blob) <= GRANT_HEADER_LENGTH or blob[0] != FORMAT_GRANT:
        raise DecryptionError("unknown format")
    header = blob[:GRANT_HEADER_LENGTH]
    info = context("hpke", header, *purpose)
    try:
        return _SUITE.decrypt(
            blob[GRANT_HEADER_LENGTH:], _load_private(recipient_private), info=info
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("authentication failed") from None


def grant_access(data_key: bytes, group_public: bytes, referral: str, group: str) -> bytes:
    """Seal a referral's data key to a group: one ``key_grants`` row per (referral, group)."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError("not a data key")
    return seal_secret(data_key, group_public, "grant", referral, group)


def open_grant(blob: bytes, group_private: bytes, referral: str, group: str) -> bytes:
    return open_secret(blob, group_private, "grant", referral, group)
