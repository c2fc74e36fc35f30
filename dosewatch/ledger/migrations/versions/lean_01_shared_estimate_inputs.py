"""lean record path: estimates of one report share identical input lists

Revision ID: lean_01
Revises: cumview_03
Create Date: 2026-12-03 09:15:00.000000

A CT report's ~125 estimates used to store ~1,350 ``estimate_input`` rows, of which ~11
distinct lists (every organ dose of an event has the event's inputs). ``estimate.inputs_of_id``
names the estimate of the same report whose rows are shared; NULL (every row written before
this revision) = the estimate's own rows, so stored ledgers stay valid as they are.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "lean_01"
down_revision: str | Sequence[str] | None = "cumview_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema (a plain nullable column: see ``EstimateRow.inputs_of_id``)."""
    op.execute("ALTER TABLE estimate ADD COLUMN inputs_of_id INTEGER")


def downgrade() -> None:
    """Downgrade schema: copy the shared rows to every sharer, then drop the column."""
    op.execute(
        """
        INSERT INTO estimate_input (estimate_id, position, name, value, unit, code_scheme,
                                    code_value, code_meaning, text, assumed)
        SELECT e.id, i.position, i.name, i.value, i.unit, i.code_scheme, i.code_value,
               i.code_meaning, i.text, i.assumed
        FROM estimate e JOIN estimate_input i ON i.estimate_id = e.inputs_of_id
        """
    )
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch copy of ``estimate`` would break the
    # foreign keys of estimate_input
    op.execute("ALTER TABLE estimate DROP COLUMN inputs_of_id")
