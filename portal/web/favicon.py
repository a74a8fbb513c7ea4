"""`/favicon.ico`: browsers ask for it on every site, signed in or not (and for pages that name no
icon, such as the API's JSON); without it every visit logs a 404. The pages name the SVG
(base.html); the ICO is for the rest."""

from __future__ import annotations

from flask import Flask

ICON = "favicon.ico"


def init_app(app: Flask) -> None:
    if any(rule.rule == "/favicon.ico" for rule in app.url_map.iter_rules()):
        return  # registered by create_app already
    # A second rule of the `static` endpoint rather than a view of its own: it is what the
    # staff's two-step gate lets through and what the security headers leave cacheable, like
    # every other static file; and it needs no signing in.
    app.add_url_rule("/favicon.ico", endpoint="static", defaults={"filename": ICON})
