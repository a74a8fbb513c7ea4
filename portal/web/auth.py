"""Who is signed in to the pages, and the role each page needs (the API authenticates with
bearer tokens instead: portal/web/api_support.py). The pages themselves: accounts/views.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, g, redirect, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from portal.accounts.sessions import end_session, live_session, start_session
from portal.accounts.two_step import required_of as two_step_required_of
from portal.i18n import _l
from portal.models import User
from portal.web.extensions import get_session, use_account_clock

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "session_key"
KEPT_ACROSS_SIGN_IN = ("language",)


# Where a technician without two-step sign-in may still go: to turn it on, or away.
BEFORE_TWO_STEP = frozenset(
    {
        "account_security.two_step_page",
        "account_security.turn_on_two_step",
        "accounts.logout",
        "language.choose",
        "static",
    }
)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @app.before_request
    def require_two_step_of_staff() -> ResponseReturnValue | None:
        if request.path.startswith("/api/") or request.endpoint in BEFORE_TWO_STEP:
            return None
        user = current_user
        if user.is_authenticated and two_step_required_of(user) and not user.has_two_step:
            return redirect(url_for("account_security.two_step_page"))
        return None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of the cookie's session, while that session lasts on the server."""
    key = flask_session.get(SESSION_KEY)
    found = live_session(get_session(), key) if isinstance(key, str) else None
    if found is None or str(found.user_id) != user_id:
        return None
    g.user_session_id = found.id
    use_account_clock(found.user)
    return found.user


def sign_in_browser(user: User) -> None:
    """Sign `user` in on this browser: a new server-side session, its key in the cookie."""
    session = get_session()
    # Nothing of the session from before the sign-in is kept but the language it chose.
    kept = {name: flask_session[name] for name in KEPT_ACROSS_SIGN_IN if name in flask_session}
    flask_session.clear()
    flask_session.update(kept)
    key = start_session(
        session, user, request.headers.get("User-Agent", ""), request.remote_addr or ""
    )
    session.commit()
    login_user(user)
    flask_session[SESSION_KEY] = key


def sign_out_browser() -> None:
    key = flask_session.get(SESSION_KEY)
    if isinstance(key, str):
        end_session(get_session(), key)
        get_session().commit()
    logout_user()
    flask_session.pop(SESSION_KEY, None)


def current_session_id() -> int | None:
    return cast(int | None, g.get("user_session_id"))


def current() -> User:
    return cast(User, current_user._get_current_object())


def _role_required(allowed: Callable[[User], bool]) -> Callable[[F], F]:
    """Signed in, and a 403 page for a role that has no business here."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not allowed(current()):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


staff_required = _role_required(lambda user: user.is_staff)
billing_contact_required = _role_required(lambda user: user.is_billing_contact)
# What a contact sees of their account, staff see of every account (an invoice question).
contact_or_staff_required = _role_required(lambda user: user.is_billing_contact or user.is_staff)
