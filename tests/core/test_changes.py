"""The change feed: every committed write to a user's data leaves one event; reads and failed writes leave none."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, delete

from paa.core.changes import DATA_CHANGED, events_after, latest_id, oldest_id, publish
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit, list_habits
from paa.db.models import HabitLog
from paa.errors import InvalidInput
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for
from tests.support.waiting import wait_until


def _feed(make_ctx) -> list[tuple[str, dict]]:
    with make_ctx() as ctx:
        return [(found.type, found.data) for _user, found in events_after(ctx.session, 0, user_id=ctx.user_id)]


def test_a_write_leaves_one_event_naming_the_areas_it_touched(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name="Run"))
        log_habit(ctx, habit, date(2026, 12, 6))
    assert _feed(make_ctx) == [(DATA_CHANGED, {"areas": ["habits"]})]


def test_reads_leave_no_event(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    with make_ctx() as ctx:
        list_habits(ctx)
    with make_ctx(write=True) as ctx:
        list_habits(ctx)  # a write transaction that changed nothing
    assert len(_feed(make_ctx)) == 1


def test_a_failed_write_leaves_no_event(make_ctx) -> None:
    with pytest.raises(InvalidInput), make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
        raise InvalidInput("changed my mind")
    assert _feed(make_ctx) == []
    with make_ctx() as ctx:
        assert list_habits(ctx) == []


def test_a_bulk_delete_is_seen(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name="Run"))
        log_habit(ctx, habit, date(2026, 12, 6))
    with make_ctx(write=True) as ctx:
        ctx.session.execute(delete(HabitLog))
    assert [data for _type, data in _feed(make_ctx)] == [{"areas": ["habits"]}, {"areas": ["habits"]}]


def test_a_client_resumes_after_the_last_id_it_saw(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        first = publish(ctx.session, ctx.user_id, "habit:reminder", {"title": "Run"}, ctx.now())
        second = publish(ctx.session, ctx.user_id, "checkin:prompt", {"title": "How was today?"}, ctx.now())
    with make_ctx() as ctx:
        assert latest_id(ctx.session, ctx.user_id) == second.id == latest_id(ctx.session)
        assert oldest_id(ctx.session, ctx.user_id) == first.id
        resumed = events_after(ctx.session, first.id, user_id=ctx.user_id)
    assert [(found.id, found.type, found.data) for _user, found in resumed] == [
        (second.id, "checkin:prompt", {"title": "How was today?"})
    ]


def _waiting_on_a_lock(session: Session, db_engine: str) -> bool:
    """Whether another transaction is blocked (PostgreSQL: waiting for a lock; SQLite: taken as so once started)."""
    if db_engine == "sqlite":
        return True  # its writer queues on the write lock the first transaction holds
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
    try:
        return bool(session.execute(text(query)).scalar())
    finally:
        session.rollback()  # pg_stat_activity is read once per transaction: look afresh next time


def test_an_event_never_becomes_visible_before_an_older_one_still_in_flight(make_ctx, db_engine: str) -> None:
    """A reader following the feed by id must not see id N+1 while id N is uncommitted, or it passes N over for good.

    On PostgreSQL two transactions can commit their ids in either order; the feed orders them (an advisory lock).
    """
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
        user_id = ctx.user_id
    with make_ctx() as ctx:
        start = latest_id(ctx.session)
    second_started = threading.Event()
    failures: list[BaseException] = []

    with runtime_for() as runtime:

        def second_writer() -> None:
            try:
                with Session(runtime.engine) as session:
                    second_started.set()
                    publish(session, user_id, "test:second", {}, FIXED_NOW)
                    session.commit()
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        thread = threading.Thread(target=second_writer)
        with Session(runtime.engine) as first, Session(runtime.engine) as reader:
            publish(first, user_id, "test:first", {}, FIXED_NOW)  # its id given, not committed
            thread.start()
            wait_until(second_started.is_set, what="the second writer to start")
            wait_until(
                lambda: not thread.is_alive() or _waiting_on_a_lock(reader, db_engine),
                what="the second writer to wait for the first (or to finish, which the next lines report)",
            )
            assert events_after(reader, start) == []  # nothing from the second while the first is in flight
            assert thread.is_alive()
            first.commit()
        thread.join()

    assert failures == []
    with make_ctx() as ctx:
        found = [(event.type, event.id) for _user, event in events_after(ctx.session, start)]
    assert [kind for kind, _id in found] == ["test:first", "test:second"]
    assert found[0][1] < found[1][1]
