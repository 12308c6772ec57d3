"""Finding a case by what staff type: its reference, or an organisation's or a
person's name, a web host, the reporter's e-mail address or phone number, through the
blind index (DESIGN §4). Exact after normalisation (case, accents, spaces, ``www.``);
nothing typed is stored, and the database holds no searchable plaintext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

import crypto
from portal.casework.access import can_see
from portal.models import BlindIndexEntry, Referral, User
from portal.records.audit import record_event
from portal.urls import REFERENCE

#: At most this many cases are listed, newest first.
MAX_RESULTS = 50
_PHONE = re.compile(r"\+?[\d .()\-/]+")
_HOST = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?[^\s/@]+\.[a-z]{2,}(?:[:/]\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """What was typed, understood: a reference, or the tokens to look up, each with
    the kind of value it stands for (``portal.vocabulary.SEARCH_KIND_WORDING``)."""

    reference: str = ""
    kinds: tuple[tuple[bytes, str], ...] = ()

    @property
    def understood_as(self) -> list[str]:
        return ["reference"] if self.reference else [kind for _token, kind in self.kinds]


def understand(index_key: bytes, typed: str) -> Query:
    typed = typed.strip()
    if REFERENCE.fullmatch(typed.upper()):
        return Query(reference=typed.upper())
    if "@" in typed:
        made = [(crypto.email_token(index_key, typed), "email")]
    elif _PHONE.fullmatch(typed) and (phone := crypto.phone_token(index_key, typed)):
        made = [(phone, "phone")]
    elif _HOST.fullmatch(typed):
        made = [
            (crypto.host_token(index_key, typed), "website"),
            (crypto.name_token(index_key, typed), "organisation"),
        ]
    else:
        made = [
            (crypto.name_token(index_key, typed), "organisation"),
            (crypto.person_token(index_key, typed), "person"),
        ]
    return Query(kinds=tuple((token, kind) for token, kind in made if token))


@dataclass(frozen=True)
class Found:
    referral: Referral
    #: What the search matched in this case (kinds of ``Query.kinds``).
    matched: tuple[str, ...]


def find(session: Session, user: User, query: Query) -> list[Found]:
    """The cases this person may see that match, newest first (plaintext columns only)."""
    # What the results show, and what ``can_see`` reads; never a ciphertext column.
    columns = load_only(
        Referral.public_id, Referral.created_at, Referral.status, Referral.purged_at
    )
    if query.reference:
        referrals = session.scalars(
            select(Referral).options(columns).where(Referral.public_id == query.reference)
        ).all()
        return [Found(r, ("reference",)) for r in referrals if can_see(session, user, r)]
    kind_of = dict(query.kinds)
    if not kind_of:
        return []
    matched: dict[int, set[str]] = {}
    for referral_id, token in session.execute(
        select(BlindIndexEntry.referral_id, BlindIndexEntry.token).where(
            BlindIndexEntry.token.in_(list(kind_of))
        )
    ):
        matched.setdefault(referral_id, set()).add(kind_of[bytes(token)])
    if not matched:
        return []
    referrals = session.scalars(
        select(Referral)
        .options(columns)
        .where(Referral.id.in_(list(matched)))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(MAX_RESULTS)
    ).all()
    return [
        Found(referral, tuple(sorted(matched[referral.id])))
        for referral in referrals
        if can_see(session, user, referral)
    ]


def search(session: Session, user: User, index_key: bytes, typed: str) -> tuple[Query, list[Found]]:
    """Audited as what kind of value was looked for and how many cases were found,
    never what was typed."""
    query = understand(index_key, typed)
    found = find(session, user, query)
    record_event(
        session,
        actor=user.actor,
        action="referral.search",
        target="referrals",
        details={"as": " ".join(query.understood_as), "found": len(found)},
    )
    return query, found
