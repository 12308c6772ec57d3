"""Typed SQLAlchemy models, one module per entity family.

Importing this package registers every table on ``Base.metadata``, which Alembic's
autogenerate and the migration test compare against.
"""

from portal.models.associations import Association, AssociationCoverage
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.geography import Departement, Region
from portal.models.keys import MIVILUDES_GROUP, Installation, KeyGroup
from portal.models.referrals import (
    Attachment,
    AttachmentChunk,
    BlindIndexEntry,
    KeyGrant,
    Message,
    Referral,
)

__all__ = [
    "MIVILUDES_GROUP",
    "Association",
    "AssociationCoverage",
    "Attachment",
    "AttachmentChunk",
    "AuditEvent",
    "Base",
    "BlindIndexEntry",
    "Departement",
    "Installation",
    "KeyGrant",
    "KeyGroup",
    "Message",
    "Referral",
    "Region",
    "utcnow",
]
