"""`POST /api/v1/checkins/prompts/move` (the browser's "Move up"): one prompt named by its text, one user's list,
the same request twice is the same as once, refusals as one line."""

from __future__ import annotations

from tests.api.conftest import Account


def _texts(account: Account) -> list[str]:
    answer = account.get("/api/v1/checkins/prompts")
    assert answer.status_code == 200, answer.text
    return [prompt["text"] for prompt in answer.json()]


def test_a_prompt_is_moved_for_the_caller_only(alice: Account, bob: Account) -> None:
    first = _texts(alice)
    assert len(first) >= 2
    moved = alice.post("/api/v1/checkins/prompts/move", json={"text": first[1], "position": 1})
    assert moved.status_code == 200, moved.text
    assert [prompt["text"] for prompt in moved.json()] == [first[1], first[0], *first[2:]]
    assert [prompt["position"] for prompt in moved.json()] == list(range(1, len(first) + 1))
    assert _texts(alice) == [first[1], first[0], *first[2:]]
    assert _texts(bob) == first  # Bob's own list, untouched


def test_sending_the_move_again_changes_nothing(alice: Account) -> None:
    first = _texts(alice)
    body = {"text": first[1], "position": 1}
    once = alice.post("/api/v1/checkins/prompts/move", json=body)
    twice = alice.post("/api/v1/checkins/prompts/move", json=body)
    assert once.status_code == twice.status_code == 200, twice.text
    assert once.json() == twice.json()
    assert _texts(alice) == [first[1], first[0], *first[2:]]


def test_a_wrong_move_is_refused_and_changes_nothing(alice: Account) -> None:
    first = _texts(alice)
    unknown = alice.post("/api/v1/checkins/prompts/move", json={"text": "Not a prompt of mine", "position": 1})
    assert unknown.status_code == 404, unknown.text
    assert "Not a prompt of mine" in unknown.json()["detail"]
    too_far = alice.post("/api/v1/checkins/prompts/move", json={"text": first[0], "position": 99})
    assert too_far.status_code == 422, too_far.text
    assert "position must be from 1" in too_far.json()["detail"]
    assert alice.post("/api/v1/checkins/prompts/move", json={"text": first[0], "position": 0}).status_code == 422
    assert _texts(alice) == first
