"""The change feed: every committed write to a user's data leaves one event; reads and failed writes leave none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import delete

from paa.core.changes import DATA_CHANGED, events_after, latest_id, oldest_id, publish
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit, list_habits
from paa.db.models import HabitLog
from paa.errors import InvalidInput


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
