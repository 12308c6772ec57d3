"""What staff add to organise their work, beside the referral itself: tags from a
list administrators keep, and each staff member's saved queue filters. Plaintext
metadata only (DESIGN §3): a tag names a kind of case, never a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow

TAG_NAME_MAX = 40
SAVED_FILTER_NAME_MAX = 60
SAVED_FILTER_QUERY_MAX = 1000


class Tag(Base):
    """A word of the team's own vocabulary ("mouvement connu", "médias", …). A tag in
    use is retired rather than deleted: the cases keep it, it is no longer offered."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_NAME_MAX), unique=True)
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferralTag(Base):
    """A tag on a case. Who tagged it, and when, is in the audit log."""

    __tablename__ = "referral_tags"
    #: A tag's cases, read from this index alone (the queue filtered by a rare tag).
    __table_args__ = (Index("ix_referral_tags_tag", "tag_id", "referral_id"),)

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class SavedFilter(Base):
    """A staff member's named view of the queue: the filters' query string, which
    holds only metadata codes (status, territory, domain, tag, dates)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(SAVED_FILTER_NAME_MAX))
    query: Mapped[str] = mapped_column(String(SAVED_FILTER_QUERY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
