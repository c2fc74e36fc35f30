"""quarantine states: entries left 'retrying' by a crash mid-retry are open again

The former CLI retry wrote a ``retrying`` status the model does not define; a process killed
in between hid the entry for good. The states are now :class:`QuarantineStatus` (open,
resolved) and the retry closes an entry in the transaction that records its report.

Revision ID: distrib_01
Revises: service_01
Create Date: 2026-12-02

"""

from collections.abc import Sequence

from alembic import op

revision: str = "distrib_01"
down_revision: str | Sequence[str] | None = "service_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE quarantine SET status = 'open' WHERE status NOT IN ('open', 'resolved')")


def downgrade() -> None:
    """Nothing to undo: 'open' was already a valid state."""
