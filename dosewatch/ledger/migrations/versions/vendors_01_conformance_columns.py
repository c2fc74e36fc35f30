"""conformance: software versions of reports; device and establishment of quarantined objects

Revision ID: vendors_01
Revises: archive_01
Create Date: 2026-12-02 00:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "vendors_01"
down_revision: str | Sequence[str] | None = "archive_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dose_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("software_versions", sa.String(length=200), nullable=True))
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manufacturer", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("software_versions", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("establishment", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_column("establishment")
        batch_op.drop_column("software_versions")
        batch_op.drop_column("model")
        batch_op.drop_column("manufacturer")
    with op.batch_alter_table("dose_report", schema=None) as batch_op:
        batch_op.drop_column("software_versions")
