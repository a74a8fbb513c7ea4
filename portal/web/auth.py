"""Who is signed in to the pages, and the role each page needs (the API authenticates with
bearer tokens instead: portal/web/api_support.py). The pages themselves: accounts/views.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort
from flask_login import LoginManager, current_user, login_required

from portal.db import row_id
from portal.i18n import _l
from portal.models import User
from portal.web.extensions import get_session, use_account_clock

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    wanted = row_id(user_id)
    user = get_session().get(User, wanted) if wanted is not None else None
    if user is None or not user.is_active:
        return None
    use_account_clock(user)
    return user


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
