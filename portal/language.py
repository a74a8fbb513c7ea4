"""The language of the pages: chosen on any page, kept on the user's profile (or, before
sign-in, in the session); the browser's Accept-Language is only the first guess."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from portal.auth import current
from portal.db import get_session
from portal.security import is_safe_next

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
    return redirect(target if is_safe_next(target) else url_for("home.index"))
