"""HPKE grants, password-wrapped user keys, the recovery kit."""

from __future__ import annotations

import pytest

from crypto import (
    DecryptionError,
    grant_access,
    new_data_key,
    new_key_pair,
    new_recovery_kit,
    open_grant,
    protect_private_key,
    recover_private_key,
    unlock_private_key,
)
from crypto.keys import public_key_of
from crypto.params import (
    FAST_PROFILE,
    HPKE_PRIVATE_KEY_BYTES,
    HPKE_PUBLIC_KEY_BYTES,
    WeakParametersError,
)
from tests.crypto.test_envelope import flipped


def test_key_pair_sizes_and_public_key_recovery():
    pair = new_key_pair()
    assert len(pair.public) == HPKE_PUBLIC_KEY_BYTES
    assert len(pair.private) == HPKE_PRIVATE_KEY_BYTES
    assert public_key_of(pair.private) == pair.public
    assert pair.key_id != new_key_pair().key_id


def test_only_the_intended_group_can_open_a_grant():
    miviludes, association = new_key_pair(), new_key_pair()
    data_key = new_data_key()
    blob = grant_access(data_key, miviludes.public, "R-1", "miviludes")
    assert open_grant(blob, miviludes.private, "R-1", "miviludes") == data_key
    with pytest.raises(DecryptionError):
        open_grant(blob, association.private, "R-1", "miviludes")


@pytest.mark.parametrize(("referral", "group"), [("R-2", "miviludes"), ("R-1", "adfi-bretagne")])
def test_a_grant_moved_to_another_referral_or_group_fails(referral, group):
    pair = new_key_pair()
    blob = grant_access(new_data_key(), pair.public, "R-1", "miviludes")
    with pytest.raises(DecryptionError):
        open_grant(blob, pair.private, referral, group)


def test_every_single_bit_flip_of_a_grant_fails():
    pair = new_key_pair()
    blob = grant_access(new_data_key(), pair.public, "R-1", "miviludes")
    count = 0
    for mutated in flipped(blob):
        with pytest.raises(DecryptionError):
            open_grant(mutated, pair.private, "R-1", "miviludes")
        count += 1
    assert count == 8 * len(blob)


def test_grant_refuses_something_that_is_not_a_data_key():
    with pytest.raises(ValueError):
        grant_access(b"short", new_key_pair().public, "R-1", "g")


def test_password_unlocks_the_private_key_and_a_wrong_one_does_not():
    pair = new_key_pair()
    stored = protect_private_key(
        "correct horse battery staple", pair.private, "u1", FAST_PROFILE, allow_weak=True
    )
    assert unlock_private_key("correct horse battery staple", stored, "u1") == pair.private
    assert unlock_private_key("Correct horse battery staple", stored, "u1") is None
    with pytest.raises(DecryptionError):
        unlock_private_key("correct horse battery staple", stored, "another-user")


def test_every_single_bit_flip_of_a_wrapped_private_key_fails():
    pair = new_key_pair()
    stored = protect_private_key(
        "passphrase long enough", pair.private, "u1", FAST_PROFILE, allow_weak=True
    )
    for mutated in flipped(stored.wrapped_private_key):
        tampered = type(stored)(stored.salt, stored.profile, stored.auth_hash, mutated)
        with pytest.raises(DecryptionError):
            unlock_private_key("passphrase long enough", tampered, "u1")


def test_production_refuses_the_fast_profile():
    with pytest.raises(WeakParametersError):
        protect_private_key("passphrase long enough", new_key_pair().private, "u1", FAST_PROFILE)


def test_recovery_kit_restores_the_group_key():
    pair = new_key_pair()
    kit = new_recovery_kit(pair.private, "miviludes")
    assert recover_private_key(kit.secret, kit.wrapped_private_key, "miviludes") == pair.private
    typed_back = kit.secret.lower().replace("-", " ")
    assert recover_private_key(typed_back, kit.wrapped_private_key, "miviludes") == pair.private
    other = new_recovery_kit(pair.private, "miviludes")
    for secret in (other.secret, "not-a-secret", kit.secret[:-4]):
        with pytest.raises(DecryptionError):
            recover_private_key(secret, kit.wrapped_private_key, "miviludes")
