"""Who may see a referral, and opening what they may see.

``can_see`` is the one place that answers "may this account see this referral?";
every back-office and partner view goes through ``visible_referral`` or
``visible_routing``, which call it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from portal import accounts
from portal.casework.threads import ThreadMessage, read_thread
from portal.models import (
    Association,
    Attachment,
    BlindIndexEntry,
    KeyGrant,
    Note,
    Referral,
    Routing,
    User,
)
from portal.records.audit import record_event

#: A routing in these states gives its association access to the case.
ROUTING_STATES_WITH_ACCESS = ("pending", "accepted", "closed")


class KeysNotGranted(RuntimeError):
    """The account has no copy of its group key yet: an administrator must grant it."""


def can_see(session: Session, user: User, referral: Referral) -> bool:
    if user.disabled or referral.purged_at is not None:
        return False  # a purged case holds nothing anyone could read
    if user.is_miviludes:
        return True
    if user.association_id is None:
        return False
    routing_id = session.scalar(
        select(Routing.id).where(
            Routing.referral_id == referral.id,
            Routing.association_id == user.association_id,
            Routing.status.in_(ROUTING_STATES_WITH_ACCESS),
        )
    )
    return routing_id is not None


def visible_referral(session: Session, user: User, public_id: str) -> Referral | None:
    referral = session.scalar(select(Referral).where(Referral.public_id == public_id))
    if referral is None or not can_see(session, user, referral):
        return None
    return referral


def visible_routing(session: Session, user: User, routing_id: int) -> Routing | None:
    """A routing of the partner's own association whose case the partner may see."""
    routing = session.get(Routing, routing_id)
    if routing is None or user.is_miviludes or routing.association_id != user.association_id:
        return None
    referral = session.get(Referral, routing.referral_id)
    return routing if referral is not None and can_see(session, user, referral) else None


def open_data_key(session: Session, user: User, private_key: bytes, referral: Referral) -> bytes:
    group = accounts.group_for(session, user)
    group_key = accounts.open_group_key(session, user, private_key, group) if group else None
    if group is None or group_key is None:
        raise KeysNotGranted(user.email)
    grant = session.get(KeyGrant, (referral.id, group.id))
    if grant is None:
        raise KeysNotGranted(referral.public_id)
    return crypto.open_grant(grant.sealed_key, group_key, referral.public_id, group.slug)


@dataclass(frozen=True)
class AttachmentInfo:
    public_id: str
    name: str
    media_type: str
    size: int
    cleaned: bool
    from_reply: bool
    #: The reply it came with (``ThreadMessage.public_id``), or ``None`` for the
    #: referral's own files: two files of the same name are told apart by where
    #: they came from.
    message_public_id: str | None = None


@dataclass(frozen=True)
class NoteView:
    audience: str
    association_id: int | None
    author_id: int
    body: str
    created_at: datetime


@dataclass(frozen=True)
class OpenedReferral:
    referral: Referral
    document: dict
    #: ``None`` when there is none, or when this reader may not see it.
    identity: dict | None
    attachments: list[AttachmentInfo]
    messages: list[ThreadMessage]
    notes: list[NoteView] = field(default_factory=list)
    #: Who wrote each note and Miviludes message, by account id, as this reader may
    #: know them (``writers``).
    writers: dict[int, str] = field(default_factory=dict)
    #: The name of each association a message read here was exchanged with.
    conversations: dict[int, str] = field(default_factory=dict)

    def referral_files(self) -> list[AttachmentInfo]:
        return [item for item in self.attachments if item.message_public_id is None]

    def reply_files(self, message_public_id: str) -> list[AttachmentInfo]:
        return [item for item in self.attachments if item.message_public_id == message_public_id]


def referral_place(referral: Referral, field_name: str) -> crypto.ItemPlace:
    return crypto.ItemPlace("referral", referral.public_id, "main", field_name)


def note_place(referral: Referral, note_public_id: str) -> crypto.ItemPlace:
    return crypto.ItemPlace("note", referral.public_id, note_public_id, "body")


def attachment_place(referral: Referral, attachment: Attachment, part: str) -> crypto.ItemPlace:
    return crypto.ItemPlace("attachment", referral.public_id, attachment.public_id, part)


@dataclass(frozen=True)
class Audience:
    """Which conversations with the reporter a reader sees (``threads``): every one
    (Miviludes, and the reporter), one association's (its members, while the case is
    routed to it), or none (only the referral's own files). A file attached to a
    message follows its message."""

    every: bool = False
    association_id: int | None = None

    def reads(self, message_association_id: int | None) -> bool:
        if self.every:
            return True
        return self.association_id is not None and message_association_id == self.association_id


EVERY_CONVERSATION = Audience(every=True)
#: The referral's own files only: what the reporter sent, shown back to them.
NO_CONVERSATION = Audience()


def audience_of(user: User) -> Audience:
    if user.is_miviludes:
        return EVERY_CONVERSATION
    return Audience(association_id=user.association_id)


def _message_audiences(referral: Referral) -> dict[int, int | None]:
    return {message.id: message.association_id for message in referral.messages}


def _listed(attachment: Attachment, audience: Audience, audiences: dict[int, int | None]) -> bool:
    if attachment.message_id is None:
        return True  # the referral's own
    return audience.reads(audiences.get(attachment.message_id))


def list_attachments(
    referral: Referral, data_key: bytes, audience: Audience
) -> list[AttachmentInfo]:
    """The referral's files, and those of the messages ``audience`` reads (decrypted
    details only)."""
    listed = []
    replies = {message.id: message.public_id for message in referral.messages}
    audiences = _message_audiences(referral)
    for attachment in referral.attachments:
        if not _listed(attachment, audience, audiences):
            continue
        details = json.loads(
            crypto.open_item(
                data_key, attachment_place(referral, attachment, "details"), attachment.details
            )
        )
        listed.append(
            AttachmentInfo(
                attachment.public_id,
                details["name"],
                details["type"],
                details["size"],
                details["cleaned"],
                attachment.message_id is not None,
                replies.get(attachment.message_id),
            )
        )
    return listed


def writers(session: Session, reader: User, author_ids: set[int]) -> dict[int, str]:
    """How a reader names the writers of notes and messages: staff see each
    account's address (and its association for a partner's member); a partner sees
    its own colleagues' addresses and "Miviludes" for the mission's staff."""
    names: dict[int, str] = {}
    if not author_ids:
        return names
    rows = session.execute(
        select(User.id, User.email, User.association_id, Association.name)
        .outerjoin(Association, Association.id == User.association_id)
        .where(User.id.in_(author_ids))
    )
    for user_id, email, association_id, association_name in rows:
        if reader.is_miviludes:
            names[user_id] = f"{email} ({association_name})" if association_name else email
        elif association_id is not None and association_id == reader.association_id:
            names[user_id] = email
        else:
            names[user_id] = "Miviludes"
    return names


def conversation_names(session: Session, messages: list[ThreadMessage]) -> dict[int, str]:
    """The name of each association these messages were exchanged with (even one that
    no longer has the case: its messages stay readable)."""
    spoken_with = {m.association_id for m in messages if m.association_id is not None}
    if not spoken_with:
        return {}
    rows = session.execute(
        select(Association.id, Association.name).where(Association.id.in_(spoken_with))
    )
    return dict(rows.all())


def open_referral(
    session: Session, user: User, referral: Referral, data_key: bytes
) -> OpenedReferral:
    """Decrypt what ``user`` may read of a referral with its data key (from
    ``open_data_key``); the opening is audited.

    Miviludes reads everything. An association reads the reporter's identity only if
    the reporter consented, only its own follow-up notes (never internal ones) and only
    its own conversation with the reporter.
    """
    if user.is_miviludes:
        with_identity, note_filter = True, Note.id.is_not(None)
    else:
        with_identity = bool(
            session.scalar(
                select(Routing.identity_shared).where(
                    Routing.referral_id == referral.id,
                    Routing.association_id == user.association_id,
                )
            )
        )
        note_filter = (Note.audience == "partner") & (Note.association_id == user.association_id)
    document = json.loads(
        crypto.open_item(data_key, referral_place(referral, "document"), referral.document)
    )
    identity = read_identity(referral, data_key) if with_identity else None
    notes = [
        NoteView(
            note.audience,
            note.association_id,
            note.author_id,
            crypto.open_text(data_key, note_place(referral, note.public_id), note.body),
            note.created_at,
        )
        for note in session.scalars(
            select(Note).where(Note.referral_id == referral.id, note_filter).order_by(Note.id)
        )
    ]
    record_event(
        session,
        actor=user.actor,
        action="referral.open",
        target=f"referral:{referral.public_id}",
        details={"identity": identity is not None},
    )
    audience = audience_of(user)
    thread = read_thread(referral, data_key, audience.reads)
    author_ids = {note.author_id for note in notes}
    author_ids.update(message.author_id for message in thread if message.author_id)
    return OpenedReferral(
        referral,
        document,
        identity,
        list_attachments(referral, data_key, audience),
        thread,
        notes,
        writers(session, user, author_ids),
        conversation_names(session, thread),
    )


@dataclass(frozen=True)
class Download:
    name: str
    media_type: str
    size: int
    #: Rewritten by the intake: metadata gone and, for a PDF, every active part.
    cleaned: bool
    chunks: Iterator[bytes]


def open_attachment(
    session: Session, user: User, private_key: bytes, referral: Referral, public_id: str
) -> Download | None:
    attachment = session.scalar(
        select(Attachment).where(
            Attachment.referral_id == referral.id, Attachment.public_id == public_id
        )
    )
    if attachment is None or not _listed(
        attachment, audience_of(user), _message_audiences(referral)
    ):
        return None
    data_key = open_data_key(session, user, private_key, referral)
    details = json.loads(
        crypto.open_item(
            data_key, attachment_place(referral, attachment, "details"), attachment.details
        )
    )
    record_event(
        session,
        actor=user.actor,
        action="attachment.download",
        target=f"referral:{referral.public_id}",
        details={"attachment": attachment.public_id},
    )
    blobs = [chunk.blob for chunk in attachment.chunks]  # read before the commit expires them
    place = attachment_place(referral, attachment, "content")
    return Download(
        details["name"],
        details["type"],
        details["size"],
        details["cleaned"],
        crypto.open_chunks(data_key, place, blobs),
    )


def read_identity(referral: Referral, data_key: bytes) -> dict | None:
    """The reporter's name and contact details, when they gave any."""
    if referral.identity is None:
        return None
    place = referral_place(referral, "identity")
    return json.loads(crypto.open_item(data_key, place, referral.identity))


def related_referrals(session: Session, referral: Referral) -> list[Referral]:
    """Other referrals naming one of this one's organisations or websites (blind index)."""
    tokens = select(BlindIndexEntry.token).where(BlindIndexEntry.referral_id == referral.id)
    ids = select(BlindIndexEntry.referral_id).where(
        BlindIndexEntry.token.in_(tokens), BlindIndexEntry.referral_id != referral.id
    )
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.id.in_(ids))
            .order_by(Referral.created_at.desc())
            .limit(20)
        )
    )
