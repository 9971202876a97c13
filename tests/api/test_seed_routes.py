"""The seed's own paths and verbs (GET/PUT /users/profile, GET/PUT /users/preferences, PUT /habits/{id}) answer as
paa's (/users/me, /users/me/preferences, PATCH /habits/{id}), so a client written to the seed works. PUT changes
only the fields sent, as PATCH does; another user's habit is a 404 (tests/api/test_isolation_http.py has the case)."""

from __future__ import annotations

from tests.api.conftest import Account


def test_the_profile_at_the_seeds_path(alice: Account) -> None:
    assert alice.get("/api/v1/users/profile").json() == alice.get("/api/v1/users/me").json()
    changed = alice.put("/api/v1/users/profile", json={"display_name": "Alice B."})
    assert changed.status_code == 200, changed.text
    assert alice.get("/api/v1/users/me").json()["display_name"] == "Alice B."
    wrong = alice.put("/api/v1/users/profile", json={"email": "not an address"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "email"]


def test_preferences_at_the_seeds_path(alice: Account) -> None:
    assert alice.get("/api/v1/users/preferences").json() == alice.get("/api/v1/users/me/preferences").json()
    assert alice.put("/api/v1/users/preferences", json={"checkin.time": "07:30"}).status_code == 200
    changed = alice.put("/api/v1/users/preferences", json={"week_start": "sunday"})
    assert changed.status_code == 200, changed.text
    values = {view["key"]: view["value"] for view in changed.json()}
    assert values["week_start"] == "sunday" and values["checkin.time"] == "07:30"  # the first PUT's stays


def test_put_on_a_habit_changes_only_what_is_sent(alice: Account) -> None:
    added = alice.post("/api/v1/habits", json={"name": "Water", "unit": "glasses", "target": 8})
    habit = added.json()["id"]
    changed = alice.put(f"/api/v1/habits/{habit}", json={"target": 10})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["unit"], changed.json()["target"]) == ("Water", "glasses", 10)
    assert alice.put("/api/v1/habits/99999", json={"target": 1}).status_code == 404
