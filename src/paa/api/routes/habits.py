"""`/habits`: the CLI's `paa habit` over HTTP, with the same rules (core) and the same JSON (docs/json.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from paa.api import schemas
from paa.api.caller import CallerApi
from paa.api.reads import short_read
from paa.api.schemas import documented

router = APIRouter(prefix="/habits", tags=["habits"])

DAY_DESCRIPTION = "Day: today, yesterday, -N, a weekday name or YYYY-MM-DD."
IDEMPOTENCY_DESCRIPTION = (
    "A key the client makes for this write (a UUID): the same request sent again with it within 30 days is answered "
    "as the first time, without writing again (header Idempotent-Replayed: true). Another request with the key: 422."
)


class HabitForm(BaseModel):
    """A habit's definition; on PATCH only the fields sent change (null clears what may be cleared)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, examples=["Drink water"])
    unit: str | None = Field(default=None, max_length=100, examples=["glasses"])
    target: float | None = Field(default=None, examples=[8])
    at_most: bool | None = Field(default=None, description="The target is a ceiling, not a floor.")
    days: str | None = Field(default=None, max_length=100, examples=["mon,wed,fri"])
    times: int | None = Field(default=None, examples=[3])
    per: int | None = Field(default=None, examples=[7])
    remind: str | None = Field(default=None, max_length=200, examples=["09:00,18:00"])
    remind_days: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=100, examples=["health"])
    color: str | None = Field(default=None, max_length=20, examples=["#22aa88"])
    description: str | None = Field(default=None, max_length=2000)


class LogRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(default=None, description="Amount, for a measurable habit.", examples=[3])
    date: str = Field(default="today", max_length=40, description=DAY_DESCRIPTION)
    note: str | None = Field(default=None, max_length=20_000)
    set: bool = Field(default=False, description="Replace the day's amount instead of adding to it.")


class SkipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: str = Field(default="today", max_length=40, description=DAY_DESCRIPTION)
    note: str | None = Field(default=None, max_length=20_000)


@router.get("", summary="Habits with today's status, streak and schedule", **documented(list[schemas.HabitStatus]))
@short_read
def list_habits(
    api: CallerApi,
    all: bool = Query(False, description="Include archived habits."),
    category: str | None = Query(None, max_length=100),
) -> Response:
    from paa.core.habits.manage import list_habits as listed
    from paa.core.habits.overview import statuses

    with api.read() as ctx:
        return api.remembered(
            ctx,
            lambda: [
                status.to_json() for status in statuses(ctx, listed(ctx, include_archived=all, category=category))
            ],
        )


@router.post("", status_code=201, summary="Add a habit", **documented(schemas.Habit, 201))
def add_habit(body: HabitForm, api: CallerApi) -> dict[str, Any]:
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import add_habit as add
    from paa.core.habits.overview import habit_json

    fields = parse_habit_form(body.model_dump(exclude_none=True))
    with api.write() as ctx:
        return habit_json(add(ctx, fields))


@router.get("/today", summary="What is due today, done and left", **documented(schemas.HabitsToday))
@short_read
def today(api: CallerApi) -> Response:
    from paa.core.habits.manage import list_habits as listed
    from paa.core.habits.overview import statuses

    with api.read() as ctx:
        return api.remembered(
            ctx,
            lambda: {
                "day": ctx.today().isoformat(),
                "habits": [status.to_json() for status in statuses(ctx, listed(ctx))],
            },
        )


@router.get("/{habit_id}", summary="A habit's details, recent weeks and key figures", **documented(schemas.HabitDetail))
@short_read
def show(habit_id: int, api: CallerApi, weeks: int = Query(8, ge=1, le=52)) -> dict[str, Any]:
    from paa.core.habits.overview import detail

    with api.read() as ctx:
        return detail(ctx, _habit(ctx, habit_id), weeks=weeks).to_json()


@router.patch("/{habit_id}", summary="Change a habit", **documented(schemas.Habit))
@router.put(
    "/{habit_id}",
    summary="Change a habit (the seed's verb: as PATCH, only the fields sent change)",
    **documented(schemas.Habit),
)
def edit(habit_id: int, body: HabitForm, api: CallerApi) -> dict[str, Any]:
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import edit_habit
    from paa.core.habits.overview import habit_json

    fields = parse_habit_form(body.model_dump(exclude_unset=True))
    with api.write() as ctx:
        return habit_json(edit_habit(ctx, _habit(ctx, habit_id), fields))


@router.delete("/{habit_id}", status_code=204, summary="Delete a habit and all its logs")
def delete(habit_id: int, api: CallerApi) -> Response:
    from paa.core.habits.manage import delete_habit

    with api.write() as ctx:
        delete_habit(ctx, _habit(ctx, habit_id))
    return Response(status_code=204)


@router.post(
    "/{habit_id}/archive",
    summary="Archive a habit: hidden from lists and reminders, history kept",
    **documented(schemas.Habit),
)
def archive(habit_id: int, api: CallerApi) -> dict[str, Any]:
    return _set_archived(api, habit_id, True)


@router.post("/{habit_id}/unarchive", summary="Bring an archived habit back", **documented(schemas.Habit))
def unarchive(habit_id: int, api: CallerApi) -> dict[str, Any]:
    return _set_archived(api, habit_id, False)


@router.post(
    "/{habit_id}/log",
    summary="Log a habit as done, with an amount when it is measurable",
    **documented(schemas.LogResult),
)
def log(
    habit_id: int,
    body: LogRequest,
    api: CallerApi,
    response: Response,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.habits.logs import log_habit
    from paa.core.habits.overview import log_result_json
    from paa.core.idempotency import once

    with api.write() as ctx:
        habit = _habit(ctx, habit_id)

        def write() -> dict[str, Any]:
            day = _day(body.date, ctx)
            return log_result_json(
                habit, log_habit(ctx, habit, day, value=body.value, note=body.note, replace=body.set)
            )

        request = {"habit": habit_id, **body.model_dump()}
        return _answered(response, once(ctx, idempotency_key, "habit.log", request, write))


@router.post(
    "/{habit_id}/skip",
    summary="Skip a habit for a day: it does not count, and does not break a streak",
    **documented(schemas.LogResult),
)
def skip(
    habit_id: int,
    body: SkipRequest,
    api: CallerApi,
    response: Response,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.habits.logs import skip_habit
    from paa.core.habits.overview import log_result_json
    from paa.core.idempotency import once

    with api.write() as ctx:
        habit = _habit(ctx, habit_id)

        def write() -> dict[str, Any]:
            return log_result_json(habit, skip_habit(ctx, habit, _day(body.date, ctx), note=body.note))

        request = {"habit": habit_id, **body.model_dump()}
        return _answered(response, once(ctx, idempotency_key, "habit.skip", request, write))


@router.delete("/{habit_id}/log", summary="Remove what was logged or skipped on a day", **documented(schemas.Unlogged))
def unlog(
    habit_id: int,
    api: CallerApi,
    response: Response,
    date: str = Query("today", max_length=40, description=DAY_DESCRIPTION),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", description=IDEMPOTENCY_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.habits.logs import unlog_habit
    from paa.core.habits.overview import log_json
    from paa.core.idempotency import once

    with api.write() as ctx:
        habit = _habit(ctx, habit_id)

        def write() -> dict[str, Any]:
            removed = unlog_habit(ctx, habit, _day(date, ctx))
            return {"habit": {"id": habit.id, "name": habit.name}, "removed": log_json(removed)}

        # A replay (the browser's queue sending an Undo again after its answer was lost) gets the first answer,
        # not a "nothing logged" for the log it already removed.
        return _answered(response, once(ctx, idempotency_key, "habit.unlog", {"habit": habit_id, "date": date}, write))


@router.get(
    "/{habit_id}/history",
    summary="A habit's logged and skipped days, newest first",
    **documented(schemas.HabitHistory),
)
def history(
    habit_id: int,
    api: CallerApi,
    from_: str | None = Query(None, alias="from", max_length=40, description="First day. " + DAY_DESCRIPTION),
    to: str | None = Query(None, max_length=40, description="Last day. " + DAY_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.habits.logs import history as read_history
    from paa.core.habits.overview import logged_days

    with api.read() as ctx:
        habit = _habit(ctx, habit_id)
        start = _day(from_, ctx, field="from") if from_ else None
        end = _day(to, ctx, field="to") if to else None
        days = logged_days(ctx, habit, read_history(ctx, habit, start, end))
        return {"habit": {"id": habit.id, "name": habit.name}, "logs": [day.to_json() for day in days]}


def _habit(ctx: Any, habit_id: int) -> Any:
    """The caller's habit with this id; another user's id is not found, exactly as a missing one."""
    from paa.core.habits.manage import resolve_habit

    return resolve_habit(ctx, str(habit_id))


def _day(text: str, ctx: Any, *, field: str = "date") -> Any:
    from paa.core.dates import parse_day
    from paa.errors import InvalidInput

    try:
        return parse_day(text, ctx.today())
    except InvalidInput as exc:
        exc.field = exc.field or field
        raise


def _answered(response: Response, outcome: Any) -> dict[str, Any]:
    """A write's answer; a replay of an earlier request with the same Idempotency-Key says so in a header."""
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    result: dict[str, Any] = outcome.result
    return result


def _set_archived(api: Any, habit_id: int, archived: bool) -> dict[str, Any]:
    from paa.core.habits.manage import set_archived
    from paa.core.habits.overview import habit_json

    with api.write() as ctx:
        return habit_json(set_archived(ctx, _habit(ctx, habit_id), archived))
