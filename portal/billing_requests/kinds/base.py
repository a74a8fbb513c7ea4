"""What a request type is: one `RequestKind` subclass per module of this package owns its
payload rules, its before/after description, its plan and apply steps, its forms, its template
fragments (templates/kinds/<type>/) and how its events' mails read. The generic workflow,
pages, API and activities ask the registry (`portal.billing_requests.kinds`), never a type by
name. Indico's RequestDefinitionBase is the model.

Forms here are plain WTForms classes (no Flask): the web layer adds CSRF by mixing them with
FlaskForm (portal/web/forms.py), so the worker can import every kind without Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import orm
from wtforms import SubmitField

from portal.billing_requests.events import MailText
from portal.billing_requests.steps import Step, Upload
from portal.config import Settings
from portal.form_fields import PortalForm
from portal.i18n import LazyText, _l
from workflows.lifecycle import Action, Event, RequestType
from workflows.messages import ApprovalPlan, ChangeInput

if TYPE_CHECKING:
    from portal.models import BillingRequest, User


# An apply step's result holds {APPLIED: {...}}: the values it wrote, as `describe` reads them.
APPLIED = "applied"


@dataclass(frozen=True)
class FieldChange:
    """One row of a request's before/after table."""

    field: str
    before: str
    after: str
    # What applying wrote, once it did (None before): what the request asked and what was
    # done stay side by side.
    applied: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What a request holds of its change: the `payload` asked, what it replaces (`before`, the
    snapshot read at submission) and what applying wrote (`applied`; empty until then)."""

    payload: Mapping[str, Any]
    before: Mapping[str, Any]
    applied: Mapping[str, Any]


def shortened(text: str, most: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1].rstrip() + "…"


class RequestForm(PortalForm):
    """The page a billing contact fills in to start a request of a kind."""

    submit = SubmitField(_l("Send to a technician"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> RequestForm:
        """The form for `user`, with choices read from the database where it needs them."""
        return cls()

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def field_map(self) -> dict[str, str]:
        """Payload field (as the rules name it) → the form field that shows its error."""
        return {}


class ActionForm(PortalForm):
    """What a person sends with an action of this kind, when it is more than a comment (a
    quote's pricing, a PO number, an answer's attachment)."""

    @classmethod
    def for_request(cls, item: BillingRequest, **kwargs: Any) -> ActionForm:
        return cls(**kwargs)

    def step(self) -> Step:
        raise NotImplementedError

    def upload(self) -> Upload | None:
        """A file sent with the action (stored before the workflow hears of it)."""
        return None

    def warning(self) -> str | None:
        """What the sender should see and confirm before this is sent (a quote of zero)."""
        return None

    def field_map(self) -> dict[str, str]:
        return {}


class RequestKind:
    name: ClassVar[RequestType]
    label: ClassVar[LazyText]
    # The title of the page that starts one (with `form`); None: no page of its own.
    new_title: ClassVar[LazyText | None] = None
    form: ClassVar[type[RequestForm] | None] = None
    # The forms of the actions that carry more than a comment, by action.
    action_forms: ClassVar[Mapping[Action, type[ActionForm]]] = {}
    # A technician may start it on an account's behalf (then a supervisor decides).
    staff_may_start: ClassVar[bool] = False
    # Technicians may approve several at once from the queue.
    approved_in_bulk: ClassVar[bool] = False
    # How this kind words an event's mail, where the generic text does not fit.
    mails: ClassVar[Mapping[Event, MailText]] = {}

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The payload to store, normalised; ValidationFailed with per-field messages."""
        raise NotImplementedError

    def snapshot(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """What the change replaces (and what it is expected to make), read when it is
        submitted and stored with it; `describe` shows it whatever changed since."""
        return {}

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        """The proposed change, before and after, with what was applied once it was."""
        raise NotImplementedError

    def check_approval(
        self,
        session: orm.Session,
        request: BillingRequest,
        comment: str,
        pricing: dict[str, Any] | None,
    ) -> None:
        """Refuse (ValidationFailed) an approval that lacks what this kind needs."""

    def prepare(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> ApprovalPlan | None:
        """What approving leads to before anything is applied (a quote to price, a date to
        wait for); None: apply at once, with no activity asked."""
        return None

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        """Make the change, once: a retried activity finds what it did before."""
        raise NotImplementedError

    def subscriptions_changed(self, result: dict[str, Any]) -> list[int]:
        """The subscriptions whose workflow must read them again once the change is committed
        (one added or reactivated starts its life)."""
        return []

    def lapse(self, session: orm.Session, result: dict[str, Any]) -> Event | None:
        """End what a completed change handed out and left unused (see LAPSE in
        workflows/messages.py); the event to record, or None when nothing lapsed."""
        return None

    def headline(self, payload: Mapping[str, Any]) -> str:
        """A few words that tell this request from another of its kind in a list."""
        for key in ("reason", "message", "details", "notes"):
            if payload.get(key):
                return shortened(str(payload[key]))
        return ""

    def mail_values(self, session: orm.Session, request: BillingRequest) -> dict[str, str]:
        """Placeholders of this kind's mail texts (%(contact)s…), in the reader's language."""
        return {}

    def mail_facts(self, session: orm.Session, request: BillingRequest, event: Event) -> list[str]:
        """What the request settled, for the mail of `event`: totals, dates, names; shown in
        the reader's language (composed inside portal.i18n.translated)."""
        return []

    @property
    def prepares_approval(self) -> bool:
        return type(self).prepare is not RequestKind.prepare

    def template(self, part: str) -> str:
        """One of this kind's template fragments (each optional): `new` (the fields of its
        form), `detail` (on the contact's request page), `task` (on the technician's task page),
        `approve` (the fields of its approval form)."""
        return f"kinds/{self.name}/{part}.html"
