"""`paa analytics` through the CLI entry point, on a small hand-built history.

November 2026 (the clock: Thursday 26th, 12:00 UTC)
  Mo Tu We Th Fr Sa Su
                     1
   2  3  4  5  6  7  8
   9 10 11 12 13 14 15
  16 17 18 19 20 21 22
  23 24 25 26
Run (Mon/Wed/Fri): done 2, 4, 6, 9, 11, 16, 20, 23, 25; skipped Wed 18; Fri 13 missed.
Water (8 glasses a day): 8 on Fri 20, 5, Sun 22 skipped, 10, 8, 3 on Wed 25; nothing yet today.
Check-ins 20-25 with moods 4, 3, 2, 5, 4, 5; two messages from you and one reply on Tue 24.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from paa.db.models import Conversation, DailyCheckin, Message
from tests.support.doc_schemas import SchemaChecker, Section, json_doc

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ANSI = re.compile(r"\x1b\[")


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the history once, through core, in a folder that each test copies."""
    from paa.clock import FixedClock
    from paa.core.habits.logs import log_habit, skip_habit
    from paa.core.habits.manage import HabitFields, add_habit
    from tests.support.runtime import open_context

    home = tmp_path_factory.mktemp("analytics-sample") / "paa-home"
    environ = {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC"}
    with open_context(write=True, environ=environ, clock=FixedClock(NOW)) as ctx:
        run = add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri"))
        water = add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8.0))
        for day in (2, 4, 6, 9, 11, 16, 20, 23, 25):
            log_habit(ctx, run, nov(day))
        skip_habit(ctx, run, nov(18))
        for day, amount in ((20, 8.0), (21, 5.0), (23, 10.0), (24, 8.0), (25, 3.0)):
            log_habit(ctx, water, nov(day), value=amount)
        skip_habit(ctx, water, nov(22))
        for day, mood in ((20, 4), (21, 3), (22, 2), (23, 5), (24, 4), (25, 5)):
            stamp = datetime(2026, 11, day, 20, tzinfo=UTC)
            ctx.session.add(
                DailyCheckin(user_id=ctx.user_id, day=nov(day), mood=mood, energy=3, answers="[]",
                             sentiment_score=(mood - 3) / 2, created_at=stamp, updated_at=stamp)
            )  # fmt: skip
        stamp = datetime(2026, 11, 24, 18, tzinfo=UTC)
        chat = Conversation(user_id=ctx.user_id, created_at=stamp, updated_at=stamp)
        ctx.session.add(chat)
        ctx.session.flush()
        assert chat.id is not None
        for minute, role in enumerate(("user", "assistant", "user")):
            ctx.session.add(Message(user_id=ctx.user_id, conversation_id=chat.id, role=role, content="hello",
                                    created_at=stamp.replace(minute=minute)))  # fmt: skip
    return home


@pytest.fixture
def history(sample_home: Path, paa_home: Path) -> None:
    shutil.copytree(sample_home, paa_home)


def nov(day: int) -> date:
    return date(2026, 11, day)


def _json(cli, *args: str) -> Any:
    result = cli(*args)
    assert result.code == 0, result.err
    return json.loads(result.out)


# --- the figures, as the commands report them ----------------------------------------------------


def test_habit_json_by_hand(cli, history) -> None:
    data = _json(cli, "analytics", "habit", "run", "--period", "14d", "--json")
    assert data["period"] == {"label": "14d", "start": "2026-11-13", "end": "2026-11-26", "days": 14}
    assert data["first_day"] == "2026-11-02"
    # 2-12 broken by Fri 13; 16-26 kept (Wed 18 skipped, Thu 26 not due): 11 days each, the later wins.
    assert data["streak"] == {"current": 11, "current_start": "2026-11-16", "best": 11,
                              "best_start": "2026-11-16", "best_end": "2026-11-26"}  # fmt: skip
    # Due Mon/Wed/Fri 2-25: 11 days, one skipped, 9 done. In 13-26: 13, 16, 20, 23, 25 due, 4 done.
    assert data["completion"] == {"7d": 1.0, "30d": 0.9, "90d": 0.9, "365d": 0.9, "all": 0.9, "period": 0.8}
    assert data["totals"] == {"done": 9, "skipped": 1, "period_done": 4, "period_due": 5, "period_skipped": 1}
    assert [d["state"] for d in data["history"][:6]] == ["missed", "not_due", "not_due", "done", "not_due", "skipped"]
    assert len(data["history"]) == 14 and data["history"][-1]["strength"] == data["strength"]
    assert data["weekdays"][4] == {"day": "fri", "done": 1, "due": 2, "rate": 0.5}
    assert data["measure"] is None


def test_as_of_looks_from_an_earlier_day(cli, history) -> None:
    data = _json(cli, "analytics", "habit", "water", "--as-of", "2026-11-21", "--period", "all", "--json")
    assert data["as_of"] == "2026-11-21"
    assert data["measure"]["total"] == 13.0 and data["measure"]["on_target"] == 1
    assert [d["day"] for d in data["history"]] == ["2026-11-20", "2026-11-21"]
    # Loop's first steps: 8/8 then 5/8 -> 0.051922, then 0.051922 * 0.948078 + 0.625 * 0.051922 = 0.081677.
    assert [d["strength"] for d in data["history"]] == [0.0519, 0.0817]


def test_summary_json(cli, history) -> None:
    data = _json(cli, "analytics", "summary", "--period", "7d", "--json")
    assert [h["name"] for h in data["habits"]] == ["Run", "Water"]
    series = data["completion"]
    # 20: 2/2, 21: 0/1 (Water partial), 22: nothing due, 23: 2/2, 24: 1/1, 25: 1/2 -> 6 of 8 finished.
    assert [(d["done"], d["due"]) for d in series["days"]] == [(2, 2), (0, 1), (0, 0), (2, 2), (1, 1), (1, 2), (0, 1)]
    assert series["average"] == 0.75 and series["today"] == {"day": "2026-11-26", "done": 0, "due": 1, "rate": 0.0}
    assert data["mood"]["mood"] == {"average": 3.83, "n": 6, "last_7d": 3.83, "previous_period": None}
    assert data["engagement"]["user_messages"] == 2 and data["engagement"]["all_messages"] == 3
    assert "series" not in data["engagement"]
    # Water's strength by hand: days 20..26 complete 8/8, 5/8, (skip), 1, 1, 3/8, 0 (today, open), each
    # step keeping 0.948078 of the day before: 0.0519, 0.0817, 0.0817, 0.1294, 0.1746, 0.1850, 0.1754.
    assert {"kind": "strength_change", "text": "Water climbed from 0% to 18% strength over the last 7 days.",
            "numbers": {"habit": "Water", "from": 0.0, "to": 0.1754}} in data["insights"]  # fmt: skip
    assert {"kind": "record_streak", "text": "Run: 11-day streak, your longest yet.",
            "numbers": {"habit": "Run", "days": 11}} in data["insights"]  # fmt: skip


def test_mood_json_shows_the_correlation_with_a_caution(cli, history) -> None:
    data = _json(cli, "analytics", "mood", "--period", "7d", "--json")
    run = next(h for h in data["habits"] if h["habit"]["name"] == "Run")
    # Done 20, 23, 25 (moods 4, 5, 5); other days 21, 22, 24 (3, 2, 4).
    assert (run["n_done"], run["n_other"], run["mood_done"], run["mood_other"]) == (3, 3, 4.67, 3.0)
    assert run["caution"].startswith("small sample (n=6")
    assert data["days"][0] == {"day": "2026-11-20", "mood": 4, "energy": 3, "sentiment": 0.5, "mood_7d": 4.0,
                               "sentiment_7d": 0.5}  # fmt: skip


def test_engagement_json(cli, history) -> None:
    data = _json(cli, "analytics", "engagement", "--period", "3d", "--json")
    assert (data["start"], data["days"], data["active_days"]) == ("2026-11-24", 3, 2)
    assert (data["checkin_streak"], data["checkin_best"], data["habit_logs"]) == (6, 6, 3)
    assert data["series"][0] == {"day": "2026-11-24", "logs": 1, "checkin": True, "messages": 2}



def test_engagement_counts_what_the_conversations_were_about(cli, history, make_ctx) -> None:
    from paa.db.models import AnalyticsEvent

    def insight(conversation: int, day: int, topics: list[str], intents: list[str]) -> AnalyticsEvent:
        payload = {"conversation_id": conversation, "topics": topics, "intents": intents, "source": "local",
                   "messages": 2}  # fmt: skip
        return AnalyticsEvent(user_id=ctx.user_id, kind="conversation_insight", payload=json.dumps(payload),
                              created_at=datetime(2026, 11, day, 12, tzinfo=UTC))  # fmt: skip

    with make_ctx(write=True) as ctx:
        ctx.session.add(insight(901, 25, ["sleep", "running"], ["advice"]))
        ctx.session.add(insight(902, 26, ["sleep"], ["log_habit", "advice"]))
        ctx.session.add(insight(903, 10, ["work"], ["plan"]))  # before the period
    data = _json(cli, "analytics", "engagement", "--period", "3d", "--json")
    assert data["conversations"] == {
        "conversations": 2,
        "topics": [{"name": "sleep", "conversations": 2}, {"name": "running", "conversations": 1}],
        "intents": [{"name": "advice", "conversations": 2}, {"name": "log_habit", "conversations": 1}],
    }
    human = cli("analytics", "engagement", "--period", "3d").out
    assert "sleep (2), running (1)" in human and "advice (2), log_habit (1)" in human


# --- pictures --------------------------------------------------------------------------------------


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from paa.cli.output import console

    monkeypatch.setenv("NO_COLOR", "1")
    console.cache_clear()


def test_heatmap_of_one_habit_reads_without_colour(cli, history, no_color) -> None:
    result = cli("analytics", "heatmap", "run", "--period", "14d")
    assert result.code == 0, result.err
    assert not ANSI.search(result.out)
    lines = result.out.splitlines()
    # Columns: weeks of Mon 9, 16, 23 (two characters a day). Fri 13 missed, Wed 18 skipped.
    assert "    Nov" in lines
    assert "Mo    ████" in lines
    assert "We    ––██" in lines
    assert "Fr  ··██" in lines
    assert "done 4 · missed 1 · skipped 1" in result.out


def test_overall_heatmap_levels(cli, history, no_color) -> None:
    data = _json(cli, "analytics", "heatmap", "--period", "2d", "--json")
    assert [(d["day"], d["level"], d["rate"]) for d in data["days"]] == [("2026-11-25", 2, 0.5), ("2026-11-26", 0, 0.0)]
    out = cli("analytics", "heatmap", "--period", "14d").out
    assert "less · ░ ▒ ▓ █ more" in out


@pytest.mark.parametrize(
    "args",
    [("summary",), ("habit", "water"), ("mood",), ("engagement",), ("insights",), ("heatmap",), ("heatmap", "run")],
)
def test_human_views_render_without_colour(cli, history, no_color, args: tuple[str, ...]) -> None:
    result = cli("analytics", *args)
    assert result.code == 0, result.err
    assert result.out.strip() and not ANSI.search(result.out)


def test_summary_view(cli, history, no_color) -> None:
    out = cli("analytics", "summary", "--period", "7d").out
    assert "last 7 days (2026-11-20 – 2026-11-26)" in out
    run_line = next(line for line in out.splitlines() if line.startswith("Run"))
    assert "11d" in run_line and "100%" in run_line and "90%" in run_line
    assert "average 75% · today 0 of 1 so far" in out
    assert "• Run: 11-day streak, your longest yet." in out


def test_habit_view_shows_amounts_and_weekdays(cli, history, no_color) -> None:
    out = cli("analytics", "habit", "water", "--period", "7d").out
    assert "total 34 glasses · 6.8 per logged day · 6.8 per day" in out
    assert "3 of 5 days (60%) · highest 10 · lowest 3" in out
    assert re.search(r"Mon  █{20}  100%  1/1", out)
    assert "Thu  " in out and "not due" in out


def test_before_the_habits_existed(cli, history, no_color) -> None:
    # Seen from the 10th, the logs from the 20th on do not exist yet: the habit counts from its creation.
    out = cli("analytics", "habit", "water", "--as-of", "2026-11-10").out
    assert "It did not exist yet on 2026-11-10: it counts from 2026-11-26." in out
    assert "No habits with days up to 2026-10-01" in cli("analytics", "summary", "--as-of", "2026-10-01").out


def test_empty_database(cli, no_color) -> None:
    result = cli("analytics", "summary")
    assert result.code == 0 and "No habits with days up to 2026-11-26" in result.out
    data = _json(cli, "analytics", "summary", "--json")
    assert data["habits"] == [] and data["completion"]["average"] is None
    assert _json(cli, "analytics", "insights", "--json")["insights"][0]["kind"] == "engagement"


# --- export ----------------------------------------------------------------------------------------


def test_export_csv_habit_days(cli, history) -> None:
    result = cli("analytics", "export", "--period", "3d")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == ["day", "habit_id", "habit", "kind", "state", "done", "value", "strength"]
    assert [(r["day"], r["habit"], r["state"], r["value"]) for r in rows] == [
        ("2026-11-24", "Run", "not_due", ""),
        ("2026-11-24", "Water", "done", "8.0"),
        ("2026-11-25", "Run", "done", ""),
        ("2026-11-25", "Water", "partial", "3.0"),
        ("2026-11-26", "Run", "not_due", ""),
        ("2026-11-26", "Water", "due", ""),
    ]


def test_export_days_to_a_file_and_json(cli, history, tmp_path: Path) -> None:
    target = tmp_path / "days.csv"
    result = cli("analytics", "export", "--table", "days", "--period", "2d", "--output", str(target))
    assert result.code == 0, result.err and "Wrote" in result.out
    assert target.read_text().splitlines() == [
        "day,habits_done,habits_due,completion,mood,energy,sentiment,habit_logs,checkin,user_messages",
        "2026-11-25,1,2,0.5,5,3,1.0,2,1,0",
        "2026-11-26,0,1,0.0,,,,0,0,0",
    ]
    data = _json(cli, "analytics", "export", "--format", "json", "--period", "2d")
    assert set(data) == {"as_of", "period", "habits", "habit_days", "days"}
    assert len(data["habit_days"]) == 4 and data["days"][0]["mood"] == 5


# --- mistakes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("summary", "--period", "3 months"), 3, "cannot read '3 months' as a period"),
        (("summary", "--as-of", "2026-12-01"), 3, "2026-12-01 is in the future"),
        (("summary", "--as-of", "0001-01-05"), 3, "0001-01-05 is too long ago"),  # a window would leave the calendar
        (("habit", "swim"), 4, "no habit matches 'swim'"),
        (("export", "--format", "xlsx"), 3, "unknown format 'xlsx'"),
        (("export", "--table", "weeks"), 3, "unknown table 'weeks'"),
    ],
)
def test_mistakes_are_one_line_errors(cli, history, args: tuple[str, ...], code: int, message: str) -> None:
    result = cli("analytics", *args)
    assert result.code == code
    assert result.err.splitlines()[0] == f"paa: error: {message}"


# --- the JSON schemas in docs/analytics.md match what the commands print -------------------------------


def _doc_sections() -> dict[str, Section]:
    return json_doc("analytics.md")


JSON_RUNS = [
    ("summary", "--period", "7d"),
    ("summary", "--period", "all"),
    ("habit", "water", "--period", "7d"),
    ("habit", "run"),
    ("mood", "--period", "7d"),
    ("engagement",),
    ("insights",),
    ("heatmap", "--period", "14d"),
    ("heatmap", "water", "--period", "14d"),
]


@pytest.mark.parametrize("args", JSON_RUNS, ids=[" ".join(a) for a in JSON_RUNS])
def test_json_output_matches_the_documented_schema(cli, history, args: tuple[str, ...]) -> None:
    doc = _doc_sections()
    section = doc[f"`paa analytics {args[0]} --json`"]
    assert section.output
    SchemaChecker(doc).value(_json(cli, "analytics", *args, "--json"), section.output, section, "")


def test_documented_examples_match_their_schema() -> None:
    doc = _doc_sections()
    commands = [s for title, s in doc.items() if title.startswith("`paa analytics")]
    assert len(commands) == 6
    for section in commands:
        assert section.output and section.examples, section.title
        for example in section.examples:
            SchemaChecker(doc).value(example, section.output, section, "")


def test_the_schema_check_can_fail(cli, history) -> None:
    doc = _doc_sections()
    section = doc["`paa analytics engagement --json`"]
    data = _json(cli, "analytics", "engagement", "--json")
    assert section.output is not None
    with pytest.raises(AssertionError, match="not in json"):
        SchemaChecker(doc).value({**data, "surprise": 1}, section.output, section, "")
