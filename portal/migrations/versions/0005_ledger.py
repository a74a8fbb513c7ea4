"""ledger: money as whole cents, invoices with credit applied and amount paid, credit as
balance transactions, payments, idempotency keys, number sequences, a price list per currency,
the account's billing lease

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (table, column): amounts kept as NUMERIC until now, stored from here on as whole cents.
CENTS = [
    ("invoices", "amount"),
    ("invoices", "subtotal"),
    ("invoices", "tax"),
    ("invoice_lines", "unit_price"),
    ("invoice_lines", "amount"),
    ("plans", "unit_price"),
    ("quotes", "subtotal"),
    ("quotes", "total"),
    ("quotes", "discount_pct"),
    ("purchase_order_lines", "unit_price"),
]


def _to_cents(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # The copy batch mode makes keeps the values: they become cents first.
        op.execute(f"UPDATE {table} SET {column} = ROUND({column} * 100)")  # noqa: S608
    with op.batch_alter_table(table) as batch:
        batch.alter_column(
            column,
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using=f"ROUND({column} * 100)::bigint",
        )


def upgrade() -> None:
    op.create_table(
        "balance_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_balance_transactions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_balance_transactions_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_transactions")),
    )
    op.create_index(
        op.f("ix_balance_transactions_account_id"), "balance_transactions", ["account_id"]
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decline_code", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_account_id"), "payments", ["account_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_keys_user_id")),
    )
    op.create_table(
        "number_sequences",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_number_sequences")),
    )

    for table, column in CENTS:
        _to_cents(table, column)
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("amount", new_column_name="total", existing_type=sa.BigInteger())
        batch.add_column(
            sa.Column("credit_applied", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("amount_paid", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("po_number", sa.String(length=64), nullable=True))
    # What was paid so far is what the paid invoices say they were.
    op.execute("UPDATE invoices SET amount_paid = total WHERE status = 'paid' AND total > 0")

    # The credit each account held becomes its first balance transaction.
    op.execute(
        "INSERT INTO balance_transactions "
        "(account_id, amount, currency, kind, description, created_at) "
        "SELECT id, ROUND(credit_balance * 100), currency, 'proration_credit', "
        "'Credit held before the ledger', CURRENT_TIMESTAMP FROM accounts "
        "WHERE credit_balance > 0"
    )
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("credit_balance")
        batch.add_column(sa.Column("billing_lease_token", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("billing_lease_until", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("plans") as batch:
        batch.drop_constraint("uq_plans_name", type_="unique")
        batch.create_unique_constraint(op.f("uq_plans_name"), ["name", "currency"])


def downgrade() -> None:
    raise NotImplementedError("the ledger cannot be turned back into one credit column")
