"""`/api/v1/reminders` over the real app: `paa remind`'s rules and JSON, scoped to the caller (clock: Thu 26 Nov
2026, 12:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from paa.db.models import Notification
from tests.api.conftest import Account


def test_add_list_edit_and_remove(alice: Account) -> None:
    added = alice.post("/api/v1/reminders", json={"text": "Call mom", "at": "today 18:00"})
    assert added.status_code == 201, added.text
    reminder = added.json()
    assert (reminder["kind"], reminder["next"]) == ("once", "2026-11-26T18:00:00+00:00")
    weekly = alice.post("/api/v1/reminders", json={"text": "Weekly review", "cron": "0 17 * * FRI"}).json()
    assert weekly["next"] == "2026-11-27T17:00:00+00:00"
    soon = alice.post("/api/v1/reminders", json={"text": "Laundry", "in": "1h30m"}).json()
    assert soon["next"] == "2026-11-26T13:30:00+00:00"

    listed = alice.get("/api/v1/reminders").json()
    assert [r["text"] for r in listed["reminders"]] == ["Call mom", "Weekly review", "Laundry"]
    assert (listed["checkin"]["time"], listed["history"]) == ("21:00", None)

    edited = alice.patch(f"/api/v1/reminders/{reminder['id']}", json={"text": "Call mom and dad", "cron": "0 9 * * *"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["text"], edited.json()["kind"], edited.json()["cron"]) == (
        "Call mom and dad", "cron", "0 9 * * *",
    )  # fmt: skip

    assert alice.delete(f"/api/v1/reminders/{soon['id']}").status_code == 204
    assert [r["id"] for r in alice.get("/api/v1/reminders").json()["reminders"]] == [reminder["id"], weekly["id"]]
    assert alice.delete(f"/api/v1/reminders/{soon['id']}").status_code == 404


def test_a_reminder_needs_one_way_to_fire(alice: Account) -> None:
    for body, field in (
        ({"text": "x"}, "at"),
        ({"text": "x", "at": "today 18:00", "cron": "0 9 * * *"}, "cron"),
        ({"text": "x", "cron": "not cron"}, "cron"),
        ({"at": "today 18:00"}, "text"),
        ({"text": "x", "in": "soon"}, "in"),
    ):
        answer = alice.post("/api/v1/reminders", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field, answer.json()
    assert alice.get("/api/v1/reminders").json()["reminders"] == []


def test_snooze_and_done(alice: Account) -> None:
    once = alice.post("/api/v1/reminders", json={"text": "Call mom", "at": "today 18:00"}).json()
    snoozed = alice.post(f"/api/v1/reminders/{once['id']}/snooze", json={"for": "1h"})
    assert snoozed.status_code == 200, snoozed.text
    assert (snoozed.json()["action"], snoozed.json()["until"]) == ("snoozed-next", "2026-11-26T19:00:00+00:00")
    assert alice.post(f"/api/v1/reminders/{once['id']}/snooze", json={"for": "forever"}).json()["field"] == "for"

    done = alice.post(f"/api/v1/reminders/{once['id']}/done")
    assert (done.status_code, done.json()["action"]) == (200, "removed")
    assert alice.get("/api/v1/reminders").json()["reminders"] == []

    habit = alice.post("/api/v1/habits", json={"name": "Stretch", "remind": "09:00"}).json()
    logged = alice.post(f"/api/v1/reminders/habit:{habit['id']}/done")
    assert (logged.status_code, logged.json()["action"]) == (200, "logged")
    assert alice.get("/api/v1/habits/today").json()["habits"][0]["today"]["state"] == "done"


def test_upcoming(alice: Account) -> None:
    alice.post("/api/v1/reminders", json={"text": "Call mom", "at": "tomorrow 9am"})
    today = alice.get("/api/v1/reminders/upcoming").json()
    assert "Call mom" not in [item["title"] for item in today]
    later = alice.get("/api/v1/reminders/upcoming", params={"days": 2}).json()
    assert "Call mom" in [item["title"] for item in later]
    for start in ("whenever", "9999-12-31T23:59"):  # the last one's days would run past the last date there is
        wrong = alice.get("/api/v1/reminders/upcoming", params={"from": start})
        assert (wrong.status_code, wrong.json()["field"]) == (422, "from")


def _notify(http: TestClient, account: Account, title: str) -> None:
    """A notification sent to `account` earlier today, as the daemon records one."""
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    from sqlmodel import Session

    from paa.db.engine import writer

    due = datetime(2026, 11, 26, 9, tzinfo=UTC)
    with Session(writer(runtime.engine)) as session:
        session.add(Notification(user_id=account.user_id, kind="custom", ref_id=1, channel="log", title=title,
                                 due_at=due, status="logged", attempts=1, sent_at=due, created_at=due))  # fmt: skip
        session.commit()


def test_history_is_the_callers(http: TestClient, alice: Account, bob: Account) -> None:
    _notify(http, alice, "Alice's reminder")
    history = alice.get("/api/v1/reminders/history").json()
    assert [(row["title"], row["status"]) for row in history] == [("Alice's reminder", "logged")]
    assert alice.get("/api/v1/reminders", params={"history": 5}).json()["history"] == history
    assert alice.get("/api/v1/reminders/history", params={"status": "failed"}).json() == []
    assert bob.get("/api/v1/reminders/history").json() == []


def test_another_users_reminder_is_not_found(alice: Account, bob: Account) -> None:
    reminder = alice.post("/api/v1/reminders", json={"text": "Call mom", "at": "today 18:00"}).json()
    habit = alice.post("/api/v1/habits", json={"name": "Stretch", "remind": "09:00"}).json()
    for answer in (
        bob.patch(f"/api/v1/reminders/{reminder['id']}", json={"text": "Mine"}),
        bob.delete(f"/api/v1/reminders/{reminder['id']}"),
        bob.post(f"/api/v1/reminders/{reminder['id']}/snooze"),
        bob.post(f"/api/v1/reminders/{reminder['id']}/done"),
        bob.post(f"/api/v1/reminders/habit:{habit['id']}/snooze"),
        bob.post(f"/api/v1/reminders/habit:{habit['id']}/done"),
    ):
        assert answer.status_code == 404, answer.text
    assert bob.get("/api/v1/reminders").json()["reminders"] == []
    assert alice.get("/api/v1/reminders").json()["reminders"][0]["text"] == "Call mom"
    assert alice.get("/api/v1/habits/today").json()["habits"][0]["today"]["state"] != "done"
