"""Routings of a referral to associations, and the notes written about a case."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.associations import Association
from portal.models.base import Base, utcnow

ROUTING_STATUSES = ("pending", "accepted", "declined", "closed")
#: Who may read a note: Miviludes only, or Miviludes and the association that wrote it.
NOTE_AUDIENCES = ("internal", "partner")


class Routing(Base):
    """Counted columns keep their old value when changed (``active_history``), as
    ``Referral``'s do."""

    __tablename__ = "routings"
    __table_args__ = (
        UniqueConstraint("referral_id", "association_id"),
        #: The statistics' routings of a period, read from this index alone.
        Index(
            "ix_routings_statistics",
            "created_at",
            "association_id",
            "status",
            "responded_at",
            "closed_at",
        ),
        #: The routings still waiting for an answer: the queue's "routed, not yet
        #: accepted" and the reminders read them from here.
        Index("ix_routings_waiting", "status", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT"), index=True, active_history=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending", active_history=True)
    #: The reporter's identity went with the case (the reporter consented).
    identity_shared: Mapped[bool] = mapped_column(default=False)
    routed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, active_history=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the association accepted or declined the case.
    responded_at: Mapped[datetime | None] = mapped_column(active_history=True)
    #: When the association closed the case with an outcome.
    closed_at: Mapped[datetime | None] = mapped_column(active_history=True)
    #: The day the association should have answered by (``casework.deadlines``).
    accept_due: Mapped[date | None] = mapped_column(Date)
    #: Since when a message of the reporter waits for the association's members (until
    #: one of them opens the case).
    to_read_since: Mapped[datetime | None] = mapped_column(default=None)
    #: The last day a reminder of a late answer went to its members.
    reminded_on: Mapped[date | None] = mapped_column(Date)
    #: Why the association declined (``vocabulary.DECLINE_REASON_LABELS``), counted.
    decline_reason: Mapped[str | None] = mapped_column(String(30), active_history=True)
    #: What came of the case with the association (``vocabulary.CLOSING_REASON_LABELS``).
    outcome: Mapped[str | None] = mapped_column(String(30), active_history=True)
    #: Encrypted under the referral's key: the association's own words on its decline
    #: or its outcome.
    closing_text: Mapped[bytes | None] = mapped_column(LargeBinary)

    association: Mapped[Association] = relationship()


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    audience: Mapped[str] = mapped_column(String(10))
    #: Set on an association's follow-up note.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
