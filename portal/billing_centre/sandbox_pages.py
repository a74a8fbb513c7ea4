"""The sandbox clock on the billing pages (development only): the account's business date and a
form that moves it forward; the move answers once all that fell due has happened."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from portal.billing_centre import operations as billing
from portal.billing_centre import sandbox
from portal.billing_centre.forms import ClockForm
from portal.errors import PortalError
from portal.i18n import _, format_day
from portal.web.auth import billing_contact_required, current
from portal.web.extensions import get_bridge, get_session, get_settings
from portal.web.feedback import report

bp = Blueprint("sandbox", __name__, url_prefix="/billing/sandbox-clock")


@bp.post("")
@billing_contact_required
def move() -> ResponseReturnValue:
    session, form = get_session(), ClockForm()
    back = request.referrer or url_for("billing.subscriptions")
    if not form.validate_on_submit() or form.date.data is None:
        flash(_("A date such as 2027-01-31."), "error")
        return redirect(back)
    account = billing.account_of(session, current())
    settings = get_settings()
    try:
        moved = sandbox.move_clock(
            session, get_bridge(), settings.timers, account, form.date.data, settings.development
        )
    except PortalError as error:
        report(error)
        return redirect(back)
    flash(_("The sandbox date is now %(date)s.", date=format_day(moved)), "success")
    return redirect(back)


def clock_of_page() -> dict[str, object] | None:
    """For the billing pages' nav, in development: the account's date and the form."""
    user = current()
    if not get_settings().development or not user.is_authenticated or user.account is None:
        return None
    return {"today": sandbox.today_of(user.account), "form": ClockForm(formdata=None)}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["sandbox_clock"] = clock_of_page
