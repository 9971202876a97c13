"""Who a request acts as, from its `Authorization: Bearer` header, and the contexts it may open.

Tokens travel only in that header (never in a URL, where logs and browser history keep them). Every route
gets a `Caller` and opens its transactions through it: reads need the `read` scope, writes `write`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from sqlmodel import Session

from paa.core.accounts.auth import AuthContext
from paa.core.accounts.bearer import Caller, ProvenTokens
from paa.core.changes import latest_id
from paa.core.context import Context
from paa.core.runtime import Runtime
from paa.errors import AuthError


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("this needs a bearer token", hint="send `Authorization: Bearer <token>`; log in for one")
    return token.strip()


def authenticate(runtime: Runtime, token: str) -> Caller:
    """Check a bearer token on the real clock (never PAA_NOW: lifetimes are a security decision).

    A token proved before is only checked for what can revoke it (`ProvenTokens`: one statement, and a revocation
    from any process holds at the next request)."""
    with Session(runtime.engine, expire_on_commit=False) as session:
        return runtime.service(ProvenTokens).caller(session, token, runtime.security_clock.now())


# Request state keys: the ETag layer asks (WANTS_VERSION) for the data version a read answered from (DATA_VERSION).
WANTS_VERSION = "paa.wants_version"
DATA_VERSION = "paa.data_version"


async def prove(runtime: Runtime, token: str) -> Caller:
    """`authenticate`, without blocking the event loop on the database, and without a thread-pool trip where that
    costs more than the work: a token proved before, on a SQLite file, is one indexed read of a local file (readers
    never wait for SQLite's writer), and handing it to a thread and back took more of the process's time than the
    read itself (bench/api.py). Anything else (a first proof, PostgreSQL over the network) runs in the pool."""
    if runtime.engine.dialect.name == "sqlite" and runtime.service(ProvenTokens).knows(token):
        return authenticate(runtime, token)
    return await run_in_threadpool(authenticate, runtime, token)


@dataclass
class Api:
    """A request's runtime and caller: open contexts as the caller through it."""

    runtime: Runtime
    caller: Caller
    state: dict[str, Any] | None = None  # the request's state (paa.api.caching reads the data version there)

    @contextmanager
    def read(self) -> Iterator[Context]:
        self.caller.require("read")
        with self.runtime.context(acting=self.caller.acting) as ctx:
            state = self.state
            if state is not None and state.get(WANTS_VERSION) and DATA_VERSION not in state:
                # The ETag's ingredients (paa.core.freshness), read in the route's own transaction and before its
                # data: a write landing in between can only pair newer data with an older tag (the client asks
                # again next time), never older data with a newer tag. ctx.prefs were read in it too.
                state[DATA_VERSION] = (latest_id(ctx.session.connection(), ctx.user_id), ctx.today())
            yield ctx

    @contextmanager
    def write(self) -> Iterator[Context]:
        self.caller.require("write")
        with self.runtime.context(write=True, acting=self.caller.acting) as ctx:
            yield ctx

    @contextmanager
    def auth(self, *, write: bool = False) -> Iterator[AuthContext]:
        """An account transaction acting as the caller (profile, password, tokens); scopes checked as for data."""
        self.caller.require("write" if write else "read")
        with self.runtime.auth(write=write, acting=self.caller.acting) as actx:
            yield actx


# Only so that the OpenAPI schema states which routes need a bearer token; `bearer_token` reads the header itself.
BEARER = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="An access token from /auth/login, or an API token."
)


async def api(request: Request, _declared: Annotated[object, Depends(BEARER)] = None) -> Api:
    # async: the rate limiter has almost always proved the token already (paa.api.limits.identify), and a sync
    # dependency would cost every request a trip through the thread pool for nothing; the database is read in
    # the pool only when it did not.
    token = bearer_token(request)
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        caller = await prove(runtime_of(request), token)
    request.state.caller = caller  # the access log and the rate limiter key on it
    return Api(runtime_of(request), caller, request.scope.setdefault("state", {}))


CallerApi = Annotated[Api, Depends(api)]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
