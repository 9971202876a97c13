"""Errors as RFC 9457 problem details (`application/problem+json`), mapped from paa's error kinds.

A wrong value says which field it came from, as a 422 whose `errors` name the `loc` (the same field names the
CLI turns into its flags). Internal errors say nothing about their cause to the client; the log has it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "something went wrong inside paa; the server log has the details")

    app.add_exception_handler(PaaError, on_paa_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_anything)
