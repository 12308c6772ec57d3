"""Receipt codes, their derived keys, the blind index, and the pinned parameters."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    InvalidReceipt,
    format_receipt,
    host_token,
    name_token,
    new_receipt,
    normalise_receipt,
    params,
    receipt_keys,
)
from crypto.params import FAST_PROFILE, RECEIPT_ALPHABET, WeakParametersError

SALT, PEPPER = os.urandom(16), os.urandom(32)


def test_receipt_shape():
    receipt = new_receipt()
    assert len(receipt) == 20 and set(receipt) <= set(RECEIPT_ALPHABET)
    shown = format_receipt(receipt)
    assert len(shown) == 23 and shown.count("-") == 3


@pytest.mark.parametrize(
    "typed",
    [
        "7K3PQ-0M1ZX-ABCDE-FGH12",
        "7k3pq0m1zxabcdefgh12",
        " 7K3PQ 0M1ZX ABCDE FGH12 ",
        "7K3PQ-OM1ZX-ABCDE-FGH12",
        "7K3PQ-0MIZX-ABCDE-FGHL2",
        "7K3PQ–0M1ZX–ABCDE–FGH12",
    ],
)
def test_receipt_is_accepted_however_it_is_typed(typed):
    assert normalise_receipt(typed) == "7K3PQ0M1ZXABCDEFGH12"


@pytest.mark.parametrize(
    "typed", ["", "7K3PQ", "7K3PQ-0M1ZX-ABCDE-FGH1", "7K3PQ-0M1ZX-ABCDE-FGH1U", "é" * 20]
)
def test_malformed_receipts_are_refused(typed):
    with pytest.raises(InvalidReceipt):
        normalise_receipt(typed)


def test_receipt_characters_are_uniform():
    """Chi-square over 400,000 characters; 31 degrees of freedom. The bound (80) is
    exceeded by a fair source with probability below one in a million."""
    counts = Counter("".join(new_receipt() for _ in range(20_000)))
    expected = 400_000 / 32
    chi_square = sum((counts[ch] - expected) ** 2 / expected for ch in RECEIPT_ALPHABET)
    assert set(counts) == set(RECEIPT_ALPHABET)
    assert chi_square < 80


def test_receipts_do_not_repeat():
    assert len({new_receipt() for _ in range(10_000)}) == 10_000


def test_receipt_keys_are_deterministic_and_independent():
    receipt = new_receipt()
    first = receipt_keys(receipt, SALT, PEPPER, FAST_PROFILE, allow_weak=True)
    again = receipt_keys(
        format_receipt(receipt).lower(), SALT, PEPPER, FAST_PROFILE, allow_weak=True
    )
    assert first == again
    assert first.lookup_token != first.reporter_key
    assert len(first.lookup_token) == len(first.reporter_key) == 32
    other_pepper = receipt_keys(receipt, SALT, os.urandom(32), FAST_PROFILE, allow_weak=True)
    other_salt = receipt_keys(receipt, os.urandom(16), PEPPER, FAST_PROFILE, allow_weak=True)
    assert other_pepper.lookup_token != first.lookup_token != other_salt.lookup_token


def test_receipt_keys_refuse_a_weak_profile_in_production():
    with pytest.raises(WeakParametersError):
        receipt_keys(new_receipt(), SALT, PEPPER, FAST_PROFILE)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=RECEIPT_ALPHABET, min_size=20, max_size=20))
def test_format_then_normalise_is_identity(code):
    assert normalise_receipt(format_receipt(code)) == code


def test_blind_index_folds_spelling_and_hides_the_name():
    key = os.urandom(32)
    token = name_token(key, "L'Éveil  Intérieur")
    assert token == name_token(key, "l eveil interieur") == name_token(key, "L’ÉVEIL-INTÉRIEUR")
    assert token != name_token(key, "L'Éveil Extérieur")
    assert token != name_token(os.urandom(32), "L'Éveil Intérieur")
    assert b"eveil" not in token
    assert name_token(key, " - ") is None


def test_blind_index_of_web_hosts():
    key = os.urandom(32)
    token = host_token(key, "https://www.Example.org/stage?id=3")
    assert token == host_token(key, "example.org") == host_token(key, "http://example.org:8080/")
    assert token != host_token(key, "example.com")
    assert host_token(key, "") is None


def test_parameters_are_pinned():
    """A change here is a change of what is written: it needs a new format byte."""
    assert (params.DATA_KEY_BYTES, params.NONCE_BYTES, params.KEY_ID_BYTES) == (32, 12, 8)
    assert (params.PADDING_BUCKET, params.CHUNK_BYTES) == (256, 64 * 1024)
    assert (params.FORMAT_ITEM, params.FORMAT_CHUNK, params.FORMAT_GRANT, params.FORMAT_WRAP) == (
        0x11,
        0x12,
        0x21,
        0x31,
    )
    assert (
        params.PASSWORD_PROFILE.memory_kib >= 64 * 1024 and params.PASSWORD_PROFILE.iterations >= 3
    )
    assert (params.RECEIPT_PROFILE.memory_kib, params.RECEIPT_PROFILE.iterations) == (8 * 1024, 1)
    assert params.RECEIPT_LENGTH * 5 == 100
    assert params.DOMAIN == b"miviludes-portal/v1"
