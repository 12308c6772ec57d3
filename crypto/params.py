"""Every cryptographic parameter of the portal, in one place, pinned by tests.

Changing a value here changes what is written from then on; blobs carry their
format byte and key id, so what was written before stays readable as long as the
old format is still known to ``crypto``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Prefix of every context string (AAD, HPKE info, HKDF info): a blob of this
#: application can never be confused with another application's.
DOMAIN = b"miviludes-portal/v1"

# Format bytes: the first byte of every stored blob names its format and suite.
FORMAT_ITEM = 0x11  # AES-256-GCM item under a referral's data key
FORMAT_CHUNK = 0x12  # AES-256-GCM attachment chunk under a referral's data key
FORMAT_GRANT = 0x21  # data key sealed with HPKE MLKEM768_X25519 / HKDF-SHA256 / AES-256-GCM
FORMAT_WRAP = 0x31  # a key wrapped with AES-256-GCM under a symmetric key (KEK, reporter key…)

DATA_KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonce, fresh from os.urandom for every encryption
TAG_BYTES = 16
KEY_ID_BYTES = 8  # truncated SHA-256 fingerprint carried in blob headers

#: Free text is padded to a multiple of this, so a ciphertext's length says little.
PADDING_BUCKET = 256
#: Attachments are encrypted in chunks of this size, each with its counter and a
#: last-chunk flag, so reordering and truncation are detected.
CHUNK_BYTES = 64 * 1024

#: HPKE key sizes for MLKEM768_X25519 (ML-KEM seed + X25519 scalar; ML-KEM + X25519 public).
HPKE_PRIVATE_KEY_BYTES = 64 + 32
HPKE_PUBLIC_KEY_BYTES = 1184 + 32

#: Receipt codes: 20 characters of Crockford base32 = 100 bits.
RECEIPT_LENGTH = 20
RECEIPT_GROUP = 5
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Argon2Profile:
    """Argon2id cost. Stored beside every password-derived value, so it can be raised."""

    name: str
    memory_kib: int
    iterations: int
    lanes: int = 1

    def as_dict(self) -> dict[str, int | str]:
        return {"name": self.name, "m": self.memory_kib, "t": self.iterations, "p": self.lanes}


#: Passwords: the floor of DESIGN §4 (64 MiB, t=3); about 0.3-0.4 s here.
PASSWORD_PROFILE = Argon2Profile("password-2026", memory_kib=64 * 1024, iterations=3)
#: Receipt codes carry 100 random bits: no stretching is needed, only a keyed and
#: salted derivation that a stolen database alone cannot recompute (the pepper is
#: not in the database). Small enough for ≥ 50 submissions/s on 2 cores (~8 ms).
RECEIPT_PROFILE = Argon2Profile("receipt-2026", memory_kib=8 * 1024, iterations=1)
#: For tests only: production refuses it (``require_production_profile``).
FAST_PROFILE = Argon2Profile("fast-tests-only", memory_kib=64, iterations=1)

MINIMUM_PASSWORD_PROFILE = PASSWORD_PROFILE
#: Profiles by the name stored beside each derived value.
PROFILES = {profile.name: profile for profile in (PASSWORD_PROFILE, RECEIPT_PROFILE, FAST_PROFILE)}


class WeakParametersError(ValueError):
    """A profile below the production floor was offered outside tests."""


def require_production_profile(profile: Argon2Profile, floor: Argon2Profile) -> Argon2Profile:
    if profile.memory_kib < floor.memory_kib or profile.iterations < floor.iterations:
        raise WeakParametersError(
            f"Argon2id profile {profile.name!r} is weaker than {floor.name!r}; "
            "only tests may use it"
        )
    return profile
