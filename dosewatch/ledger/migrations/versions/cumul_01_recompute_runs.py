"""recompute runs: persisted progress of ``dosewatch recompute`` (resumable after a kill)

Revision ID: cumul_01
Revises: distrib_01
Create Date: 2026-12-02 00:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cumul_01"
down_revision: str | Sequence[str] | None = "distrib_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "recompute_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_report_id", sa.Integer(), nullable=False),
        sa.Column("reports_done", sa.Integer(), nullable=False),
        sa.Column("reports_changed", sa.Integer(), nullable=False),
        sa.Column("reports_unavailable", sa.Integer(), nullable=False),
        sa.Column("estimates_replaced", sa.Integer(), nullable=False),
        sa.Column("estimates_added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recompute_run")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("recompute_run")
