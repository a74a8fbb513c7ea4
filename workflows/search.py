"""Search attributes operators filter on in the Temporal UI; registered when the server starts."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REQUEST_TYPE = SearchAttributeKey.for_keyword("BillingRequestType")
REQUEST_STATUS = SearchAttributeKey.for_keyword("BillingRequestStatus")
ACCOUNT_ID = SearchAttributeKey.for_int("BillingAccountId")
ASSIGNEE_ID = SearchAttributeKey.for_int("BillingAssigneeId")

ALL_KEYS = (REQUEST_TYPE, REQUEST_STATUS, ACCOUNT_ID, ASSIGNEE_ID)


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += [
            "--search-attribute",
            f"{key.name}={key.indexed_value_type.name.split('_')[-1].title()}",
        ]
    return flags
