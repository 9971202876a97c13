"""`/api/v1/users/me`, its preferences and `/api/v1/auth/tokens` over the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Account


def test_the_profile_is_the_callers_and_changes(alice: Account, bob: Account) -> None:
    shown = alice.get("/api/v1/users/me")
    assert shown.status_code == 200, shown.text
    assert (shown.json()["username"], shown.json()["id"]) == ("alice", alice.user_id)

    changed = alice.patch("/api/v1/users/me", json={"display_name": "Alice A.", "email": "Alice@Example.COM"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["display_name"], changed.json()["email"]) == ("Alice A.", "alice@example.com")
    assert bob.get("/api/v1/users/me").json()["display_name"] is None

    cleared = alice.patch("/api/v1/users/me", json={"display_name": None})
    assert cleared.json()["display_name"] is None
    assert cleared.json()["email"] == "alice@example.com"


def test_a_taken_or_wrong_email_is_refused_naming_the_field(alice: Account, bob: Account) -> None:
    alice.patch("/api/v1/users/me", json={"email": "alice@example.com"})
    taken = bob.patch("/api/v1/users/me", json={"email": "alice@example.com"})
    assert taken.status_code == 409
    assert taken.json()["field"] == "email"
    wrong = bob.patch("/api/v1/users/me", json={"email": "not an address"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "email"]
    assert bob.patch("/api/v1/users/me", json={"role": "admin"}).status_code == 422
    assert bob.get("/api/v1/users/me").json()["role"] == "member"


def _preferences(account: Account) -> dict[str, object]:
    answer = account.get("/api/v1/users/me/preferences")
    assert answer.status_code == 200, answer.text
    return {item["key"]: item["value"] for item in answer.json()}


def test_preferences_are_per_user(alice: Account, bob: Account) -> None:
    before = _preferences(bob)
    assert {"timezone", "day_start_hour", "week_start", "checkin.time"} <= set(before)

    changed = alice.patch(
        "/api/v1/users/me/preferences",
        json={"checkin.time": "07:30", "day_start_hour": 4, "week_start": "sunday", "timezone": "Europe/Berlin"},
    )
    assert changed.status_code == 200, changed.text
    mine = {item["key"]: item for item in changed.json()}
    assert (mine["checkin.time"]["value"], mine["checkin.time"]["source"]) == ("07:30", "stored")
    assert (mine["day_start_hour"]["value"], mine["week_start"]["value"]) == (4, "sunday")
    # the tests' environment sets PAA_TIMEZONE: the server's environment wins over what a user stores, as in the CLI
    assert (mine["timezone"]["value"], mine["timezone"]["source"]) == ("UTC", "env")
    assert _preferences(bob) == before

    reset = alice.patch("/api/v1/users/me/preferences", json={"checkin.time": None})
    assert {item["key"]: item["value"] for item in reset.json()}["checkin.time"] == before["checkin.time"]


def test_a_wrong_preference_changes_nothing(alice: Account) -> None:
    before = _preferences(alice)
    wrong = alice.patch("/api/v1/users/me/preferences", json={"day_start_hour": 4, "timezone": "Mars/Olympus"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "timezone"
    for body, field in (({"nonsense": 1}, "nonsense"), ({"database.url": "sqlite:///x"}, "database.url")):
        answer = alice.patch("/api/v1/users/me/preferences", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    assert _preferences(alice) == before


def test_an_api_token_is_shown_once_listed_and_revoked(http: TestClient, alice: Account) -> None:
    made = alice.post("/api/v1/auth/tokens", json={"name": "phone", "scope": "read,write", "days": 30})
    assert made.status_code == 201, made.text
    token = made.json()
    assert token["token"].startswith("paa_t_")
    assert (token["name"], token["scopes"]) == ("phone", ["read", "write"])
    assert token["expires_at"] is not None

    listed = alice.get("/api/v1/auth/tokens").json()
    assert [(item["id"], item["name"]) for item in listed] == [(token["id"], "phone")]
    assert "token" not in listed[0]

    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert http.get("/api/v1/auth/whoami", headers=bearer).json()["user"]["username"] == "alice"
    assert http.post("/api/v1/habits", json={"name": "Run"}, headers=bearer).status_code == 201

    assert alice.delete(f"/api/v1/auth/tokens/{token['id']}").status_code == 204
    assert http.get("/api/v1/habits", headers=bearer).status_code == 401
    assert alice.get("/api/v1/auth/tokens").json() == []
    assert alice.get("/api/v1/auth/tokens", params={"revoked": True}).json()[0]["revoked_at"] is not None


def test_a_token_request_is_checked(alice: Account) -> None:
    for body, field in (
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": "x", "days": 0}, "days"),
        ({"name": "   "}, "name"),
    ):
        answer = alice.post("/api/v1/auth/tokens", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    assert alice.get("/api/v1/auth/tokens").json() == []


def test_an_api_token_cannot_make_tokens(http: TestClient, alice: Account) -> None:
    token = alice.post("/api/v1/auth/tokens", json={"name": "script", "scope": "read,write"}).json()["token"]
    answer = http.post("/api/v1/auth/tokens", json={"name": "more"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert [item["name"] for item in alice.get("/api/v1/auth/tokens").json()] == ["script"]


def test_another_users_token_is_not_found(alice: Account, bob: Account) -> None:
    token = alice.post("/api/v1/auth/tokens", json={"name": "phone"}).json()
    assert bob.delete(f"/api/v1/auth/tokens/{token['id']}").status_code == 404
    assert bob.delete(f"/api/v1/auth/tokens/{2**70}").status_code == 404  # no row can have it: not a 500
    assert bob.get("/api/v1/auth/tokens").json() == []
    assert alice.get("/api/v1/auth/tokens").json()[0]["revoked_at"] is None


def test_logins_are_listed_and_one_is_ended(http: TestClient, alice: Account, bob: Account) -> None:
    from tests.api.conftest import PASSWORD

    other = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).json()
    listed = alice.get("/api/v1/auth/sessions")
    assert listed.status_code == 200, listed.text
    logins = listed.json()
    assert [(item["username"], item["kind"], item["revoked"]) for item in logins] == [("alice", "refresh", False)] * 2
    assert all(item["username"] == "bob" for item in bob.get("/api/v1/auth/sessions").json())

    newest = logins[0]["id"]  # the login just made
    assert bob.delete(f"/api/v1/auth/sessions/{newest}").status_code == 404  # Bob's answer for anyone else's
    assert alice.delete(f"/api/v1/auth/sessions/{newest}").status_code == 204
    ended = {"Authorization": f"Bearer {other['access_token']}"}
    assert http.get("/api/v1/habits", headers=ended).status_code == 401  # its access token stops working at once
    assert [item["id"] for item in alice.get("/api/v1/auth/sessions").json()] == [logins[1]["id"]]
    assert alice.delete("/api/v1/auth/sessions/999999").status_code == 404


def test_the_login_a_request_came_through_is_marked_current(http: TestClient, alice: Account) -> None:
    from tests.api.conftest import PASSWORD

    other = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}).json()
    mine = alice.get("/api/v1/auth/sessions").json()
    theirs = http.get("/api/v1/auth/sessions", headers={"Authorization": f"Bearer {other['access_token']}"}).json()
    assert [item["current"] for item in mine] == [False, True]  # newest first: the other login, then Alice's own
    assert [item["current"] for item in theirs] == [True, False]
    # A token the process proved before is checked again by a shorter path; it still knows its login.
    assert [item["current"] for item in alice.get("/api/v1/auth/sessions").json()] == [False, True]
