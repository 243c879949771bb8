"""Reserved revision 0003 (filled by the work that needs it). Upgrading through it changes nothing."""

from __future__ import annotations

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
