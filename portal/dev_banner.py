"""What `portal dev` prints once the portal answers: where everything is, and who can sign in.

The logins are read from the database as it is now, not from the seed's list: the demo gets
used, so after a billing-contact change the banner names the new contact (and the former one as
the member they became), and someone invited since is shown with the password they chose."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.models import Account, User

DEMO_ACCOUNTS = ("Acme Corporation", "Globex SARL", "Initech LLC")
SEEDED = frozenset(login.email for login in DEMO_LOGINS)
STAFF = tuple(login.email for login in DEMO_LOGINS if not login.account)


def demo_login_lines(session: orm.Session) -> list[str]:
    """One line per active person of the demo's accounts (the billing contact first) and per
    demo staff member, with the role they have now."""
    lines: list[str] = []
    accounts = session.scalars(sa.select(Account).where(Account.name.in_(DEMO_ACCOUNTS))).all()
    for account in sorted(accounts, key=lambda found: DEMO_ACCOUNTS.index(found.name)):
        label = f"{account.name} (standard)" if account.kind == "standard" else account.name
        people = session.scalars(
            sa.select(User).where(User.account_id == account.id, User.active).order_by(User.id)
        ).all()
        for user in sorted(people, key=lambda user: user.id != account.billing_contact_id):
            lines.append(_line(user, label))
    staff = session.scalars(sa.select(User).where(User.email.in_(STAFF), User.active)).all()
    for user in sorted(staff, key=lambda user: STAFF.index(user.email)):
        lines.append(_line(user, ""))
    return lines


def _line(user: User, account: str) -> str:
    # Anyone the seed did not make signed up through an invitation, with a password of their own.
    own = "" if user.email in SEEDED else "  (own password)"
    return f"  {user.email:<24} {user.role:<16} {account}{own}".rstrip()


def banner(session: orm.Session | None, web_port: int, ui_port: int, data_dir: Path) -> list[str]:
    """`session` None: no demo data (`--no-demo`), no logins."""
    lines = [
        "",
        f"Portal:       http://127.0.0.1:{web_port}",
        f"Temporal UI:  http://127.0.0.1:{ui_port}",
        f"Metrics:      http://127.0.0.1:{web_port}/metrics (bearer: {data_dir / 'metrics_token'})",
    ]
    if session is not None:
        lines.append(f"Demo logins (password {DEMO_PASSWORD}):")
        lines += demo_login_lines(session)
        lines.append("Staff sign in in two steps: `portal code EMAIL` prints the current code.")
    lines.append("Press Ctrl-C to stop.\n")
    return lines
