"""service tokens: an account's named, scoped API tokens (no person's), with their last use

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_api_tokens_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(batch.f("ix_api_tokens_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE user_id IS NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index(batch.f("ix_api_tokens_account_id"))
        batch.drop_constraint(batch.f("fk_api_tokens_account_id_accounts"), type_="foreignkey")
        batch.drop_column("last_used_at")
        batch.drop_column("scopes")
        batch.drop_column("name")
        batch.drop_column("account_id")
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
