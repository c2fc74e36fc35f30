"""estimate groups: one row per distinct estimate descriptor, ``estimate.group_id`` derived

The cumulative view sums a person's counted estimates per exam and per descriptor
(quantity, organ, basis, unit, model and tables, origin, flags). Grouping 8,000 rows by
twelve text columns cost PostgreSQL ~60 % of the view's database time; grouping by one
integer costs a fraction of it (``bench/cumulative.py``). On PostgreSQL a trigger derives
``group_id`` on every insert, and on every update of a descriptor column, so that no
writer can forget it (ingest, recompute, retry, bulk SQL alike); existing rows are
backfilled here. SQLite keeps ``group_id`` NULL: its cumulative view groups by the
columns themselves.

Revision ID: cumview_01
Revises: archive_02
Create Date: 2026-12-02 04:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cumview_01"
down_revision: str | Sequence[str] | None = "archive_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: descriptor columns (dosewatch.ledger.models.ESTIMATE_GROUP_COLUMNS, fixed here as of this
#: revision) and whether the estimate column is nullable (stored as '' in the group)
_COLUMNS = (
    ("quantity", False),
    ("organ_scheme", True),
    ("organ_value", True),
    ("organ_meaning", True),
    ("basis", True),
    ("unit", False),
    ("model_id", False),
    ("model_version", False),
    ("table_version", False),
    ("origin", False),
    ("indicative", False),
    ("upper_bound", False),
)


def _new(prefix: str) -> str:
    return ", ".join(
        f"coalesce({prefix}{c}, '')" if null else f"{prefix}{c}" for c, null in _COLUMNS
    )


def _match(group: str, prefix: str) -> str:
    return " AND ".join(
        f"{group}.{c} = coalesce({prefix}{c}, '')" if null else f"{group}.{c} = {prefix}{c}"
        for c, null in _COLUMNS
    )


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "estimate_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("organ_scheme", sa.String(length=16), nullable=False),
        sa.Column("organ_value", sa.String(length=32), nullable=False),
        sa.Column("organ_meaning", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("table_version", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("indicative", sa.Boolean(), nullable=False),
        sa.Column("upper_bound", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate_group")),
        sa.UniqueConstraint(*(c for c, _ in _COLUMNS), name="uq_estimate_group"),
    )
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    group = f'"{schema}".estimate_group'
    names = ", ".join(c for c, _ in _COLUMNS)
    # existing rows first (no trigger yet: one set-based pass), then the trigger
    op.execute(f'INSERT INTO {group} ({names}) SELECT DISTINCT {_new("")} FROM "{schema}".estimate')
    op.execute(
        f'UPDATE "{schema}".estimate e SET group_id = g.id FROM {group} g WHERE {_match("g", "e.")}'
    )
    op.execute(
        f"""
        CREATE FUNCTION "{schema}".estimate_group_of() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE gid integer;
        BEGIN
          SELECT g.id INTO gid FROM {group} g WHERE {_match("g", "NEW.")};
          IF gid IS NULL THEN
            INSERT INTO {group} ({names}) VALUES ({_new("NEW.")})
              ON CONFLICT ON CONSTRAINT uq_estimate_group DO NOTHING
              RETURNING id INTO gid;
            IF gid IS NULL THEN  -- inserted meanwhile by a transaction that has committed
              SELECT g.id INTO gid FROM {group} g WHERE {_match("g", "NEW.")};
            END IF;
            IF gid IS NULL THEN  -- not visible under a snapshot isolation: retry the transaction
              RAISE EXCEPTION 'estimate group of a new descriptor not visible; retry'
                USING ERRCODE = 'serialization_failure';
            END IF;
          END IF;
          NEW.group_id := gid;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER estimate_group_of
          BEFORE INSERT OR UPDATE OF {names}, group_id ON "{schema}".estimate
          FOR EACH ROW EXECUTE FUNCTION "{schema}".estimate_group_of()
        """
    )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS estimate_group_of ON estimate")
        op.execute("DROP FUNCTION IF EXISTS estimate_group_of()")
    # a plain DROP COLUMN (SQLite >= 3.35 too): a batch copy of ``estimate`` would break the
    # foreign keys of estimate_input
    op.execute("ALTER TABLE estimate DROP COLUMN group_id")
    op.drop_table("estimate_group")
