"""domains under the families of Miviludes' activity report

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:20:00

Seven domains become fourteen, each under one of the report's families (README,
"Classification"). A referral keeps its meaning: each former code goes to the one
new domain that held most of it (the family is exact either way). An association
keeps everything it covered: a former code goes to every new domain it named.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: Former code → the new code of a referral classified under it.
FORMER_DOMAINS = {
    "health": "alternative_therapies",
    "personal_development": "personal_development",
    "religious": "religious_movements",
    "vocational_training": "vocational_training",
    "children_education": "school_support",
    "conspiracy": "conspiracy",
    "other": "other",
}
#: Former code → every new code an association covering it covers now (the former
#: labels: "Health and well-being (alternative therapies, nutrition)", "Personal
#: development and coaching", "Religious or spiritual movements", "Conspiracy and
#: survivalist movements").
FORMER_COVERAGE = {
    "health": ("alternative_therapies", "nutrition"),
    "personal_development": ("personal_development", "coaching"),
    "religious": ("religious_movements", "esotericism"),
    "vocational_training": ("vocational_training",),
    "children_education": ("school_support",),
    "conspiracy": ("conspiracy", "survivalism"),
    "other": ("other",),
}
#: New code → the former code that held it, for a downgrade.
BACK = {
    "alternative_therapies": "health",
    "nutrition": "health",
    "sport": "health",
    "personal_development": "personal_development",
    "coaching": "personal_development",
    "religious_movements": "religious",
    "esotericism": "religious",
    "vocational_training": "vocational_training",
    "employment_finance": "vocational_training",
    "school_support": "children_education",
    "conspiracy": "conspiracy",
    "survivalism": "conspiracy",
    "separatism": "conspiracy",
    "other": "other",
}


def _recode_referrals(mapping):
    bind = op.get_bind()
    for old, new in mapping.items():
        if old != new:
            bind.execute(
                sa.text("UPDATE referrals SET domain = :new WHERE domain = :old"),
                {"new": new, "old": old},
            )


def _recode_associations(coverage):
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, domains FROM associations")).all()
    for association_id, domains in rows:
        codes = []
        for code in (domains or "").split():
            for new in coverage.get(code, (code,)):
                if new not in codes:
                    codes.append(new)
        bind.execute(
            sa.text("UPDATE associations SET domains = :domains WHERE id = :id"),
            {"domains": " ".join(codes), "id": association_id},
        )


def upgrade():
    _recode_referrals(FORMER_DOMAINS)
    _recode_associations(FORMER_COVERAGE)


def downgrade():
    _recode_referrals(BACK)
    _recode_associations({new: (old,) for new, old in BACK.items()})
