"""The language of the pages: chosen on any page, kept on the user's profile (or, before
sign-in, in the session); the browser's Accept-Language is only the first guess."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user, user_logged_in, user_logged_out
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from portal.accounts.security import is_safe_next
from portal.models import User
from portal.web.auth import current
from portal.web.extensions import get_session

LANGUAGES = {"en": "English", "fr": "Français"}  # each named in itself, as switchers do
bp = Blueprint("language", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(choices=list(LANGUAGES.items()))
    next = HiddenField()


def chosen_language() -> str | None:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        language: str = current_user.language
        return language
    kept = session.get("language")
    if kept in LANGUAGES:
        return str(kept)
    return request.accept_languages.best_match(list(LANGUAGES))


@bp.post("/language")
def choose() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current().language = form.language.data or "en"
            get_session().commit()
        else:
            session["language"] = form.language.data
        refresh()
    target = form.next.data or ""
    return redirect(target if is_safe_next(target) else url_for("accounts.home"))


@user_logged_in.connect
def _keep_the_choice_made_before_sign_in(_app: Any, user: User, **_: Any) -> None:
    """A language picked on the sign-in page is a choice: it goes onto the profile."""
    chosen = session.pop("language", None)
    if chosen in LANGUAGES and user.language != chosen:
        user.language = chosen
        get_session().commit()


@user_logged_out.connect
def _keep_the_language_after_sign_out(_app: Any, user: User | None, **_: Any) -> None:
    """The signed-out pages stay in the language the user was reading."""
    if user is not None and getattr(user, "language", None) in LANGUAGES:
        session["language"] = user.language
