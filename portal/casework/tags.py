"""Tags on cases, from a list administrators keep. Adding or removing one is audited
per case (the tag's name, never anything the reporter wrote)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Referral, ReferralTag, Tag
from portal.records.audit import record_event


class TagRefused(ValueError):
    """A retired or unknown tag, or a name already taken."""


def offered(session: Session) -> list[Tag]:
    """The tags staff can put on a case now."""
    return list(session.scalars(select(Tag).where(Tag.retired.is_(False)).order_by(Tag.name)))


def every_tag(session: Session) -> list[Tag]:
    """For administrators and the queue's filter: retired tags still find old cases."""
    return list(session.scalars(select(Tag).order_by(Tag.retired, Tag.name)))


def usage(session: Session) -> dict[int, int]:
    """How many cases carry each tag."""
    rows = session.execute(
        select(ReferralTag.tag_id, func.count()).group_by(ReferralTag.tag_id)
    ).all()
    return dict(rows)


def counted_up_to(session: Session, tag_id: int, most: int) -> int:
    """How many cases carry a tag, counted no further than ``most`` (on its index)."""
    carrying = select(ReferralTag.referral_id).where(ReferralTag.tag_id == tag_id).limit(most)
    return session.scalar(select(func.count()).select_from(carrying.subquery()))


def names_by_referral(session: Session, referral_ids: Iterable[int]) -> dict[int, list[str]]:
    """The tags of the listed cases, each list in alphabetical order (a statement per
    thousand cases: an export lists thousands)."""
    ids = list(referral_ids)
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(ReferralTag.referral_id, Tag.name)
            .join(Tag, Tag.id == ReferralTag.tag_id)
            .where(ReferralTag.referral_id.in_(ids[start : start + 1000]))
            .order_by(Tag.name)
        )
        for referral_id, name in rows:
            found[referral_id].append(name)
    return found


def of_referral(session: Session, referral: Referral) -> list[Tag]:
    return list(
        session.scalars(
            select(Tag)
            .join(ReferralTag, ReferralTag.tag_id == Tag.id)
            .where(ReferralTag.referral_id == referral.id)
            .order_by(Tag.name)
        )
    )


def _events(session: Session, referral: Referral, actor: str, added, removed) -> None:
    """One event per tag put on or taken off (the log holds short values only)."""
    for action, changed in (("referral.tag_added", added), ("referral.tag_removed", removed)):
        for tag in sorted(changed, key=lambda tag: tag.name):
            record_event(
                session,
                actor=actor,
                action=action,
                target=f"referral:{referral.public_id}",
                details={"tag": tag.name},
            )


def set_tags(session: Session, referral: Referral, wanted: Iterable[Tag], actor: str) -> bool:
    """Make the case carry exactly ``wanted`` (a retired tag it carries may stay; none
    may be added). Returns whether anything changed."""
    current = {tag.id: tag for tag in of_referral(session, referral)}
    wanted_by_id = {tag.id: tag for tag in wanted}
    added = [tag for tag_id, tag in wanted_by_id.items() if tag_id not in current]
    removed = [tag for tag_id, tag in current.items() if tag_id not in wanted_by_id]
    if any(tag.retired for tag in added):
        raise TagRefused("a retired tag is no longer put on cases")
    if not added and not removed:
        return False
    for tag in added:
        session.add(ReferralTag(referral_id=referral.id, tag_id=tag.id))
    for tag in removed:
        # Through the ORM, whose flush moves the queue's state (the queue shows tags).
        session.delete(session.get(ReferralTag, (referral.id, tag.id)))
    _events(session, referral, actor, added, removed)
    session.flush()
    return True


def add_tag(session: Session, referral: Referral, tag: Tag, actor: str) -> bool:
    """Put one more tag on the case (the bulk action); False when it already has it."""
    if session.get(ReferralTag, (referral.id, tag.id)) is not None:
        return False
    if tag.retired:
        raise TagRefused("a retired tag is no longer put on cases")
    session.add(ReferralTag(referral_id=referral.id, tag_id=tag.id))
    _events(session, referral, actor, [tag], [])
    session.flush()
    return True


def create(session: Session, name: str, actor: str) -> Tag:
    name = " ".join(name.split())
    if session.scalar(select(Tag.id).where(func.lower(Tag.name) == name.lower())) is not None:
        raise TagRefused("a tag of that name exists")
    tag = Tag(name=name)
    session.add(tag)
    session.flush()
    record_event(
        session, actor=actor, action="tag.create", target=f"tag:{tag.id}", details={"name": name}
    )
    return tag


def set_retired(session: Session, tag: Tag, retired: bool, actor: str) -> None:
    if tag.retired == retired:
        return
    tag.retired = retired
    record_event(
        session,
        actor=actor,
        action="tag.retire" if retired else "tag.restore",
        target=f"tag:{tag.id}",
        details={"name": tag.name},
    )
    session.flush()
