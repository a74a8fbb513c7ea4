"""updated_at on invoices and purchase orders, indexed with the requests' one: what the API's
`?updated_since=` lists

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("invoices", "purchase_orders"):
        with op.batch_alter_table(table) as batch:
            # Rows of before: as if written now, so the first sync after the upgrade sees them.
            batch.add_column(
                sa.Column(
                    "updated_at",
                    sa.DateTime(timezone=True),
                    nullable=False,
                    server_default=sa.func.current_timestamp(),
                )
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("updated_at", server_default=None)
            batch.create_index(batch.f(f"ix_{table}_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("requests") as batch:
        batch.create_index(batch.f("ix_requests_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_index(batch.f("ix_requests_updated_at"))
    for table in ("purchase_orders", "invoices"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_updated_at"))
            batch.drop_column("updated_at")
