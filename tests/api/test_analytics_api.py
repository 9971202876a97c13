"""`/api/v1/analytics` over the real app: `paa analytics`'s reports, as the same core computes them for the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.core.accounts.users import system_acting
from paa.core.analytics.periods import parse_period
from paa.core.context import Context
from tests.api.conftest import Account


@pytest.fixture
def history(alice: Account) -> dict[str, int]:
    """Alice's week: Run on Mon/Wed/Fri, Water 8 glasses a day, moods on four days; a conversation-free engagement."""
    run = alice.post("/api/v1/habits", json={"name": "Run", "days": "mon,wed,fri"}).json()["id"]
    water = alice.post("/api/v1/habits", json={"name": "Water", "unit": "glasses", "target": 8}).json()["id"]
    for day in ("2026-11-16", "2026-11-18", "2026-11-20", "2026-11-23", "2026-11-25"):
        assert alice.post(f"/api/v1/habits/{run}/log", json={"date": day}).is_success
    for day, amount in (("2026-11-23", 8), ("2026-11-24", 5), ("2026-11-25", 10)):
        assert alice.post(f"/api/v1/habits/{water}/log", json={"date": day, "value": amount}).is_success
    for day, mood in (("2026-11-22", 2), ("2026-11-23", 4), ("2026-11-24", 3), ("2026-11-25", 5)):
        assert alice.post("/api/v1/checkins/daily", json={"date": day, "mood": mood, "answers": ["ok"]}).is_success
    return {"run": run, "water": water}


def _as(http: TestClient, account: Account, compute: Callable[[Context], Any]) -> Any:
    """What core computes for `account`, on the app's own runtime: the JSON the CLI prints for its user."""
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    with runtime.context(acting=system_acting(runtime.engine, account.user_id)) as ctx:
        return compute(ctx)


def test_summary_is_the_cli_report(http: TestClient, alice: Account, history: dict[str, int]) -> None:
    from paa.core.analytics.reports import overview

    answer = alice.get("/api/v1/analytics/habits/summary", params={"period": "14d"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {habit["name"] for habit in body["habits"]} == {"Run", "Water"}
    assert body["period"]["end"] == "2026-11-26"
    expected = _as(http, alice, lambda ctx: overview(ctx, ctx.today(), parse_period("14d")).to_json())
    assert body == expected


def test_mood_engagement_and_insights(http: TestClient, alice: Account, history: dict[str, int]) -> None:
    from paa.core.analytics.load import read_conversation_topics
    from paa.core.analytics.reports import engagement_json, engagement_report, overview

    mood = alice.get("/api/v1/analytics/mood").json()
    assert mood == _as(http, alice, lambda ctx: overview(ctx, ctx.today(), parse_period("30d")).mood.to_json())
    assert mood["checkins"] == 4

    def usage(ctx: Context) -> Any:
        found = engagement_report(ctx, ctx.today(), parse_period("30d"))
        return engagement_json(found, read_conversation_topics(ctx, found.start, found.end))

    engagement = alice.get("/api/v1/analytics/engagement").json()
    assert engagement == _as(http, alice, usage)
    assert "conversations" in engagement

    insights = alice.get("/api/v1/analytics/insights", params={"as_of": "yesterday"}).json()
    assert insights["as_of"] == "2026-11-25"
    expected = _as(http, alice, lambda ctx: overview(ctx, ctx.today().replace(day=25), parse_period("90d")))
    assert insights == expected.insights_json()


def test_one_habit_in_depth(alice: Account, bob: Account, history: dict[str, int]) -> None:
    answer = alice.get(f"/api/v1/analytics/habits/{history['water']}", params={"period": "7d"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["habit"]["name"] == "Water"
    assert bob.get(f"/api/v1/analytics/habits/{history['water']}").status_code == 404
    assert alice.get("/api/v1/analytics/habits/999").status_code == 404


def test_wrong_windows_name_their_parameter(alice: Account) -> None:
    for params, field in (({"period": "fortnight"}, "period"), ({"as_of": "someday"}, "as_of")):
        answer = alice.get("/api/v1/analytics/habits/summary", params=params)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field


def test_bob_sees_none_of_alices_figures(bob: Account, history: dict[str, int]) -> None:
    summary = bob.get("/api/v1/analytics/habits/summary").json()
    assert summary["habits"] == []
    assert bob.get("/api/v1/analytics/mood").json()["checkins"] == 0
    assert bob.get("/api/v1/analytics/engagement").json()["active_days"] == 0


def test_every_report_answers_its_documented_shape(alice: Account, history: dict[str, int]) -> None:
    """Each analytics route's real answer, with data in it, holds to the schema the OpenAPI document names for it
    (analytics.md's objects); the fuzzing test holds every answer to them too."""
    from pydantic import TypeAdapter

    from paa.api import schemas
    from paa.api.app import PREFIX

    def holds(model: Any, path: str, **params: str) -> Any:
        answer = alice.get(f"{PREFIX}/analytics/{path}", params=params)
        assert answer.status_code == 200, answer.text
        return TypeAdapter(model).validate_json(answer.content)

    summary = holds(schemas.AnalyticsSummary, "habits/summary", period="14d")
    assert [habit.name for habit in summary.habits] == ["Run", "Water"] and summary.mood.mood.n == 4
    holds(schemas.AnalyticsSummary, "habits/summary", period="all")
    water = holds(schemas.AnalyticsHabitReport, f"habits/{history['water']}", period="7d")
    assert water.measure is not None and water.measure.highest == 10.0
    run = holds(schemas.AnalyticsHabitReport, f"habits/{history['run']}")
    assert run.measure is None and run.totals.done == 5
    mood = holds(schemas.AnalyticsMood, "mood")
    assert [habit.habit.name for habit in mood.habits] == ["Run", "Water"] and len(mood.days) == mood_days(mood)
    holds(schemas.AnalyticsEngagement, "engagement")
    holds(schemas.AnalyticsInsights, "insights")
    paths = alice.get(f"{PREFIX}/openapi.json").json()["paths"]
    for path in ("/habits/summary", "/habits/{habit_id}", "/mood", "/engagement", "/insights"):
        answer = paths[f"{PREFIX}/analytics{path}"]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"].get("$ref", "").startswith("#/components/schemas/Analytics"), path


def mood_days(mood: Any) -> int:
    """The days of a mood report's window, both ends counted."""
    return (mood.end - mood.start).days + 1
