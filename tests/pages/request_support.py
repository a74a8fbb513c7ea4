"""The request types' pages: a new request's form, the console's decisions, the answers on a
request's page, and what the database holds of a request."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, BillingRequest
from tests.pages.support import confirm_step, flashes, follow, read_form, submitted_request_id
from tests.support import csrf_token


def new_page(client: FlaskClient, request_type: str) -> Any:
    page = client.get(f"/requests/new/{request_type}")
    assert page.status_code == 200, page.status_code
    return page


def submit_new(client: FlaskClient, request_type: str, **fields: str) -> Any:
    """Open the type's form, keep what it shows, fill in `fields`, send it."""
    url = f"/requests/new/{request_type}"
    data = read_form(new_page(client, request_type).text)
    data.update(fields)
    return client.post(url, data=data)


def send_new(client: FlaskClient, request_type: str, **fields: str) -> int:
    response = submit_new(client, request_type, **fields)
    request_id = submitted_request_id(response)
    page = follow(client, response)
    assert f"Your request #{request_id} was sent to a technician." in flashes(page.text)
    return request_id


def task_url(request_id: int) -> str:
    return f"/console/tasks/{request_id}"


def console_post(
    client: FlaskClient,
    request_id: int,
    verb: str,
    files: dict[str, Any] | None = None,
    **fields: str,
) -> Any:
    """A technician's form on the task page, as shown, with `fields` filled in."""
    page = client.get(task_url(request_id))
    assert page.status_code == 200
    action = f"{task_url(request_id)}/{verb}"
    data: dict[str, Any] = {**read_form(page.text, action), **fields, **(files or {})}
    return client.post(action, data=data, content_type="multipart/form-data")


def post_hidden(client: FlaskClient, request_id: int, verb: str, **fields: str) -> Any:
    """Post a decision the task page does not offer, with the page's CSRF token."""
    token = csrf_token(client.get(task_url(request_id)).text)
    return client.post(f"{task_url(request_id)}/{verb}", data={"csrf_token": token, **fields})


def claim(client: FlaskClient, request_id: int) -> None:
    claimed = follow(client, console_post(client, request_id, "claim"))
    assert f"You claimed request #{request_id}." in flashes(claimed.text)


def approve(
    client: FlaskClient, request_id: int, files: dict[str, Any] | None = None, **fields: str
) -> Any:
    approved = follow(client, console_post(client, request_id, "approve", files, **fields))
    assert f"Request #{request_id} is approved." in flashes(approved.text), flashes(approved.text)
    return approved


def detail_post(client: FlaskClient, request_id: int, verb: str, **fields: str) -> Any:
    url = f"/requests/{request_id}"
    action = f"{url}/{verb}"
    data = {**read_form(client.get(url).text, action), **fields}
    sent = client.post(action, data=data)
    # Cancelling and declining ask once more; press "Yes" as a person would.
    return confirm_step(client, sent) if verb in ("cancel", "decline-quote") else sent


def account_id(database: Database, name: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(Account.id).where(Account.name == name))
        assert found is not None
        return found


def option_value(page: str, name: str, label_start: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    for value, label in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select[1]):
        if label.startswith(label_start):
            return value
    raise AssertionError(f"no option {label_start!r} in {name}")


def result_of(database: Database, request_id: int) -> dict[str, Any]:
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        return dict(row.result or {})
