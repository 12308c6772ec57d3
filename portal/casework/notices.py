"""Content-free e-mails that say something waits on the portal: a link, never a word
of a case. Written in every language of the portal, French first: the portal does not
know which language the person reads."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.casework.access import read_identity
from portal.models import Referral
from portal.records import outbox
from portal.vocabulary import LANGUAGES


def bilingual(subject, paragraph, links: Mapping[str, str]) -> tuple[str, str]:
    """``subject`` and ``paragraph`` are lazy strings, read in each language; each
    paragraph is followed by the link of its language."""
    subjects, paragraphs = [], []
    for language in LANGUAGES:
        with force_locale(language):
            subjects.append(str(subject))
            paragraphs.append(f"{paragraph}\n{links[language]}")
    return " / ".join(subjects), "\n\n".join(paragraphs) + "\n"


def notify_reporter(
    session: Session, referral: Referral, data_key: bytes, follow_up_links: Mapping[str, str]
) -> bool:
    """Tell a reporter who left an e-mail address and agreed to be contacted that a
    message waits. The address is read here, in the request of the staff member who
    wrote (the public server never can), and the outbox forgets it once sent. The
    subject does not name Miviludes: someone else may read the reporter's mailbox."""
    identity = read_identity(referral, data_key) if referral.contact_allowed else None
    address = ((identity or {}).get("email") or "").strip()
    if not address:
        return False
    subject, body = bilingual(
        _l("A message is waiting for you"),
        _l(
            "A message is waiting for you on the follow-up page. Open it and type your "
            "follow-up code to read it; this e-mail says nothing about your request."
        ),
        follow_up_links,
    )
    outbox.queue_email(session, address, subject, body, forget_recipient=True)
    return True
