"""The language of the pages: chosen on any page, kept on the user's profile (or, before
sign-in, in the session); the browser's Accept-Language is only the first guess."""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Blueprint, Flask, g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations, refresh
from flask_login import current_user, user_logged_in, user_logged_out
from flask_wtf import FlaskForm
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from wtforms import HiddenField, SelectField

from portal import i18n
from portal.accounts.security import is_safe_next
from portal.models import User
from portal.web.auth import current
from portal.web.extensions import get_session

LANGUAGES = {"en": "English", "fr": "Français"}  # each named in itself, as switchers do
PAGE_CATALOGUE, PAGE_LOCALE = "portal_catalogue", "portal_locale"
READER_LANGUAGE = "portal_reader_language"
bp = Blueprint("language", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(choices=list(LANGUAGES.items()))
    next = HiddenField()


def select_locale() -> str | None:
    return chosen_language() if has_request_context() else None


def request_locale() -> str | None:
    """The request's locale, looked up once per request (see `request_catalogue`)."""
    if not has_request_context():
        return None
    found: str | None = g.get(PAGE_LOCALE)
    if found is None:
        locale = get_locale()
        found = str(locale) if locale else ""
        setattr(g, PAGE_LOCALE, found)
    return found or None


def request_catalogue() -> NullTranslations | None:
    """The request's catalogue, looked up once per request: Flask-Babel walks four context
    proxies on each call (~17 µs, as much as the rest of a translation ten times over) and a
    page translates dozens of texts. `forget_page_language` clears both."""
    if not has_request_context():
        return None
    found: NullTranslations | None = g.get(PAGE_CATALOGUE)
    if found is None:
        found = get_translations()
        setattr(g, PAGE_CATALOGUE, found)
    return found


def init_translations(app: Flask) -> None:
    """The code and the templates translate through `portal.i18n`: the request's catalogue, or
    the one a block chose with `i18n.translated`."""
    i18n.provide(request_catalogue, request_locale)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.active_catalogue().gettext(message),
        ngettext=lambda one, many, count: i18n.active_catalogue().ngettext(one, many, count),
        newstyle=True,
        pgettext=lambda context, message: i18n.active_catalogue().pgettext(context, message),
        npgettext=lambda context, one, many, count: i18n.active_catalogue().npgettext(
            context, one, many, count
        ),
    )
    # `_()` is a template's most frequent call; Jinja's alias reaches the newstyle function
    # through three context calls (~15 µs). The same rules in one call.
    app.jinja_env.globals["_"] = _template_gettext


@pass_eval_context
def _template_gettext(context: EvalContext, message: str, **variables: Any) -> str:
    """As Jinja's newstyle gettext: the translation is markup, its variables are escaped."""
    translated: str = i18n.active_catalogue().gettext(message)
    if context.autoescape:
        translated = Markup(translated)  # noqa: S704 - our own catalogue, as Jinja treats it
    return translated % variables


def forget_page_language() -> None:
    """After the language changed within a request: what is shown next is in the new one."""
    refresh()
    g.pop(PAGE_CATALOGUE, None)
    g.pop(PAGE_LOCALE, None)


def chosen_language() -> str | None:
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        language: str = current_user.language
        return language
    kept = session.get("language")
    if kept in LANGUAGES:
        return str(kept)
    reader = g.get(READER_LANGUAGE)
    if reader in LANGUAGES:
        return str(reader)
    return request.accept_languages.best_match(list(LANGUAGES))


def read_by(user: User) -> None:
    """A page before sign-in that knows who reads it (their invitation, their reset link) is
    in their language, unless this browser chose one."""
    setattr(g, READER_LANGUAGE, user.language)
    forget_page_language()


@bp.post("/language")
def choose() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current().language = form.language.data or "en"
            get_session().commit()
        else:
            session["language"] = form.language.data
        forget_page_language()
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
