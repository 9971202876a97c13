"""Prometheus metrics (requests by route template and status, WebSocket connections, reminder deliveries) and the
JSON access log, which never holds a token."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from paa.api.metrics import websocket_connection
from paa.db.models import Notification
from tests.api.conftest import Account
from tests.support.clock import FIXED_NOW
from tests.support.silent_server import silent_redis_url
from tests.support.waiting import GIVE_UP_SECONDS


def scrape(http: TestClient) -> str:
    answer = http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition text, by its name and labels (in any order)."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'([a-z_]+)="([^"]*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    return None


def label_values(text: str) -> set[str]:
    """Every label value in the exposition text (sample values, which may hold any digits, left out)."""
    return set(re.findall(r'="([^"]*)"', text))


def test_requests_are_counted_by_route_template_and_status(http: TestClient, alice: Account) -> None:
    created = alice.post("/api/v1/habits", json={"name": "Run"}).json()
    alice.get(f"/api/v1/habits/{created['id']}")
    alice.get(f"/api/v1/habits/{created['id']}")
    alice.get("/api/v1/habits/999999")
    alice.get("/api/v1/no/such/route")
    text = scrape(http)
    route = "/api/v1/habits/{habit_id}"
    assert sample(text, "paa_http_requests_total", method="GET", route=route, status="200") == 2
    assert sample(text, "paa_http_requests_total", method="GET", route=route, status="404") == 1
    assert sample(text, "paa_http_requests_total", method="POST", route="/api/v1/habits", status="201") == 1
    assert sample(text, "paa_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    count = sample(text, "paa_http_request_duration_seconds_count", method="GET", route=route, status="200")
    assert count == 2
    # ids and stray paths never become labels
    assert not [value for value in label_values(text) if "999999" in value or "such" in value]


def test_a_304_is_counted_under_its_route(http: TestClient, alice: Account) -> None:
    tag = alice.get("/api/v1/habits").headers["etag"]
    assert alice.get("/api/v1/habits", headers={"If-None-Match": tag}).status_code == 304
    text = scrape(http)
    assert sample(text, "paa_http_requests_total", method="GET", route="/api/v1/habits", status="304") == 1
    assert sample(text, "paa_http_requests_total", method="GET", route="<unmatched>", status="304") is None


def test_websocket_connections_are_a_gauge(http: TestClient) -> None:
    assert sample(scrape(http), "paa_websocket_connections") == 0
    with websocket_connection(http.app), websocket_connection(http.app):
        assert sample(scrape(http), "paa_websocket_connections") == 2
    assert sample(scrape(http), "paa_websocket_connections") == 0


def test_reminder_deliveries_are_counted_from_the_outbox_of_every_process(http: TestClient, alice: Account) -> None:
    statuses = [("desktop", "sent"), ("desktop", "sent"), ("log", "logged"), ("ntfy", "failed"), ("ntfy", "pending")]
    with Session(http.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        for number, (channel, status) in enumerate(statuses):
            session.add(
                Notification(
                    user_id=alice.user_id, kind="custom", ref_id=number, channel=channel, status=status,
                    due_at=FIXED_NOW, created_at=FIXED_NOW,
                )
            )  # fmt: skip
        session.commit()
    text = scrape(http)
    assert sample(text, "paa_reminder_deliveries_total", channel="desktop") == 2
    assert sample(text, "paa_reminder_deliveries_total", channel="log") == 1
    assert sample(text, "paa_reminder_deliveries_total", channel="ntfy") is None  # not delivered (yet)


@pytest.fixture
def silent_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The job queue on, on a Redis host that never answers (asked for before `http`, so the app sees it)."""
    with silent_redis_url() as url:
        environ = {"PAA_QUEUE_ENABLED": "true", "PAA_REDIS_URL": url, "PAA_QUEUE_TIMEOUT_SECONDS": "0.2"}
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        yield url


def test_a_redis_that_never_answers_holds_neither_a_write_nor_a_scrape(
    silent_queue: str, http: TestClient, alice: Account
) -> None:
    from paa.ai import queue

    outcome: list[tuple[int, str]] = []

    def write_then_scrape() -> None:
        outcome.append((alice.post("/api/v1/memory", json={"text": "I swim on Sundays"}).status_code, scrape(http)))

    worker = threading.Thread(target=write_then_scrape, daemon=True)
    worker.start()
    worker.join(GIVE_UP_SECONDS)  # only that they return at all: the queue's timeout is 0.2 s
    [(status, text)] = outcome
    assert status == 201  # the memory is kept; its embedding waits for the next search, as if no job had gone
    assert queue.attached(http.app.state.runtime) is not None  # type: ignore[attr-defined]
    assert sample(text, "paa_job_queue_depth") is None and sample(text, "paa_websocket_connections") == 0


def test_the_access_log_has_one_json_line_per_request_and_no_token(
    http: TestClient, alice: Account, caplog: pytest.LogCaptureFixture
) -> None:
    token = alice.tokens["access_token"]
    with caplog.at_level(logging.INFO, logger="paa.api.access"):
        alice.get("/api/v1/habits", params={"token": token, "access_token": token})
        http.get(f"/api/v1/nothing/{token}", headers={"Authorization": f"Bearer {token}"})
        http.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong password"})
    lines = [record.getMessage() for record in caplog.records if record.name == "paa.api.access"]
    assert len(lines) == 3
    for line in lines:
        assert token not in line
        assert token[:20] not in line
        assert "wrong password" not in line
    read, unmatched, login = (json.loads(line) for line in lines)
    assert read["method"] == "GET" and read["route"] == "/api/v1/habits" and read["status"] == 200
    assert read["user_id"] == alice.user_id
    assert isinstance(read["duration_ms"], float) and read["duration_ms"] >= 0
    assert "path" not in read and "query" not in line
    assert unmatched["route"] == "<unmatched>" and unmatched["status"] == 404
    assert "nothing" not in lines[1]  # a path no route knows is not logged: it may be anything the client sent
    assert login == {**login, "route": "/api/v1/auth/login", "status": 401, "user_id": None}
