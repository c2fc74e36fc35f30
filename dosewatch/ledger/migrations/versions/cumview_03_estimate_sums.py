"""estimate sums: a study's counted estimates summed per group, kept by PostgreSQL

The cumulative view of a person with 500 exams aggregated ~8,000 estimate rows at every
call; on the bench ledger that grouped read cost 10-14 ms of PostgreSQL time. Reading the
sums, kept per study and group by the database, costs 3-4 ms (``bench/cumulative.py``).

Statement-level AFTER triggers on ``estimate`` (insert, update, delete; each with its
transition tables) recompute the sums of every study that the statement touched, from its
counted (``current``) estimates, after locking those studies' rows (the lock every writer
of a study's estimates already holds: ingest, recompute). A sum is recomputed, never
incremented: no rounding drift, whatever the order of writes. Existing rows are summed here.
SQLite keeps the table empty: its view aggregates at each call.

Revision ID: cumview_03
Revises: cumview_02
Create Date: 2026-12-02 16:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "cumview_03"
down_revision: str | Sequence[str] | None = "cumview_02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PSD = "peak_skin_dose"  # dosewatch.domain.estimate.EstimateQuantity.PEAK_SKIN_DOSE


def _sum_of(schema: str, studies: str) -> str:
    """INSERT of the sums of the studies that the condition ``studies`` on ``e.study_id``
    selects."""
    return f"""
      INSERT INTO "{schema}".estimate_sum
          (study_id, report_id, group_id, psd_id, total, uncertainty_pct, n)
        SELECT e.study_id,
               CASE WHEN e.event_id IS NULL THEN e.report_id ELSE 0 END,
               coalesce(e.group_id, 0),
               CASE WHEN e.quantity = '{_PSD}' THEN e.id ELSE 0 END,
               sum(e.value),
               CASE WHEN sum(abs(e.value)) > 0
                    THEN sum(abs(e.value) * e.uncertainty_pct) / sum(abs(e.value))
                    ELSE max(e.uncertainty_pct) END,
               count(*)
        FROM "{schema}".estimate e
        WHERE e.current AND {studies}
        GROUP BY 1, 2, 3, 4"""


def _touched(rows: str) -> str:
    return f"SELECT array_agg(DISTINCT study_id) INTO touched FROM ({rows}) t;"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "estimate_sum",
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("psd_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("uncertainty_pct", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_estimate_sum_study_id_study")
        ),
        sa.PrimaryKeyConstraint(
            "study_id", "report_id", "group_id", "psd_id", name=op.f("pk_estimate_sum")
        ),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(_sum_of(schema, "true"))
    # the touched studies as one array: the statements below then probe the indexes on
    # study_id (a transition table has no statistics for the planner to join on)
    op.execute(
        f"""
        CREATE FUNCTION "{schema}".estimate_sum_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE touched integer[];
        BEGIN
          IF TG_OP = 'INSERT' THEN {_touched("SELECT study_id FROM new_rows")}
          ELSIF TG_OP = 'DELETE' THEN {_touched("SELECT study_id FROM old_rows")}
          ELSE {_touched("SELECT study_id FROM new_rows UNION ALL SELECT study_id FROM old_rows")}
          END IF;
          IF touched IS NULL THEN
            RETURN NULL;
          END IF;
          PERFORM 1 FROM "{schema}".study s WHERE s.id = ANY(touched) ORDER BY s.id FOR UPDATE;
          DELETE FROM "{schema}".estimate_sum s WHERE s.study_id = ANY(touched);
          {_sum_of(schema, "e.study_id = ANY(touched)")};
          RETURN NULL;
        END $$
        """
    )
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"""
            CREATE TRIGGER estimate_sum_{event.lower()}
              AFTER {event} ON "{schema}".estimate REFERENCING {tables}
              FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".estimate_sum_refresh()
            """
        )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS estimate_sum_{event} ON estimate")
        op.execute("DROP FUNCTION IF EXISTS estimate_sum_refresh()")
    op.drop_table("estimate_sum")
