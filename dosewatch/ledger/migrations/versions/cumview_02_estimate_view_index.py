"""estimate view index: a person's counted estimates grouped per study from the index alone

The cumulative view groups, per study, the counted (``current``) estimates of a person's
studies (``dosewatch.cumulative.records``; since ``cumview_03`` the database keeps those
sums and regroups a study when its estimates change, with the same grouped read). On
PostgreSQL a partial index on ``estimate(study_id) WHERE current`` that INCLUDEs every
column the grouped read touches (report, event, group id, quantity, id, value,
uncertainty) makes it an index-only scan: no heap page of the wide ``estimate`` rows
(method text, inputs JSON) is visited. Measured on the bench ledger (1,000,000 events;
``bench/cumulative.py``): the grouped read of a 500-exam person's 8,000 rows took 11-15 ms
with it against 17-18 ms without, interleaved. SQLite has no INCLUDE: it gets the same
partial index on ``study_id`` alone.

Revision ID: cumview_02
Revises: cumview_01
Create Date: 2026-12-02 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cumview_02"
down_revision: str | Sequence[str] | None = "cumview_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the columns of the grouped read (dosewatch.ledger.models.ESTIMATE_VIEW_INCLUDE, fixed here
#: as of this revision)
_INCLUDE = ("report_id", "event_id", "group_id", "quantity", "id", "value", "uncertainty_pct")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_estimate_view",
        "estimate",
        ["study_id"],
        postgresql_include=list(_INCLUDE),
        postgresql_where=sa.text("current"),
        sqlite_where=sa.text("current"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_estimate_view", table_name="estimate")
