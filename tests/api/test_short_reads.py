"""Where a request's statements run (paa.api.reads): a short read on SQLite on the event loop, everything else
(PostgreSQL, writes, reads that can run long) in the thread pool, where it cannot hold up other requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.api.conftest import Account


def _on_the_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread of the pool runs no loop
        return False
    return True


@contextmanager
def where_statements_run(http: TestClient) -> Iterator[list[tuple[str, bool]]]:
    """Each statement the app runs meanwhile, and whether it ran on the event loop's thread."""
    engine = http.app.state.runtime.engine  # type: ignore[attr-defined]
    seen: list[tuple[str, bool]] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append((statement, _on_the_loop()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_short_read_runs_on_the_loop_on_sqlite_only(http: TestClient, alice: Account, db_engine: str) -> None:
    assert alice.post("/api/v1/habits", json={"name": "Read"}).status_code == 201
    alice.get("/api/v1/habits")  # the token is proved before: the next read proves it in its own transaction
    for url in (
        "/api/v1/habits",
        "/api/v1/habits/today",
        "/api/v1/checkins/prompts",
        "/api/v1/reminders",
        "/api/v1/users/me/preferences",
    ):
        with where_statements_run(http) as seen:
            answer = alice.get(url)
        assert answer.status_code == 200, answer.text
        assert seen, url
        on_loop = [where for _statement, where in seen]
        assert all(on_loop) if db_engine == "sqlite" else not any(on_loop), (url, seen)


def test_writes_and_long_reads_stay_in_the_pool(http: TestClient, alice: Account) -> None:
    alice.get("/api/v1/habits")
    with where_statements_run(http) as seen:
        added = alice.post("/api/v1/habits", json={"name": "Walk"})
        history = alice.get("/api/v1/checkins/history")
    assert added.status_code == 201 and history.status_code == 200, (added.text, history.text)
    # A write's token is proved before its route (on SQLite on the loop: one indexed read, paa.api.caller.prove);
    # the route's own statements run in the pool.
    route = [where for statement, where in seen if "INSERT INTO habits" in statement or "FROM checkins" in statement]
    assert route and not any(route), seen
