"""The walk over the app's URL map (a cell per route, method and owner of the object it names),
the world it walks (built by the `world` fixture in conftest.py), each role's browser, and a
fingerprint of the whole database to see that a refusal changed nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal.db import Base, Database
from tests.security.gates import (
    FIXED_PARAMETERS,
    FORBIDDEN,
    GATES,
    LOGIN,
    NOT_FOUND,
    OBJECT_PARAMETERS,
    PASS,
    ROUTE_PARAMETERS,
    UNAUTHORIZED,
    Gate,
    Who,
)
from tests.support import csrf_token, login


@dataclass
class World:
    objects: dict[str, dict[str, int]]  # family → account key → id
    tokens: dict[str, dict[str, str]]  # role name → bearer headers
    invitation_token: str


# -- walking the URL map -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    rule: Rule
    method: str
    owner: str | None  # whose object the URL names, if any
    url: str

    @property
    def is_api(self) -> bool:
        return self.rule.rule.startswith("/api/")

    @property
    def gate(self) -> Gate:
        endpoint = self.rule.endpoint
        return GATES.get(f"{endpoint} {self.method}") or GATES[endpoint]

    def __str__(self) -> str:
        owner = f" [{self.owner}'s object]" if self.owner else ""
        return f"{self.method} {self.rule.rule}{owner}"


def routes(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def cells(app: Flask, world: World) -> Iterator[Cell]:
    """Every route, method and owner; reads first, then writes, signing out last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in routes(app):
        families = {OBJECT_PARAMETERS[name] for name in rule.arguments if name in OBJECT_PARAMETERS}
        unknown = set(rule.arguments) - set(OBJECT_PARAMETERS) - {*FIXED_PARAMETERS, "token"}
        assert not unknown, f"{rule.rule}: say in this test what {unknown} should be"
        assert len(families) <= 1, rule.rule
        fixed = {name: value for name, value in FIXED_PARAMETERS.items() if name in rule.arguments}
        fixed.update(ROUTE_PARAMETERS.get(rule.endpoint, {}))
        if "token" in rule.arguments:
            fixed["token"] = world.invitation_token
        owners: list[str | None] = list(world.objects[next(iter(families))]) if families else [None]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for owner in owners:
                values: dict[str, Any] = dict(fixed)
                if owner is not None:
                    family = next(iter(families))
                    parameter = next(n for n in rule.arguments if n in OBJECT_PARAMETERS)
                    values[parameter] = world.objects[family][owner]
                url = adapter.build(rule.endpoint, values, method=method)
                found.append(Cell(rule, method, owner, url))
    found.sort(key=lambda c: (c.method == "POST", c.rule.endpoint == "accounts.logout", str(c)))
    yield from found


def json_of(response: TestResponse) -> dict[str, Any]:
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data(as_text=True)
    return body


def outcome(response: TestResponse) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308) and "/login?next=" in (response.location or ""):
        return LOGIN
    gates = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}
    if status in gates:
        return gates[status]
    return PASS if status < 500 else f"server error {status}"


class Browser:
    """One role's session on the pages, signed in once, with its CSRF token."""

    def __init__(self, app: Flask, who: Who) -> None:
        self.app, self.who = app, who
        self.client = app.test_client()
        self.sign_in()

    def sign_in(self) -> None:
        if self.who.email:
            login(self.client, self.who.email)
        page = self.client.get("/forms/w9" if self.who.email else "/login")
        self.csrf = csrf_token(page.text)

    def request(self, cell: Cell, body: dict[str, str] | None = None) -> TestResponse:
        if cell.method == "GET":
            return self.client.get(cell.url)
        response = self.client.post(cell.url, data={"csrf_token": self.csrf, **(body or {})})
        if cell.rule.endpoint == "accounts.logout":
            self.sign_in()
        return response


def api_request(client: FlaskClient, cell: Cell, headers: dict[str, str]) -> TestResponse:
    if cell.method == "GET":
        return client.get(cell.url, headers=headers)
    return client.post(cell.url, json={}, headers=headers)


def fingerprint(database: Database) -> str:
    digest = hashlib.sha256()
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()
