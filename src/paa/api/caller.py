"""Who a request acts as, from its `Authorization: Bearer` header, and the contexts it may open.

Tokens travel only in that header (never in a URL, where logs and browser history keep them). Every route
gets a `Caller` and opens its transactions through it: reads need the `read` scope, writes `write`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from sqlmodel import Session

from paa.api.answers import Answers
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.bearer import Caller, Claim, ProvenTokens
from paa.core.changes import latest_id
from paa.core.context import Acting, Context
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


# Request state keys: the ETag layer asks (WANTS_VERSION) for the data version a read answered from (DATA_VERSION);
# CLAIM holds who a token proved before stands for (paa.api.limits.identify), "caller" whom a proof established.
WANTS_VERSION = "paa.wants_version"
DATA_VERSION = "paa.data_version"
CLAIM = "paa.claim"


async def prove(runtime: Runtime, token: str) -> Caller:
    """`authenticate`, without blocking the event loop on the database, and without a thread-pool trip where that
    costs more than the work: a token proved before, on a SQLite file, is one indexed read of a local file (readers
    never wait for SQLite's writer), and handing it to a thread and back took more of the process's time than the
    read itself (bench/api.py). Anything else (a first proof, PostgreSQL over the network) runs in the pool."""
    if runtime.engine.dialect.name == "sqlite" and runtime.service(ProvenTokens).knows(token):
        return authenticate(runtime, token)
    return await run_in_threadpool(authenticate, runtime, token)


class Api:
    """A request's runtime and caller: open contexts as the caller through it.

    A read (GET) whose token was proved before by this process gets the caller only as a `Claim` from the request's
    first layers (rate limit, ETag), and proves the token again inside its first read transaction, where it reads
    its data: one transaction per request, and a revocation from any process still holds at the very next request.
    Anything else that needs the caller (`caller`, `write`, `auth`) proves it first in a transaction of its own."""

    def __init__(
        self,
        runtime: Runtime,
        caller: Caller | None,
        state: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        claim: Claim | None = None,
        target: str | None = None,
    ) -> None:
        if caller is None and (token is None or claim is None):
            raise ValueError("an Api needs a caller, or a token and its claim")
        self.runtime = runtime
        self.state = state  # the request's state (paa.api.caching reads the data version there; the log the caller)
        self._caller = caller
        self._token = token
        self._claim = claim
        self.target = target  # the request's path and query, naming a kept answer (`remembered`)

    @property
    def caller(self) -> Caller:
        if self._caller is None:
            assert self._token is not None
            self._proved(authenticate(self.runtime, self._token))
        assert self._caller is not None
        return self._caller

    def _proved(self, caller: Caller) -> Caller:
        self._caller = caller
        if self.state is not None:
            self.state["caller"] = caller  # the access log names the user a proof established, never a claim
        return caller

    def _in_transaction(self, session: Session) -> Acting:
        assert self._token is not None
        now = self.runtime.security_clock.now()
        return self._proved(self.runtime.service(ProvenTokens).caller(session, self._token, now)).acting

    @contextmanager
    def read(self) -> Iterator[Context]:
        if self._caller is None:
            assert self._claim is not None
            if "read" not in self._claim.scopes:  # scopes are what the proof established for good
                self.caller.require("read")  # proves it (a revoked token is refused for that), then refuses
            opened = self.runtime.context(proving=self._in_transaction)
        else:
            self._caller.require("read")
            opened = self.runtime.context(acting=self._caller.acting)
        with opened as ctx:
            state = self.state
            if state is not None and state.get(WANTS_VERSION) and DATA_VERSION not in state:
                # The ETag's ingredients (paa.core.freshness), read in the route's own transaction and before its
                # data: a write landing in between can only pair newer data with an older tag (the client asks
                # again next time), never older data with a newer tag. ctx.prefs were read in it too.
                state[DATA_VERSION] = (latest_id(ctx.session.connection(), ctx.user_id), ctx.today())
            yield ctx

    def remembered(self, ctx: Context, make: Callable[[], Any]) -> Response:
        """`make()`'s JSON as a 200 answer, kept for this request's next asking while the data is as it is now.

        Only for a read (`ctx` from `read`) whose answer depends on nothing but the user's data, their habit day
        and the request's path and query (paa.api.answers): the kept body is found again only at the same data
        version, read here in the route's own transaction before `make()` reads the data. `make()` gives core's JSON
        (only strings, numbers, lists and dicts), encoded as it is: a route's plain return would go through FastAPI's
        jsonable_encoder, which walks every value again (a tenth of a habit list's time in bench/api.py)."""
        if self.target is None:
            return JSONResponse(make())
        version = self.state.get(DATA_VERSION) if self.state is not None else None
        if version is None:
            version = (latest_id(ctx.session.connection(), ctx.user_id), ctx.today())
        answers = self.runtime.service(Answers)
        body = answers.answer(ctx.user_id, self.target, version, lambda: bytes(JSONResponse(make()).body))
        return Response(body, media_type="application/json")

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


READ_METHODS = frozenset({"GET", "HEAD"})


async def api(request: Request) -> Api:
    # async: the token is almost always proved already (a first use, by paa.api.limits.identify) or will be in the
    # route's own read transaction (a GET of a token proved before), and a sync dependency would cost every request
    # a trip through the thread pool for nothing; the database is read here, in the pool, only otherwise.
    token = bearer_token(request)
    state: dict[str, Any] = request.scope.setdefault("state", {})
    runtime = runtime_of(request)
    query = request.scope.get("query_string", b"").decode("latin-1")
    target = request.scope["path"] + (f"?{query}" if query else "")
    caller: Caller | None = state.get("caller")
    if caller is None:
        claim: Claim | None = state.get(CLAIM)
        if claim is not None and request.method in READ_METHODS:  # proved in the route's read transaction
            return Api(runtime, None, state, token=token, claim=claim, target=target)
        caller = await prove(runtime, token)
        state["caller"] = caller  # the access log names it
    return Api(runtime, caller, state, target=target)


class _Bearer(HTTPBearer):
    """The bearer scheme as the OpenAPI schema states it, answering the request's `Api` itself: one dependency per
    route, not a second one only for the schema (FastAPI resolves each for every request)."""

    async def __call__(self, request: Request) -> Api:  # type: ignore[override]
        return await api(request)


BEARER = _Bearer(
    auto_error=False, scheme_name="bearer", description="An access token from /auth/login, or an API token."
)
CallerApi = Annotated[Api, Depends(BEARER)]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
