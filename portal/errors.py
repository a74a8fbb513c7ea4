"""Errors the operations raise; pages flash them, the API turns them into JSON with `error`."""

from __future__ import annotations

from portal.i18n import _l


class PortalError(Exception):
    status = 400
    # A stable name of the error for API clients (the message is translated, this is not).
    code = "invalid"

    # Seconds a client should wait before trying again (429, 503): the Retry-After header.
    retry_after: int | None = None

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}
        if code is not None:
            self.code = code


class ValidationFailed(PortalError):
    status = 400
    code = "validation_failed"


class Forbidden(PortalError):
    status = 403
    code = "forbidden"


class NotFound(PortalError):
    status = 404
    code = "not_found"


class Conflict(PortalError):
    status = 409
    code = "conflict"


class ServiceUnavailable(PortalError):
    status = 503
    code = "service_unavailable"
    retry_after = 5


# Why the workflow refused an action, by the rule's code (workflows/lifecycle.py).
REFUSAL_MESSAGES = {
    "staff_only": _l("Only LogMeIn technicians can do this."),
    "supervisor_only": _l("Only a supervisor can reassign a request."),
    "own_request": _l("You cannot decide a request you submitted yourself."),
    "already_decided": _l("This request has already been decided."),
    "cancelled": _l("This request was cancelled: there is nothing left to decide."),
    "expired": _l("This request has expired: there is nothing left to decide."),
    "already_claimed": _l("Another technician has already claimed this request."),
    "not_claimed": _l("Claim this request before deciding it."),
    "claimed_by_other": _l("This request is claimed by another technician."),
    "already_waiting": _l("A question is already waiting for the customer's answer."),
    "no_question_pending": _l("No question is waiting for an answer."),
    "not_your_request": _l("Only the account's billing contact can do this."),
    "assignee_not_staff": _l("Requests can only be assigned to technicians."),
    "assignee_is_requester": _l("A request cannot be assigned to the person who submitted it."),
    "supervisor_decides": _l(
        "A technician started this request for the customer: a supervisor must decide it."
    ),
    "assignee_not_supervisor": _l("A request a technician started goes to a supervisor."),
    "no_quote_pending": _l("There is no quote waiting for an answer."),
    "not_failed": _l("Only a request that could not be applied can be retried."),
}


def refused(error: type[PortalError], code: str) -> PortalError:
    """The workflow's refusal `code` as the portal's error, the code kept for API clients."""
    known = code if code in REFUSAL_MESSAGES else None
    return error(refusal_message(code), code=known)


def refusal_message(code: str) -> str:
    return str(REFUSAL_MESSAGES.get(code, _l("This action is not possible now.")))
