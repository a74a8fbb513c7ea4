"""The API's description is the API: every endpoint is in /api/v1/openapi.json with its
methods, the document is OpenAPI 3.1 whose bodies are the ones validated, and /api/docs shows
it as a page of ours."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.support import api_token

UNDESCRIBED = {"/api/v1/openapi.json"}


def test_every_api_route_is_described_with_its_methods(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule not in UNDESCRIBED
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routed == described, (routed - described, described - routed)
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["summary"], operation["operationId"]
            assert "401" in operation["responses"] or not operation.get("security", True)


def test_a_body_is_refused_as_the_document_says_naming_the_field_in_the_callers_language(
    client: FlaskClient, demo: None
) -> None:
    document = client.get("/api/v1/openapi.json").json
    body = document["components"]["schemas"]["SubmitRequestBody"]
    assert set(body["required"]) == {"type", "payload"}
    assert body["additionalProperties"] is False
    alice = api_token(client, "alice@acme.example")
    english = client.post(
        "/api/v1/requests", json={"type": "nonsense", "payload": {}}, headers=alice
    )
    assert english.status_code == 400 and english.json["code"] == "validation_failed"
    assert english.json["fields"]["type"].startswith("One of:")
    french = client.post(
        "/api/v1/requests",
        json={"payload": {}, "extra": 1},
        headers={**alice, "Accept-Language": "fr"},
    )
    assert french.status_code == 400
    assert french.json["fields"] == {
        "type": "Ce champ est obligatoire.",
        "extra": "Ce champ n\u2019est pas accepté par cet appel.",
    }


def test_the_docs_page_lists_every_operation(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "POST /api/v1/requests" in page.text
    assert "GET /api/v1/invoices/{invoice_id}/pdf" in page.text
    assert 'id="schema-SubmitRequestBody"' in page.text
