"""`/checkins`: the CLI's `paa checkin` over HTTP: one check-in a day, with its answers, mood and energy.

The rules are core's (one per day; `new` refuses a day already checked in, `append` adds answers, `replace` swaps
them; an edit changes only what it is given), and so is the JSON (docs/json.md).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from paa.api import schemas
from paa.api.caller import Api, CallerApi
from paa.api.reads import short_read
from paa.api.schemas import documented

log = logging.getLogger("paa.api.checkins")
router = APIRouter(prefix="/checkins", tags=["checkins"])

DAY_DESCRIPTION = "Day: today, yesterday, -N, a weekday name or YYYY-MM-DD."
ANSWERS_DESCRIPTION = "Answers in the order of your prompts (GET /checkins/prompts); null skips a prompt."


class CheckinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mood: int | None = Field(
        default=None, ge=1, le=5, description="1 (low) to 5 (great); a new check-in needs one.", examples=[4]
    )
    energy: int | None = Field(default=None, ge=1, le=5, description="1 (drained) to 5 (full).", examples=[3])
    answers: list[str | None] = Field(
        max_length=50, description=ANSWERS_DESCRIPTION, examples=[["Calm, productive", "Shipped the report"]]
    )
    date: str = Field(default="today", max_length=40, description="Backfill a past day. " + DAY_DESCRIPTION)
    mode: Literal["new", "append", "replace"] = Field(
        default="new", description="For a day already checked in: append adds these answers, replace swaps them."
    )


class CheckinEdit(BaseModel):
    """Only the fields sent change; `energy: null` clears the energy."""

    model_config = ConfigDict(extra="forbid")

    mood: int | None = Field(default=None, ge=1, le=5, examples=[3])
    energy: int | None = Field(default=None, ge=1, le=5, examples=[2])
    answers: list[str | None] | None = Field(
        default=None, max_length=50, description="Replace all answers, in the order GET /checkins/{day} lists them."
    )


@router.post(
    "/daily",
    status_code=201,
    summary="Check in for the day: answers, mood and energy, and a reflection",
    description="With an Anthropic API key on the server, the model then reads the check-in, as after `paa checkin`: "
    "it refines the sentiment, keeps a summary as a memory and, for today's, may ask a follow-up question, kept as a "
    "conversation (GET /chat/history). That happens after the answer is sent; a change event tells open clients.",
    **documented(schemas.CheckinResult, 201),
)
def check_in(
    body: CheckinRequest,
    api: CallerApi,
    after: BackgroundTasks,
    response: Response,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="A key the client makes for this check-in (a UUID): the same request sent again with it within "
        "30 days is answered as the first time, without saving again (header Idempotent-Replayed: true). "
        "Another request with the key: 422.",
    ),
) -> dict[str, Any]:
    from paa.ai import checkins
    from paa.core.checkins.entries import list_prompts, pair_answers
    from paa.core.idempotency import once

    with api.write() as ctx:
        day = _day(body.date, ctx)

        def write() -> dict[str, Any]:
            answers = pair_answers([prompt.text for prompt in list_prompts(ctx)], body.answers)
            saved: dict[str, Any] = checkins.save(
                ctx, day, answers, mood=body.mood, energy=body.energy, mode=body.mode
            ).to_json()
            return saved

        outcome = once(ctx, idempotency_key, "checkin.daily", body.model_dump(), write)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"  # read by the model the first time already
    else:
        after.add_task(_read_by_model, api, day)
    return outcome.result


def _read_by_model(api: Api, day: date) -> None:
    """What `paa checkin` does once the check-in is saved, when there is a key: the model reads it, here or in a
    worker (a slow or failing model never costs the answers: they are committed already)."""
    from paa.ai.checkin_ai import read_saved_checkin

    try:
        read_saved_checkin(api.runtime, api.caller.acting, day)
    except Exception:  # the answer was sent already: the log is where a failure can go
        log.exception("reading the check-in of %s with the model failed", day.isoformat())


@router.get(
    "/history",
    summary="Check-ins, newest first, with mood, energy and sentiment",
    **documented(schemas.CheckinHistory),
)
def history(
    api: CallerApi,
    from_: str | None = Query(None, alias="from", max_length=40, description="First day. " + DAY_DESCRIPTION),
    to: str | None = Query(None, max_length=40, description="Last day. " + DAY_DESCRIPTION),
    limit: int | None = Query(None, ge=1, le=10_000, description="At most this many (the newest)."),
) -> dict[str, Any]:
    from paa.core.checkins.entries import list_checkins

    with api.read() as ctx:
        start = _day(from_, ctx, field="from") if from_ else None
        end = _day(to, ctx, field="to") if to else None
        return list_checkins(ctx, start, end, limit=limit).to_json()


@router.get("/prompts", summary="The prompts a check-in asks, in order", **documented(list[schemas.Prompt]))
@short_read
def prompts(api: CallerApi) -> list[dict[str, Any]]:
    from paa.core.checkins.entries import list_prompts

    with api.read() as ctx:
        return [prompt.to_json() for prompt in list_prompts(ctx)]


class PromptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=1000, examples=["What are you grateful for?"])
    position: int | None = Field(default=None, description="Its place, 1 asked first; none: at the end.")


@router.post("/prompts", status_code=201, summary="Add a prompt to your check-in", **documented(schemas.Prompt, 201))
def add_prompt(body: PromptRequest, api: CallerApi) -> dict[str, Any]:
    from paa.core.checkins.entries import add_prompt as add

    with api.write() as ctx:
        return add(ctx, body.text, at=body.position).to_json()


@router.delete(
    "/prompts",
    summary="Remove a prompt (past check-ins keep their answers to it); answers the prompts left",
    **documented(list[schemas.Prompt]),
)
def remove_prompt(
    api: CallerApi, position: int = Query(ge=1, le=1000, description="The prompt's place in the list, 1 first.")
) -> list[dict[str, Any]]:
    from paa.core.checkins.entries import list_prompts
    from paa.core.checkins.entries import remove_prompt as remove

    with api.write() as ctx:
        remove(ctx, str(position))
        return [prompt.to_json() for prompt in list_prompts(ctx)]


class PromptMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1, max_length=1000, examples=["What went well today?"],
        description="The prompt's text, as GET /checkins/prompts gives it (a prompt's text is unique in your list).",
    )  # fmt: skip
    position: int = Field(ge=1, le=1000, examples=[1], description="Its new place in the list, 1 first.")


@router.post(
    "/prompts/move",
    summary="Move one prompt to a place in your list (the others keep their order); answers the prompts in "
    "their new order. Sending it again changes nothing.",
    response_model=None,
    responses={
        **documented(list[schemas.Prompt])["responses"],
        404: {"description": "None of your prompts has this text (see GET /checkins/prompts)."},
    },
)
def move_prompt(body: PromptMove, api: CallerApi) -> list[dict[str, Any]]:
    from paa.core.checkins.entries import move_prompt as move

    with api.write() as ctx:
        return [prompt.to_json() for prompt in move(ctx, body.text, body.position)]


@router.get(
    "/{day}",
    summary="One day's check-in: answers, mood, energy, sentiment and reflection",
    **documented(schemas.Checkin),
)
def show(day: str, api: CallerApi) -> dict[str, Any]:
    from paa.core.checkins.entries import get_checkin

    with api.read() as ctx:
        return get_checkin(ctx, _day(day, ctx, field="day")).to_json()


@router.patch("/{day}", summary="Change a day's check-in", **documented(schemas.CheckinResult))
def edit(day: str, body: CheckinEdit, api: CallerApi) -> dict[str, Any]:
    from paa.ai import checkins
    from paa.core.checkins.entries import UNSET, get_checkin, pair_answers, prompts_for

    given = body.model_dump(exclude_unset=True)
    with api.write() as ctx:
        when = _day(day, ctx, field="day")
        answers = given.get("answers")
        if answers is not None:
            answers = pair_answers(prompts_for(ctx, get_checkin(ctx, when)), answers)
        result = checkins.edit(
            ctx, when,
            mood=given.get("mood", UNSET), energy=given.get("energy", UNSET),
            answers=UNSET if "answers" not in given else answers if answers is not None else [],
        )  # fmt: skip
        return result.to_json()


def _day(text: str, ctx: Any, *, field: str = "date") -> Any:
    from paa.core.dates import parse_day
    from paa.errors import InvalidInput

    try:
        return parse_day(text, ctx.today())
    except InvalidInput as exc:
        exc.field = exc.field or field
        raise
