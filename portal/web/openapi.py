"""The API's description, written from the code: every endpoint declares its body, query and
replies as pydantic models (each feature's schemas.py) with `@described(...)`; spectree
validates what comes in against them (a 400 naming the field, in the caller's language, before
the view runs) and what goes out (a reply that breaks the document is a 500, so the document
cannot drift from the code), and writes /api/v1/openapi.json. /api/docs shows the same document
as a page of ours: no script, nothing fetched from elsewhere."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, jsonify, render_template, request
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from portal.errors import ValidationFailed
from portal.i18n import _
from portal.web.api_models import ErrorReply
from portal.web.input_guard import refuse_unreadable

F = TypeVar("F", bound=Callable[..., Any])

# Every call may meet these: no token, a scope short, a rule refused, a race lost, too many
# tries, Temporal away. Each endpoint adds the ones of its own (400, 404, 409...).
ALWAYS = (401, 403, 429, 503)


def _refuse_invalid(
    req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any
) -> None:
    """Before the view: the body is a readable JSON object, and it matches its model."""
    forms = ("multipart/form-data", "application/x-www-form-urlencoded")
    sent = req.method not in ("GET", "DELETE", "HEAD") and req.mimetype not in forms
    if sent and req.get_data(cache=True).strip():
        body = req.get_json(silent=True)
        if not isinstance(body, dict):
            message = _("Must be a JSON object.")
            raise ValidationFailed(_("The body must be a JSON object."), {"body": message})
        refuse_unreadable(body)
    if isinstance(error, ValidationError):
        fields = {_field_name(item["loc"]): _message(item) for item in error.errors()}
        first = next(iter(fields))
        raise ValidationFailed(_("%(field)s: %(why)s", field=first, why=fields[first]), fields)


def _field_name(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location) or "body"


def _message(error: Any) -> str:
    """Pydantic's reasons in the caller's language, with the rule's figures."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_type", "string_sub_type"):
        return _("Must be text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Must be a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Must be true or false.")
    if kind in ("enum", "literal_error"):
        return _("One of: %(choices)s.", choices=context.get("expected", ""))
    if kind == "string_too_long":
        return _("At most %(count)s characters.", count=context.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(count)s characters.", count=context.get("min_length"))
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _("Out of the allowed range.")
    if kind in ("list_type", "too_short", "too_long"):
        return _("A list of the allowed length.")
    if kind in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"):
        return _("A moment such as 2027-01-31T09:00:00Z.")
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return _("A date such as 2027-01-31.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Must be a JSON object.")
    if kind == "extra_forbidden":
        return _("Not a field of this call.")
    return _("This value is not valid here.")


api_spec = SpecTree(
    "flask",
    mode="strict",
    # Routes under `path` are left out of the document: the docs page is there.
    path="api/docs",
    page_templates={},
    annotations=True,
    title="Corporate Billing Portal API",
    version="1",
    description=(
        "Billing requests of Corporate accounts, their approval by LogMeIn technicians, and "
        "the billing centre. Errors are `{error, code, fields}`; lists take `limit`, `cursor` "
        "and `updated_since`; webhooks are signed (see the README, 'Integrating')."
    ),
    validation_error_status=400,
    validation_error_model=ErrorReply,
    before=_refuse_invalid,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="A person's or service token"
            ),
        )
    ],
    security={"bearer": []},
)


def described(
    tag: str,
    replies: dict[int, type[BaseModel] | None],
    errors: Sequence[int] = (),
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    public: bool = False,
    bearer_optional: bool = False,
    gate: Callable[..., object] | None = None,
) -> Callable[[F], F]:
    """An endpoint's entry in the document, and the validation of its query and body (the
    view takes `query=`/`json=`/`form=` as the models' instances). `gate`, called with the
    path's arguments, is the operation's own check of who may call it: run before the body is
    looked at, so a caller who may not is told so (403/404), whatever they sent."""
    codes: dict[str, Any] = {f"HTTP_{code}": model for code, model in replies.items()}
    for code in (*errors, *(() if public else ALWAYS)):
        codes.setdefault(f"HTTP_{code}", ErrorReply)
    validate = api_spec.validate(
        query=query,
        json=json,
        form=form,
        resp=Response(**codes),
        tags=[tag],
        # Public: no token; optional: no token, or a bearer one (it then changes the answer).
        security=[{}, {"bearer": []}] if bearer_optional else {} if public else None,
    )

    def decorate(view: F) -> F:
        validated = validate(view)
        if gate is None:
            return cast(F, validated)

        @wraps(validated)
        def gated(*args: Any, **kwargs: Any) -> Any:
            gate(**kwargs)
            return validated(*args, **kwargs)

        return cast(F, gated)

    return decorate


def init_app(app: Flask) -> None:
    @app.get("/api/v1/openapi.json")
    def openapi_document() -> Any:
        return jsonify(document())

    @app.get("/api/docs")
    def api_docs() -> str:
        return render_template("api_docs.html", spec=document())


# Models the document describes that no endpoint validates (a request type's payload), and
# the field of a body that takes any one of them: (models, body model's name, field).
_described_only: list[tuple[tuple[type[BaseModel], ...], str, str]] = []


def also_describe(models: tuple[type[BaseModel], ...], owner: str, field: str) -> None:
    _described_only.append((models, owner, field))


def document() -> dict[str, Any]:
    """The document, with this server's address."""
    return {**_described(), "servers": [{"url": request.host_url.rstrip("/")}]}


@functools.cache
def _described() -> dict[str, Any]:
    # Written once per process: the routes and models do not change while it runs.
    spec: dict[str, Any] = copy.deepcopy(api_spec.spec)
    schemas = spec["components"]["schemas"]
    for models, owner, field in _described_only:
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        if owner in schemas:
            refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
            schemas[owner]["properties"][field]["anyOf"] = refs
    _link(spec)
    return spec


# Where a client finds the id an operation's path takes: (method, path, status, JSON pointer).
# The document links them, so a client (and schemathesis) can go from a list or a creation to
# the operations on the item.
ID_SOURCES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "request_id": (
        ("post", "/api/v1/requests", "202", "/id"),
        ("get", "/api/v1/requests", "200", "/items/0/id"),
        ("get", "/api/v1/tasks", "200", "/items/0/id"),
    ),
    "subscription_id": (("get", "/api/v1/subscriptions", "200", "/items/0/id"),),
    "invoice_id": (("get", "/api/v1/invoices", "200", "/items/0/id"),),
    "po_id": (("get", "/api/v1/purchase-orders", "200", "/items/0/id"),),
    "endpoint_id": (
        ("post", "/api/v1/webhooks", "201", "/id"),
        ("get", "/api/v1/webhooks", "200", "/items/0/id"),
    ),
    "token_id": (("get", "/api/v1/tokens", "200", "/items/0/id"),),
    "session_id": (("get", "/api/v1/sessions", "200", "/items/0/id"),),
}


def _link(spec: dict[str, Any]) -> None:
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            wanted = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            for name in wanted:
                for method, source, status, pointer in ID_SOURCES.get(name, ()):
                    reply = spec["paths"].get(source, {}).get(method, {}).get("responses", {})
                    if status not in reply or source == path:
                        continue
                    links = reply[status].setdefault("links", {})
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {name: f"$response.body#{pointer}"},
                    }
