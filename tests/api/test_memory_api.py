"""`/api/v1/memory` over the real app: what the assistant remembers, as `paa memory` lists, searches, adds and
forgets it, scoped to the caller."""

from __future__ import annotations

import pytest

from tests.api.conftest import Account


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def test_remember_list_search_and_forget(alice: Account) -> None:
    added = alice.post("/api/v1/memory", json={"text": "I'm training for a half marathon in March"})
    assert added.status_code == 201, added.text
    fact = added.json()
    assert (fact["kind"], fact["content"]) == ("fact", "I'm training for a half marathon in March")
    other = alice.post("/api/v1/memory", json={"text": "Allergic to peanuts"}).json()

    listed = alice.get("/api/v1/memory").json()
    assert {row["id"] for row in listed} == {fact["id"], other["id"]}
    assert [row["id"] for row in alice.get("/api/v1/memory", params={"limit": 1}).json()] == [other["id"]]

    hits = alice.get("/api/v1/memory/search", params={"q": "marathon training"}).json()
    assert hits[0]["memory_id"] == fact["id"]
    assert alice.get("/api/v1/memory/search", params={"q": "peanuts", "kind": "checkin"}).json() == []

    assert alice.delete(f"/api/v1/memory/{fact['id']}").status_code == 204
    assert [row["id"] for row in alice.get("/api/v1/memory").json()] == [other["id"]]
    assert alice.delete(f"/api/v1/memory/{fact['id']}").status_code == 404


def test_a_check_in_is_remembered(alice: Account) -> None:
    alice.post("/api/v1/checkins/daily", json={"mood": 4, "answers": ["Long walk by the river"]})
    found = alice.get("/api/v1/memory", params={"kind": "checkin"}).json()
    assert len(found) == 1 and "river" in found[0]["content"]


def test_wrong_input_is_a_422(alice: Account) -> None:
    assert alice.post("/api/v1/memory", json={"text": "   "}).status_code == 422
    assert alice.get("/api/v1/memory", params={"kind": "dream"}).status_code == 422
    assert alice.get("/api/v1/memory").json() == []


def test_another_users_memory_is_not_found(alice: Account, bob: Account) -> None:
    fact = alice.post("/api/v1/memory", json={"text": "Allergic to peanuts"}).json()
    assert bob.delete(f"/api/v1/memory/{fact['id']}").status_code == 404
    assert bob.get("/api/v1/memory").json() == []
    assert bob.get("/api/v1/memory/search", params={"q": "peanuts"}).json() == []
    assert [row["id"] for row in alice.get("/api/v1/memory").json()] == [fact["id"]]
