"""The life cycle of a referral (DESIGN §5): every change of status goes through
``change_status``, which checks the transition and writes it to the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

import crypto
from portal.casework import deadlines, notices, unread
from portal.casework.access import note_place, referral_place
from portal.casework.threads import post_message
from portal.models import Note, Referral, ReferralLink, User, utcnow
from portal.records.audit import record_event
from portal.vocabulary import CLOSING_REASON_LABELS

#: status → the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"in_triage", "closed"}),
    "in_triage": frozenset({"awaiting_reporter", "routed", "transmitted_to_prosecutor", "closed"}),
    "awaiting_reporter": frozenset({"in_triage", "routed", "transmitted_to_prosecutor", "closed"}),
    "routed": frozenset({"in_triage", "transmitted_to_prosecutor", "closed"}),
    "transmitted_to_prosecutor": frozenset({"routed", "closed"}),
    "closed": frozenset({"in_triage"}),
}
CLOSING_REASONS = tuple(CLOSING_REASON_LABELS)
LINK_KINDS = ("related", "duplicate_of")
#: Statuses a staff member sets by hand; "routed" comes only with a routing.
MANUAL_TARGETS = ("in_triage", "awaiting_reporter", "closed")


class TransitionRefused(ValueError):
    """The referral cannot go from its status to the one asked for."""


class AlreadyTaken(RuntimeError):
    """Another staff member took the referral first."""


def _target(referral: Referral) -> str:
    return f"referral:{referral.public_id}"


def _note_first_action(referral: Referral) -> None:
    """Keep when staff first acted on the referral: the statistics' delay to a first
    action (leaving "new", an assignment or a classification, whichever comes first)."""
    if referral.first_action_at is None:
        referral.first_action_at = utcnow()


def allowed_targets(referral: Referral) -> list[str]:
    return [status for status in MANUAL_TARGETS if status in TRANSITIONS[referral.status]]


def change_status(
    session: Session,
    referral: Referral,
    status: str,
    actor: str,
    *,
    closing_reason: str | None = None,
    original: Referral | None = None,
) -> None:
    """``original``: the referral this one duplicates, required to close as a
    duplicate (the two are then linked)."""
    previous = referral.status
    if status not in TRANSITIONS.get(previous, ()):
        raise TransitionRefused(f"{previous} → {status}")
    if status == "closed" and closing_reason not in CLOSING_REASONS:
        raise TransitionRefused("closing needs a reason")
    if status == "closed" and closing_reason == "duplicate":
        if original is None or original.id == referral.id:
            raise TransitionRefused("a duplicate names its original")
        link(session, referral, original, actor, kind="duplicate_of")
    if previous == "new":
        _note_first_action(referral)
    referral.status = status
    referral.closing_reason = closing_reason if status == "closed" else None
    referral.updated_at = utcnow()
    referral.closed_at = referral.updated_at if status == "closed" else None
    deadlines.on_status(session, referral, previous, deadlines.paris_day(referral.updated_at))
    details: dict[str, object] = {"from": previous, "to": status}
    if closing_reason and status == "closed":
        details["reason"] = closing_reason
    record_event(
        session, actor=actor, action="referral.status", target=_target(referral), details=details
    )
    session.flush()


class LinkRefused(ValueError):
    """A referral cannot be linked to itself."""


def link(
    session: Session, referral: Referral, other: Referral, actor: str, *, kind: str = "related"
) -> None:
    """Link two referrals (once, whichever way round); closing one as a duplicate of
    the other turns a plain link into that."""
    if kind not in LINK_KINDS:
        raise ValueError(kind)
    if other.id == referral.id:
        raise LinkRefused(referral.public_id)
    existing = session.scalar(
        select(ReferralLink).where(
            or_(
                and_(ReferralLink.referral_id == referral.id, ReferralLink.other_id == other.id),
                and_(ReferralLink.referral_id == other.id, ReferralLink.other_id == referral.id),
            )
        )
    )
    if existing is None:
        session.add(ReferralLink(referral_id=referral.id, other_id=other.id, kind=kind))
    elif kind == "related" or (existing.kind == kind and existing.referral_id == referral.id):
        return  # linked so already
    else:  # a plain link, or one the other way round, becomes "this one duplicates"
        existing.referral_id, existing.other_id, existing.kind = referral.id, other.id, kind
    record_event(
        session,
        actor=actor,
        action="referral.link",
        target=_target(referral),
        details={"other": other.public_id, "kind": kind},
    )
    session.flush()


@dataclass(frozen=True)
class Linked:
    other: Referral
    #: "related", "duplicate_of" (this one duplicates ``other``) or "duplicated_by".
    relation: str


def linked_referrals(session: Session, referral: Referral) -> list[Linked]:
    found = []
    for item in session.scalars(
        select(ReferralLink)
        .where(or_(ReferralLink.referral_id == referral.id, ReferralLink.other_id == referral.id))
        .order_by(ReferralLink.id)
    ):
        mine = item.referral_id == referral.id
        other = session.get(Referral, item.other_id if mine else item.referral_id)
        relation = item.kind if mine or item.kind == "related" else "duplicated_by"
        found.append(Linked(other, relation))
    return found


def start_triage_if_new(session: Session, referral: Referral, actor: str) -> None:
    if referral.status == "new":
        change_status(session, referral, "in_triage", actor)


def take(session: Session, referral: Referral, user: User) -> None:
    """Assign an unassigned referral to oneself: one conditional UPDATE, so when two
    people take it at the same moment exactly one succeeds."""
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.assigned_to_id.is_(None))
        .values(assigned_to_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyTaken(referral.public_id)
    session.refresh(referral)
    record_event(session, actor=user.actor, action="referral.take", target=_target(referral))
    start_triage_if_new(session, referral, user.actor)


def assign(session: Session, referral: Referral, assignee: User | None, actor: User) -> None:
    if assignee is not None and (not assignee.is_miviludes or assignee.disabled):
        raise ValueError("only an active Miviludes account can be assigned")
    referral.assigned_to_id = assignee.id if assignee else None
    _note_first_action(referral)
    record_event(
        session,
        actor=actor.actor,
        action="referral.assign",
        target=_target(referral),
        details={"to": assignee.actor if assignee else None},
    )
    session.flush()


def classify(
    session: Session,
    referral: Referral,
    actor: User,
    *,
    domain: str,
    minor_involved: str,
    health_risk: bool,
    urgent: bool,
) -> None:
    changed = {
        name: value
        for name, value in {
            "domain": domain,
            "minor_involved": minor_involved,
            "health_risk": health_risk,
            "urgent": urgent,
        }.items()
        if getattr(referral, name) != value
    }
    for name, value in changed.items():
        setattr(referral, name, value)
    if changed:
        _note_first_action(referral)
        record_event(
            session,
            actor=actor.actor,
            action="referral.classify",
            target=_target(referral),
            details=changed,
        )
    session.flush()


def add_note(
    session: Session,
    referral: Referral,
    data_key: bytes,
    author: User,
    body: str,
) -> Note:
    """Miviludes' notes are internal; an association's notes are its follow-up for Miviludes."""
    public_id = uuid.uuid4().hex
    note = Note(
        referral_id=referral.id,
        public_id=public_id,
        audience="internal" if author.is_miviludes else "partner",
        association_id=None if author.is_miviludes else author.association_id,
        author_id=author.id,
        body=crypto.seal_text(data_key, note_place(referral, public_id), body),
        created_at=utcnow(),
    )
    session.add(note)
    if not author.is_miviludes:
        unread.mark(referral)
    record_event(
        session,
        actor=author.actor,
        action="note.add",
        target=_target(referral),
        details={"audience": note.audience},
    )
    session.flush()
    return note


def ask_reporter(
    session: Session,
    referral: Referral,
    data_key: bytes,
    author: User,
    body: str,
    follow_up_links: Mapping[str, str] | None = None,
) -> None:
    """A message to the reporter; a case in triage then waits for the answer. With
    the follow-up page's links, a reporter who agreed to be contacted by e-mail is
    told that a message waits."""
    post_message(session, referral, data_key, "miviludes", body, author_id=author.id)
    notified = follow_up_links is not None and notices.notify_reporter(
        session, referral, data_key, follow_up_links
    )
    record_event(
        session,
        actor=author.actor,
        action="message.send",
        target=_target(referral),
        details={"reporter_notified": notified},
    )
    start_triage_if_new(session, referral, author.actor)
    if referral.status == "in_triage":
        change_status(session, referral, "awaiting_reporter", author.actor)


def transmit_to_prosecutor(
    session: Session,
    referral: Referral,
    data_key: bytes,
    actor: User,
    when: date,
    reference: str,
) -> None:
    """Art. 40 CPP: the date stays in clear (statistics), the reference is encrypted."""
    start_triage_if_new(session, referral, actor.actor)
    change_status(session, referral, "transmitted_to_prosecutor", actor.actor)
    referral.prosecutor_date = when
    referral.prosecutor_reference = crypto.seal_text(
        data_key, referral_place(referral, "prosecutor"), reference
    )
    session.flush()


def prosecutor_reference(referral: Referral, data_key: bytes) -> str | None:
    if referral.prosecutor_reference is None:
        return None
    return crypto.open_text(
        data_key, referral_place(referral, "prosecutor"), referral.prosecutor_reference
    )
