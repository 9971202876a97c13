"""`/analytics`: `paa analytics` over HTTP: the same reports (core) and the same JSON (docs/analytics.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from paa.api import schemas
from paa.api.caller import CallerApi
from paa.api.schemas import documented

router = APIRouter(prefix="/analytics", tags=["analytics"])

PERIOD_DESCRIPTION = "Window ending on the as-of day: Nd, Nw, Ny (365 days) or all."
AS_OF_DESCRIPTION = "Look from this day instead of today: yesterday, -N, a weekday name or YYYY-MM-DD."


@router.get(
    "/habits/summary",
    summary="Every habit's strength, streak and completion, with mood and insights",
    **documented(schemas.AnalyticsSummary),
)
def summary(
    api: CallerApi,
    as_of: str | None = Query(None, max_length=40, description=AS_OF_DESCRIPTION),
    period: str = Query("30d", max_length=20, description=PERIOD_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.analytics.reports import overview

    with api.read() as ctx:
        return overview(ctx, *_window(ctx, as_of, period)).to_json()


@router.get(
    "/habits/{habit_id}",
    summary="One habit in depth: strength and its history, streaks, weekdays, amounts",
    **documented(schemas.AnalyticsHabitReport),
)
def habit(
    habit_id: int,
    api: CallerApi,
    as_of: str | None = Query(None, max_length=40, description=AS_OF_DESCRIPTION),
    period: str = Query("90d", max_length=20, description=PERIOD_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.analytics.reports import habit_report

    with api.read() as ctx:
        return habit_report(ctx, str(habit_id), *_window(ctx, as_of, period)).to_json()


@router.get(
    "/mood",
    summary="Mood, energy and sentiment with 7-day trends, and how each habit relates to mood",
    **documented(schemas.AnalyticsMood),
)
def mood(
    api: CallerApi,
    as_of: str | None = Query(None, max_length=40, description=AS_OF_DESCRIPTION),
    period: str = Query("30d", max_length=20, description=PERIOD_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.analytics.reports import overview

    with api.read() as ctx:
        return overview(ctx, *_window(ctx, as_of, period), with_insights=False).mood.to_json()


@router.get(
    "/engagement",
    summary="Active days, check-in streak, habit logs, chat messages and conversation topics",
    **documented(schemas.AnalyticsEngagement),
)
def engagement(
    api: CallerApi,
    as_of: str | None = Query(None, max_length=40, description=AS_OF_DESCRIPTION),
    period: str = Query("30d", max_length=20, description=PERIOD_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.analytics.load import read_conversation_topics
    from paa.core.analytics.reports import engagement_json, engagement_report

    with api.read() as ctx:
        usage = engagement_report(ctx, *_window(ctx, as_of, period))
        return engagement_json(usage, read_conversation_topics(ctx, usage.start, usage.end))


@router.get(
    "/insights",
    summary="Plain-language observations from your data, each with its numbers",
    **documented(schemas.AnalyticsInsights),
)
def insights(
    api: CallerApi,
    as_of: str | None = Query(None, max_length=40, description=AS_OF_DESCRIPTION),
    period: str = Query("90d", max_length=20, description=PERIOD_DESCRIPTION),
) -> dict[str, Any]:
    from paa.core.analytics.reports import overview

    with api.read() as ctx:
        return overview(ctx, *_window(ctx, as_of, period)).insights_json()


def _window(ctx: Any, as_of: str | None, period: str) -> tuple[Any, Any]:
    """The as-of day and the period, each error naming its query parameter."""
    from paa.core.analytics.periods import parse_period
    from paa.core.analytics.reports import as_of_day

    return _named("as_of", lambda: as_of_day(ctx, as_of)), _named("period", lambda: parse_period(period))


def _named(field: str, read: Any) -> Any:
    from paa.errors import InvalidInput

    try:
        return read()
    except InvalidInput as exc:
        exc.field = exc.field or field
        raise
