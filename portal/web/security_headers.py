"""Security headers on every response: a Content-Security-Policy that allows no inline script
and nothing from another origin, no MIME sniffing, no framing, a same-origin referrer, and
`no-store` on everything but the static files (pages show one account's billing; API answers
carry tokens and documents). Behind trusted proxies, the client's own address and scheme.

The templates hold no inline <script>, no `style=` and no event-handler attributes: what they
need is in portal/static (live.js, portal.css).
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import Settings
from portal.web.extensions import settings_of

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Outside development the portal is served over HTTPS only (its cookies are Secure).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    settings: Settings = settings_of(app)
    if settings.trusted_proxies:
        # The client's own address (sign-in throttling) and scheme (Secure cookies, CSRF's
        # referrer check), as the trusted proxies saw them; nobody else's headers are believed.
        count = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not settings.development:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        cache_control = response.headers.get("Cache-Control", "")
        if request.endpoint != "static" and "no-store" not in cache_control:
            response.headers["Cache-Control"] = "no-store"
        return response
