"""The account's own pages: the landing page after sign-in (the account at a glance, or the
queue for staff), signing in and out, and a new billing contact's one-time link."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal import clock
from portal.accounts import two_step
from portal.accounts.forms import CodeForm, LoginForm, RecipientsForm, SetPasswordForm
from portal.accounts.recipients import parse_addresses, set_invoice_recipients
from portal.accounts.security import is_safe_next
from portal.accounts.throttle import Throttled, sign_in
from portal.billing_centre.invoices import invoices_of
from portal.billing_centre.operations import next_renewal_of
from portal.billing_requests.kinds.contact_change import accept_invitation, invitation_for
from portal.billing_requests.queries import pending_requests_of_account
from portal.errors import PortalError, ValidationFailed
from portal.i18n import _
from portal.models import Account, PurchaseOrder, User
from portal.web.auth import (
    billing_contact_required,
    current,
    sign_in_browser,
    sign_out_browser,
)
from portal.web.extensions import get_session
from portal.web.feedback import report
from portal.web.language import read_by

bp = Blueprint("accounts", __name__)
# Who passed the password step, since when, and where they were going; the code must follow
# within TWO_STEP_SECONDS.
TWO_STEP_USER, TWO_STEP_SINCE, TWO_STEP_NEXT = "two_step_user", "two_step_since", "two_step_next"
TWO_STEP_SECONDS = 300


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    if current().is_staff:
        return redirect(url_for("console.queue"))
    return _home(RecipientsForm(formdata=None))


def _home(recipients: RecipientsForm, status: int = 200) -> ResponseReturnValue:
    user, session = current(), get_session()
    account = session.get(Account, user.account_id)
    contact = user.is_billing_contact
    pending = list(session.scalars(pending_requests_of_account(user.account_id or 0)))
    po_count = session.scalar(
        sa.select(sa.func.count(PurchaseOrder.id)).where(
            PurchaseOrder.account_id == user.account_id
        )
    )
    if recipients.emails.data is None and account is not None:
        recipients.emails.data = "\n".join(account.invoice_recipients or [])
    return render_template(
        "home/index.html",
        account=account,
        pending=pending if contact else [],
        po_count=po_count if contact else 0,
        invoices=invoices_of(session, user, limit=20) if contact else [],
        next_renewal=next_renewal_of(session, account) if contact and account else None,
        recipients=recipients,
    ), status


@bp.post("/account/invoice-recipients")
@billing_contact_required
def invoice_recipients() -> ResponseReturnValue:
    form = RecipientsForm()
    if not form.validate_on_submit():
        return _home(form, 400)
    try:
        set_invoice_recipients(get_session(), current(), parse_addresses(form.emails.data or ""))
    except PortalError as error:
        get_session().rollback()
        report(error, form, {"invoice_recipients": "emails"})
        return _home(form, error.status)
    get_session().commit()
    flash(_("Invoices will also be mailed to these addresses."), "success")
    return redirect(url_for("accounts.home"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
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
        target = request.args.get("next")
        target = target if target and is_safe_next(target) else url_for("accounts.home")
        if user is not None and user.has_two_step:
            # The password was right; the session starts once the code is too.
            flask_session[TWO_STEP_USER] = user.id
            flask_session[TWO_STEP_SINCE] = clock.now().timestamp()
            flask_session[TWO_STEP_NEXT] = target
            return redirect(url_for("accounts.login_code"))
        if user is not None:
            sign_in_browser(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(target)
        # One message whatever was wrong, so the form never reveals which e-mails exist.
        flash(_("Incorrect e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    """The second step of a sign-in whose password was right a moment ago."""
    session = get_session()
    since = flask_session.get(TWO_STEP_SINCE, 0)
    user_id = flask_session.get(TWO_STEP_USER)
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or clock.now().timestamp() - float(since) > TWO_STEP_SECONDS:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            passed = two_step.check_code(session, user, form.code.data or "")
        except Throttled as refused:
            flash(refused.message, "error")
            page = render_template("auth/code.html", form=form)
            return page, 429, {"Retry-After": str(refused.retry_after)}
        if passed:
            target = str(flask_session.get(TWO_STEP_NEXT) or url_for("accounts.home"))
            sign_in_browser(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(target if is_safe_next(target) else url_for("accounts.home"))
        form.code.errors = [str(two_step.WRONG_CODE)]
    return render_template("auth/code.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout() -> Response:
    sign_out_browser()
    flash(_("You are signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation_page(token: str) -> ResponseReturnValue:
    session = get_session()
    try:
        invitation = invitation_for(session, token)
    except ValidationFailed as error:
        return render_template("invitation.html", refusal=error.message, form=None), 410
    read_by(invitation.user)
    form = SetPasswordForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            flash(_("Please correct the highlighted fields."), "error")
        status = 400 if form.errors else 200
        return render_template("invitation.html", form=form, user=invitation.user), status
    try:
        user = accept_invitation(session, token, form.password.data or "")
    except ValidationFailed as error:
        session.rollback()
        report(error, form)
        return render_template("invitation.html", form=form, user=invitation.user), 400
    session.commit()
    sign_in_browser(user)
    flash(_("Your password is set. Welcome, %(name)s.", name=user.name), "success")
    return redirect(url_for("accounts.home"))
