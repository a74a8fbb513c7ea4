"""A client no one here wrote: schemathesis reads /api/v1/openapi.json from the live server,
makes calls of every operation from it (well-formed and malformed, then sequences that follow
the document's links), as each kind of caller in turn, and checks every answer against the
document: no server error, no status, header, content type or body it does not describe. The
seed is fixed, so a fresh clone on any day makes the same calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import WorkerThread
from tests.security.gates import ALICE, BOB, SAM, TESS
from tests.support import api_token

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)


def callers(client: FlaskClient) -> dict[str, dict[str, str]]:
    """A token of each kind of caller: none, a member, the billing contact, a service token of
    the account, a technician, a supervisor."""
    alice = api_token(client, ALICE)
    service = client.post(
        "/api/v1/tokens",
        json={"name": "ERP", "scopes": ["read", "requests", "billing"]},
        headers=alice,
    )
    assert service.status_code == 201, service.json
    # Something in every list, so that replies with items are checked and links lead on.
    for body in (
        {"type": "account_inquiry", "payload": {"topic": "contract_copy", "message": "Please"}},
        {"type": "form_request", "payload": {"form": "w9", "details": "For our vendor file"}},
    ):
        assert client.post("/api/v1/requests", json=body, headers=alice).status_code == 202
    webhook = {"url": "http://127.0.0.1:9/hooks", "events": ["request.updated"]}
    assert client.post("/api/v1/webhooks", json=webhook, headers=alice).status_code == 201
    return {
        "anonymous": {},
        "member": api_token(client, BOB),
        "contact": alice,
        "service": {"Authorization": f"Bearer {service.json['token']}"},
        "technician": api_token(client, TESS),
        "supervisor": api_token(client, SAM),
    }


@pytest.mark.parametrize(
    "caller", ["anonymous", "member", "contact", "service", "technician", "supervisor"]
)
def test_every_answer_keeps_to_the_document(
    client: FlaskClient, running: WorkerThread, server: str, caller: str, tmp_path: Path
) -> None:
    headers = callers(client)[caller]
    # Ending a token or session could end the caller's own and leave every later call a 401:
    # the deletions run after the rest.
    for selection in (
        ["--exclude-method", "DELETE", "--phases", "examples,fuzzing,stateful"],
        ["--include-method", "DELETE", "--phases", "examples,fuzzing"],  # no links lead there
    ):
        run = schemathesis(server, headers, selection, tmp_path)
        assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]


def schemathesis(
    server: str, headers: dict[str, str], selection: list[str], where: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{server}/api/v1/openapi.json",
        *selection,
        "--checks",
        CHECKS,
        "--max-examples",
        "6",
        "--seed",
        "20261207",
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--no-color",
        *(part for name, value in headers.items() for part in ("-H", f"{name}: {value}")),
    ]
    # In `where`: schemathesis keeps its own state beside where it runs.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=where
    )
