"""ETags on reads: 304 while nothing changed; a write from any process (here: core in another runtime, as
`paa habit log` does) or a new day gives a new tag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
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


class CountingStatuses:
    """Stands in for core's habit statuses, counting the reads that computed an answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from paa.core.habits import overview

        self.calls = 0
        real = overview.statuses

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(overview, "statuses", counted)


def test_a_habit_list_asked_again_is_the_kept_answer_until_a_write_from_another_process(
    http: TestClient, alice: Account, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_habit(alice, "Run")
    counting = CountingStatuses(monkeypatch)
    for path in ("/api/v1/habits", "/api/v1/habits/today"):
        first = alice.get(path)
        assert [alice.get(path).content for _ in range(3)] == [first.content] * 3
    assert counting.calls == 2  # once per path: the other reads were the kept answers

    log_in_another_process(clock, alice.user_id, "Run")
    for path in ("/api/v1/habits", "/api/v1/habits/today"):
        habits = alice.get(path).json()
        habits = habits if isinstance(habits, list) else habits["habits"]
        assert habits[0]["today"]["state"] == "done"
    assert counting.calls == 4


def test_a_kept_answer_is_the_users_own_for_that_query_and_day(
    http: TestClient, alice: Account, bob: Account, clock: FixedClock
) -> None:
    run = add_habit(alice, "Run")
    add_habit(alice, "Swim")
    assert alice.post(f"/api/v1/habits/{run}/archive").status_code in (200, 204)
    assert [h["name"] for h in alice.get("/api/v1/habits").json()] == ["Swim"]
    assert bob.get("/api/v1/habits").json() == []  # same path, another user's data
    assert sorted(h["name"] for h in alice.get("/api/v1/habits?all=true").json()) == ["Run", "Swim"]
    before = alice.get("/api/v1/habits/today").json()["day"]
    clock.advance(timedelta(days=1))
    assert alice.get("/api/v1/habits/today").json()["day"] != before


def test_kept_answers_stay_within_their_budget() -> None:
    from paa.api.answers import Answers

    answers = Answers(budget=10)
    assert answers.answer(1, "/a", 1, lambda: b"12345") == b"12345"
    assert answers.answer(1, "/a", 1, lambda: b"other") == b"12345"  # kept at the same version
    assert answers.answer(1, "/a", 2, lambda: b"newer") == b"newer"  # a newer version replaces it
    answers.answer(2, "/a", 1, lambda: b"bob's")
    answers.answer(1, "/b", 1, lambda: b"third")  # over 10 bytes: the least recently used goes
    assert len(answers) == 2 and answers.answer(1, "/a", 2, lambda: b"again") == b"again"
    assert answers.answer(1, "/big", 1, lambda: b"x" * 11) == b"x" * 11  # larger than the budget: not kept
    assert answers.answer(1, "/big", 1, lambda: b"y") == b"y"
