"""Envelope encryption: round trips, tampering, misplacement, wrong keys, nonces."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    DecryptionError,
    ItemPlace,
    new_data_key,
    open_chunks,
    open_item,
    open_text,
    seal_chunks,
    seal_item,
    seal_text,
)
from crypto.envelope import HEADER_LENGTH, pad, unpad
from crypto.params import CHUNK_BYTES, NONCE_BYTES, PADDING_BUCKET

PLACE = ItemPlace(kind="referral", referral="R-2026-0001", item="main", field="document")


def flipped(blob: bytes):
    """Every blob with exactly one bit flipped."""
    for index in range(len(blob)):
        for bit in range(8):
            mutated = bytearray(blob)
            mutated[index] ^= 1 << bit
            yield bytes(mutated)


def test_text_round_trip_and_padding():
    key = new_data_key()
    blob = seal_text(key, PLACE, "Mon fils a quitté son travail pour le groupe.")
    assert open_text(key, PLACE, blob) == "Mon fils a quitté son travail pour le groupe."
    overhead = HEADER_LENGTH + NONCE_BYTES + 16
    assert (len(blob) - overhead) % PADDING_BUCKET == 0
    short = seal_text(key, PLACE, "a")
    longer = seal_text(key, PLACE, "a" * 200)
    assert len(short) == len(longer), "lengths within one bucket must not differ"


def test_every_single_bit_flip_of_an_item_fails():
    key = new_data_key()
    blob = seal_item(key, PLACE, b"canary")
    failures = 0
    for mutated in flipped(blob):
        with pytest.raises(DecryptionError):
            open_item(key, PLACE, mutated)
        failures += 1
    assert failures == len(blob) * 8


@pytest.mark.parametrize(
    "other",
    [
        ItemPlace("referral", "R-2026-0002", "main", "document"),  # another referral
        ItemPlace("referral", "R-2026-0001", "other", "document"),  # another item
        ItemPlace("referral", "R-2026-0001", "main", "identity"),  # another field
        ItemPlace("message", "R-2026-0001", "main", "document"),  # another kind
        ItemPlace("referral", "R-2026-000", "1main", "document"),  # boundaries shifted
    ],
)
def test_a_ciphertext_moved_elsewhere_fails(other):
    key = new_data_key()
    blob = seal_text(key, PLACE, "secret")
    with pytest.raises(DecryptionError):
        open_text(key, other, blob)


def test_the_wrong_key_fails():
    blob = seal_text(new_data_key(), PLACE, "secret")
    with pytest.raises(DecryptionError):
        open_text(new_data_key(), PLACE, blob)


@pytest.mark.parametrize("blob", [b"", b"\x11", b"\x99" + bytes(40), bytes(9)])
def test_garbage_fails_cleanly(blob):
    with pytest.raises(DecryptionError):
        open_item(new_data_key(), PLACE, blob)


def test_ten_thousand_nonces_are_all_distinct():
    key = new_data_key()
    nonces = {
        seal_item(key, PLACE, b"x")[HEADER_LENGTH : HEADER_LENGTH + NONCE_BYTES]
        for _ in range(10_000)
    }
    assert len(nonces) == 10_000


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]
)
def test_chunked_round_trip(size):
    key = new_data_key()
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    blobs = list(seal_chunks(key, PLACE, pieces))
    assert len(blobs) == max(1, -(-size // CHUNK_BYTES))
    assert b"".join(open_chunks(key, PLACE, blobs)) == data


def _three_chunks():
    key = new_data_key()
    data = b"A" * CHUNK_BYTES + b"B" * CHUNK_BYTES + b"C" * 10
    return key, list(seal_chunks(key, PLACE, [data]))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda blobs: blobs[:-1],  # truncated: last chunk dropped
        lambda blobs: blobs[:1],
        lambda blobs: [blobs[1], blobs[0], blobs[2]],  # reordered
        lambda blobs: [blobs[0], blobs[2]],  # middle chunk dropped
        lambda blobs: [*blobs, blobs[2]],  # a chunk replayed after the end
        lambda blobs: [],
    ],
    ids=["drop-last", "keep-first", "swap", "drop-middle", "replay", "empty"],
)
def test_chunk_tampering_is_detected(tamper):
    key, blobs = _three_chunks()
    with pytest.raises(DecryptionError):
        b"".join(open_chunks(key, PLACE, tamper(blobs)))


def test_every_single_bit_flip_of_a_chunk_fails():
    key = new_data_key()
    (blob,) = seal_chunks(key, PLACE, [b"tiny attachment"])
    for mutated in flipped(blob):
        with pytest.raises(DecryptionError):
            b"".join(open_chunks(key, PLACE, [mutated]))


def test_chunks_of_another_attachment_do_not_open():
    key = new_data_key()
    blobs = list(seal_chunks(key, PLACE, [b"x" * 10]))
    other = ItemPlace("attachment", PLACE.referral, "another-file", "content")
    with pytest.raises(DecryptionError):
        b"".join(open_chunks(key, other, blobs))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_padding_round_trip_property(data):
    padded = pad(data)
    assert len(padded) % PADDING_BUCKET == 0 and len(padded) >= len(data) + 4
    assert unpad(padded) == data


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=3000), item=st.text(min_size=1, max_size=20))
def test_text_round_trip_property(text, item):
    key = new_data_key()
    place = ItemPlace("message", "R-1", item, "body")
    assert open_text(key, place, seal_text(key, place, text)) == text


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(max_size=40_000), max_size=6))
def test_chunk_stream_round_trip_property(pieces):
    key = new_data_key()
    assert b"".join(open_chunks(key, PLACE, list(seal_chunks(key, PLACE, pieces)))) == b"".join(
        pieces
    )
