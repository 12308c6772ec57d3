"""Routing a referral to victim-support associations, and the associations' answers.

Routing seals the referral's data key to the association's group key (a new
``key_grants`` row); withdrawing, or the association declining, deletes it.
A routing row goes ``pending → accepted | declined → closed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

import crypto
from portal.casework import deadlines, notices, unread
from portal.casework.access import ROUTING_STATES_WITH_ACCESS
from portal.casework.threads import post_message
from portal.casework.workflow import change_status, start_triage_if_new
from portal.models import (
    Association,
    AssociationCoverage,
    Departement,
    KeyGrant,
    KeyGroup,
    Referral,
    Routing,
    User,
    utcnow,
)
from portal.records import outbox
from portal.records.audit import record_event
from portal.vocabulary import CLOSING_REASON_LABELS, DECLINE_REASON_LABELS, LANGUAGES

#: routing status → the statuses it may move to.
ROUTING_TRANSITIONS = {
    "pending": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"closed"}),
    "declined": frozenset(),
    "closed": frozenset(),
}
#: Why the referral's page lists an association: the order they are suggested in.
MATCHES = ("departement", "region", "national")


class RoutingRefused(ValueError):
    """The routing cannot be made or changed; the message says why."""


@dataclass(frozen=True)
class Suggestion:
    association: Association
    match: str
    #: False while no member has an account: the association has no key to seal to.
    reachable: bool
    already_routed: bool


def _handles(association: Association, domain: str) -> bool:
    return not association.domains or domain in association.domains.split()


def suggest_associations(session: Session, referral: Referral) -> list[Suggestion]:
    """Those covering the département, then the region, then national ones; by domain.

    One query: every association with how closely it covers the referral's place
    (1 département, 2 region, 3 national), whether it has a key, whether the referral
    is already routed there."""
    coverage = (
        select(
            AssociationCoverage.association_id,
            func.min(
                case((AssociationCoverage.departement_code == referral.departement, 1), else_=2)
            ).label("closeness"),
        )
        .join(Departement, Departement.code == AssociationCoverage.departement_code)
        .where(Departement.region_code == referral.region_code)
        .group_by(AssociationCoverage.association_id)
        .subquery()
    )
    has_key = select(KeyGroup.id).where(KeyGroup.association_id == Association.id).exists()
    routed = (
        select(Routing.id)
        .where(Routing.association_id == Association.id, Routing.referral_id == referral.id)
        .exists()
    )
    closeness = func.coalesce(coverage.c.closeness, 3)
    rows = session.execute(
        select(Association, closeness, has_key, routed)
        .outerjoin(coverage, coverage.c.association_id == Association.id)
        .where(
            coverage.c.closeness.is_not(None) | Association.national.is_(True),
            Association.active.is_(True),
        )
        .order_by(closeness, Association.name)
    )
    return [
        Suggestion(association, MATCHES[rank - 1], reachable, already_routed)
        for association, rank, reachable, already_routed in rows
        if _handles(association, referral.domain)
    ]


def _target(referral: Referral) -> str:
    return f"referral:{referral.public_id}"


def route(
    session: Session,
    referral: Referral,
    data_key: bytes,
    association: Association,
    actor: User,
    case_url: Callable[[int], str],
) -> Routing:
    group = session.scalar(select(KeyGroup).where(KeyGroup.association_id == association.id))
    if group is None:
        raise RoutingRefused("no member of this association has an account yet")
    if session.scalar(
        select(Routing.id).where(
            Routing.referral_id == referral.id, Routing.association_id == association.id
        )
    ):
        raise RoutingRefused("already routed to this association")
    now = utcnow()
    routing = Routing(
        referral_id=referral.id,
        association_id=association.id,
        status="pending",
        identity_shared=referral.share_identity and referral.has_identity,
        routed_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    deadlines.on_routed(routing, deadlines.paris_day(now))
    session.add(routing)
    session.add(
        KeyGrant(
            referral_id=referral.id,
            group_id=group.id,
            sealed_key=crypto.grant_access(
                data_key, group.public_key, referral.public_id, group.slug
            ),
        )
    )
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="routing.create",
        target=_target(referral),
        details={"association": association.slug, "identity": routing.identity_shared},
    )
    record_event(
        session,
        actor=actor.actor,
        action="keys.grant_referral",
        target=_target(referral),
        details={"group": group.slug},
    )
    start_triage_if_new(session, referral, actor.actor)
    if referral.status != "routed":
        change_status(session, referral, "routed", actor.actor)
    deadlines.on_routings_changed(session, referral)
    referral.returned = False
    _notify_members(session, association, case_url(routing.id), _routed_notification)
    return routing


def _notify_members(
    session: Session,
    association: Association,
    case_url: str,
    notice: Callable[[str], tuple[str, str]],
) -> None:
    """A content-free e-mail to each active member: the case's link, nothing else."""
    members = session.scalars(
        select(User).where(User.association_id == association.id, User.disabled.is_(False))
    )
    subject, body = notice(case_url)
    for member in members:
        outbox.queue_email(session, member.email, subject, body)


def _reporter_wrote_notification(case_url: str) -> tuple[str, str]:
    return notices.bilingual(
        _l("Miviludes: a message from a reporter waits for your association"),
        _l(
            "The person who reported a case routed to your association wrote to you on "
            "the portal. Log in to read it:"
        ),
        dict.fromkeys(LANGUAGES, case_url),
    )


#: While its routing stands so, an association and the reporter write to each other.
WRITING_STATES = ("pending", "accepted")


def writing_routing(session: Session, referral: Referral, association_id: int) -> Routing | None:
    """The association's routing of this case, if the two may still write to each
    other (not after a decline, a withdrawal or its closing)."""
    return session.scalar(
        select(Routing).where(
            Routing.referral_id == referral.id,
            Routing.association_id == association_id,
            Routing.status.in_(WRITING_STATES),
        )
    )


def write_to_reporter(
    session: Session,
    routing: Routing,
    data_key: bytes,
    member: User,
    body: str,
    follow_up_links: Mapping[str, str],
) -> bool:
    """A member writes to the reporter in its association's conversation, encrypted
    under the case's key (which the association's grant opens). Miviludes reads it
    (the case is marked to read); a reporter who agreed to be contacted is told that
    a message waits, as for Miviludes' messages. Returns whether they were told."""
    if routing.status not in WRITING_STATES or member.association_id != routing.association_id:
        raise RoutingRefused("this association can no longer write about this case")
    referral = session.get(Referral, routing.referral_id)
    post_message(
        session,
        referral,
        data_key,
        "association",
        body,
        author_id=member.id,
        association_id=routing.association_id,
    )
    unread.mark(referral)
    seen_by_association(routing)  # a member is here: what waited is read
    notified = notices.notify_reporter(session, referral, data_key, follow_up_links)
    record_event(
        session,
        actor=member.actor,
        action="message.send",
        target=_target(referral),
        details={
            "audience": f"association:{routing.association_id}",
            "reporter_notified": notified,
        },
    )
    session.flush()
    return notified


def seen_by_association(routing: Routing) -> None:
    routing.to_read_since = None


def reporter_wrote(session: Session, routing: Routing, case_url: str) -> None:
    """The reporter wrote to the association: marked to read in its space, and its
    members are told (a link, never a word)."""
    if routing.to_read_since is None:
        routing.to_read_since = utcnow()
    _notify_members(session, routing.association, case_url, _reporter_wrote_notification)


def _routed_notification(case_url: str) -> tuple[str, str]:
    return notices.bilingual(
        _l("Miviludes: a case was routed to your association"),
        _l("Miviludes routed a new case to your association. Log in to read it:"),
        dict.fromkeys(LANGUAGES, case_url),
    )


def _drop_grant(session: Session, routing: Routing) -> None:
    group = session.scalar(
        select(KeyGroup).where(KeyGroup.association_id == routing.association_id)
    )
    if group is not None:
        grant = session.get(KeyGrant, (routing.referral_id, group.id))
        if grant is not None:
            session.delete(grant)


def withdraw(session: Session, routing: Routing, actor: User) -> None:
    """Take a case back from an association: the routing and its key grant go."""
    referral = session.get(Referral, routing.referral_id)
    _drop_grant(session, routing)
    session.delete(routing)
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="routing.withdraw",
        target=_target(referral),
        details={"routing": routing.id},
    )
    _return_to_triage_if_unrouted(session, referral, actor.actor)
    deadlines.on_routings_changed(session, referral)


def _return_to_triage_if_unrouted(session: Session, referral: Referral, actor: str) -> None:
    active = session.scalar(
        select(Routing.id).where(
            Routing.referral_id == referral.id, Routing.status.in_(("pending", "accepted"))
        )
    )
    if active is None and referral.status == "routed":
        change_status(session, referral, "in_triage", actor)


def _move(
    session: Session, routing: Routing, status: str, actor: User, *, reason: str = ""
) -> Referral:
    if status not in ROUTING_TRANSITIONS[routing.status]:
        raise RoutingRefused(f"{routing.status} → {status}")
    previous, routing.status, routing.updated_at = routing.status, status, utcnow()
    if status in ("accepted", "declined"):
        routing.responded_at = routing.updated_at
    elif status == "closed":
        routing.closed_at = routing.updated_at
    referral = session.get(Referral, routing.referral_id)
    if not actor.is_miviludes:
        unread.mark(referral)  # the association's decision
    record_event(
        session,
        actor=actor.actor,
        action="routing.status",
        target=_target(referral),
        details={"routing": routing.id, "from": previous, "to": status}
        | ({"reason": reason} if reason else {}),
    )
    return referral


def _closing_place(referral: Referral, routing: Routing) -> crypto.ItemPlace:
    return crypto.ItemPlace("routing", referral.public_id, str(routing.id), "closing")


def _seal_closing_text(
    referral: Referral, data_key: bytes, routing: Routing, text: str
) -> bytes | None:
    """``None`` when the association wrote nothing (the reason alone says enough)."""
    if not text.strip():
        return None
    return crypto.seal_text(data_key, _closing_place(referral, routing), text)


def closing_text(referral: Referral, data_key: bytes, routing: Routing) -> str | None:
    if routing.closing_text is None:
        return None
    return crypto.open_text(data_key, _closing_place(referral, routing), routing.closing_text)


def accept(session: Session, routing: Routing, actor: User) -> None:
    referral = _move(session, routing, "accepted", actor)
    deadlines.on_routings_changed(session, referral)
    session.flush()


def decline(
    session: Session,
    routing: Routing,
    data_key: bytes,
    actor: User,
    reason: str,
    details: str = "",
) -> None:
    """The association gives the case back, saying why (a reason counted by the
    statistics, and its own words, encrypted): the case returns to the queue, flagged,
    and the association loses its key to it."""
    if reason not in DECLINE_REASON_LABELS:
        raise RoutingRefused(f"unknown reason {reason!r}")
    referral = _move(session, routing, "declined", actor, reason=reason)
    routing.decline_reason = reason
    routing.closing_text = _seal_closing_text(referral, data_key, routing, details)
    _drop_grant(session, routing)
    referral.returned = True
    session.flush()
    _return_to_triage_if_unrouted(session, referral, actor.actor)
    deadlines.on_routings_changed(session, referral)


def close(
    session: Session,
    routing: Routing,
    data_key: bytes,
    actor: User,
    outcome: str,
    details: str = "",
) -> None:
    """The association closes the case on its side with an outcome the statistics
    count, and its own words, encrypted."""
    if outcome not in CLOSING_REASON_LABELS:
        raise RoutingRefused(f"unknown outcome {outcome!r}")
    referral = _move(session, routing, "closed", actor, reason=outcome)
    routing.outcome = outcome
    routing.closing_text = _seal_closing_text(referral, data_key, routing, details)
    session.flush()


#: What a partner's list of cases can show: those it still has access to.
PARTNER_VIEWS = ("pending", "accepted", "closed")


def _partner_routings(association_id: int) -> Select:
    """An association's routings it still has access to, of cases not purged."""
    return (
        select(Routing)
        .join(Referral, Referral.id == Routing.referral_id)
        .where(
            Routing.association_id == association_id,
            Routing.status.in_(ROUTING_STATES_WITH_ACCESS),
            Referral.purged_at.is_(None),
        )
    )


def partner_cases(
    session: Session, association_id: int, today: date, *, status: str = "", late: bool = False
) -> list[tuple[Routing, Referral]]:
    """An association's cases, those to answer first, then the newest; ``status`` one
    of ``PARTNER_VIEWS``, ``late``: past the answer's day."""
    query = (
        _partner_routings(association_id)
        .add_columns(Referral)
        .order_by(Routing.status != "pending", Routing.created_at.desc())
    )
    if status:
        query = query.where(Routing.status == status)
    if late:
        query = query.where(Routing.status == "pending", Routing.accept_due < today)
    return [(routing, referral) for routing, referral in session.execute(query)]


def partner_counts(session: Session, association_id: int, today: date) -> dict[str, int]:
    """The association's cases by status, and how many answers are late."""
    late = func.sum(case((Routing.accept_due < today, 1), else_=0))
    query = (
        _partner_routings(association_id)
        .with_only_columns(Routing.status, func.count(), late)
        .group_by(Routing.status)
    )
    counts = dict.fromkeys((*PARTNER_VIEWS, "late"), 0)
    for status, count, late_count in session.execute(query):
        counts[status] = count
        if status == "pending":
            counts["late"] = int(late_count or 0)
    return counts
