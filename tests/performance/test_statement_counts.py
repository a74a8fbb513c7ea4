"""A page asks the database the same number of questions whether it shows 1 row or 50: lists
load what each row shows with the rows (eager loading, one query per list), never one query
per row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import clock
from portal.db import Database
from portal.models import Account, BillingRequest, Invoice, Payment, User
from tests.pages.support import signed_in

ALICE, PETER, TESS = "alice@acme.example", "peter@initech.example", "tess@logmein.example"


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []
    # The test client serves the page in this thread; another test's worker or sender still
    # winding down on the same engine must not be counted as the page's.
    page_thread = threading.get_ident()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == page_thread:
            statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", seen)


def add_rows(database: Database, start: int, count: int) -> None:
    """`count` requests of Alice's account (with one technician or another on them), `count`
    of accounts of their own, and `count` invoices and payments of Peter's standard account."""
    with database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == ALICE))
        tess = session.scalar(sa.select(User).where(User.email == TESS))
        sam = session.scalar(sa.select(User).where(User.email == "sam@logmein.example"))
        peter = session.scalar(sa.select(User).where(User.email == PETER))
        assert alice and tess and sam and peter and alice.account_id and peter.account_id
        initech = session.get(Account, peter.account_id)
        assert initech is not None
        for n in range(start, start + count):
            # And one of an account of its own, with a requester of its own, for the queue:
            # nothing a row shows is already loaded for another row.
            other = Account(name=f"Perf {n}", country="US")
            session.add(other)
            session.flush()
            asker = User(
                account_id=other.id,
                email=f"perf{n}@perf.example",
                name=f"Perf {n}",
                password_hash="-",
                role="billing_contact",
            )
            session.add(asker)
            session.flush()
            session.add(
                BillingRequest(
                    account_id=other.id,
                    requester_id=asker.id,
                    type="account_inquiry",
                    status="submitted",
                    payload={"topic": "contract_copy", "message": f"copy {n}"},
                    timeline=[],
                )
            )
            session.add(
                BillingRequest(
                    account_id=alice.account_id,
                    requester_id=alice.id,
                    assignee_id=(tess, sam)[n % 2].id,
                    type="account_inquiry",
                    status="in_review",
                    payload={"topic": "contract_copy", "message": f"copy {n}"},
                    timeline=[],
                )
            )
            invoice = Invoice(
                account_id=initech.id,
                number=f"T-{n:05d}",
                issued_on=clock.today(),
                due_on=clock.today(),
                currency="USD",
                subtotal=Decimal(10),
                tax=Decimal(0),
                total=Decimal(10),
                status="paid",
            )
            session.add(invoice)
            session.flush()
            session.add(
                Payment(
                    account_id=initech.id,
                    invoice_id=invoice.id,
                    amount=Decimal(10),
                    currency="USD",
                    status="succeeded",
                )
            )


# The dashboard, the contact's requests, the technician's queue, a standard account's invoices
# and payments.
PAGES = [
    (ALICE, "/"),
    (ALICE, "/requests/"),
    (TESS, "/console/?status=all"),
    (PETER, "/billing/history"),
]


@pytest.mark.parametrize(("email", "path"), PAGES)
def test_a_list_page_asks_as_much_for_50_rows_as_for_1(
    app: Flask, database: Database, demo: None, email: str, path: str
) -> None:
    browser = signed_in(app, email)
    asked: dict[int, int] = {}
    shown = 0
    for total in (1, 50):
        add_rows(database, shown, total - shown)
        shown = total
        assert browser.get(path).status_code == 200  # warm: the first load fills caches
        with counted(database) as statements:
            page = browser.get(path)
        assert page.status_code == 200
        asked[total] = len(statements)
        rows = page.text.count("copy ") or page.text.count("T-000")
        assert rows >= min(total, 25), (path, total, rows)  # the rows are on the page
    assert asked[50] == asked[1], asked
