"""Envelope encryption of a referral's content under its own data key (DESIGN §4).

Each item is AES-256-GCM with a fresh nonce and an AAD that names its place:
format, kind, referral public id, item id and field. A ciphertext copied to
another row, field or referral therefore fails to open.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from crypto._primitives import aead_open, aead_seal, context, fingerprint
from crypto.errors import DecryptionError
from crypto.params import (
    CHUNK_BYTES,
    DATA_KEY_BYTES,
    FORMAT_CHUNK,
    FORMAT_ITEM,
    KEY_ID_BYTES,
    PADDING_BUCKET,
)

HEADER_LENGTH = 1 + KEY_ID_BYTES
CHUNK_HEADER_LENGTH = HEADER_LENGTH + 8 + 1  # + counter + last-chunk flag


@dataclass(frozen=True)
class ItemPlace:
    """Where an encrypted item lives; bound into its ciphertext."""

    kind: str  # "referral", "identity", "attachment", "message", "note"…
    referral: str  # the referral's public id
    item: str  # the item's own id ("main" for the referral document)
    field: str  # the column or part it fills

    def aad(self, *extra: str | int) -> bytes:
        return context("item", self.kind, self.referral, self.item, self.field, *extra)


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def _key_id(data_key: bytes) -> bytes:
    return fingerprint(data_key, "data-key")


def _header(format_byte: int, data_key: bytes) -> bytes:
    return bytes([format_byte]) + _key_id(data_key)


def _check_header(blob: bytes, format_byte: int, data_key: bytes) -> None:
    if len(blob) < HEADER_LENGTH or blob[0] != format_byte:
        raise DecryptionError("unknown format")
    if blob[1:HEADER_LENGTH] != _key_id(data_key):
        raise DecryptionError("encrypted under another key")


def pad(data: bytes) -> bytes:
    """Length-prefix, then zero-fill up to the next multiple of the bucket."""
    framed = struct.pack(">I", len(data)) + data
    size = -(-len(framed) // PADDING_BUCKET) * PADDING_BUCKET
    return framed + b"\0" * (size - len(framed))


def unpad(padded: bytes) -> bytes:
    if len(padded) < 4:
        raise DecryptionError("padding")
    (length,) = struct.unpack(">I", padded[:4])
    if length > len(padded) - 4 or any(padded[4 + length :]):
        raise DecryptionError("padding")
    return padded[4 : 4 + length]


def seal_item(data_key: bytes, place: ItemPlace, plaintext: bytes) -> bytes:
    """Encrypt one item (padded) for its place."""
    return aead_seal(data_key, _header(FORMAT_ITEM, data_key), pad(plaintext), place.aad())


def open_item(data_key: bytes, place: ItemPlace, blob: bytes) -> bytes:
    _check_header(blob, FORMAT_ITEM, data_key)
    return unpad(aead_open(data_key, HEADER_LENGTH, blob, place.aad()))


def seal_text(data_key: bytes, place: ItemPlace, text: str) -> bytes:
    return seal_item(data_key, place, text.encode("utf-8"))


def open_text(data_key: bytes, place: ItemPlace, blob: bytes) -> str:
    return open_item(data_key, place, blob).decode("utf-8")


def seal_chunks(data_key: bytes, place: ItemPlace, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Encrypt a stream chunk by chunk; the last chunk is flagged (an empty stream is one
    empty last chunk), so dropping trailing chunks is detected."""
    counter = 0
    pending: bytes | None = None
    for chunk in _rechunk(chunks):
        if pending is not None:
            yield _seal_chunk(data_key, place, counter, pending, last=False)
            counter += 1
        pending = chunk
    yield _seal_chunk(data_key, place, counter, pending or b"", last=True)


def open_chunks(data_key: bytes, place: ItemPlace, blobs: Iterable[bytes]) -> Iterator[bytes]:
    """Decrypt in order; raise if a chunk is missing, moved, reordered or the end is cut."""
    finished = False
    for counter, blob in enumerate(blobs):
        if finished:
            raise DecryptionError("data after the last chunk")
        _check_header(blob, FORMAT_CHUNK, data_key)
        stored_counter, last = struct.unpack(">QB", blob[HEADER_LENGTH:CHUNK_HEADER_LENGTH])
        if stored_counter != counter or last not in (0, 1):
            raise DecryptionError("chunk out of order")
        yield aead_open(data_key, CHUNK_HEADER_LENGTH, blob, place.aad("chunk", counter, last))
        finished = bool(last)
    if not finished:
        raise DecryptionError("truncated")


def _seal_chunk(
    data_key: bytes, place: ItemPlace, counter: int, data: bytes, *, last: bool
) -> bytes:
    header = _header(FORMAT_CHUNK, data_key) + struct.pack(">QB", counter, int(last))
    return aead_seal(data_key, header, data, place.aad("chunk", counter, int(last)))


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in chunks:
        buffer += piece
        while len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer[:CHUNK_BYTES])
            del buffer[:CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)
