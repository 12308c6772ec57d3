"""The reporter's follow-up: find a referral from its receipt, read replies, answer.

The receipt is the only key: the server finds the referral by the lookup token
and opens the reporter's copy of the data key with the reporter key, both derived
from the receipt. Nothing about the reporter is kept between two requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from portal.attachments import CleanFile
from portal.casework import routing as routing_service
from portal.casework.access import (
    NO_CONVERSATION,
    ROUTING_STATES_WITH_ACCESS,
    conversation_names,
    list_attachments,
    referral_place,
)
from portal.casework.threads import ThreadMessage, post_message, read_thread
from portal.casework.workflow import change_status
from portal.keyring import IntakeKeys
from portal.models import Association, Referral, Routing, utcnow
from portal.public.intake import add_attachment
from portal.records.audit import record_event

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
class CaseAssociation:
    """An association the case is routed to, as the reporter is told of it."""

    association: Association
    #: "pending", "accepted" or "closed" (a decline or a withdrawal ends the listing).
    status: str
    #: The reporter consented and gave details: the association has them.
    has_contact_details: bool
    #: The reporter and the association can still write to each other.
    can_write: bool


@dataclass(frozen=True)
class Case:
    public_id: str
    created_at: datetime
    status: str
    messages: list[ThreadMessage]
    sent: SentReferral
    referral: Referral
    data_key: bytes
    associations: list[CaseAssociation] = field(default_factory=list)
    #: The name of each association a message was exchanged with, even one that no
    #: longer has the case (its messages stay readable).
    association_names: dict[int, str] = field(default_factory=dict)

    def recipients(self) -> list[CaseAssociation]:
        """The associations the reporter can write to, besides Miviludes."""
        return [item for item in self.associations if item.can_write]


class ReplyRefused(ValueError):
    """The association chosen can no longer be written to (declined, withdrawn)."""


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
        [item.name for item in list_attachments(referral, data_key, NO_CONVERSATION)],
    )


def _associations(session: Session, referral: Referral) -> list[CaseAssociation]:
    rows = session.scalars(
        select(Routing)
        .where(
            Routing.referral_id == referral.id,
            Routing.status.in_(ROUTING_STATES_WITH_ACCESS),
        )
        .order_by(Routing.id)
    )
    return [
        CaseAssociation(
            routing.association,
            routing.status,
            routing.identity_shared,
            routing.status in routing_service.WRITING_STATES,
        )
        for routing in rows
    ]


def _case(session: Session, referral: Referral, data_key: bytes) -> Case:
    messages = read_thread(referral, data_key)
    return Case(
        referral.public_id,
        referral.created_at,
        REPORTER_STATUS[referral.status],
        messages,
        _what_was_sent(referral, data_key),
        referral,
        data_key,
        _associations(session, referral),
        conversation_names(session, messages),
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
    return _case(session, referral, data_key)


def reply(
    session: Session,
    case: Case,
    body: str,
    files: Sequence[CleanFile],
    *,
    association_id: int | None = None,
    case_url: Callable[[int], str] | None = None,
) -> Case:
    """The reporter answers or adds information, to Miviludes (a question waiting for
    them is then answered) or to an association that has the case (``case_url`` gives
    the link its members are sent). Files go with the message, to its audience.

    Returns the case as it now stands, read with the key already in hand.
    """
    referral = case.referral
    routing = None
    if association_id is not None:
        routing = routing_service.writing_routing(session, referral, association_id)
        if routing is None:
            raise ReplyRefused(str(association_id))
    message = post_message(
        session, referral, case.data_key, "reporter", body, association_id=association_id
    )
    for file in files:
        add_attachment(session, referral, case.data_key, file, message_id=message.id)
    if routing is not None:
        routing_service.reporter_wrote(session, routing, case_url(routing.id))
    elif referral.status == "awaiting_reporter":
        change_status(session, referral, "in_triage", "reporter")
    record_event(
        session,
        actor="reporter",
        action="message.send",
        target=f"referral:{referral.public_id}",
        details={
            "audience": f"association:{association_id}" if association_id else "miviludes",
            "files": len(files),
        },
    )
    referral.updated_at = utcnow()
    session.flush()
    return _case(session, referral, case.data_key)
