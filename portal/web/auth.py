"""Signing in and out of the pages; the API authenticates with bearer tokens instead (api.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.accounts.security import is_safe_next
from portal.accounts.throttle import Throttled, sign_in
from portal.i18n import _, _l
from portal.models import User
from portal.web.extensions import get_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"

F = TypeVar("F", bound=Callable[..., Any])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(bp)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = sign_in(get_session(), form.email.data or "", form.password.data or "")
        except Throttled as refused:
            # The same message as any failure, and why no password is checked for a while.
            flash(_("Incorrect e-mail or password."), "error")
            flash(refused.message, "error")
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(refused.retry_after)}
        if user is not None:
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            target = request.args.get("next")
            return redirect(target if target and is_safe_next(target) else url_for("home.index"))
        # One message whatever was wrong, so the form never reveals which e-mails exist.
        flash(_("Incorrect e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))
