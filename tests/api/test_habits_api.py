"""`/api/v1/habits` over the real app: the CLI's rules and JSON, scoped to the caller."""

from __future__ import annotations

from tests.api.conftest import Account


def test_add_log_and_list_a_habit(alice: Account) -> None:
    added = alice.post("/api/v1/habits", json={"name": "Drink water", "unit": "glasses", "target": 8})
    assert added.status_code == 201, added.text
    habit = added.json()
    assert (habit["name"], habit["unit"], habit["target"]) == ("Drink water", "glasses", 8)

    logged = alice.post(f"/api/v1/habits/{habit['id']}/log", json={"value": 3, "note": "morning"})
    assert logged.status_code == 200, logged.text
    assert logged.json()["outcome"] == "created"
    assert logged.json()["log"] == {"day": "2026-11-26", "status": "done", "value": 3.0, "note": "morning"}

    listed = alice.get("/api/v1/habits").json()
    assert [(item["name"], item["today"]["value"]) for item in listed] == [("Drink water", 3.0)]


def test_a_wrong_value_is_a_422_naming_its_field(alice: Account) -> None:
    answer = alice.post("/api/v1/habits", json={"name": "Run", "times": 9, "per": 7})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["field"] == "times"
    assert body["errors"][0]["loc"] == ["body", "times"]


def test_a_malformed_body_is_a_422_naming_its_field(alice: Account) -> None:
    answer = alice.post("/api/v1/habits", json={"name": "Run", "target": "lots"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "target"]


def test_another_users_habit_is_not_found(alice: Account, bob: Account) -> None:
    habit = alice.post("/api/v1/habits", json={"name": "Run"}).json()
    for answer in (
        bob.get(f"/api/v1/habits/{habit['id']}"),
        bob.post(f"/api/v1/habits/{habit['id']}/log", json={}),
        bob.patch(f"/api/v1/habits/{habit['id']}", json={"name": "Mine"}),
        bob.delete(f"/api/v1/habits/{habit['id']}"),
    ):
        assert answer.status_code == 404, answer.text
    assert bob.get("/api/v1/habits").json() == []
    assert alice.get(f"/api/v1/habits/{habit['id']}").json()["name"] == "Run"


def test_without_a_token_every_route_is_401(http, alice: Account) -> None:
    answer = http.get("/api/v1/habits")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert http.get("/api/v1/habits", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_skip_unlog_history_and_archive(alice: Account) -> None:
    habit = alice.post("/api/v1/habits", json={"name": "Run"}).json()
    base = f"/api/v1/habits/{habit['id']}"
    assert alice.post(f"{base}/skip", json={"date": "yesterday"}).json()["log"]["status"] == "skipped"
    alice.post(f"{base}/log", json={})
    history = alice.get(f"{base}/history").json()["logs"]
    assert [entry["day"] for entry in history] == ["2026-11-26", "2026-11-25"]
    assert alice.delete(f"{base}/log", params={"date": "yesterday"}).json()["removed"]["status"] == "skipped"
    assert alice.post(f"{base}/archive").json()["archived"] is True
    assert alice.get("/api/v1/habits").json() == []
    assert len(alice.get("/api/v1/habits", params={"all": True}).json()) == 1
    assert alice.delete(base).status_code == 204
    assert alice.get(base).status_code == 404
