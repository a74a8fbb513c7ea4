"""The layers hold: the worker runs without Flask, workflows without I/O libraries."""

from __future__ import annotations

import json
import subprocess
import sys

# The request kinds' forms are plain WTForms classes, which need none of these.
WEB_LIBRARIES = ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug", "jinja2")
IO_LIBRARIES = ("sqlalchemy", "psycopg", "smtplib", "fpdf", *WEB_LIBRARIES)


def loaded_by(module: str, libraries: tuple[str, ...]) -> list[str]:
    """The libraries of `libraries` that importing `module` loads, in a fresh interpreter."""
    probe = (
        f"import json, sys; import {module}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(libraries)!r})))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(found.stdout)
    return loaded


def test_the_worker_loads_no_web_framework() -> None:
    assert loaded_by("activities.worker", WEB_LIBRARIES) == []


def test_the_command_line_loads_the_web_framework_only_for_web_commands() -> None:
    assert loaded_by("portal.cli", WEB_LIBRARIES) == []


def test_workflows_import_no_io_library() -> None:
    for module in ("workflows.request_workflow", "workflows.subscription_workflow"):
        assert loaded_by(module, IO_LIBRARIES) == [], module
