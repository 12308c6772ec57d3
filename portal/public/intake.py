"""Submitting a referral: everything is encrypted before it reaches the database.

The public server holds only the Miviludes public key: once a referral is stored,
this code can no longer read it. Only the reporter (through the receipt) and the
Miviludes group (through its private key) can.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from crypto.params import RECEIPT_ALPHABET
from portal.attachments import CleanFile
from portal.casework import deadlines
from portal.config import Config
from portal.keyring import IntakeKeys
from portal.models import (
    Attachment,
    AttachmentChunk,
    BlindIndexEntry,
    Departement,
    KeyGrant,
    Referral,
    utcnow,
)
from portal.statistics.calendar import month_of

OUTSIDE_FRANCE = ("abroad", "unknown")


@dataclass(frozen=True)
class Submission:
    """What the form gathered, already validated; files already cleaned."""

    kind: str
    reporter_role: str
    domain: str
    departement: str
    minor_involved: str
    health_risk: bool
    immediate_danger: bool
    organisations: list[str]
    persons: list[str]
    websites: list[str]
    commune: str
    since_when: str
    signs: list[str]
    description: str
    contact: dict[str, str] | None  # name, email, phone, best_time when given
    contact_allowed: bool
    share_identity: bool
    files: Sequence[CleanFile] = field(default_factory=list)

    def document(self) -> dict[str, object]:
        return {
            "organisations": self.organisations,
            "persons": self.persons,
            "websites": self.websites,
            "commune": self.commune,
            "since_when": self.since_when,
            "signs": self.signs,
            "description": self.description,
        }


@dataclass(frozen=True)
class Secrets:
    """The installation secrets the intake uses (from the configuration)."""

    form_key: bytes  # seals the receipt issued with the form
    receipt_pepper: bytes
    blind_index_key: bytes

    @classmethod
    def from_config(cls, config: Config) -> Secrets:
        return cls(
            form_key=config.key_bytes("secret_key"),
            receipt_pepper=config.key_bytes("receipt_pepper"),
            blind_index_key=config.key_bytes("blind_index_key"),
        )


@dataclass(frozen=True)
class Receipted:
    public_id: str
    receipt: str
    created_at: datetime
    urgent: bool
    #: True when this receipt had already been used: a reload or a double click.
    duplicate: bool


def issue_receipt(form_key: bytes) -> tuple[str, str]:
    """A fresh receipt for a new form, with a seal proving the server issued it."""
    receipt = crypto.new_receipt()
    return receipt, _seal(form_key, receipt)


def _seal(form_key: bytes, receipt: str) -> str:
    return hmac.new(form_key, b"receipt:" + receipt.encode(), hashlib.sha256).hexdigest()


def receipt_from_form(form_key: bytes, receipt: str, seal: str) -> str | None:
    """The receipt carried by a posted form, if the server issued it; otherwise ``None``."""
    try:
        receipt = crypto.normalise_receipt(receipt or "")
    except crypto.InvalidReceipt:
        return None
    expected = _seal(form_key, receipt).encode()
    # As bytes: compare_digest refuses a str with characters beyond ASCII.
    return receipt if hmac.compare_digest(expected, (seal or "").encode()) else None


def _new_public_id(session: Session, now: datetime) -> str:
    while True:
        candidate = f"{now:%Y}-" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(6))
        if session.scalar(select(Referral.id).where(Referral.public_id == candidate)) is None:
            return candidate


def _region_of(session: Session, departement: str) -> str | None:
    if departement in OUTSIDE_FRANCE:
        return None
    found = session.get(Departement, departement)
    return found.region_code if found else None


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def add_attachment(
    session: Session,
    referral: Referral,
    data_key: bytes,
    file: CleanFile,
    message_id: int | None = None,
) -> Attachment:
    """Encrypt one file (its details, then its content chunk by chunk) and attach it."""
    public_id = uuid.uuid4().hex
    details = {
        "name": file.name,
        "type": file.media_type,
        "size": len(file.data),
        "cleaned": file.cleaned,
    }
    details_blob = crypto.seal_item(
        data_key,
        crypto.ItemPlace("attachment", referral.public_id, public_id, "details"),
        _json(details),
    )
    place = crypto.ItemPlace("attachment", referral.public_id, public_id, "content")
    blobs = list(crypto.seal_chunks(data_key, place, [file.data]))
    attachment = Attachment(
        public_id=public_id,
        message_id=message_id,
        details=details_blob,
        chunk_count=len(blobs),
        chunks=[AttachmentChunk(position=index, blob=blob) for index, blob in enumerate(blobs)],
    )
    referral.attachments.append(attachment)
    return attachment


def submit_referral(
    session: Session, submission: Submission, receipt: str, keys: IntakeKeys, secrets_: Secrets
) -> Receipted:
    """Store a referral, encrypted; the same receipt twice gives back the first one."""
    receipt_keys = crypto.receipt_keys(receipt, keys.receipt_salt, secrets_.receipt_pepper)
    existing = session.scalar(
        select(Referral).where(Referral.lookup_token == receipt_keys.lookup_token)
    )
    if existing is not None:
        return Receipted(
            existing.public_id, receipt, existing.created_at, existing.urgent, duplicate=True
        )

    now = utcnow()
    public_id = _new_public_id(session, now)
    data_key = crypto.new_data_key()
    document = crypto.seal_item(
        data_key,
        crypto.ItemPlace("referral", public_id, "main", "document"),
        _json(submission.document()),
    )
    identity = None
    if submission.contact:
        identity = crypto.seal_item(
            data_key,
            crypto.ItemPlace("referral", public_id, "main", "identity"),
            _json(submission.contact),
        )
    referral = Referral(
        public_id=public_id,
        kind=submission.kind,
        status="new",
        reporter_role=submission.reporter_role,
        domain=submission.domain,
        departement=submission.departement,
        region_code=_region_of(session, submission.departement),
        minor_involved=submission.minor_involved,
        health_risk=submission.health_risk,
        urgent=submission.immediate_danger,
        contact_allowed=submission.contact_allowed,
        share_identity=submission.share_identity and identity is not None,
        has_identity=identity is not None,
        created_at=now,
        updated_at=now,
        month=month_of(now),
        lookup_token=receipt_keys.lookup_token,
        reporter_wrapped_key=crypto.wrap_key(
            receipt_keys.reporter_key, data_key, "reporter", public_id
        ),
        document=document,
        identity=identity,
        grants=[
            KeyGrant(
                group_id=keys.group_id,
                sealed_key=crypto.grant_access(
                    data_key, keys.public_key, public_id, keys.group_slug
                ),
            )
        ],
    )
    deadlines.on_received(referral)
    session.add(referral)
    for file in submission.files:
        add_attachment(session, referral, data_key, file)
    session.flush()
    contact = submission.contact or {}
    tokens = crypto.referral_tokens(
        secrets_.blind_index_key,
        organisations=submission.organisations,
        persons=submission.persons,
        websites=submission.websites,
        emails=[contact.get("email", "")],
        phones=[contact.get("phone", "")],
    )
    session.add_all(BlindIndexEntry(referral_id=referral.id, token=token) for token in tokens)
    session.flush()
    return Receipted(public_id, receipt, now, referral.urgent, duplicate=False)
