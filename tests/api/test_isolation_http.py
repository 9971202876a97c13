"""Isolation over HTTP: Bob, with his own valid token, against every route of the app that names an object, aimed at
Alice's real objects (her habit, check-in day, reminder, habit reminder, memory, API token, conversation, pending
confirmation).

Each case passes when Bob gets 404, exactly as for an id that does not exist (never 200, never a 403 that would say
the object is there), his answer holds none of Alice's text (all of it carries the word "alpha"), and Alice's rows in
every table are byte for byte as before. A control then sends the same request as Alice and shows it reaches her
object, so Bob's 404 is not an accident of a wrong id.

`test_every_route_is_classified` keeps this complete: every operation of the app's OpenAPI schema is either a case
here (it names an object: a path parameter, or a conversation id) or listed in ACTS_ON_THE_CALLER with the reason it
cannot name another user's object; a new route fails it until it is one or the other.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import create_app
from paa.clock import FixedClock
from tests.api.conftest import PASSWORD, Account, register
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.runtime import runtime_for

MARK = "alpha"
ALPHA_KEY = {"Idempotency-Key": "alpha-key-1"}  # Alice's idempotency key for a log of hers (and, Bob tries, his)


@pytest.fixture
def http(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[TestClient]:
    """The app on a server runtime, the SDK pointed at the fake Anthropic server (set before the runtime is built)."""
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        yield client


@dataclass
class World:
    """Alice's objects (each holding "alpha"), and Bob, who owns one habit of his own."""

    http: TestClient
    fake: FakeAnthropic
    alice: Account
    bob: Account
    habit: int = 0
    reminder: int = 0
    memory: int = 0
    token: int = 0
    conversation: int = 0
    confirmation: str = ""
    day: str = "2026-11-26"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Path:
        runtime = self.http.app.state.runtime  # type: ignore[attr-defined]
        return Path(runtime.paths.database_file)


def _ok(answer: Any) -> Any:
    assert answer.is_success, answer.text
    return answer.json() if answer.content else None


@pytest.fixture
def world(http: TestClient, fake_anthropic: FakeAnthropic) -> World:
    alice, bob = register(http, "alice"), register(http, "bob")
    found = World(http, fake_anthropic, alice, bob)
    found.habit = _ok(alice.post("/api/v1/habits", json={"name": "alpha run", "remind": "09:00"}))["id"]
    _ok(alice.post(f"/api/v1/habits/{found.habit}/log", json={"date": "yesterday", "note": "alpha note"}))
    _ok(alice.post(f"/api/v1/habits/{found.habit}/log", json={"note": "alpha keyed"}, headers=ALPHA_KEY))
    reading = {"sentiment_score": 0.4, "sentiment_label": "positive", "summary": "An alpha day.", "follow_up": None}
    fake_anthropic.push(reply(json.dumps(reading)))  # the model reads the check-in after it is saved
    _ok(alice.post("/api/v1/checkins/daily", json={"mood": 4, "answers": ["alpha day"]}))
    found.reminder = _ok(alice.post("/api/v1/reminders", json={"text": "alpha call", "at": "today 18:00"}))["id"]
    found.memory = _ok(alice.post("/api/v1/memory", json={"text": "alpha fact: allergic to peanuts"}))["id"]
    found.token = _ok(alice.post("/api/v1/auth/tokens", json={"name": "alpha phone"}))["id"]
    fake_anthropic.push(reply("Shall I? alpha", tools=[("delete_habit", {"habit": "alpha run"})]))
    answer = _ok(alice.post("/api/v1/chat/message", json={"message": "alpha secret: delete my run"}))
    found.conversation, found.confirmation = answer["conversation_id"], answer["confirmation"]["id"]
    upload = {"file": ("alpha notes.txt", b"alpha attachment text", "text/plain")}
    found.extra["upload"] = _ok(alice.post("/api/v1/chat/attachments", files=upload))["id"]
    login = _ok(http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}))
    sessions = _ok(alice.get("/api/v1/auth/sessions"))  # the newest first: the login just made
    assert login["refresh_token"] and len(sessions) == 2
    found.extra["session"] = sessions[0]["id"]
    _ok(bob.post("/api/v1/habits", json={"name": "bravo walk"}))
    return found


# ---- the cases: what Bob sends, aimed at Alice's objects -------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    params: dict[str, Any] | None = None
    replies: int = 0  # model replies the fake server needs if the call reaches the model (the control's)
    headers: dict[str, str] | None = None

    def send(self, account: Account) -> Any:
        headers = {**account.headers, **(self.headers or {})}
        return account.http.request(self.method, self.url, json=self.json, params=self.params, headers=headers)


Build = Callable[[World], Call]
H = "/api/v1/habits/{habit_id}"
R = "/api/v1/reminders"


def _h(w: World, tail: str = "") -> str:
    return f"/api/v1/habits/{w.habit}{tail}"


CASES: dict[tuple[str, str], list[Build]] = {
    ("GET", H): [lambda w: Call("GET", _h(w))],
    ("PATCH", H): [lambda w: Call("PATCH", _h(w), {"name": "bravo mine"})],
    ("PUT", H): [lambda w: Call("PUT", _h(w), {"name": "bravo mine"})],
    ("DELETE", H): [lambda w: Call("DELETE", _h(w))],
    ("POST", H + "/archive"): [lambda w: Call("POST", _h(w, "/archive"))],
    ("POST", H + "/unarchive"): [lambda w: Call("POST", _h(w, "/unarchive"))],
    ("POST", H + "/log"): [
        lambda w: Call("POST", _h(w, "/log"), {"note": "bravo"}),
        lambda w: Call("POST", _h(w, "/log"), {"note": "alpha keyed"}, headers=ALPHA_KEY),  # her request, her key
    ],
    ("DELETE", H + "/log"): [lambda w: Call("DELETE", _h(w, "/log"), params={"date": "yesterday"})],
    ("POST", H + "/skip"): [
        lambda w: Call("POST", _h(w, "/skip"), {}),
        lambda w: Call("POST", _h(w, "/skip"), {}, headers={"Idempotency-Key": "alpha-key-2"}),
    ],
    ("GET", H + "/history"): [lambda w: Call("GET", _h(w, "/history"))],
    ("GET", "/api/v1/analytics/habits/{habit_id}"): [lambda w: Call("GET", f"/api/v1/analytics/habits/{w.habit}")],
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): [lambda w: Call("DELETE", f"/api/v1/auth/tokens/{w.token}")],
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): [
        lambda w: Call("DELETE", f"/api/v1/auth/sessions/{w.extra['session']}"),
    ],
    ("DELETE", "/api/v1/chat/conversations/{conversation_id}"): [
        lambda w: Call("DELETE", f"/api/v1/chat/conversations/{w.conversation}"),
    ],
    ("GET", "/api/v1/checkins/{day}"): [
        lambda w: Call("GET", f"/api/v1/checkins/{w.day}"),
        lambda w: Call("GET", "/api/v1/checkins/today"),
    ],
    ("PATCH", "/api/v1/checkins/{day}"): [lambda w: Call("PATCH", f"/api/v1/checkins/{w.day}", {"mood": 1})],
    ("PATCH", R + "/{reminder_id}"): [lambda w: Call("PATCH", f"{R}/{w.reminder}", {"text": "bravo"})],
    ("DELETE", R + "/{reminder_id}"): [lambda w: Call("DELETE", f"{R}/{w.reminder}")],
    ("POST", R + "/{ref}/snooze"): [
        lambda w: Call("POST", f"{R}/{w.reminder}/snooze", {"for": "1h"}),
        lambda w: Call("POST", f"{R}/habit:{w.habit}/snooze", {"for": "1h"}),
    ],
    ("POST", R + "/{ref}/done"): [
        lambda w: Call("POST", f"{R}/{w.reminder}/done"),
        lambda w: Call("POST", f"{R}/habit:{w.habit}/done"),
    ],
    ("DELETE", "/api/v1/memory/{memory_id}"): [lambda w: Call("DELETE", f"/api/v1/memory/{w.memory}")],
    ("POST", "/api/v1/chat/confirm/{confirmation_id}"): [
        lambda w: Call("POST", f"/api/v1/chat/confirm/{w.confirmation}", {"approve": True}, replies=1),
    ],
    # the chat names a conversation in its query or body rather than its path
    ("GET", "/api/v1/chat/history"): [
        lambda w: Call("GET", "/api/v1/chat/history", params={"conversation_id": w.conversation}),
    ],
    ("GET", "/api/v1/chat/context"): [
        lambda w: Call("GET", "/api/v1/chat/context", params={"conversation_id": w.conversation}),
    ],
    ("POST", "/api/v1/chat/message"): [
        lambda w: Call(
            "POST", "/api/v1/chat/message", {"message": "and?", "conversation_id": w.conversation}, replies=1
        ),
        lambda w: Call(
            "POST", "/api/v1/chat/message", {"message": "read", "attachments": [w.extra["upload"]]}, replies=1
        ),
    ],
    ("GET", "/api/v1/chat/attachments/{attachment_id}"): [
        lambda w: Call("GET", f"/api/v1/chat/attachments/{w.extra['upload']}"),
    ],
}

# Operations that cannot name another user's object: each acts on the caller's own data as a whole, or on none.
ACTS_ON_THE_CALLER: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "no user data",
    ("GET", "/readyz"): "no user data",
    ("GET", "/metrics"): "process figures, no user data",
    ("POST", "/api/v1/auth/register"): "creates a new account",
    ("POST", "/api/v1/auth/login"): "a password proves the account",
    ("POST", "/api/v1/auth/refresh"): "the refresh token is the proof (tests/api/test_token_attacks.py)",
    ("POST", "/api/v1/auth/logout"): "ends the caller's own login",
    ("POST", "/api/v1/auth/browser/login"): "a password proves the account",
    ("POST", "/api/v1/auth/browser/refresh"): "the cookie is the proof (tests/api/test_browser_auth.py)",
    ("POST", "/api/v1/auth/browser/logout"): "ends the login of the cookie the browser holds",
    ("GET", "/api/v1/auth/browser/providers"): "the install's configured providers, no one's data",
    ("POST", "/api/v1/auth/browser/oauth/start"): "starts a device login; the provider proves who approves",
    ("POST", "/api/v1/auth/browser/oauth/poll"): "the cookie's device code and the provider's identity "
    "prove the account (tests/api/test_browser_oauth.py)",
    ("GET", "/api/v1/auth/whoami"): "the caller",
    ("GET", "/api/v1/auth/tokens"): "the caller's tokens",
    ("POST", "/api/v1/auth/tokens"): "makes a token for the caller",
    ("POST", "/api/v1/chat/attachments"): "stores an upload of the caller's",
    ("GET", "/api/v1/users/me"): "the caller",
    ("PATCH", "/api/v1/users/me"): "the caller",
    ("GET", "/api/v1/users/me/preferences"): "the caller",
    ("PATCH", "/api/v1/users/me/preferences"): "the caller",
    ("GET", "/api/v1/users/profile"): "the caller (the seed's path for /users/me)",
    ("PUT", "/api/v1/users/profile"): "the caller (the seed's path for /users/me)",
    ("GET", "/api/v1/users/preferences"): "the caller (the seed's path for /users/me/preferences)",
    ("PUT", "/api/v1/users/preferences"): "the caller (the seed's path for /users/me/preferences)",
    ("GET", "/api/v1/habits"): "the caller's habits",
    ("POST", "/api/v1/habits"): "adds to the caller's habits",
    ("GET", "/api/v1/habits/today"): "the caller's habits",
    ("POST", "/api/v1/checkins/daily"): "the caller's check-in",
    ("GET", "/api/v1/checkins/history"): "the caller's check-ins",
    ("GET", "/api/v1/checkins/prompts"): "the caller's prompts",
    ("POST", "/api/v1/checkins/prompts"): "adds to the caller's prompts",
    ("DELETE", "/api/v1/checkins/prompts"): "a place in the caller's own list of prompts",
    ("POST", "/api/v1/checkins/prompts/move"): "a prompt of the caller's own list, named by its text",
    ("GET", "/api/v1/auth/sessions"): "the caller's logins",
    ("GET", "/api/v1/chat/search"): "the caller's messages",
    ("GET", "/api/v1/analytics/habits/summary"): "the caller's figures",
    ("GET", "/api/v1/analytics/mood"): "the caller's figures",
    ("GET", "/api/v1/analytics/engagement"): "the caller's figures",
    ("GET", "/api/v1/analytics/insights"): "the caller's figures",
    ("GET", R): "the caller's reminders",
    ("POST", R): "adds to the caller's reminders",
    ("GET", R + "/upcoming"): "the caller's reminders",
    ("GET", R + "/history"): "the caller's notifications",
    ("GET", "/api/v1/memory"): "the caller's memories",
    ("POST", "/api/v1/memory"): "adds to the caller's memories",
    ("GET", "/api/v1/memory/search"): "the caller's memories",
    ("POST", "/api/v1/voice/transcribe"): "transcribes the audio sent; reads and stores no one's data",
}


def _operations(http: TestClient) -> set[tuple[str, str]]:
    schema = http.app.openapi()  # type: ignore[attr-defined]
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def _has_object(http: TestClient, operation: tuple[str, str]) -> bool:
    method, path = operation
    spec = http.app.openapi()["paths"][path][method.lower()]  # type: ignore[attr-defined]
    return any(parameter["in"] == "path" for parameter in spec.get("parameters", []))


def test_every_route_is_classified(http: TestClient) -> None:
    operations = _operations(http)
    unknown = sorted(operations - set(CASES) - set(ACTS_ON_THE_CALLER))
    assert not unknown, f"add an isolation case (or a reason in ACTS_ON_THE_CALLER) for: {unknown}"
    assert not sorted(set(CASES) - operations), "a case names a route that is gone"
    with_ids = sorted(op for op in operations if _has_object(http, op) and op not in CASES)
    assert not with_ids, f"a route naming an object needs a case, not a reason: {with_ids}"


# ---- checks ----------------------------------------------------------------------------------------------------


def _digest(world: World) -> dict[str, str]:
    """A hash of Alice's rows in every table that has a user id, and of her account row."""
    found: dict[str, str] = {}
    with sqlite3.connect(world.database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            if table == "users":
                rows = db.execute('SELECT * FROM "users" WHERE id = ?', (world.alice.user_id,)).fetchall()
            elif "user_id" in columns:
                query = f'SELECT * FROM "{table}" WHERE user_id = ? ORDER BY rowid'
                rows = db.execute(query, (world.alice.user_id,)).fetchall()
            else:
                continue
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


def _cases() -> list[Any]:
    return [
        pytest.param(operation, n, id=f"{operation[0]} {operation[1]}#{n}")
        for operation, builds in CASES.items()
        for n in range(len(builds))
    ]


@pytest.mark.parametrize(("operation", "n"), _cases())
def test_bob_gets_404_for_alices_object(world: World, operation: tuple[str, str], n: int) -> None:
    call = CASES[operation][n](world)
    before, asked = _digest(world), len(world.fake.message_requests)
    answer = call.send(world.bob)
    assert answer.status_code == 404, f"{call.method} {call.url}: {answer.status_code} {answer.text[:300]}"
    assert answer.headers["content-type"] == "application/problem+json"
    assert MARK not in answer.text.lower(), answer.text[:600]
    assert _digest(world) == before, f"{call.method} {call.url} as Bob changed Alice's rows"
    assert len(world.fake.message_requests) == asked, "Bob's request reached the model"

    # the control: the same request as Alice reaches her object
    for _ in range(call.replies):
        world.fake.push(reply("Done, alpha."))
    owned = call.send(world.alice)
    assert owned.is_success, f"as Alice, {call.method} {call.url}: {owned.status_code} {owned.text[:300]}"


def test_alices_idempotency_key_is_unknown_to_bob(world: World) -> None:
    """Keys are per user: Bob sending Alice's key gets his own new write, never her stored answer."""
    before = _digest(world)
    answer = world.bob.post("/api/v1/checkins/daily", json={"mood": 2, "answers": ["bravo"]}, headers=ALPHA_KEY)
    assert answer.status_code == 201, answer.text[:300]
    assert "idempotent-replayed" not in answer.headers and MARK not in answer.text.lower()
    assert _digest(world) == before


def test_an_unknown_id_is_the_same_404(world: World) -> None:
    """Bob's answer for Alice's habit is the answer for a habit that never existed: nothing tells them apart."""
    mine = world.bob.get(f"/api/v1/habits/{world.habit}")
    missing = world.bob.get("/api/v1/habits/999999")
    assert (mine.status_code, missing.status_code) == (404, 404)
    assert mine.json()["detail"].replace(str(world.habit), "N") == missing.json()["detail"].replace("999999", "N")


@pytest.mark.parametrize(
    "operation",
    [op for op in ACTS_ON_THE_CALLER if op[0] == "GET" and op[1].startswith("/api/v1/")],
    ids=lambda op: f"{op[0]} {op[1]}",
)
def test_bobs_own_lists_hold_nothing_of_alices(world: World, operation: tuple[str, str]) -> None:
    _, path = operation
    params = {"q": "alpha peanuts"} if path.endswith("/search") else None
    answer = world.bob.get(path, params=params)
    assert answer.status_code == 200, answer.text[:300]
    assert MARK not in answer.text.lower(), f"GET {path} showed Bob: {answer.text[:600]}"
