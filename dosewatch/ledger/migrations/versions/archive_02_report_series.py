"""P-RDSR evidence: the Series Instance UID of each recorded dose object

Revision ID: archive_02
Revises: vendors_01
Create Date: 2026-12-02 02:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "archive_02"
down_revision: str | Sequence[str] | None = "vendors_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dose_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_instance_uid", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("dose_report", schema=None) as batch_op:
        batch_op.drop_column("series_instance_uid")
