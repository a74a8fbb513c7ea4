"""Billing-centre pages: subscriptions with a preview before every change, the card on file,
billing history and printable statements. The API's operations, behind forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal.billing_centre import actions, cards, writes
from portal.billing_centre import operations as billing
from portal.billing_centre.api import processor
from portal.billing_centre.forms import AddForm, CardForm, ChangeForm, PeriodForm
from portal.billing_centre.invoices import get_invoice, invoice_years, invoices_of, payments_of
from portal.billing_centre.ledger import credit_moves_of, credit_of
from portal.billing_centre.statements import invoice_pdf
from portal.billing_centre.writes import Outcome
from portal.billing_requests.kinds.quotes import active_plans
from portal.billing_requests.submit import submit_request
from portal.documents.views import send_document
from portal.errors import PortalError
from portal.i18n import _, active_locale, format_day
from portal.models import Subscription
from portal.web.auth import billing_contact_required, contact_or_staff_required, current
from portal.web.confirmation import confirmation_page, confirmed
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.feedback import report
from portal.web.forms import ONE_TIME_TOKEN, ConfirmForm, posted_one_time_token
from portal.web.template_helpers import frequency_label
from workflows.lifecycle import RequestType

bp = Blueprint("billing", __name__, url_prefix="/billing")


def _change_form(subscription: Subscription, posted: bool = False) -> ChangeForm:
    form = ChangeForm(prefix=f"s{subscription.id}", **({} if posted else {"formdata": None}))
    tiers = [
        p
        for p in active_plans(get_session(), subscription.plan.currency).values()
        if p.product == subscription.plan.product
    ]
    form.tier.choices = [("", _("Keep %(tier)s", tier=subscription.plan.tier))] + [
        (plan.tier, plan.tier) for plan in tiers if plan.id != subscription.plan_id
    ]
    return form


def _period_form(subscription: Subscription) -> PeriodForm:
    form = PeriodForm(prefix=f"p{subscription.id}", formdata=None)
    form.period.data = subscription.next_period or subscription.period
    return form


def _add_form() -> AddForm:
    form = AddForm()
    account = current().account
    currency = account.currency if account else "USD"
    form.plan.choices = [(name, name) for name in active_plans(get_session(), currency)]
    return form


def _is_corporate() -> bool:
    account = current().account
    return account is not None and account.kind == "corporate"


@bp.get("/")
@billing_contact_required
def subscriptions() -> ResponseReturnValue:
    return _subscriptions_page()


def _subscriptions_page(
    posted: ChangeForm | AddForm | PeriodForm | None = None,
    subscription_id: int | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The billing centre, with a form that was refused shown as posted (its fields marked,
    what was typed kept) in place of its blank one."""
    items = billing.subscriptions_of(get_session(), current())
    change_forms = {item.id: _change_form(item) for item in items}
    period_forms = {item.id: _period_form(item) for item in items}
    if isinstance(posted, ChangeForm) and subscription_id in change_forms:
        change_forms[subscription_id] = posted
    if isinstance(posted, PeriodForm) and subscription_id in period_forms:
        period_forms[subscription_id] = posted
    return render_template(
        "billing_centre/subscriptions.html",
        items=items,
        change_forms=change_forms,
        period_forms=period_forms,
        add_form=posted if isinstance(posted, AddForm) else _add_form(),
        button=ConfirmForm(),
        corporate=_is_corporate(),
    ), status


@bp.post("/subscriptions/<int:subscription_id>/preview")
@billing_contact_required
def preview(subscription_id: int) -> ResponseReturnValue:
    session = get_session()
    subscription = billing.get_subscription(session, current(), subscription_id)
    form = _change_form(subscription, posted=True)
    if not form.validate_on_submit() or not form.body():
        if not form.errors:
            form.seats.errors = [_("Give the new number of seats or choose another tier.")]
        flash(_("Please correct the highlighted fields."), "error")
        return _subscriptions_page(form, subscription.id, 400)
    try:
        result = billing.as_paid(
            billing.account_of(session, current()),
            billing.preview(session, subscription, form.body()),
        )
    except PortalError as error:
        report(error, form)
        return _subscriptions_page(form, subscription.id, error.status)
    return render_template(
        "billing_centre/preview.html",
        subscription=subscription,
        body=form.body(),
        result=result,
        refusal=billing.refusal_text(result.error) if result.error else None,
        button=ConfirmForm(),
    )


def _page_write(account_id: int, write: Callable[[], Outcome]) -> Outcome | None:
    """A billing write from a page: under the account's lease, once per form token; a refusal
    is flashed (None)."""
    data = {
        key: value
        for key, value in request.form.items()
        if key not in ("csrf_token", ONE_TIME_TOKEN)
    }
    try:
        outcome = writes.run(
            get_session(),
            current(),
            account_id,
            posted_one_time_token(),
            writes.fingerprint(request.method, request.path, data),
            write,
        )
    except PortalError as error:
        report(error)
        return None
    actions.tell_changed(get_session(), get_bridge(), get_settings().timers, outcome)
    return outcome


def _ask_a_technician(payload: dict[str, object]) -> ResponseReturnValue:
    """A Corporate account's change is a `subscription_change` request a technician approves."""
    try:
        created = submit_request(
            get_session(),
            get_bridge(),
            get_settings().timers,
            current(),
            RequestType.SUBSCRIPTION_CHANGE,
            {**payload, "reason": ""},
            posted_one_time_token(),
        )
    except PortalError as error:
        report(error)
        return redirect(url_for("billing.subscriptions"))
    flash(_("A technician will apply this change: request #%(id)d.", id=created.id), "success")
    return redirect(url_for("billing_requests.detail", request_id=created.id))


@bp.post("/subscriptions/<int:subscription_id>/change")
@billing_contact_required
def change(subscription_id: int) -> ResponseReturnValue:
    session, user = get_session(), current()
    subscription = billing.get_subscription(session, user, subscription_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("billing.subscriptions"))
    body: dict[str, object] = {key: request.form[key] for key in ("tier",) if request.form.get(key)}
    if request.form.get("seats", "").isdigit():
        body["seats"] = int(request.form["seats"])
    if _is_corporate():
        return _ask_a_technician({"subscription_id": subscription.id, **body})
    outcome = _page_write(
        subscription.account_id,
        lambda: actions.change(session, processor(), user, subscription, body),
    )
    if outcome is not None:
        flash(_("Your subscription is changed."), "success")
    return redirect(url_for("billing.subscriptions"))


@bp.post("/subscriptions/<int:subscription_id>/period")
@billing_contact_required
def change_period(subscription_id: int) -> ResponseReturnValue:
    session, user = get_session(), current()
    subscription = billing.get_subscription(session, user, subscription_id)
    form = PeriodForm(prefix=f"p{subscription.id}")
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _subscriptions_page(form, subscription.id, 400)
    period = form.period.data
    outcome = _page_write(
        subscription.account_id,
        lambda: actions.change_period(session, user, subscription, period),
    )
    if outcome is not None:
        label = frequency_label(outcome.body["next_period"])
        flash(_("Billed %(period)s from the next renewal.", period=label), "success")
    return redirect(url_for("billing.subscriptions"))


@bp.post("/subscriptions/<int:subscription_id>/<verb>")
@billing_contact_required
def act(subscription_id: int, verb: str) -> ResponseReturnValue:
    session, user = get_session(), current()
    # Another account's subscription is a 404 whatever else is wrong with the request.
    subscription = billing.get_subscription(session, user, subscription_id)
    writes_by_verb: dict[str, Callable[[], Outcome]] = {
        "cancel": lambda: actions.cancel(
            session, get_bridge(), get_settings().timers, user, subscription
        ),
        "undo-cancel": lambda: actions.undo_cancel(session, user, subscription),
        "reactivate": lambda: actions.reactivate(session, processor(), user, subscription),
    }
    if verb not in writes_by_verb or not ConfirmForm().validate_on_submit():
        return redirect(url_for("billing.subscriptions"))
    if verb == "cancel" and not confirmed():
        return confirmation_page(
            _("Cancel %(plan)s?", plan=subscription.plan.name),
            _(
                "It stays usable until the end of the period you paid for, then ends; until "
                "then you can undo the cancellation."
            ),
            _("Yes, cancel the subscription"),
            url_for("billing.subscriptions"),
        )
    if _is_corporate():
        action = verb.replace("-", "_")
        return _ask_a_technician({"action": action, "subscription_id": subscription.id})
    outcome = _page_write(subscription.account_id, writes_by_verb[verb])
    if outcome is not None and verb == "cancel":
        until = format_day(date.fromisoformat(outcome.body["next_billing_date"]))
        flash(_("Cancelled: usable until %(date)s.", date=until), "success")
    elif outcome is not None and verb == "undo-cancel":
        flash(_("The cancellation is undone."), "success")
    elif outcome is not None:
        flash(_("Your subscription is active again."), "success")
    return redirect(url_for("billing.subscriptions"))


@bp.post("/subscriptions")
@billing_contact_required
def add() -> ResponseReturnValue:
    session, user, form = get_session(), current(), _add_form()
    if not form.validate_on_submit():
        flash(_("Please correct the highlighted fields."), "error")
        return _subscriptions_page(form, status=400)
    body = form.body()
    if _is_corporate():
        return _ask_a_technician({"action": "add", **body})
    outcome = _page_write(
        billing.account_of(session, user).id,
        lambda: actions.add(session, processor(), user, body),
    )
    if outcome is not None:
        flash(_("The subscription is added and paid."), "success")
    return redirect(url_for("billing.subscriptions"))


@bp.route("/payment-method", methods=["GET", "POST"])
@billing_contact_required
def payment_method() -> ResponseReturnValue:
    session, user, form = get_session(), current(), CardForm()
    status = 200
    if form.validate_on_submit():
        body = {
            "number": form.number.data,
            "exp_month": form.exp_month.data,
            "exp_year": form.exp_year.data,
            "cvc": form.cvc.data,
        }
        try:
            outcome = writes.run(
                session,
                user,
                billing.account_of(session, user).id,
                posted_one_time_token(),
                # The card number is never stored, not even in a key's fingerprint.
                writes.fingerprint(request.path, body["number"][-4:], body["exp_month"]),
                lambda: actions.save_card(session, processor(), user, body),
            )
            actions.tell_changed(session, get_bridge(), get_settings().timers, outcome)
        except PortalError as error:
            report(error, form, {"expiry": "exp_month"})
            status = error.status
        else:
            flash(_("Your card is saved."), "success")
            return redirect(url_for("billing.payment_method"))
    elif form.is_submitted():
        status = 400
    form.number.data = ""  # never echo a card number back
    return render_template(
        "billing_centre/payment_method.html",
        method=cards.payment_method_of(session, user),
        form=form,
        development=get_settings().development,
    ), status


@bp.get("/history")
@billing_contact_required
def history() -> ResponseReturnValue:
    session = get_session()
    year, status = request.args.get("year") or None, request.args.get("status") or None
    account = billing.account_of(session, current())
    return render_template(
        "billing_centre/history.html",
        invoices=invoices_of(session, current(), year, status),
        years=invoice_years(session, current()),
        year=year,
        status=status,
        payments=payments_of(session, current()),
        credit=credit_of(session, account.id),
        credit_moves=credit_moves_of(session, account.id),
        currency=account.currency,
    )


@bp.get("/invoices/<int:invoice_id>")
@contact_or_staff_required
def statement(invoice_id: int) -> ResponseReturnValue:
    return render_template(
        "billing_centre/statement.html", invoice=get_invoice(get_session(), current(), invoice_id)
    )


@bp.get("/invoices/<int:invoice_id>.pdf")
@contact_or_staff_required
def statement_pdf(invoice_id: int) -> ResponseReturnValue:
    found = get_invoice(get_session(), current(), invoice_id)
    content = invoice_pdf(found, active_locale())  # the page's language
    return send_document(content, f"{found.number}.pdf", "application/pdf")
