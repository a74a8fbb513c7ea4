"""What every API reply and list shares, as models for the OpenAPI document (portal.web.openapi)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from portal.db import MAX_ROW_ID

# Ids are rows of our tables: positive and within what an id column holds (portal.db.row_id).
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
ShortText = Annotated[str, Field(max_length=200)]


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """A reply: later versions may add fields, which clients must ignore."""

    model_config = ConfigDict(extra="allow")


class ErrorReply(Reply):
    error: str = Field(description="What went wrong, in the caller's language")
    code: str = Field(description="A stable name of the error, e.g. validation_failed, conflict")
    fields: dict[str, str] | None = Field(None, description="The fields at fault, with why")


class Person(Reply):
    id: int
    name: str


JsonObject = dict[str, Any]
