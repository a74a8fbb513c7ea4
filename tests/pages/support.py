"""Reading pages as a browser does (forms, flash messages, the status shown, field errors),
signing in, the purchase-order edit form and the console's buttons, and counting rows."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, User
from tests.support import login, post_form

# -- reading pages ---------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """Collects every form's action and the fields a browser would submit (no submit buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str | None, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._fields = {}
            self.forms.append((attributes.get("action"), self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and attributes.get("type") not in ("submit", "button"):
            if attributes.get("name"):
                self._fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = attributes.get("name")
            self._text = ""
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and "selected" in attributes:
            self._fields[self._select] = attributes.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self._fields is not None:
            # A browser drops the one line break that follows <textarea>.
            text = self._text
            text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self._fields[self._textarea] = text
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None


def read_form(page: str, action: str | None = None) -> dict[str, str]:
    """The fields of the form posting to `action` (None: the form posting to its own page)."""
    reader = _FormReader()
    reader.feed(page)
    for form_action, fields in reader.forms:
        if form_action == action:
            return dict(fields)
    raise AssertionError(f"no form with action {action!r} in the page")


def flashes(page: str) -> list[str]:
    return [
        html.unescape(message)
        for message in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S)
    ]


def shown_status(page: str) -> str:
    match = re.search(
        r'<p class="status">.*?<span class="badge badge-[\w-]+">([^<]+)</span>', page, re.S
    )
    assert match, "page shows no status"
    return html.unescape(match.group(1))


def field_errors(page: str) -> dict[str, str]:
    """Each field shown in error: its input's name and the message printed beside it."""
    errors = {}
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', page, re.S):
        name = re.search(r'name="([^"]+)"', block)
        message = re.search(r'<p class="error"[^>]*>(.*?)</p>', block, re.S)
        assert name and message, block
        errors[name.group(1)] = html.unescape(message.group(1))
    return errors


def confirm_step(client: FlaskClient, asked: Any) -> Any:
    """Press "Yes" on the page that asks before something that cannot be taken back; the
    answer to the same POST sent again with every field it carried."""
    assert asked.status_code == 200, (asked.status_code, asked.text)
    found = re.search(r'<form method="post" action="([^"]+)" class="actions">', asked.text)
    assert found and 'name="confirmed" value="yes"' in asked.text, "no confirmation asked"
    return client.post(found.group(1), data=read_form(asked.text, found.group(1)))


def queue_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/console/tasks/(\d+)"', page)]


def follow(client: FlaskClient, response: Any) -> Any:
    """Follow one redirect the way a browser does, and return the page it lands on."""
    assert response.status_code == 302, (response.status_code, response.text)
    page = client.get(response.location)
    assert page.status_code == 200, page.status_code
    return page


def po_id_by_number(client: FlaskClient, po_number: str) -> int:
    page = client.get("/purchase-orders/")
    assert page.status_code == 200
    match = re.search(rf'href="/purchase-orders/(\d+)">{re.escape(po_number)}<', page.text)
    assert match, f"{po_number} is not listed"
    return int(match.group(1))


def submit_edit(client: FlaskClient, po_id: int, **changes: str) -> Any:
    """Open the edit form, keep what it shows, overwrite `changes`, send it."""
    url = f"/purchase-orders/{po_id}/edit"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    fields = read_form(page.text)
    fields.update(changes)
    return client.post(url, data=fields)


def submitted_request_id(response: Any) -> int:
    assert response.status_code == 302, (response.status_code, response.text)
    match = re.fullmatch(r"/requests/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def new_request(client: FlaskClient, po_id: int, reason: str = "More seats", **changes: str) -> int:
    return submitted_request_id(
        submit_edit(client, po_id, **{"lines-0-quantity": "150", "reason": reason, **changes})
    )


def signed_in(app: Flask, email: str) -> FlaskClient:
    browser = app.test_client()
    login(browser, email)
    return browser


def act(client: FlaskClient, request_id: int, verb: str, text: str | None = None) -> Any:
    """A technician's button on the task page."""
    task = f"/console/tasks/{request_id}"
    data = {} if text is None else {"text": text}
    return post_form(client, task, f"{task}/{verb}", data)


def request_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count(BillingRequest.id))) or 0


def user_id(database: Database, email: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(User.id).where(User.email == email))
        assert found is not None
        return found
