"""The confidentiality charter partner members accept before they see any case.

Members of multi-agency groups sign a confidentiality agreement; here a partner
member accepts the current version at first login and again whenever it changes.
The text is ``content/charter/{fr,en}.md``; ``VERSIONS`` records the SHA-256 of
both texts for each version, so that a change of wording without a new version
fails the tests (``tests/test_charter.py``) instead of going unaccepted.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.content import Guide, parse_guide
from portal.models import CharterAcceptance, User
from portal.records.audit import record_event
from portal.vocabulary import LANGUAGES

TEXTS = Path(__file__).parent / "content" / "charter"
#: Version → SHA-256 of the French then the English text. Add a version (never edit
#: one) when the wording changes: every member is asked to accept it again.
VERSIONS = {
    "2026-12": "407b7637c90998d182b3699441d7239d92a1a63d0e6d715c1fa3f5566ea90097",
}
CURRENT = list(VERSIONS)[-1]


def texts_digest() -> str:
    digest = hashlib.sha256()
    for lang in LANGUAGES:
        digest.update((TEXTS / f"{lang}.md").read_bytes())
    return digest.hexdigest()


def text(lang: str) -> Guide:
    return parse_guide("charter", lang, (TEXTS / f"{lang}.md").read_text(encoding="utf-8"))


def has_accepted(session: Session, user: User, version: str | None = None) -> bool:
    version = version or CURRENT
    return (
        session.scalar(
            select(CharterAcceptance.version).where(
                CharterAcceptance.user_id == user.id, CharterAcceptance.version == version
            )
        )
        is not None
    )


def accept(session: Session, user: User, version: str | None = None) -> None:
    version = version or CURRENT
    if has_accepted(session, user, version):
        return
    session.add(CharterAcceptance(user_id=user.id, version=version))
    record_event(
        session,
        actor=user.actor,
        action="charter.accept",
        target=user.actor,
        details={"version": version},
    )
    session.flush()


def latest_acceptances(session: Session) -> dict[int, CharterAcceptance]:
    """Each member's latest acceptance (versions sort in time: "2026-12" < "2027-05")."""
    found: dict[int, CharterAcceptance] = {}
    for acceptance in session.scalars(
        select(CharterAcceptance).order_by(CharterAcceptance.version)
    ):
        found[acceptance.user_id] = acceptance
    return found
