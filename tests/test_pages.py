"""The HTML pages through a browser-like test client, CSRF on, on a real Temporal server and worker.

Each test reads the pages the way a user does (forms, their hidden CSRF token, the text shown,
flash messages, redirects) and checks what the database then holds.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, PurchaseOrder, PurchaseOrderRevision, User
from tests.conftest import (
    WorkerThread,
    csrf_token,
    login,
    post_form,
    request_status,
    wait_for,
)

INCORRECT = "Incorrect e-mail or password."

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


# -- 1. signing in and out ---------------------------------------------------------------------


def test_sign_in_refuses_alike_checks_csrf_and_only_follows_local_next(
    app: Flask, running: WorkerThread
) -> None:
    browser = app.test_client()
    form = browser.get("/login")
    assert form.status_code == 200
    token = csrf_token(form.text)

    wrong_password = browser.post(
        "/login", data={"email": "alice@acme.example", "password": "not-it", "csrf_token": token}
    )
    unknown_email = browser.post(
        "/login",
        data={"email": "nobody@acme.example", "password": "demo-password", "csrf_token": token},
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert flashes(wrong_password.text) == flashes(unknown_email.text) == [INCORRECT]
    # The e-mail typed is kept, the password never echoed.
    assert 'value="alice@acme.example"' in wrong_password.text
    assert "not-it" not in wrong_password.text
    assert browser.get("/").location.startswith("/login")

    forged = browser.post(
        "/login", data={"email": "alice@acme.example", "password": "demo-password"}
    )
    assert forged.status_code == 400
    assert "CSRF" in forged.text
    assert browser.get("/").location.startswith("/login"), "signed in without a CSRF token"

    # A page asked for while signed out sends to the sign-in, then back to that page.
    asked = browser.get("/purchase-orders/")
    assert asked.status_code == 302
    assert asked.location == "/login?next=%2Fpurchase-orders%2F"
    back = post_form(
        browser,
        asked.location,
        asked.location,
        {"email": "alice@acme.example", "password": "demo-password"},
    )
    assert back.status_code == 302
    assert back.location == "/purchase-orders/"
    assert "Welcome, Alice Martin." in flashes(browser.get(back.location).text)

    for hostile in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
    ):
        other = app.test_client()
        url = f"/login?next={hostile}"
        landed = post_form(
            other, url, url, {"email": "alice@acme.example", "password": "demo-password"}
        )
        assert landed.status_code == 302, hostile
        assert landed.location == "/", (hostile, landed.location)

    # Signing out needs the token too; with it, the session is gone.
    home = browser.get("/")
    assert home.status_code == 200
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200, "a forged sign-out signed the user out"
    signed_out = browser.post("/logout", data={"csrf_token": csrf_token(home.text)})
    assert signed_out.status_code == 302
    assert signed_out.location == "/login"
    assert "You are signed out." in flashes(browser.get("/login").text)
    after = browser.get("/")
    assert after.status_code == 302
    assert after.location.startswith("/login")


# -- 2. the purchase-order edit, from the form to the new revision ----------------------------


def test_po_edit_flow_through_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    listing = client.get("/purchase-orders/")
    assert listing.status_code == 200
    assert "ACME-PO-2026-001" in listing.text
    assert "ACME-PO-2026-002" in listing.text
    assert "GLX-BC-0042" not in listing.text
    po_id = po_id_by_number(client, "ACME-PO-2026-001")

    detail = client.get(f"/purchase-orders/{po_id}")
    assert detail.status_code == 200
    assert "Purchase order ACME-PO-2026-001" in detail.text
    for product in ("GoToMeeting Enterprise", "GoToWebinar Pro", "GoToMeeting Business"):
        assert product in detail.text
    assert '<td class="quantity">120</td>' in detail.text
    assert "Revision history" in detail.text
    assert "Revision 1" in detail.text
    assert f'href="/purchase-orders/{po_id}/edit"' in detail.text

    edit = client.get(f"/purchase-orders/{po_id}/edit")
    assert edit.status_code == 200
    fields = read_form(edit.text)
    assert set(fields) == {
        "csrf_token",
        "po_number",
        "bill_to",
        "lines-0-line_id",
        "lines-0-quantity",
        "lines-1-line_id",
        "lines-1-quantity",
        "lines-2-line_id",
        "lines-2-quantity",
        "notes",
        "reason",
    }
    assert fields["po_number"] == "ACME-PO-2026-001"
    assert fields["bill_to"] == "Acme Corporation\nAccounts Payable\nAttn: Alice Martin"
    assert [fields[f"lines-{i}-line_id"] for i in range(3)] == ["1", "2", "3"]
    assert [fields[f"lines-{i}-quantity"] for i in range(3)] == ["120", "5", "30"]
    assert fields["reason"] == ""

    sent = client.post(
        f"/purchase-orders/{po_id}/edit",
        data={
            **fields,
            "po_number": "ACME-PO-2026-001-B",
            "lines-0-quantity": "150",
            "reason": "Thirty more seats for the Lyon office",
        },
    )
    request_id = submitted_request_id(sent)
    mine = follow(client, sent)
    assert f"Your change was sent to a technician as request #{request_id}." in flashes(mine.text)
    assert f"Request #{request_id}" in mine.text
    assert shown_status(mine.text) == "Submitted"
    assert "Thirty more seats for the Lyon office" in mine.text
    assert request_status(database, request_id) == "submitted"
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.payload["changes"] == {
            "po_number": "ACME-PO-2026-001-B",
            "lines": [{"line_id": 1, "quantity": 150}],
        }
    home = client.get("/")
    assert f'href="/requests/{request_id}"' in home.text
    assert "Purchase-order edit" in home.text

    tess = signed_in(app, "tess@logmein.example")
    queue = tess.get("/console/")
    assert queue.status_code == 200
    assert request_id in queue_ids(queue.text)
    assert "Acme Corporation" in queue.text
    assert "Purchase-order edit" in queue.text

    task_url = f"/console/tasks/{request_id}"
    task = tess.get(task_url)
    assert task.status_code == 200
    assert "asked by Alice Martin" in task.text
    assert "unassigned" in task.text
    assert (
        '<td class="before">ACME-PO-2026-001</td><td class="after">ACME-PO-2026-001-B</td>'
        in task.text
    )
    assert re.search(
        r'<th scope="row">GoToMeeting Enterprise</th><td class="before">120</td>'
        r'<td class="after">150</td>',
        task.text,
    )
    assert "Bill-to address" not in task.text, "an unchanged field is shown as a change"
    assert "Thirty more seats for the Lyon office" in task.text
    assert f'action="{task_url}/claim"' in task.text
    assert f'action="{task_url}/approve"' not in task.text, "approve offered before claiming"

    claimed = follow(tess, act(tess, request_id, "claim"))
    assert f"You claimed request #{request_id}." in flashes(claimed.text)
    assert shown_status(claimed.text) == "In review"
    assert "assigned to Tess Nguyen" in claimed.text
    assert f'action="{task_url}/approve"' in claimed.text
    assert request_status(database, request_id) == "in_review"

    approved = follow(tess, act(tess, request_id, "approve", "Looks right, approved"))
    assert f"Request #{request_id} is approved." in flashes(approved.text)
    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")

    done = client.get(f"/requests/{request_id}")
    assert done.status_code == 200
    assert shown_status(done.text) == "Completed"
    assert "Handled by Tess Nguyen" in done.text
    assert "See the purchase order (revision 2)" in done.text
    assert "Looks right, approved" in done.text
    assert "Change applied" in done.text
    assert "Cancel this request" not in done.text

    after = client.get(f"/purchase-orders/{po_id}")
    assert "Purchase order ACME-PO-2026-001-B" in after.text
    assert '<td class="quantity">150</td>' in after.text
    assert "<dd>2</dd>" in after.text
    history = after.text.split("Revision history", 1)[1]
    assert "Revision 2" in history
    assert "Revision 1" in history
    assert history.index("Revision 2") < history.index("Revision 1")
    assert "ACME-PO-2026-001 ·" in history, "revision 1 no longer shows its PO number"
    assert f"request #{request_id}" in history
    with database.session() as session:
        revisions = session.scalars(
            sa.select(PurchaseOrderRevision)
            .where(PurchaseOrderRevision.purchase_order_id == po_id)
            .order_by(PurchaseOrderRevision.number)
        ).all()
        assert [(r.number, r.po_number) for r in revisions] == [
            (1, "ACME-PO-2026-001"),
            (2, "ACME-PO-2026-001-B"),
        ]


def test_unchanged_bill_to_sent_by_a_browser_is_not_a_change(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    """Browsers submit a textarea's line breaks as CRLF; an untouched address is no change."""
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    fields = read_form(client.get(f"/purchase-orders/{po_id}/edit").text)
    as_browser_sends = {
        name: value.replace("\n", "\r\n") if name in ("bill_to", "notes", "reason") else value
        for name, value in fields.items()
    }
    request_id = submitted_request_id(
        client.post(
            f"/purchase-orders/{po_id}/edit",
            data={**as_browser_sends, "lines-0-quantity": "150", "reason": "More seats"},
        )
    )
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.payload["changes"] == {"lines": [{"line_id": 1, "quantity": 150}]}
    tess = signed_in(app, "tess@logmein.example")
    assert "Bill-to address" not in tess.get(f"/console/tasks/{request_id}").text


# -- 3. a question for the customer and the answer ----------------------------------------------


def test_request_info_loop_through_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    request_id = new_request(client, po_id_by_number(client, "ACME-PO-2026-001"))
    tess = signed_in(app, "tess@logmein.example")
    follow(tess, act(tess, request_id, "claim"))

    question = "Which cost centre should the thirty new seats go to?"
    asked = follow(tess, act(tess, request_id, "request-info", question))
    assert "Your question was sent to the customer." in flashes(asked.text)
    assert shown_status(asked.text) == "Waiting for you"
    assert request_status(database, request_id) == "waiting_for_customer"

    page_url = f"/requests/{request_id}"
    page = client.get(page_url)
    assert shown_status(page.text) == "Waiting for you"
    assert "The technician needs more information" in page.text
    assert question in page.text
    answer_form = read_form(page.text, f"{page_url}/provide-info")
    assert set(answer_form) == {"csrf_token", "text"}

    # An empty answer is refused beside its field, and the question still waits.
    empty = post_form(client, page_url, f"{page_url}/provide-info", {"text": " "})
    assert empty.status_code == 400
    assert "Please correct the highlighted fields." in flashes(empty.text)
    assert field_errors(empty.text) == {"text": "This field is required."}
    assert question in empty.text
    assert request_status(database, request_id) == "waiting_for_customer"

    answer = "Cost centre 4711, Lyon office"
    answered = follow(
        client, post_form(client, page_url, f"{page_url}/provide-info", {"text": answer})
    )
    assert "Your answer was sent to the technician." in flashes(answered.text)
    assert shown_status(answered.text) == "In review"
    assert "The technician needs more information" not in answered.text
    assert f'action="{page_url}/provide-info"' not in answered.text
    timeline = answered.text.split('<ol class="timeline">', 1)[1]
    assert "Question for the customer" in timeline
    assert question in timeline
    assert "Customer answered" in timeline
    assert answer in timeline
    assert request_status(database, request_id) == "in_review"

    task = tess.get(f"/console/tasks/{request_id}")
    assert answer in task.text
    assert shown_status(task.text) == "In review"


# -- 4. the edit form's errors -------------------------------------------------------------------


def test_edit_form_errors_keep_the_input_and_store_nothing(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    new_address = "Acme Corporation\nAccounts Payable, Suite 200\nAttn: Alice Martin"

    negative = submit_edit(
        client,
        po_id,
        bill_to=new_address,
        reason="Fewer webinar seats",
        **{"lines-1-quantity": "-5"},
    )
    assert negative.status_code == 400
    assert "Please correct the highlighted fields." in flashes(negative.text)
    errors = field_errors(negative.text)
    assert set(errors) == {"lines-1-quantity"}
    assert "between 1 and" in errors["lines-1-quantity"]
    kept = read_form(negative.text)
    assert kept["bill_to"] == new_address
    assert kept["reason"] == "Fewer webinar seats"
    assert kept["lines-1-quantity"] == "-5"
    assert kept["lines-0-quantity"] == "120"
    assert "Request a change to ACME-PO-2026-001" in negative.text

    no_reason = submit_edit(client, po_id, bill_to=new_address, reason="   ")
    assert no_reason.status_code == 400
    errors = field_errors(no_reason.text)
    assert set(errors) == {"reason"}
    assert errors["reason"] == "This field is required."
    assert 'aria-describedby="reason-error"' in no_reason.text
    assert read_form(no_reason.text)["bill_to"] == new_address

    # Rules only the server knows come back beside their field too.
    bad_number = submit_edit(client, po_id, po_number="ACME#1", reason="Renumbering")
    assert bad_number.status_code == 400
    assert field_errors(bad_number.text) == {
        "po_number": "Letters, digits, spaces and . / _ - only."
    }
    assert read_form(bad_number.text)["po_number"] == "ACME#1"

    nothing = submit_edit(client, po_id, reason="Just checking")
    assert nothing.status_code == 400
    assert field_errors(nothing.text) == {
        "reason": "Nothing would change: edit at least one field."
    }

    assert request_count(database) == 0
    assert client.get(f"/purchase-orders/{po_id}").text.count("Revision 1") == 1


# -- 5. who may open what ------------------------------------------------------------------------


def test_role_gates_on_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    request_id = new_request(client, po_id)

    bob = signed_in(app, "bob@acme.example")
    for url in (
        "/purchase-orders/",
        f"/purchase-orders/{po_id}",
        f"/purchase-orders/{po_id}/edit",
        "/requests/",
        f"/requests/{request_id}",
        "/console/",
    ):
        refused = bob.get(url)
        assert refused.status_code == 403, url
        assert "Not allowed" in refused.text
    home = bob.get("/")
    assert home.status_code == 200
    assert "Acme Corporation" in home.text
    assert "Alice Martin" in home.text
    assert "alice@acme.example" in home.text
    assert "Billing is managed by your account" in home.text
    assert 'href="/purchase-orders/"' not in home.text
    assert "Bob Chen" in home.text

    for url in ("/console/", f"/console/tasks/{request_id}"):
        assert client.get(url).status_code == 403, url

    chloe = signed_in(app, "chloe@globex.example")
    for url in (
        f"/purchase-orders/{po_id}",
        f"/purchase-orders/{po_id}/edit",
        f"/requests/{request_id}",
    ):
        hidden = chloe.get(url)
        assert hidden.status_code == 404, (url, hidden.status_code)
        assert "Page introuvable" in hidden.text  # Chloé reads the portal in French
    own = chloe.get("/requests/")
    assert f'href="/requests/{request_id}"' not in own.text
    token = csrf_token(chloe.get("/").text)
    chloe.post(f"/requests/{request_id}/cancel", data={"csrf_token": token})
    assert request_status(database, request_id) == "submitted"

    theo = signed_in(app, "theo@logmein.example")
    follow(theo, act(theo, request_id, "claim"))
    assert request_status(database, request_id) == "in_review"

    tess = signed_in(app, "tess@logmein.example")
    task_url = f"/console/tasks/{request_id}"
    task = tess.get(task_url)
    assert "assigned to Théo Laurent" in task.text
    assert f'action="{task_url}/approve"' not in task.text
    assert f'action="{task_url}/claim"' not in task.text
    refused = follow(tess, act(tess, request_id, "approve", "Fine by me"))
    assert "This request is claimed by another technician." in flashes(refused.text)
    assert shown_status(refused.text) == "In review"
    assert request_status(database, request_id) == "in_review"
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.assignee_id == user_id(database, "theo@logmein.example")
        assert [event["event"] for event in row.timeline] == ["submitted", "claimed"]


# -- 6. the technicians' queue -------------------------------------------------------------------


def test_queue_filters_narrow_the_list_oldest_first(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    acme_first = po_id_by_number(client, "ACME-PO-2026-001")
    acme_second = po_id_by_number(client, "ACME-PO-2026-002")
    chloe = signed_in(app, "chloe@globex.example")
    globex_po = po_id_by_number(chloe, "GLX-BC-0042")

    unclaimed = new_request(client, acme_first, reason="first")
    globex = new_request(chloe, globex_po, reason="second")
    theos = new_request(client, acme_second, reason="third")
    cancelled = new_request(client, acme_first, reason="fourth", po_number="ACME-PO-X")
    everything = [unclaimed, globex, theos, cancelled]

    tess = signed_in(app, "tess@logmein.example")
    theo = signed_in(app, "theo@logmein.example")
    follow(tess, act(tess, globex, "claim"))
    follow(theo, act(theo, theos, "claim"))
    follow(
        client,
        post_form(client, f"/requests/{cancelled}", f"/requests/{cancelled}/cancel", {}),
    )
    assert request_status(database, cancelled) == "cancelled"

    queue = tess.get("/console/")
    assert queue.status_code == 200
    assert queue_ids(queue.text) == everything
    assert "<small>(4)</small>" in queue.text
    accounts = dict(
        (name, int(value))
        for value, name in re.findall(r'<option value="(\d+)" >([^<]+)</option>', queue.text)
    )
    acme, globex_account = accounts["Acme Corporation"], accounts["Globex SARL"]
    theo_id = user_id(database, "theo@logmein.example")

    expected = {
        "status=submitted": [unclaimed],
        "status=in_review": [globex, theos],
        "status=cancelled": [cancelled],
        "status=completed": [],
        "type=po_edit": everything,
        "type=quote": [],
        "assignee=me": [globex],
        "assignee=none": [unclaimed, cancelled],
        f"assignee={theo_id}": [theos],
        f"account={acme}": [unclaimed, theos, cancelled],
        f"account={globex_account}": [globex],
        f"account={acme}&status=in_review": [theos],
        "assignee=none&status=submitted&type=po_edit": [unclaimed],
    }
    for query, ids in expected.items():
        page = tess.get(f"/console/?{query}")
        assert page.status_code == 200, query
        assert queue_ids(page.text) == ids, query
        assert f"<small>({len(ids)})</small>" in page.text, query
        if not ids:
            assert "No request matches these filters." in page.text, query
    assert queue_ids(theo.get("/console/?assignee=me").text) == [theos]
    assert 'value="in_review" selected' in tess.get("/console/?status=in_review").text
    assert 'value="me" selected' in tess.get("/console/?assignee=me").text


# -- 7. cancelling from the request page ---------------------------------------------------------


def test_cancel_from_the_request_page(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    request_id = new_request(client, po_id)
    page_url = f"/requests/{request_id}"

    page = client.get(page_url)
    assert "Cancel this request" in page.text
    assert set(read_form(page.text, f"{page_url}/cancel")) == {"csrf_token", "text"}

    cancelled = follow(
        client,
        post_form(client, page_url, f"{page_url}/cancel", {"text": "Ordered by mistake"}),
    )
    assert f"Request #{request_id} is cancelled." in flashes(cancelled.text)
    assert shown_status(cancelled.text) == "Cancelled"
    assert "Cancel this request" not in cancelled.text
    assert f'action="{page_url}/cancel"' not in cancelled.text
    assert "Ordered by mistake" in cancelled.text
    assert request_status(database, request_id) == "cancelled"

    # A second cancel (an old tab) is refused with a message and changes nothing.
    again = follow(client, post_form(client, "/", f"{page_url}/cancel", {}))
    assert "This request has already been decided." in flashes(again.text)
    assert shown_status(again.text) == "Cancelled"

    assert f'href="{page_url}"' not in client.get("/").text
    tess = signed_in(app, "tess@logmein.example")
    task = tess.get(f"/console/tasks/{request_id}")
    assert shown_status(task.text) == "Cancelled"
    assert f'action="/console/tasks/{request_id}/claim"' not in task.text
    with database.session() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count(PurchaseOrderRevision.id)).where(
                    PurchaseOrderRevision.purchase_order_id == po_id
                )
            )
            == 1
        )
        assert session.get(PurchaseOrder, po_id) is not None
