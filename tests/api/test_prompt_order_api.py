"""`PUT /api/v1/checkins/prompts/order` (the browser's "Move up"): one user's order, refusals as one line."""

from __future__ import annotations

from tests.api.conftest import Account


def _texts(account: Account) -> list[str]:
    answer = account.get("/api/v1/checkins/prompts")
    assert answer.status_code == 200, answer.text
    return [prompt["text"] for prompt in answer.json()]


def test_prompts_are_reordered_for_the_caller_only(alice: Account, bob: Account) -> None:
    first = _texts(alice)
    assert len(first) >= 2
    moved = alice.put("/api/v1/checkins/prompts/order", json={"order": [2, 1]})
    assert moved.status_code == 200, moved.text
    assert [prompt["text"] for prompt in moved.json()] == [first[1], first[0], *first[2:]]
    assert [prompt["position"] for prompt in moved.json()] == list(range(1, len(first) + 1))
    assert _texts(alice) == [first[1], first[0], *first[2:]]
    assert _texts(bob) == first  # Bob's own list, untouched


def test_a_wrong_order_is_refused_and_changes_nothing(alice: Account) -> None:
    first = _texts(alice)
    for order, words in (([99], "no prompt number 99"), ([1, 1], "twice")):
        refused = alice.put("/api/v1/checkins/prompts/order", json={"order": order})
        assert refused.status_code == 422, refused.text
        assert words in refused.json()["detail"]
    assert alice.put("/api/v1/checkins/prompts/order", json={"order": []}).status_code == 422
    assert _texts(alice) == first
