"""Typed SQLAlchemy models, one module per entity family.

Importing this package registers every table on ``Base.metadata``, which Alembic's
autogenerate and the migration test compare against.
"""

from portal.models.accounts import (
    KEY_HOLDING_ROLES,
    MIVILUDES_ROLES,
    ROLES,
    STATISTICS_ROLES,
    CharterAcceptance,
    Invitation,
    LoginSession,
    Membership,
    OutboxEmail,
    StaffDigest,
    User,
)
from portal.models.associations import Association, AssociationCoverage
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.casework import ReferralTag, SavedFilter, Tag
from portal.models.geography import CommunePostcode, Departement, Region
from portal.models.keys import MIVILUDES_GROUP, Installation, KeyGroup
from portal.models.referrals import (
    Attachment,
    AttachmentChunk,
    BlindIndexEntry,
    KeyGrant,
    Message,
    Referral,
    ReferralLink,
    StatusCount,
)
from portal.models.retention import RetentionRule
from portal.models.routing import NOTE_AUDIENCES, ROUTING_STATUSES, Note, Routing
from portal.models.statistics import PublishedFigures, StatisticsTally

__all__ = [
    "KEY_HOLDING_ROLES",
    "MIVILUDES_GROUP",
    "MIVILUDES_ROLES",
    "NOTE_AUDIENCES",
    "ROLES",
    "ROUTING_STATUSES",
    "STATISTICS_ROLES",
    "Association",
    "AssociationCoverage",
    "Attachment",
    "AttachmentChunk",
    "AuditEvent",
    "Base",
    "BlindIndexEntry",
    "CharterAcceptance",
    "CommunePostcode",
    "Departement",
    "Installation",
    "Invitation",
    "KeyGrant",
    "KeyGroup",
    "LoginSession",
    "Membership",
    "Message",
    "Note",
    "OutboxEmail",
    "PublishedFigures",
    "Referral",
    "ReferralLink",
    "ReferralTag",
    "Region",
    "RetentionRule",
    "Routing",
    "SavedFilter",
    "StaffDigest",
    "StatisticsTally",
    "StatusCount",
    "Tag",
    "User",
    "utcnow",
]
