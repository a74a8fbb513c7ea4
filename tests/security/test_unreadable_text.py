"""Text that cannot be stored (a lone surrogate, NUL, control characters) is refused at the one
boundary, 400 naming the field, from the API and from the pages; nothing is stored, no
workflow starts, no page answers 500 afterwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.db import Database
from portal.models import BillingRequest
from portal.web.input_guard import unreadable_field
from tests.support import api_token, login, post_form

UNREADABLE = ["\ud800", "a\udfffb", "nul\x00", "bell\x07", "esc\x1b[31m", "del\x7f"]


@pytest.mark.parametrize("text", UNREADABLE)
def test_the_api_refuses_unreadable_text_naming_the_field(
    client: FlaskClient, demo: None, database: Database, text: str
) -> None:
    alice = api_token(client, "alice@acme.example")
    asked = client.post(
        "/api/v1/requests",
        json={"type": "account_inquiry", "payload": {"subject": "Hi", "question": text}},
        headers=alice,
    )
    assert asked.status_code == 400, asked.json
    assert list(asked.json["fields"]) == ["payload.question"]
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count(BillingRequest.id))) == 0


def test_newlines_and_tabs_are_text(client: FlaskClient, demo: None) -> None:
    assert unreadable_field({"a": ["line\nline\r\n\tindented", "é ü 中 🙂"]}) is None


def test_a_page_form_with_a_control_character_is_a_400_naming_the_field(
    client: FlaskClient, demo: None
) -> None:
    login(client, "peter@initech.example")
    refused = post_form(client, "/", "/account/invoice-recipients", {"emails": "ap@x.example\x01"})
    assert refused.status_code == 400
    assert "emails: text with characters that cannot be stored was refused." in refused.text
    assert client.get("/").status_code == 200


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(st.characters(codec=None, categories=["Cs", "Cc"]), min_size=1).filter(
        lambda text: set(text) - {"\n", "\r", "\t"}
    )
)
def test_any_surrogate_or_control_character_is_found(text: str) -> None:
    assert unreadable_field({"deep": [{"field": text}]}) == "deep.0.field"
