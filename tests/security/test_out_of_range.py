"""Ids, years and numbers beyond what the database holds are a 404 or a 400 naming the field,
never a 500: on SQLite a 2**70 id overflows the driver, on PostgreSQL the 32-bit column."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support import api_token

BIG = str(2**70)


@pytest.mark.parametrize(
    ("url", "who"),
    [
        (f"/api/v1/requests/{BIG}", "alice@acme.example"),
        (f"/api/v1/invoices/{BIG}", "alice@acme.example"),
        (f"/api/v1/purchase-orders/{BIG}", "alice@acme.example"),
        (f"/api/v1/tasks/{BIG}", "tess@logmein.example"),
        (f"/api/v1/subscriptions/{BIG}/preview", "peter@initech.example"),
        ("/api/v1/requests/2147483648", "alice@acme.example"),  # one past a 32-bit id
    ],
)
def test_an_id_beyond_any_row_is_not_found(
    client: FlaskClient, demo: None, url: str, who: str
) -> None:
    headers = api_token(client, who)
    answer = (
        client.post(url, json={}, headers=headers)
        if url.endswith("preview")
        else client.get(url, headers=headers)
    )
    assert answer.status_code == 404, answer.json


@pytest.mark.parametrize("year", ["0", "99999999999999999999", "abc", "-1"])
def test_an_impossible_year_is_a_400_naming_it(client: FlaskClient, demo: None, year: str) -> None:
    alice = api_token(client, "alice@acme.example")
    answer = client.get(f"/api/v1/invoices?year={year}", headers=alice)
    assert answer.status_code == 400 and list(answer.json["fields"]) == ["year"]


@pytest.mark.parametrize("exp_year", [10**30, 0, -5, 1e30])
def test_an_impossible_card_expiry_is_a_400_naming_it(
    client: FlaskClient, demo: None, exp_year: object
) -> None:
    peter = api_token(client, "peter@initech.example")
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": exp_year, "cvc": "123"}
    answer = client.post("/api/v1/payment-method", json=card, headers=peter)
    assert answer.status_code == 400 and list(answer.json["fields"]) == ["expiry"]


def test_a_huge_purchase_order_id_in_a_request_is_a_400_naming_it(
    client: FlaskClient, demo: None
) -> None:
    alice = api_token(client, "alice@acme.example")
    payload = {"purchase_order_id": 2**70, "changes": {"notes": "x"}, "reason": "r"}
    answer = client.post(
        "/api/v1/requests", json={"type": "po_edit", "payload": payload}, headers=alice
    )
    assert answer.status_code == 400 and "purchase_order_id" in answer.json["fields"]


@pytest.mark.parametrize("seats", [2**70, -(2**70), 0, -1, 100_001])
@pytest.mark.parametrize("step", ["preview", "change"])
def test_seats_out_of_range_are_a_400_naming_them(
    client: FlaskClient, demo: None, seats: int, step: str
) -> None:
    peter = api_token(client, "peter@initech.example")
    [first, *_] = client.get("/api/v1/subscriptions", headers=peter).json["items"]
    answer = client.post(
        f"/api/v1/subscriptions/{first['id']}/{step}", json={"seats": seats}, headers=peter
    )
    assert answer.status_code == 400, answer.json
    assert answer.json["fields"] == {"seats": "Seats must be between 1 and 100000."}
