"""`/api/v1/memory` over the real app: what the assistant remembers, as `paa memory` lists, searches, adds and
forgets it, scoped to the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paa.ai import embeddings
from tests.api.conftest import Account

needs_vectors = pytest.mark.skipif(
    not embeddings.status(None).available, reason="the memory extra or the local model is missing"
)


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


@pytest.fixture
def silent_chroma(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """memory.chroma_url names a server that takes connections and never answers."""
    from tests.support.silent_server import silent_port

    with silent_port() as port:
        monkeypatch.setenv("PAA_MEMORY_CHROMA_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("PAA_MEMORY_CHROMA_TIMEOUT_SECONDS", "0.5")
        monkeypatch.setenv("PAA_MEMORY_CHROMA_TOKEN", "s3cret-chroma-token")
        yield


@needs_vectors
def test_a_search_with_the_chroma_server_not_answering_is_a_503_naming_it(silent_chroma: None, alice: Account) -> None:
    added = alice.post("/api/v1/memory", json={"text": "My passport is in the blue folder"})
    assert added.status_code == 201, added.text  # remembering never waits for the vector store
    found = alice.get("/api/v1/memory/search", params={"q": "where is my passport"})
    assert found.status_code == 503, found.text
    assert "the Chroma server at http://127.0.0.1" in found.text and "did not answer" in found.text
    assert "s3cret-chroma-token" not in found.text
