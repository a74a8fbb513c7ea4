"""The ceiling for pages: a bare Flask page under the same gunicorn settings."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "<!doctype html><title>bare</title><p>Hello</p>"
