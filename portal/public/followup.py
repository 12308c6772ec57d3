"""The reporter's follow-up: find a referral from its receipt, read replies, answer.

The receipt is the only key: the server finds the referral by the lookup token
and opens the reporter's copy of the data key with the reporter key, both derived
from the receipt. Nothing about the reporter is kept between two requests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from portal.attachments import CleanFile
from portal.casework.access import list_attachments, referral_place
from portal.casework.threads import ThreadMessage, post_message, read_thread
from portal.casework.workflow import change_status
from portal.keyring import IntakeKeys
from portal.models import Referral, utcnow
from portal.public.intake import add_attachment

#: What the reporter is told of each status, in plain words.
REPORTER_STATUS = {
    "new": "received",
    "in_triage": "examined",
    "transmitted_to_prosecutor": "examined",
    "awaiting_reporter": "waiting_for_you",
    "routed": "association",
    "closed": "closed",
}
#: Used for malformed codes so that they cost the same work as well-formed wrong ones.
_PLACEHOLDER_RECEIPT = "0" * 20


@dataclass(frozen=True)
class SentReferral:
    """What the reporter sent, for them to re-read: the words they chose, their files'
    names. Their contact details are not shown again (the page may be seen by others)."""

    kind: str
    domain: str
    departement: str
    commune: str
    description: str
    file_names: list[str]


@dataclass(frozen=True)
class Case:
    public_id: str
    created_at: datetime
    status: str
    messages: list[ThreadMessage]
    sent: SentReferral
    referral: Referral
    data_key: bytes


def _what_was_sent(referral: Referral, data_key: bytes) -> SentReferral:
    document = json.loads(
        crypto.open_item(data_key, referral_place(referral, "document"), referral.document)
    )
    return SentReferral(
        referral.kind,
        referral.domain,
        referral.departement,
        document.get("commune", ""),
        document.get("description", ""),
        [item.name for item in list_attachments(referral, data_key, with_thread=False)],
    )


def _case(referral: Referral, data_key: bytes) -> Case:
    return Case(
        referral.public_id,
        referral.created_at,
        REPORTER_STATUS[referral.status],
        read_thread(referral, data_key),
        _what_was_sent(referral, data_key),
        referral,
        data_key,
    )


def open_case(session: Session, typed_receipt: str, keys: IntakeKeys, pepper: bytes) -> Case | None:
    """The case for a receipt, or ``None``: the same answer, after the same work, for
    a malformed code and for a well-formed wrong one."""
    try:
        receipt = crypto.normalise_receipt(typed_receipt)
    except crypto.InvalidReceipt:
        receipt = None
    derived = crypto.receipt_keys(receipt or _PLACEHOLDER_RECEIPT, keys.receipt_salt, pepper)
    referral = session.scalar(select(Referral).where(Referral.lookup_token == derived.lookup_token))
    if receipt is None or referral is None:
        return None
    data_key = crypto.unwrap_key(
        derived.reporter_key, referral.reporter_wrapped_key, "reporter", referral.public_id
    )
    return _case(referral, data_key)


def reply(session: Session, case: Case, body: str, files: Sequence[CleanFile]) -> Case:
    """The reporter answers or adds information; a question waiting for them is answered.

    Returns the case as it now stands, read with the key already in hand.
    """
    referral = case.referral
    message = post_message(session, referral, case.data_key, "reporter", body)
    for file in files:
        add_attachment(session, referral, case.data_key, file, message_id=message.id)
    if referral.status == "awaiting_reporter":
        change_status(session, referral, "in_triage", "reporter")
    referral.updated_at = utcnow()
    session.flush()
    return _case(referral, case.data_key)
