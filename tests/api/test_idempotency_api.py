"""`Idempotency-Key` on the writes an offline client sends again: a replay gets the first answer, written once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from paa.clock import FixedClock
from tests.api.conftest import Account


def _habit(account: Account, **fields: Any) -> dict[str, Any]:
    answer = account.post("/api/v1/habits", json={"name": "Water", "unit": "glasses", "target": 8, **fields})
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _logs(account: Account, habit_id: int) -> list[dict[str, Any]]:
    answer = account.get(f"/api/v1/habits/{habit_id}/history")
    assert answer.status_code == 200, answer.text
    logs: list[dict[str, Any]] = answer.json()["logs"]
    return logs


def _keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def test_a_log_sent_twice_with_one_key_is_written_once_and_answered_alike(alice: Account) -> None:
    habit = _habit(alice)
    key = str(uuid.uuid4())
    first = alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 3}, headers=_keyed(key))
    again = alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 3}, headers=_keyed(key))
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert [(log["day"], log["value"]) for log in _logs(alice, habit["id"])] == [("2026-11-26", 3.0)]
    # Another key is another write: the amount adds up.
    other = alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 3}, headers=_keyed(str(uuid.uuid4())))
    assert other.json()["log"]["value"] == 6.0


def test_a_skip_sent_twice_is_one_skip(alice: Account) -> None:
    habit = _habit(alice, unit=None, target=None, name="Run")
    key = str(uuid.uuid4())
    answers = [alice.post(f"/api/v1/habits/{habit['id']}/skip", json={}, headers=_keyed(key)) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert [log["status"] for log in _logs(alice, habit["id"])] == ["skipped"]


def test_an_undo_sent_again_is_the_first_answer_not_nothing_to_undo(alice: Account) -> None:
    habit = _habit(alice, unit=None, target=None, name="Run")
    assert alice.post(f"/api/v1/habits/{habit['id']}/log", json={}).status_code == 200
    key = str(uuid.uuid4())
    path = f"/api/v1/habits/{habit['id']}/log?date=2026-11-26"
    answers = [alice.delete(path, headers=_keyed(key)) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200], answers[1].text
    assert answers[0].json() == answers[1].json() and answers[1].headers["idempotent-replayed"] == "true"
    assert _logs(alice, habit["id"]) == []
    assert alice.delete(path, headers=_keyed(str(uuid.uuid4()))).status_code == 404  # a new Undo: nothing left


def test_a_checkin_sent_again_is_the_first_answer_not_a_conflict(alice: Account) -> None:
    body = {"mood": 4, "answers": ["Calm"]}
    key = str(uuid.uuid4())
    first = alice.post("/api/v1/checkins/daily", json=body, headers=_keyed(key))
    again = alice.post("/api/v1/checkins/daily", json=body, headers=_keyed(key))
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    unkeyed = alice.post("/api/v1/checkins/daily", json=body)
    assert unkeyed.status_code == 409  # without a key, a second check-in for the day is refused as before
    assert len(alice.get("/api/v1/checkins/history").json()["checkins"]) == 1


def test_a_key_reused_for_another_request_is_refused(alice: Account) -> None:
    habit = _habit(alice)
    key = str(uuid.uuid4())
    assert alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 1}, headers=_keyed(key)).status_code == 200
    for url, body in ((f"/api/v1/habits/{habit['id']}/log", {"value": 2}), (f"/api/v1/habits/{habit['id']}/skip", {})):
        answer = alice.post(url, json=body, headers=_keyed(key))
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "Idempotency-Key"
    assert [log["value"] for log in _logs(alice, habit["id"])] == [1.0]


def test_a_malformed_key_is_a_422(alice: Account) -> None:
    habit = _habit(alice)
    for key in ("has space", "x" * 101):
        answer = alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 1}, headers=_keyed(key))
        assert answer.status_code == 422, answer.text
    assert _logs(alice, habit["id"]) == []


def test_keys_are_per_user(alice: Account, bob: Account) -> None:
    key = "shared-key-1"
    mine = _habit(alice)
    theirs = _habit(bob)
    assert alice.post(f"/api/v1/habits/{mine['id']}/log", json={"value": 2}, headers=_keyed(key)).status_code == 200
    answer = bob.post(f"/api/v1/habits/{theirs['id']}/log", json={"value": 5}, headers=_keyed(key))
    assert answer.status_code == 200 and "idempotent-replayed" not in answer.headers
    assert answer.json()["log"]["value"] == 5.0
    assert [log["value"] for log in _logs(alice, mine["id"])] == [2.0]
    # Bob sending Alice's request (her habit's id) with her key learns nothing: her habit is not found for him.
    assert bob.post(f"/api/v1/habits/{mine['id']}/log", json={"value": 2}, headers=_keyed(key)).status_code == 404


def test_two_requests_at_once_with_one_key_write_once(alice: Account) -> None:
    habit = _habit(alice)
    key = str(uuid.uuid4())
    start = threading.Barrier(2)
    answers: list[Any] = []

    def send() -> None:
        start.wait()
        answers.append(alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 2}, headers=_keyed(key)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert sorted(answer.headers.get("idempotent-replayed", "") for answer in answers) == ["", "true"]
    assert [log["value"] for log in _logs(alice, habit["id"])] == [2.0]


def test_a_key_older_than_thirty_days_is_a_new_write(alice: Account, clock: FixedClock) -> None:
    habit = _habit(alice)
    key = str(uuid.uuid4())
    body = {"value": 1, "date": "2026-11-26"}
    assert alice.post(f"/api/v1/habits/{habit['id']}/log", json=body, headers=_keyed(key)).status_code == 200
    clock.advance(timedelta(days=31))
    alice.tokens = alice.http.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "correct horse battery staple"}
    ).json()
    again = alice.post(f"/api/v1/habits/{habit['id']}/log", json=body, headers=_keyed(key))
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers
    assert [log["value"] for log in _logs(alice, habit["id"])] == [2.0]
