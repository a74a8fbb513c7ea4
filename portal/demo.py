"""Demo data of docs/design.md §6 (development only; every password is `demo-password`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.accounts.operations import create_account, create_user
from portal.billing_centre.ledger import Line, draft, issue
from portal.billing_centre.payments import SandboxProcessor
from portal.billing_centre.proration import next_period_end
from portal.billing_centre.subscriptions import period_line
from portal.models import (
    Account,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    PurchaseOrder,
    Subscription,
    User,
)
from portal.purchase_orders.operations import NewLine, create_purchase_order, default_bill_to

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published demo credential, dev data only
# Staff sign in in two steps; the demo's keys are published like its password (`portal code`
# prints a current code), so the demo logins work without a phone. Dev data only.
DEMO_TOTP_SECRETS = {
    "tess@logmein.example": "DEMOTESSDEMOTESSDEMOTESSDEMOTESS",
    "theo@logmein.example": "DEMOTHEODEMOTHEODEMOTHEODEMOTHEO",
    "sam@logmein.example": "DEMOSAMSDEMOSAMSDEMOSAMSDEMOSAMS",
}


def demo_code(email: str) -> str:
    """What a demo technician's authenticator app shows now (`portal code`, the tests)."""
    import pyotp

    return pyotp.TOTP(DEMO_TOTP_SECRETS[email]).now()


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    account: str


DEMO_LOGINS = (
    DemoLogin("alice@acme.example", "billing_contact", "Acme Corporation"),
    DemoLogin("bob@acme.example", "member", "Acme Corporation"),
    DemoLogin("chloe@globex.example", "billing_contact", "Globex SARL"),
    DemoLogin("peter@initech.example", "billing_contact", "Initech LLC (standard)"),
    DemoLogin("tess@logmein.example", "technician", ""),
    DemoLogin("theo@logmein.example", "technician", ""),
    DemoLogin("sam@logmein.example", "supervisor", ""),
)

# (product, tier, rank within the product, price per seat per year in USD, EUR, GBP): one price
# list per currency, never a price relabelled.
PRICE_LIST = (
    ("GoToMeeting", "Professional", 1, ("144.00", "132.00", "114.00")),
    ("GoToMeeting", "Business", 2, ("192.00", "176.00", "152.00")),
    ("GoToMeeting", "Enterprise", 3, ("336.00", "312.00", "264.00")),
    ("GoToWebinar", "Standard", 1, ("708.00", "648.00", "564.00")),
    ("GoToWebinar", "Pro", 2, ("1188.00", "1092.00", "948.00")),
)
CURRENCIES = ("USD", "EUR", "GBP")
PRICES = {
    (f"{product} {tier}", currency): Decimal(price)
    for product, tier, _rank, prices in PRICE_LIST
    for currency, price in zip(CURRENCIES, prices, strict=True)
}


def seed_demo(session: orm.Session, today: date | None = None) -> bool:
    """Create the demo data; False (and nothing written) when it exists already."""
    today = today or clock.today()
    created = _seed_corporate(session, today)
    return _seed_billing_centre(session, today) or created


def _seed_corporate(session: orm.Session, today: date) -> bool:
    if session.scalar(sa.select(Account.id).where(Account.name == "Acme Corporation")) is not None:
        return False
    for product, tier, rank, _prices in PRICE_LIST:
        for currency in CURRENCIES:
            session.add(
                Plan(
                    name=f"{product} {tier}",
                    product=product,
                    tier=tier,
                    tier_rank=rank,
                    unit_price=PRICES[(f"{product} {tier}", currency)],
                    currency=currency,
                )
            )
    acme = create_account(
        session, "Acme Corporation", "US", next_renewal=today + timedelta(days=120)
    )
    globex = create_account(session, "Globex SARL", "FR", next_renewal=today + timedelta(days=200))
    people = [
        ("alice@acme.example", "Alice Martin", "billing_contact", acme.id, "en"),
        ("bob@acme.example", "Bob Chen", "member", acme.id, "en"),
        ("chloe@globex.example", "Chloé Dubois", "billing_contact", globex.id, "fr"),
        ("tess@logmein.example", "Tess Nguyen", "technician", None, "en"),
        ("theo@logmein.example", "Théo Laurent", "technician", None, "fr"),
        ("sam@logmein.example", "Sam Okafor", "supervisor", None, "en"),
    ]
    for email, name, role, account_id, language in people:
        user = create_user(session, email, name, role, DEMO_PASSWORD, account_id, language)
        if email in DEMO_TOTP_SECRETS:
            user.totp_secret, user.totp_enabled_at = DEMO_TOTP_SECRETS[email], clock.now()
    acme_orders = [
        _purchase_order(
            session,
            acme,
            "ACME-PO-2026-001",
            [
                ("GoToMeeting Enterprise", 120),
                ("GoToWebinar Pro", 5),
                ("GoToMeeting Business", 30),
            ],
        ),
        _purchase_order(
            session,
            acme,
            "ACME-PO-2026-002",
            [
                ("GoToWebinar Standard", 10),
                ("GoToMeeting Professional", 25),
            ],
        ),
    ]
    # The renewals of the last three years, each under the PO in force then.
    for years_ago, po_number in ((2, "ACME-PO-2024-117"), (1, "ACME-PO-2025-031"), (0, None)):
        po = acme_orders[0]
        lines = [Line(line.product, line.quantity, line.unit_price) for line in po.current.lines]
        _renewal(
            session,
            acme,
            lines,
            (acme.next_renewal or today) - timedelta(days=365 * (years_ago + 1)),
            po_number or po.current.po_number,
            paid=years_ago > 0,
            purchase_order_id=None if years_ago else po.id,
        )
    globex_po = _purchase_order(
        session,
        globex,
        "GLX-BC-0042",
        [("GoToMeeting Enterprise", 40), ("GoToWebinar Standard", 2)],
    )
    globex_lines = [
        Line(line.product, line.quantity, line.unit_price) for line in globex_po.current.lines
    ]
    _renewal(
        session,
        globex,
        globex_lines,
        (globex.next_renewal or today) - timedelta(days=365),
        globex_po.current.po_number,
        paid=True,
        purchase_order_id=globex_po.id,
    )
    session.flush()
    return True


def _renewal(
    session: orm.Session,
    account: Account,
    lines: list[Line],
    issued_on: date,
    po_number: str,
    paid: bool,
    purchase_order_id: int | None,
) -> None:
    """A Corporate account's annual invoice, net 30; a paid one was paid by bank transfer."""
    invoice = issue(
        session,
        account,
        draft(account, lines),
        "renewal",
        issued_on=issued_on,
        purchase_order_id=purchase_order_id,
        po_number=po_number,
    )
    if paid:
        _paid(session, invoice, "bank transfer")


def _paid(session: orm.Session, invoice: Invoice, reference: str) -> None:
    invoice.status, invoice.amount_paid = "paid", invoice.total
    session.add(
        Payment(
            account_id=invoice.account_id,
            invoice_id=invoice.id,
            amount=invoice.total,
            currency=invoice.currency,
            status="succeeded",
            reference=reference,
        )
    )


def _purchase_order(
    session: orm.Session, account: Account, po_number: str, lines: list[tuple[str, int]]
) -> PurchaseOrder:
    contact = session.get(User, account.billing_contact_id) if account.billing_contact_id else None
    return create_purchase_order(
        session,
        account.id,
        po_number,
        default_bill_to(account.name, contact.name if contact else None),
        [
            NewLine(product, quantity, PRICES[(product, account.currency)])
            for product, quantity in lines
        ],
        account.currency,
    )


def _seed_billing_centre(session: orm.Session, today: date) -> bool:
    """Initech, a standard account that serves itself; Enterprise seats for Acme and Globex."""
    if session.scalar(sa.select(Account.id).where(Account.name == "Initech LLC")) is not None:
        return False
    plans = {(plan.name, plan.currency): plan for plan in session.scalars(sa.select(Plan))}
    initech = create_account(
        session, "Initech LLC", "US", kind="standard", billing_frequency="monthly"
    )
    create_user(
        session,
        "peter@initech.example",
        "Peter Gibbons",
        "billing_contact",
        DEMO_PASSWORD,
        initech.id,
    )
    card = SandboxProcessor().tokenize("4242424242424242", 12, today.year + 3, "123")
    session.add(
        PaymentMethod(
            account_id=initech.id,
            kind="card",
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            processor_token=card.token,
        )
    )
    period_start = today.replace(day=1)
    held = [("GoToMeeting Business", 10), ("GoToWebinar Standard", 2)]
    for name, seats in held:
        session.add(
            Subscription(
                account_id=initech.id,
                plan_id=plans[(name, initech.currency)].id,
                seats=seats,
                period="monthly",
                period_start=period_start,
                next_billing_date=next_period_end(period_start, "monthly"),
            )
        )
    renewal = period_start
    for _ in range(3):
        lines = [period_line(plans[(name, "USD")], seats, "monthly") for name, seats in held]
        invoice = issue(session, initech, draft(initech, lines), "renewal", issued_on=renewal)
        _paid(session, invoice, f"ch_demo_{renewal:%Y%m}")
        renewal = (renewal - timedelta(days=1)).replace(day=1)
    for account_name in ("Acme Corporation", "Globex SARL"):
        account = session.scalar(sa.select(Account).where(Account.name == account_name))
        if account is None:
            continue
        start = (account.next_renewal or today) - timedelta(days=365)
        session.add(
            Subscription(
                account_id=account.id,
                plan_id=plans[("GoToMeeting Enterprise", account.currency)].id,
                seats=120 if account_name.startswith("Acme") else 40,
                period="annual",
                period_start=start,
                next_billing_date=account.next_renewal or next_period_end(start, "annual"),
            )
        )
        session.add(PaymentMethod(account_id=account.id, kind="invoice"))
    session.flush()
    return True
