"""A one-time set-password link used five times at once sets one password: the link is consumed
by one conditional UPDATE, the other four are told it is no longer valid."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from portal import clock
from portal.accounts.security import verify_password
from portal.db import Database
from portal.models import Invitation, User
from tests.support import csrf_token

TOKEN = "one-time-token-for-dana-0123456789abcdef"


def test_a_link_used_five_times_at_once_sets_one_password(
    app: Flask, demo: None, database: Database
) -> None:
    with database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert alice is not None
        dana = User(
            email="dana@acme.example",
            name="Dana Ross",
            role="member",
            account_id=alice.account_id,
            password_hash="unusable",
        )
        session.add(dana)
        session.flush()
        session.add(
            Invitation(
                user_id=dana.id,
                token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
                expires_at=clock.now() + timedelta(hours=1),
            )
        )
    browsers = [app.test_client() for _ in range(5)]
    forms = [csrf_token(browser.get(f"/invitations/{TOKEN}").text) for browser in browsers]

    def choose(index: int) -> int:
        password = f"password-number-{index}"
        answer = browsers[index].post(
            f"/invitations/{TOKEN}",
            data={"csrf_token": forms[index], "password": password, "confirm": password},
        )
        return answer.status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(choose, range(5)))

    assert sorted(statuses).count(302) == 1, statuses
    with database.session() as session:
        dana = session.scalar(sa.select(User).where(User.email == "dana@acme.example"))
        assert dana is not None
        set_by = [
            i for i in range(5) if verify_password(dana.password_hash, f"password-number-{i}")
        ]
        assert set_by == [statuses.index(302)]
    assert browsers[0].get(f"/invitations/{TOKEN}").status_code == 410
