"""Referrals and what hangs off them. Plaintext columns are only what triage, routing
and statistics need (DESIGN §3); everything a reporter typed is ciphertext."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

REFERRAL_KINDS = ("report", "opinion")
STATUSES = (
    "new",
    "in_triage",
    "awaiting_reporter",
    "routed",
    "transmitted_to_prosecutor",
    "closed",
)


#: What the triage queue filters on. Both queue indexes carry these columns after
#: their ordering columns, so a filtered page is found by scanning one index in queue
#: order without reading any row (DESIGN §8; benchmarks/triage.py).
QUEUE_FILTER_COLUMNS = (
    "region_code",
    "departement",
    "domain",
    "kind",
    "assigned_to_id",
    "minor_involved",
    "health_risk",
)
#: What the queue shows and does not filter on: at the end of both queue indexes too,
#: so that a page is read from an index alone, without a lookup of each row (a row
#: holds its ciphertext; 51 lookups were 40 % of a page's database time).
QUEUE_SHOWN_COLUMNS = ("public_id", "returned", "to_read_since", "due_on")
#: What the statistics count (DESIGN §3: plaintext metadata only), after the month and
#: the moment of receipt: a period's figures are read from this index alone.
STATISTICS_COLUMNS = (
    "kind",
    "domain",
    "reporter_role",
    "minor_involved",
    "health_risk",
    "urgent",
    "status",
    "closing_reason",
    "region_code",
    "departement",
    "first_action_at",
    "closed_at",
)


class Referral(Base):
    """What the statistics count is read before it changes (``active_history``), so
    that ``portal.statistics.tallies`` can move the referral from its old tallies to
    its new ones even when the old value was not loaded."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index(
            "ix_referrals_queue",
            "urgent",
            "created_at",
            "id",
            "status",
            *QUEUE_FILTER_COLUMNS,
            *QUEUE_SHOWN_COLUMNS,
        ),
        Index(
            "ix_referrals_status_queue",
            "status",
            "urgent",
            "created_at",
            "id",
            *QUEUE_FILTER_COLUMNS,
            *QUEUE_SHOWN_COLUMNS,
        ),
        Index("ix_referrals_statistics", "month", "created_at", *STATISTICS_COLUMNS),
        #: "To read" for an account: few rows carry the mark.
        Index("ix_referrals_to_read", "to_read_since", "assigned_to_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown to staff and bound into every ciphertext of the referral.
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10), active_history=True)
    status: Mapped[str] = mapped_column(String(30), default="new", active_history=True)
    reporter_role: Mapped[str] = mapped_column(String(30), active_history=True)
    domain: Mapped[str] = mapped_column(String(30), active_history=True)
    #: INSEE code, or "abroad" / "unknown".
    departement: Mapped[str] = mapped_column(String(10), active_history=True)
    region_code: Mapped[str | None] = mapped_column(String(3), active_history=True)
    minor_involved: Mapped[str] = mapped_column(String(10), active_history=True)  # yes/no/unknown
    health_risk: Mapped[bool] = mapped_column(default=False, active_history=True)
    #: Immediate danger: shown first in the queue.
    urgent: Mapped[bool] = mapped_column(default=False, active_history=True)
    contact_allowed: Mapped[bool] = mapped_column(default=False)
    #: The reporter agreed that identity and contact details go to an association.
    share_identity: Mapped[bool] = mapped_column(default=False)
    has_identity: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, active_history=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: The staff member handling the case; taking it is an atomic conditional update.
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: An association declined the case: it is back in the queue and flagged.
    returned: Mapped[bool] = mapped_column(default=False)
    #: Since when something came that staff have not read (the reporter's answer, an
    #: association's note or decision): cleared when staff open the case.
    to_read_since: Mapped[datetime | None] = mapped_column()
    #: The day the case's current wait should end, and what it waits for: "triage",
    #: "reporter" or "acceptance" (``portal.casework.deadlines``).
    due_on: Mapped[date | None] = mapped_column(Date)
    due_kind: Mapped[str | None] = mapped_column(String(20))
    #: The first thing a staff member did with it (took, classified, assigned, moved it
    #: on): the statistics' delay to a first action.
    first_action_at: Mapped[datetime | None] = mapped_column(active_history=True)
    #: When it was last closed; cleared if it is opened again.
    closed_at: Mapped[datetime | None] = mapped_column(active_history=True)
    #: "answered", "no_follow_up" or "duplicate" once closed.
    closing_reason: Mapped[str | None] = mapped_column(String(20), active_history=True)
    #: Art. 40 CPP: the date of transmission; the prosecutor's reference is encrypted.
    prosecutor_date: Mapped[date | None] = mapped_column(Date, index=True, active_history=True)
    prosecutor_reference: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Kept at least until this day whatever the retention rules say: an extension
    #: an administrator gave, with a reason (``portal.records.retention``).
    retention_until: Mapped[date | None] = mapped_column(Date)
    #: When retention purged the case: every ciphertext, key and the receipt's lookup
    #: token are gone; the plaintext columns remain as its statistical record.
    purged_at: Mapped[datetime | None] = mapped_column()
    #: "2026-11", the month of receipt in Paris time (``portal.statistics.calendar``):
    #: statistics group by this stored month (DESIGN §8).
    month: Mapped[str] = mapped_column(String(7))
    #: HKDF of the unstored receipt secret: finds the referral from the receipt.
    lookup_token: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: The data key wrapped under the reporter key (derived from the receipt, never stored).
    reporter_wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: Encrypted JSON: what the reporter wrote (organisations, websites, description…).
    document: Mapped[bytes] = mapped_column(LargeBinary)
    #: Encrypted JSON: name, e-mail, phone, best time; a separate item so it can be
    #: withheld from an association when the reporter did not consent.
    identity: Mapped[bytes | None] = mapped_column(LargeBinary)

    grants: Mapped[list[KeyGrant]] = relationship(
        back_populates="referral", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="Message.id"
    )


class StatusCount(Base):
    """How many referrals are in each status. The queue shows these counts on every
    page; counting a million rows each time would cost more than the page itself, so
    every flush that adds a referral or changes its status moves them in the same
    transaction (``portal.statistics.tallies``; read by ``portal.casework.status_counts``)."""

    __tablename__ = "referral_status_counts"

    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: How many times a referral in this status (before or after) changed what the
    #: queue shows or filters on: with the counts, the key of the queue's kept pages.
    changes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class KeyGrant(Base):
    """The referral's data key sealed to one group's public key (HPKE)."""

    __tablename__ = "key_grants"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("key_groups.id", ondelete="CASCADE"), primary_key=True
    )
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="grants")


class Message(Base):
    """One message of the thread between Miviludes and the reporter."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: "reporter", "miviludes" or "association".
    author: Mapped[str] = mapped_column(String(20))
    #: The message's audience: empty for the reporter and Miviludes; an association's
    #: id for the reporter and that association (Miviludes reads it too). Kept after
    #: a decline or a withdrawal, so that the reporter and Miviludes still read it.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT"), default=None
    )
    #: The staff member who wrote a Miviludes message (shown to staff, never to the
    #: reporter); empty for the reporter's, and for messages older than this column.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="messages")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    #: Set when the file came with a reply on the follow-up page.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    #: Encrypted JSON: file name, media type, size, whether metadata was stripped.
    details: Mapped[bytes] = mapped_column(LargeBinary)
    chunk_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral: Mapped[Referral] = relationship(back_populates="attachments")
    chunks: Mapped[list[AttachmentChunk]] = relationship(
        cascade="all, delete-orphan", order_by="AttachmentChunk.position"
    )


class AttachmentChunk(Base):
    __tablename__ = "attachment_chunks"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class BlindIndexEntry(Base):
    """A keyed hash of a value a referral is found by (``crypto.blind_index``): an
    organisation or a person named, a web host, the reporter's e-mail or phone."""

    __tablename__ = "blind_index"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)


class ReferralLink(Base):
    """Two referrals staff linked: related, or one closed as a duplicate of the other
    (``referral_id`` is then the duplicate, ``other_id`` the original). Who linked
    them, and when each link changed, is in the audit log (``referral.link``)."""

    __tablename__ = "referral_links"
    __table_args__ = (UniqueConstraint("referral_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    #: "related" or "duplicate_of".
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
