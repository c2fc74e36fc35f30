"""estimates count once per slot: slot key, origin, selection, typed inputs

Revision ID: cumulative_01
Revises: 0001
Create Date: 2026-12-01

Adds to ``estimate`` the slot key ``<event key or study>|quantity|organ|basis``, the origin
(model/reported), the selection and its reason, and the partial unique index
``uq_estimate_current_slot (study_id, slot_key) WHERE current``; adds ``estimate_input``.

Existing rows are back-filled: the slot uses the event key (or ``study``), and where a
slot has several current rows only the smallest id stays current, the others become
``alternative`` with the reason ``migration``. ``dosewatch recompute`` (or re-ingest) elects
them by the full rules afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cumulative_01"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "estimate_input",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("estimate_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("code_scheme", sa.String(length=16), nullable=True),
        sa.Column("code_value", sa.String(length=64), nullable=True),
        sa.Column("code_meaning", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("assumed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["estimate_id"], ["estimate.id"], name=op.f("fk_estimate_input_estimate_id_estimate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate_input")),
    )
    with op.batch_alter_table("estimate_input", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_estimate_input_estimate_id"), ["estimate_id"], unique=False
        )
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("selection", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("selection_reason", sa.Text(), nullable=True))
    op.execute(
        """
        UPDATE estimate SET
          slot_key = COALESCE(
              (SELECT e.event_key FROM irradiation_event e WHERE e.id = estimate.event_id),
              'study')
            || '|' || quantity
            || '|' || COALESCE(organ_scheme || ':' || organ_value, '')
            || '|' || COALESCE(basis, ''),
          origin = CASE WHEN model_id LIKE '%reported%' THEN 'reported' ELSE 'model' END,
          selection = CASE WHEN current THEN 'counted' ELSE 'report_superseded' END,
          selection_reason = 'migration'
        """
    )
    op.execute(
        """
        UPDATE estimate SET current = false, selection = 'alternative'
        WHERE current AND id NOT IN (
            SELECT MIN(id) FROM estimate WHERE current GROUP BY study_id, slot_key)
        """
    )
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.alter_column("slot_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("origin", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("selection", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("selection_reason", existing_type=sa.Text(), nullable=False)
        batch_op.create_index(
            "uq_estimate_current_slot",
            ["study_id", "slot_key"],
            unique=True,
            sqlite_where=sa.text("current"),
            postgresql_where=sa.text("current"),
        )


def downgrade() -> None:
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.drop_index("uq_estimate_current_slot")
        batch_op.drop_column("selection_reason")
        batch_op.drop_column("selection")
        batch_op.drop_column("origin")
        batch_op.drop_column("slot_key")
    with op.batch_alter_table("estimate_input", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimate_input_estimate_id"))
    op.drop_table("estimate_input")
