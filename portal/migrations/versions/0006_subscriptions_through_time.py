"""subscriptions through time: the period the next renewal starts, past-due dunning, the
sandbox clock of an account, the extra recipients of its invoices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("next_period", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("past_due_since", sa.Date(), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("subscription_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_invoices_subscription_id_subscriptions"),
            "subscriptions",
            ["subscription_id"],
            ["id"],
        )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("clock_shift_seconds", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("invoice_recipients", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_constraint(op.f("fk_invoices_subscription_id_subscriptions"), type_="foreignkey")
        batch.drop_column("subscription_id")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("invoice_recipients")
        batch.drop_column("clock_shift_seconds")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("past_due_since")
        batch.drop_column("next_period")
