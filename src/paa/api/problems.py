"""Errors as RFC 9457 problem details (`application/problem+json`), mapped from paa's error kinds.

A wrong value says which field it came from, as a 422 whose `errors` name the `loc` (the same field names the
CLI turns into its flags). Internal errors say nothing about their cause to the client; the log has it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from paa.errors import (
    AuthError,
    ConfigError,
    Conflict,
    InvalidInput,
    NotConfirmed,
    NotFound,
    PaaError,
    PermissionDenied,
    StorageError,
    TooManyAttempts,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("paa.api")

# (status, problem slug) per error kind; the first match in this order wins (NotConfirmed before its base).
STATUS_OF: tuple[tuple[type[PaaError], int, str], ...] = (
    (TooManyAttempts, 429, "too-many-requests"),
    (InvalidInput, 422, "invalid-input"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (AuthError, 401, "unauthorized"),
    (PermissionDenied, 403, "forbidden"),
    (NotConfirmed, 409, "confirmation-required"),
    (StorageError, 503, "storage-unavailable"),
    (ConfigError, 500, "configuration"),
)
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


def problem(
    status: int, slug: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update({key: value for key, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def from_error(exc: PaaError) -> JSONResponse:
    status, slug = 500, "error"
    for kind, code, name in STATUS_OF:
        if isinstance(exc, kind):
            status, slug = code, name
            break
    # Core names fields in backticks (`target`): the API's field names are core's, so the text stands as it is.
    detail, hint = exc.message, exc.hint
    headers = {"WWW-Authenticate": 'Bearer realm="paa"'} if status == 401 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    errors = [{"loc": ["body", exc.field], "msg": detail, "type": slug}] if exc.field else None
    return problem(status, slug, detail, headers=headers, hint=hint, field=exc.field, errors=errors)


def _validation(exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "")), "type": error["type"]}
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:]) or "request"
    field = first["loc"][-1] if len(first["loc"]) > 1 else None
    return problem(422, "invalid-input", f"{where}: {first['msg']}", field=field, errors=errors)


def install(app: FastAPI) -> None:
    """Answer every error of `app` as a problem document."""

    async def on_paa_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PaaError)
        return from_error(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation(exc)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = TITLES.get(exc.status_code, "error").lower().replace(" ", "-")
        return problem(exc.status_code, slug, str(exc.detail), headers=dict(exc.headers or {}) or None)

    async def on_anything(request: Request, exc: Exception) -> JSONResponse:
        from paa.db.errors import as_storage_error

        storage = as_storage_error(exc)  # a locked or missing database, a sealed column without its data key
        if storage is not None:
            return from_error(storage)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "something went wrong inside paa; the server log has the details")

    app.add_exception_handler(PaaError, on_paa_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_anything)


# --- the problems in the OpenAPI schema ---------------------------------------------------------


class ProblemError(BaseModel):
    loc: list[str] = Field(examples=[["body", "target"]])
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")  # a problem may carry members of its own (RFC 9457 3.2)

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no habit matches '42'"])
    hint: str | None = None
    field: str | None = Field(default=None, description="The request field the error is about (422).")
    errors: list[ProblemError] | None = Field(default=None, description="Each invalid field, with where it is.")


# What each status means on any route that can answer it; a route's own description of a code wins.
MEANINGS = {
    400: "The request is malformed (e.g. a Content-Length that is not a number).",
    401: "No bearer token, or one that is expired, revoked or not paa's.",
    403: "The token lacks the scope this needs (`read` or `write`), or the caller's role does not allow it.",
    404: "No such item of yours: another user's id is answered exactly like a missing one.",
    409: "It conflicts with what exists, or a confirmation is required first.",
    413: "The request body is larger than the server's limit.",
    422: "A value is invalid; `field` and `errors[].loc` name it.",
    429: "Too many requests from this caller (or, before login, this address); `Retry-After` says when to retry.",
    503: "The database is unavailable.",
}
_REF = {"$ref": "#/components/schemas/Problem"}


NAMING_QUERIES = {"position"}  # query parameters that name an item of the caller's without ending in `_id`


def _errors_of(path: str, method: str, operation: dict[str, Any], prefix: str) -> set[int]:
    """The problem statuses an operation can answer: what authentication, its parameters and body, and the
    middleware around every API route (rate limit, body size, storage) can give."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if not path.startswith(prefix):
        return {503} if path == "/readyz" else set()  # operations: only readiness depends on the database
    codes = {429, 503}
    if operation.get("security"):
        codes |= {401, 403}
    if path.startswith(f"{prefix}/auth/"):
        codes |= {401, 409}  # a wrong password, a spent refresh token; a user name that is taken
    if any(
        parameter.get("in") == "path" or parameter["name"] in NAMING_QUERIES or parameter["name"].endswith("_id")
        for parameter in parameters
    ):
        codes.add(404)  # a path item, or a query naming one (`conversation_id`, a prompt's place), may not exist
    if has_body:
        codes |= {400, 413}
    if has_body or parameters:
        codes.add(422)
    if method != "get":
        codes.add(409)
    return codes


def document(app: FastAPI, prefix: str) -> None:
    """State in `app`'s OpenAPI schema the problem documents each operation can answer (application/problem+json),
    in place of FastAPI's own validation error, which paa never sends."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's cached schema, built again when routes were added since
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" in schemas:
            return schema
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                answers = operation.setdefault("responses", {})
                declared = {int(code) for code in answers if code[0] in "45"}  # a route's own, e.g. chat's 404
                for code in sorted(_errors_of(path, method, operation, prefix) | declared):
                    answer = answers.setdefault(str(code), {})
                    if answer.get("description") in (None, "Validation Error"):
                        answer["description"] = MEANINGS.get(code, TITLES.get(code, "Error"))
                    answer["content"] = {PROBLEM_JSON: {"schema": _REF}}
        defined = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(defined.pop("$defs", {}))
        schemas["Problem"] = defined
        for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, which paa never sends
            schemas.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to amend the schema
