"""requests: an index in submission order, so the queue's page is read in order, not sorted

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 16:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_requests_submission_order", "requests", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_requests_submission_order", table_name="requests")
