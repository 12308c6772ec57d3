"""One action on several cases of the queue at once (assign, tag, change status).

Each case is found as its own page would find it (``access.visible_referral``, so
``can_see`` decides), changed through the same function its page uses, which checks
its transition and writes its own audit event: a bulk action is exactly the sum of
the single ones. A case that cannot take the change is listed, not forced, and the
others go ahead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.casework import access, tags, workflow
from portal.models import Tag, User

#: The most cases one action may touch: a page of the queue.
MOST = 50


@dataclass(frozen=True)
class Change:
    """What to do to each case: ``kind`` is "assign", "tag" or "status"."""

    kind: str
    assignee: User | None = None
    tag: Tag | None = None
    status: str = ""
    closing_reason: str | None = None


@dataclass
class Outcome:
    changed: list[str] = field(default_factory=list)
    #: Already so: nothing to do.
    unchanged: list[str] = field(default_factory=list)
    #: Not found, not visible, or a transition its status does not allow.
    refused: list[str] = field(default_factory=list)


def apply(session: Session, user: User, references: Sequence[str], change: Change) -> Outcome:
    outcome = Outcome()
    for reference in dict.fromkeys(references):  # each case once, in the order given
        referral = access.visible_referral(session, user, reference)
        if referral is None:
            outcome.refused.append(reference)
            continue
        try:
            done = _apply_one(session, referral, user, change)
        except (workflow.TransitionRefused, tags.TagRefused):
            outcome.refused.append(reference)
            continue
        (outcome.changed if done else outcome.unchanged).append(reference)
    return outcome


def _apply_one(session: Session, referral, user: User, change: Change) -> bool:
    if change.kind == "assign":
        wanted = change.assignee.id if change.assignee else None
        if referral.assigned_to_id == wanted:
            return False
        workflow.assign(session, referral, change.assignee, user)
        return True
    if change.kind == "tag":
        return tags.add_tag(session, referral, change.tag, user.actor)
    if change.kind == "status":
        if referral.status == change.status:
            return False
        if change.closing_reason == "duplicate":
            # A duplicate names its original, one by one from its own page.
            raise workflow.TransitionRefused("a duplicate is closed from its page")
        workflow.change_status(
            session, referral, change.status, user.actor, closing_reason=change.closing_reason
        )
        return True
    raise ValueError(change.kind)
