"""`/reminders`: `paa remind` over HTTP: custom reminders, habit reminders' snooze and done, what is coming up, and
the notifications sent. Rules and JSON are core's (docs/reminders.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from paa.api import schemas
from paa.api.caller import CallerApi
from paa.api.reads import short_read
from paa.api.schemas import documented

router = APIRouter(prefix="/reminders", tags=["reminders"])

AT_DESCRIPTION = 'When, once: "tomorrow 9am", "today 18:00", "fri 9:30", "2027-03-14 18:00" (ISO), in your zone.'
REF_DESCRIPTION = "A reminder's id, or habit:ID for a habit's reminder."
RefPath = Path(max_length=40, description=REF_DESCRIPTION, examples=["3", "habit:2"])


class ReminderForm(BaseModel):
    """A reminder: once (`at` or `in`) or repeating (`cron`); on PATCH only the fields sent change."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    text: str | None = Field(default=None, max_length=400, examples=["Call mom"])
    at: str | None = Field(default=None, max_length=100, description=AT_DESCRIPTION, examples=["sunday 18:00"])
    in_: str | None = Field(default=None, alias="in", max_length=40, description="Once, this long from now: 20m, 2h.")
    cron: str | None = Field(default=None, max_length=200, examples=["0 17 * * FRI"])


class SnoozeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    for_: str = Field(default="15m", alias="for", max_length=40, description="How long: 15m, 1h, 1h30m.")


@router.get(
    "",
    summary="Custom reminders, habit reminders and the check-in prompt, with when each is next due",
    **documented(schemas.Reminders),
)
@short_read
def list_reminders(
    api: CallerApi,
    history: int | None = Query(None, ge=1, le=10_000, description="Also the latest this many notifications."),
) -> dict[str, Any]:
    from paa.core.reminders.custom import reminders_overview

    with api.read() as ctx:
        return reminders_overview(ctx, history=history).to_json()


@router.post("", status_code=201, summary="Add a reminder, once or repeating", **documented(schemas.Reminder, 201))
def add(body: ReminderForm, api: CallerApi) -> dict[str, Any]:
    from paa.core.reminders.custom import add_reminder
    from paa.errors import InvalidInput

    if body.text is None:
        raise InvalidInput("a reminder needs its text", field="text")
    with api.write() as ctx:
        return add_reminder(ctx, body.text, at=body.at, cron=body.cron, in_=body.in_).to_json()


@router.get("/upcoming", summary="What is due today and on the days after", **documented(list[schemas.Upcoming]))
def upcoming(
    api: CallerApi,
    days: int = Query(1, ge=1, le=366, description="Whole days in your zone, today included."),
    from_: str | None = Query(None, alias="from", max_length=60, description="Start instant (ISO). Default: now."),
) -> list[dict[str, Any]]:
    from paa.core.reminders.rules import parse_instant
    from paa.core.reminders.upcoming import agenda

    with api.read() as ctx:
        start = parse_instant(from_, ctx.prefs.zone, field="from") if from_ else ctx.now()
        return [item.to_json() for item in agenda(ctx, start, days).items]


@router.get("/history", summary="The latest notifications sent, newest first", **documented(list[schemas.Notification]))
def history(
    api: CallerApi,
    limit: int = Query(30, ge=1, le=10_000),
    status: str | None = Query(None, max_length=20, description="Only this status: sent, logged, failed, missed..."),
) -> list[dict[str, Any]]:
    from paa.core.reminders.outbox import notification_history

    with api.read() as ctx:
        return [row.to_json() for row in notification_history(ctx, limit, status)]


@router.patch("/{reminder_id}", summary="Change a reminder's text or when it fires", **documented(schemas.Reminder))
def edit(reminder_id: int, body: ReminderForm, api: CallerApi) -> dict[str, Any]:
    from paa.core.reminders.custom import edit_reminder

    with api.write() as ctx:
        return edit_reminder(ctx, str(reminder_id), text=body.text, at=body.at, cron=body.cron, in_=body.in_).to_json()


@router.delete("/{reminder_id}", status_code=204, summary="Remove a reminder (its notification history stays)")
def remove(reminder_id: int, api: CallerApi) -> Response:
    from paa.core.reminders.custom import remove_reminder

    with api.write() as ctx:
        remove_reminder(ctx, str(reminder_id))
    return Response(status_code=204)


@router.post(
    "/{ref}/snooze",
    summary="Snooze: the last notification comes again later, or the next firing comes later",
    **documented(schemas.ReminderAction),
)
def snooze(api: CallerApi, ref: str = RefPath, body: SnoozeRequest | None = None) -> dict[str, Any]:
    from paa.core.reminders.custom import snooze_reminder

    with api.write() as ctx:
        return snooze_reminder(ctx, ref, (body or SnoozeRequest()).for_).to_json()


@router.post(
    "/{ref}/done",
    summary="Done: a habit's logs the habit for today; a repeating one rests until tomorrow",
    **documented(schemas.ReminderAction),
)
def done(api: CallerApi, ref: str = RefPath) -> dict[str, Any]:
    from paa.core.reminders.custom import done_reminder

    with api.write() as ctx:
        return done_reminder(ctx, ref).to_json()
