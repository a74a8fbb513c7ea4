"""A billing-frequency change through the pages: scheduled, shown on the account, cancelled."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account
from tests.conftest import WorkerThread
from tests.pages.request_support import approve, claim, detail_post, new_page, send_new, submit_new
from tests.pages.support import (
    field_errors,
    flashes,
    follow,
    read_form,
    request_count,
    shown_status,
    signed_in,
)
from tests.support import login, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_frequency_change_is_scheduled_shown_on_the_account_and_can_be_cancelled(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    page = new_page(client, "frequency_change")
    assert "Your account is billed: Annual." in page.text
    same = submit_new(client, "frequency_change", frequency="annual", reason="Budget cycle")
    assert same.status_code == 400
    assert field_errors(same.text) == {"frequency": "Your account is billed this way already."}
    assert read_form(same.text)["reason"] == "Budget cycle"
    assert request_count(database) == 0

    request_id = send_new(client, "frequency_change", frequency="quarterly", reason="Cash flow")
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "scheduled", what="scheduled")
    with database.session() as session:
        renewal = session.scalar(
            sa.select(Account.next_renewal).where(Account.name == "Acme Corporation")
        )
        assert renewal is not None
    effective = format_date(renewal, "long", locale="en")  # as the reader writes it

    detail = client.get(f"/requests/{request_id}")
    assert shown_status(detail.text) == "Scheduled"
    assert f"The change takes effect on {effective}" in detail.text
    assert "Cancel this request" in detail.text
    home = client.get("/")
    assert f"changes to Quarterly on {effective}" in home.text
    assert f'href="/requests/{request_id}"' in home.text

    cancelled = follow(
        client, detail_post(client, request_id, "cancel", text="We keep annual billing")
    )
    assert f"Request #{request_id} is cancelled." in flashes(cancelled.text)
    assert shown_status(cancelled.text) == "Cancelled"
    assert request_status(database, request_id) == "cancelled"
    assert "changes to Quarterly" not in client.get("/").text
    with database.session() as session:
        frequency = session.scalar(
            sa.select(Account.billing_frequency).where(Account.name == "Acme Corporation")
        )
        assert frequency == "annual"
