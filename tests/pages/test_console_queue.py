"""The technicians' queue: its filters narrow the list, oldest first."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from tests.conftest import WorkerThread
from tests.pages.support import (
    act,
    confirm_step,
    follow,
    new_request,
    po_id_by_number,
    queue_ids,
    signed_in,
    user_id,
)
from tests.support import login, post_form, request_status


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
        confirm_step(
            client,
            post_form(client, f"/requests/{cancelled}", f"/requests/{cancelled}/cancel", {}),
        ),
    )
    assert request_status(database, cancelled) == "cancelled"

    queue = tess.get("/console/")
    assert queue.status_code == 200
    # By default, what someone still has to act on: the cancelled request is left out.
    to_do = [unclaimed, globex, theos]
    assert queue_ids(queue.text) == to_do
    assert "<small>(3)</small>" in queue.text
    # Three purchase-order edits, told apart by what each one is about.
    assert re.findall(r'<td class="headline">([^<]*)</td>', queue.text) == [
        "first",
        "second",
        "third",
    ]
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
        "status=all": everything,
        "type=po_edit": to_do,
        "status=all&type=po_edit": everything,
        "type=quote": [],
        "assignee=me": [globex],
        "assignee=none": [unclaimed],
        "status=all&assignee=none": [unclaimed, cancelled],
        f"assignee={theo_id}": [theos],
        f"account={acme}": [unclaimed, theos],
        f"status=all&account={acme}": [unclaimed, theos, cancelled],
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
