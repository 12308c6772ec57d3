"""The conversation with the reporter, encrypted under the referral's key.

Each message has one audience: the reporter and Miviludes (``association_id`` empty),
or the reporter and one association the case was routed to (Miviludes reads it too).
Who may read which is decided in ``portal.casework.access``; shared by the reporter's
follow-up page, the back office and the partner space.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import crypto
from portal.casework import unread
from portal.models import Message, Referral, utcnow

AUTHORS = ("reporter", "miviludes", "association")


@dataclass(frozen=True)
class ThreadMessage:
    public_id: str
    author: str
    body: str
    created_at: datetime
    attachment_names: list[str]
    #: The staff member or association member who wrote it, when known (never shown
    #: to the reporter).
    author_id: int | None = None
    #: The audience: ``None`` for the reporter and Miviludes, else the association's id.
    association_id: int | None = None


def _place(referral: Referral, message_public_id: str) -> crypto.ItemPlace:
    return crypto.ItemPlace("message", referral.public_id, message_public_id, "body")


def post_message(
    session: Session,
    referral: Referral,
    data_key: bytes,
    author: str,
    body: str,
    *,
    author_id: int | None = None,
    association_id: int | None = None,
) -> Message:
    """A message of the reporter or to the reporter; with ``association_id``, in the
    conversation between the reporter and that association."""
    if author not in AUTHORS:
        raise ValueError(author)
    if (author == "association" and association_id is None) or (
        author == "miviludes" and association_id is not None
    ):
        raise ValueError(f"{author} cannot write to that audience")
    public_id = uuid.uuid4().hex
    message = Message(
        public_id=public_id,
        author=author,
        author_id=author_id,
        association_id=association_id,
        body=crypto.seal_text(data_key, _place(referral, public_id), body),
        created_at=utcnow(),
    )
    referral.messages.append(message)
    if author == "reporter" and association_id is None:
        unread.mark(referral)  # the association's own mark is its routing's
    session.flush()
    return message


def read_thread(
    referral: Referral,
    data_key: bytes,
    reads: Callable[[int | None], bool] = lambda _association_id: True,
) -> list[ThreadMessage]:
    """The messages of the audiences ``reads`` accepts (by ``association_id``; every
    one by default, as the reporter reads them): the others are never decrypted."""
    readable = {m.id: m for m in referral.messages if reads(m.association_id)}
    names_by_message: dict[int, list[str]] = {}
    for attachment in referral.attachments:
        if attachment.message_id not in readable:
            continue
        place = crypto.ItemPlace("attachment", referral.public_id, attachment.public_id, "details")
        details = json.loads(crypto.open_item(data_key, place, attachment.details))
        names_by_message.setdefault(attachment.message_id, []).append(details["name"])
    return [
        ThreadMessage(
            message.public_id,
            message.author,
            crypto.open_text(data_key, _place(referral, message.public_id), message.body),
            message.created_at,
            names_by_message.get(message.id, []),
            message.author_id,
            message.association_id,
        )
        for message in readable.values()
    ]
