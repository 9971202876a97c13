"""ETags on reads: 304 while nothing changed; a write from any process (here: core in another runtime, as
`paa habit log` does) or a new day gives a new tag."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from paa.clock import FixedClock
from tests.api.conftest import Account
from tests.support.runtime import runtime_for


def add_habit(account: Account, name: str) -> int:
    answer = account.post("/api/v1/habits", json={"name": name})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def log_in_another_process(clock: FixedClock, user_id: int, habit: str) -> None:
    """What `paa habit log` does: core, on a runtime of its own (not the server's), acting as the user."""
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    with runtime_for(clock=clock) as other, other.context(write=True, acting=other.acting_as(user_id)) as ctx:
        log_habit(ctx, resolve_habit(ctx, habit), ctx.today())


def test_a_read_answered_before_is_304_until_a_write_from_another_process(
    http: TestClient, alice: Account, clock: FixedClock
) -> None:
    add_habit(alice, "Run")
    first = alice.get("/api/v1/habits")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"

    again = alice.get("/api/v1/habits", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag

    log_in_another_process(clock, alice.user_id, "Run")
    changed = alice.get("/api/v1/habits", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    assert changed.json() != first.json()  # today's entry is in it
    assert alice.get("/api/v1/habits", headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_a_write_through_the_api_changes_the_tag(http: TestClient, alice: Account) -> None:
    habit = add_habit(alice, "Run")
    tag = alice.get("/api/v1/habits").headers["etag"]
    assert alice.post(f"/api/v1/habits/{habit}/log", json={}).status_code == 200
    assert alice.get("/api/v1/habits", headers={"If-None-Match": tag}).status_code == 200


def test_a_new_day_changes_the_tag(http: TestClient, alice: Account, clock: FixedClock) -> None:
    add_habit(alice, "Run")
    tag = alice.get("/api/v1/habits").headers["etag"]
    clock.advance(timedelta(days=1))  # "today" in the answer moved on, though no data did
    assert alice.get("/api/v1/habits", headers={"If-None-Match": tag}).status_code == 200


def test_tags_differ_per_user_and_per_query(http: TestClient, alice: Account, bob: Account) -> None:
    alices = alice.get("/api/v1/habits").headers["etag"]
    assert bob.get("/api/v1/habits", headers={"If-None-Match": alices}).status_code == 200
    assert bob.get("/api/v1/habits").headers["etag"] != alices
    assert alice.get("/api/v1/habits?all=true", headers={"If-None-Match": alices}).status_code == 200


def test_another_users_write_leaves_the_tag_alone(http: TestClient, alice: Account, bob: Account) -> None:
    tag = alice.get("/api/v1/habits").headers["etag"]
    add_habit(bob, "Bob's habit")
    assert alice.get("/api/v1/habits", headers={"If-None-Match": tag}).status_code == 304


def test_if_none_match_lists_and_star(http: TestClient, alice: Account) -> None:
    tag = alice.get("/api/v1/habits").headers["etag"]
    assert alice.get("/api/v1/habits", headers={"If-None-Match": f'"old", {tag}'}).status_code == 304
    assert alice.get("/api/v1/habits", headers={"If-None-Match": tag.removeprefix("W/")}).status_code == 304
    assert alice.get("/api/v1/habits", headers={"If-None-Match": "*"}).status_code == 304
    assert alice.get("/api/v1/habits", headers={"If-None-Match": '"old"'}).status_code == 200


def test_no_tag_without_a_caller_or_on_account_routes_and_errors(http: TestClient, alice: Account) -> None:
    assert "etag" not in alice.get("/api/v1/auth/whoami").headers  # tokens and sessions leave no feed rows
    assert "etag" not in alice.get("/api/v1/habits/999999").headers
    assert "etag" not in http.get("/healthz").headers
    refused = http.get("/api/v1/habits", headers={"If-None-Match": "*"})
    assert refused.status_code == 401  # without a token there is nothing to revalidate
