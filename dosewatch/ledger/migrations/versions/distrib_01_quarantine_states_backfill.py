"""quarantine states (entries left 'retrying' by a crash are open again); backfill progress

Quarantine: the former CLI retry wrote a ``retrying`` status the model does not define; a
process killed in between hid the entry for good. The states are now ``QuarantineStatus``
(open, resolved) and the retry closes an entry in the transaction that records its report.
Backfill: ``backfill_run`` and ``backfill_item`` (progress, resumability, poison counting).

Revision ID: distrib_01
Revises: service_01
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "distrib_01"
down_revision: str | Sequence[str] | None = "service_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE quarantine SET status = 'open' WHERE status NOT IN ('open', 'resolved')")
    op.create_table(
        "backfill_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("establishment", sa.String(length=64), nullable=True),
        sa.Column("enumerated", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_run")),
    )
    op.create_index(op.f("ix_backfill_run_run_key"), "backfill_run", ["run_key"], unique=False)
    op.create_table(
        "backfill_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("ref_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("sop_instance_uid", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["backfill_run.id"], name=op.f("fk_backfill_item_run_id_backfill_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_item")),
        sa.UniqueConstraint("run_id", "ref_hash", name=op.f("uq_backfill_item_run_id")),
    )
    op.create_index(
        "ix_backfill_item_run_state", "backfill_item", ["run_id", "state"], unique=False
    )


def downgrade() -> None:
    """The backfill tables go; quarantine states need no undo ('open' was always valid)."""
    op.drop_index("ix_backfill_item_run_state", table_name="backfill_item")
    op.drop_table("backfill_item")
    op.drop_index(op.f("ix_backfill_run_run_key"), table_name="backfill_run")
    op.drop_table("backfill_run")
