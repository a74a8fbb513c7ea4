"""Quotes: the contact asks, a technician prices (list prices or an override), the contact
accepts with a PO number (a purchase order is created) or declines before it expires."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import orm
from temporalio.exceptions import ApplicationError
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.billing_requests.events import MailText
from portal.billing_requests.kinds.base import (
    ActionForm,
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
)
from portal.billing_requests.kinds.fields import CHOOSE, MAX_TEXT, FieldErrors, Step, money_text
from portal.billing_requests.kinds.quotes import (
    active_plans,
    new_quote,
    parse_pricing,
    purchase_order_lines,
    quote_for,
    quote_result,
)
from portal.config import Settings
from portal.errors import ValidationFailed
from portal.form_fields import PortalForm
from portal.i18n import N_, _, _l, format_day, format_money
from portal.models import Account, AuditEntry, User
from portal.purchase_orders.operations import (
    PO_NUMBER_PATTERN,
    create_purchase_order,
    default_bill_to,
)
from workflows.lifecycle import Action, Event, RequestType, Status
from workflows.messages import ApprovalPlan, ChangeInput, end_of_day

if TYPE_CHECKING:
    from portal.models import BillingRequest

MAX_ITEMS = 20
MAX_SEATS = 100_000
MAX_TERM_MONTHS = 60
QUOTE_ROWS = 5
# The mails that say until when the quote is valid.
SAYS_UNTIL_WHEN = frozenset({Event.QUOTED, Event.QUOTE_EXPIRING, Event.QUOTE_EXTENDED})


class QuoteItemForm(PortalForm):
    product = SelectField(_l("Product"), choices=[], validators=[Optional()])
    seats = IntegerField(_l("Seats"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not self.product.data and self.seats.data is None


class QuoteForm(RequestForm):
    items = FieldList(FormField(QuoteItemForm), min_entries=QUOTE_ROWS, max_entries=QUOTE_ROWS)
    term_months = IntegerField(_l("Term (months)"), default=12, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional()])

    @classmethod
    def build(cls, session: orm.Session, user: User) -> QuoteForm:
        form = cls()
        choices = [
            ("", CHOOSE),
            *(
                (name, f"{name} ({money_text(plan.unit_price, plan.currency)})")
                for name, plan in active_plans(session, _currency(session, user.account_id)).items()
            ),
        ]
        for entry in form.items:
            entry.form.product.choices = choices
        return form

    def _filled_rows(self) -> list[int]:
        return [index for index, entry in enumerate(self.items) if not entry.form.is_blank()]

    def payload(self) -> dict[str, Any]:
        items = [
            {
                "product": self.items[index].form.product.data or None,
                "seats": self.items[index].form.seats.data,
            }
            for index in self._filled_rows()
        ]
        return {"items": items, "term_months": self.term_months.data, "notes": self.notes.data}

    def field_map(self) -> dict[str, str]:
        mapping = {"items": "items.0.product"}
        for sent, row in enumerate(self._filled_rows()):
            mapping[f"items.{sent}.product"] = f"items.{row}.product"
            mapping[f"items.{sent}.seats"] = f"items.{row}.seats"
        return mapping


class PriceLineForm(PortalForm):
    product = HiddenField()
    unit_price = DecimalField(_l("Unit price per seat per year"), validators=[Optional()])


class QuoteApprovalForm(ActionForm):
    """Approving a quote prices it: list prices unless the technician says otherwise."""

    text = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=MAX_TEXT)])
    prices = FieldList(FormField(PriceLineForm))
    discount_pct = DecimalField(_l("Discount (%)"), validators=[Optional()])
    valid_days = IntegerField(_l("Valid for (days, 30 if empty)"), validators=[Optional()])
    submit = SubmitField(_l("Price and send the quote"))

    @classmethod
    def for_request(cls, item: BillingRequest, **kwargs: Any) -> QuoteApprovalForm:
        products = list(dict.fromkeys(entry["product"] for entry in item.payload["items"]))
        return cls(data={"prices": [{"product": name} for name in products]}, **kwargs)

    def _priced_rows(self) -> list[int]:
        return [i for i, entry in enumerate(self.prices) if entry.form.unit_price.data is not None]

    def step(self) -> Step:
        pricing: dict[str, Any] = {}
        lines = [
            {
                "product": self.prices[i].form.product.data,
                "unit_price": str(self.prices[i].form.unit_price.data),
            }
            for i in self._priced_rows()
        ]
        if lines:
            pricing["lines"] = lines
        if self.discount_pct.data is not None:
            pricing["discount_pct"] = str(self.discount_pct.data)
        if self.valid_days.data is not None:
            pricing["valid_days"] = self.valid_days.data
        return Step(text=self.text.data or "", pricing=pricing or None)

    def warning(self) -> str | None:
        """A quote that would cost nothing: all of it discounted, or every product at 0. Seats
        are at least one, so the total is zero exactly then."""
        discount = self.discount_pct.data
        every_price = [entry.form.unit_price.data for entry in self.prices]
        free = bool(every_price) and all(price is not None and price == 0 for price in every_price)
        if discount == 100 or free:  # more than 100 is refused by the rules, not warned of
            return str(_l("This quote totals zero: the customer would pay nothing."))
        return None

    def field_map(self) -> dict[str, str]:
        mapping = {
            "comment": "text",
            "pricing.discount_pct": "discount_pct",
            "pricing.valid_days": "valid_days",
        }
        for sent, row in enumerate(self._priced_rows()):
            mapping[f"pricing.lines.{sent}.unit_price"] = f"prices.{row}.unit_price"
            mapping[f"pricing.lines.{sent}.product"] = f"prices.{row}.unit_price"
        return mapping


class ExtendQuoteForm(ActionForm):
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    submit = SubmitField(_l("Extend validity"))

    def step(self) -> Step:
        value = self.valid_until.data
        return Step(valid_until=value.isoformat() if value else "")


class AcceptQuoteForm(ActionForm):
    po_number = StringField(_l("Your PO number"), validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Accept the quote"))

    def step(self) -> Step:
        return Step(po_number=self.po_number.data or "")


class DeclineQuoteForm(ActionForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Decline the quote"))

    def step(self) -> Step:
        return Step(text=self.reason.data or "")

    def field_map(self) -> dict[str, str]:
        return {"reason": "reason"}


class QuoteKind(RequestKind):
    name = RequestType.QUOTE
    label = _l("Quote")
    new_title = _l("Ask for a quote")
    form = QuoteForm
    action_forms = {
        Action.APPROVE: QuoteApprovalForm,
        Action.EXTEND_QUOTE: ExtendQuoteForm,
        Action.ACCEPT_QUOTE: AcceptQuoteForm,
        Action.DECLINE_QUOTE: DeclineQuoteForm,
    }
    mails = {
        Event.EXPIRED: MailText(
            N_("Your quote expired (request #%(id)d)"),
            N_(
                "Your quote was not accepted before its validity ended. Nothing was ordered; "
                "ask for a new quote if you still need one."
            ),
            N_("The quote expired without an answer from the customer."),
        ),
    }

    def mail_facts(self, session: orm.Session, request: BillingRequest, event: Event) -> list[str]:
        quote = quote_for(session, request.id)
        if quote is None:
            return []
        facts = [_("Quote total: %(total)s", total=format_money(quote.total, quote.currency))]
        if event in SAYS_UNTIL_WHEN:
            facts.append(_("Valid until: %(date)s", date=format_day(quote.valid_until)))
        return facts

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        errors = FieldErrors()
        plans = active_plans(session, _currency(session, account_id))
        raw_items = payload.get("items")
        items: list[dict[str, Any]] = []
        if not isinstance(raw_items, list) or not raw_items:
            errors.add("items", _l("Add at least one product."))
        elif len(raw_items) > MAX_ITEMS:
            errors.add("items", _l("At most %(max)d products.", max=MAX_ITEMS))
        else:
            for index, item in enumerate(raw_items):
                item = item if isinstance(item, dict) else {}
                if item.get("product") not in plans:
                    errors.add(f"items.{index}.product", _l("Choose a product of the price list."))
                seats = item.get("seats")
                if not errors.is_whole(seats, 1, MAX_SEATS):
                    errors.add(f"items.{index}.seats", _l("Seats: 1 to %(max)d.", max=MAX_SEATS))
                else:
                    items.append({"product": item.get("product"), "seats": seats})
        term = payload.get("term_months", 12)
        if not errors.is_whole(term, 1, MAX_TERM_MONTHS):
            errors.add("term_months", _l("A term of 1 to %(max)d months.", max=MAX_TERM_MONTHS))
        notes = errors.text(payload, "notes", MAX_TEXT, required=False)
        errors.raise_if_any()
        return {"items": items, "term_months": term, "notes": notes}

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        rows = [
            FieldChange(item["product"], "", str(_l("%(n)d seats", n=item["seats"])))
            for item in recorded.payload["items"]
        ]
        term = str(_l("%(n)d months", n=recorded.payload["term_months"]))
        rows.append(FieldChange(str(_l("Term")), "", term))
        if recorded.payload.get("notes"):
            rows.append(FieldChange("notes", "", recorded.payload["notes"]))
        return rows

    def check_approval(
        self,
        session: orm.Session,
        request: BillingRequest,
        comment: str,
        pricing: dict[str, Any] | None,
    ) -> None:
        parse_pricing(request.payload, pricing, default_days=None)

    def prepare(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> ApprovalPlan:
        """Price the quote once (a retry finds the quote it made) and plan its expiry."""
        quote = quote_for(session, change.request_id)
        if quote is None:
            try:
                pricing = parse_pricing(change.payload, change.pricing, settings.quote_valid_days)
            except ValidationFailed as error:
                raise ApplicationError(
                    error.message, type="ChangeRefused", non_retryable=True
                ) from error
            quote = new_quote(session, change, pricing)
        return ApprovalPlan(
            status=Status.QUOTED,
            result=quote_result(quote),
            due_at=end_of_day(quote.valid_until.isoformat()),
        )

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        """Create the account's purchase order from the quote's lines, once."""
        quote = quote_for(session, change.request_id)
        assert quote is not None
        if quote.purchase_order_id is None:
            account = session.get(Account, change.account_id)
            assert account is not None
            contact = account.billing_contact
            po = create_purchase_order(
                session,
                account.id,
                change.po_number,
                default_bill_to(account.name, contact.name if contact else None),
                purchase_order_lines(quote),
                quote.currency,
                notes=str(_l("From quote #%(id)d", id=change.request_id)),
            )
            quote.po_number, quote.purchase_order_id = change.po_number, po.id
            session.add(
                AuditEntry(
                    account_id=account.id,
                    request_id=change.request_id,
                    action="quote.accepted",
                    details={
                        "quote_id": quote.id,
                        "purchase_order_id": po.id,
                        "po_number": change.po_number,
                    },
                )
            )
            session.flush()
        return quote_result(quote)


def check_po_number(po_number: Any) -> str:
    if not isinstance(po_number, str) or not PO_NUMBER_PATTERN.match(po_number.strip()):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"po_number": str(_l("Your PO number: letters, digits, spaces and . / _ - only."))},
        )
    return po_number.strip()


def _currency(session: orm.Session, account_id: int | None) -> str:
    account = session.get(Account, account_id) if account_id else None
    return account.currency if account else "USD"
