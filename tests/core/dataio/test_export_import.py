"""Export and import: everything a user owns goes out raw and comes back the same, once, in one transaction."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paa.ai.store import add_message, create_conversation
from paa.clock import FixedClock
from paa.core.checkins.entries import Answer, add_prompt, save_checkin
from paa.core.configuration import set_user_setting
from paa.core.dataio.export import csv_zip, document_json, export_user
from paa.core.dataio.importing import import_document, read_document
from paa.core.dataio.schema import export_json_schema
from paa.core.habits.logs import log_habit, skip_habit
from paa.core.habits.manage import HabitFields, add_habit, set_archived
from paa.core.reminders.custom import add_reminder
from paa.errors import InvalidInput
from tests.support.clock import FIXED_NOW
from tests.support.runtime import open_context

TODAY = FIXED_NOW.date()
ROOT = Path(__file__).resolve().parents[3]


def _fill(make_ctx) -> None:
    """One of everything, with the awkward parts: sealed text, a measurable habit, tool calls, an archived habit."""
    from paa.ai.memory import remember

    with make_ctx(write=True) as ctx:
        run = add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri", remind="07:00", category="sport"))
        water = add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8, remind="09:00,15:00"))
        old = add_habit(ctx, HabitFields(name="Old habit", times=3, per=7))
        set_archived(ctx, old, True)
        log_habit(ctx, run, TODAY - timedelta(days=2), note="easy 5 km, knee fine")
        skip_habit(ctx, run, TODAY)
        for back in range(4):
            log_habit(ctx, water, TODAY - timedelta(days=back), value=back + 2.5)
        add_prompt(ctx, "What went well?")
        save_checkin(ctx, TODAY - timedelta(days=1), [Answer("What went well?", "the long run")], mood=4, energy=3)
        set_user_setting(ctx, "checkin_time", "06:17")
        conversation = create_conversation(ctx, "knee and running")
        add_message(ctx, conversation.id, "user", "my knee hurts after running")  # type: ignore[arg-type]
        add_message(ctx, conversation.id, "assistant", "rest it", model="m", input_tokens=5, output_tokens=7,  # type: ignore[arg-type]
                    tool_calls=[{"name": "log_habit", "input": {"habit": "Run"}}])  # fmt: skip
        remember(ctx, "allergic to peanuts")
        add_reminder(ctx, "stretch", cron="0 17 * * FRI")
        add_reminder(ctx, "call mum", at="2026-11-28 10:00")


def _export(environ: dict[str, str] | None = None) -> dict[str, Any]:
    with open_context(environ=environ, clock=FixedClock(FIXED_NOW)) as ctx:
        return document_json(export_user(ctx, paa_version="test"))


def _fresh_home(tmp_path: Path, name: str = "fresh") -> dict[str, str]:
    return {**os.environ, "PAA_HOME": str(tmp_path / name)}


def _import(document: dict[str, Any], environ: dict[str, str] | None = None, *, dry_run: bool = False):
    with open_context(write=True, environ=environ, clock=FixedClock(FIXED_NOW + timedelta(days=3))) as ctx:
        return import_document(ctx, read_document(json.dumps(document)), dry_run=dry_run)


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what tells two installs apart: when it was exported and the account's own details."""
    return {key: value for key, value in document.items() if key not in ("exported_at", "user")}


def test_the_export_holds_everything_raw(make_ctx) -> None:
    _fill(make_ctx)
    document = _export()
    assert document["format"] == "paa-export" and document["version"] == 1
    habits = {habit["name"]: habit for habit in document["habits"]}
    assert habits["Run"]["schedule"] == {"type": "weekdays", "weekdays": ["mon", "wed", "fri"], "times": 1,
                                         "period_days": 1}  # fmt: skip
    assert habits["Water"]["reminders"]["times"] == ["09:00", "15:00"] and habits["Old habit"]["archived"]
    assert [log["note"] for log in habits["Run"]["logs"]] == ["easy 5 km, knee fine", None]  # opened, not sealed
    assert [log["status"] for log in habits["Run"]["logs"]] == ["done", "skipped"]
    assert [log["value"] for log in habits["Water"]["logs"]] == [5.5, 4.5, 3.5, 2.5]
    checkin = document["checkins"][0]
    assert checkin["answers"] == [{"prompt": "What went well?", "answer": "the long run"}]
    assert checkin["mood"] == 4 and checkin["energy"] == 3 and checkin["sentiment"]["label"] is not None
    messages = document["conversations"][0]["messages"]
    assert [m["content"] for m in messages] == ["my knee hurts after running", "rest it"]
    assert messages[1]["tool_calls"] == [{"name": "log_habit", "input": {"habit": "Run"}}]
    assert [m["content"] for m in document["memories"]] == ["allergic to peanuts"]  # facts, not the derived copies
    assert {r["kind"] for r in document["reminders"]} == {"once", "cron"}
    assert {"key": "checkin_time", "value": '"06:17"'} in document["preferences"]


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_export_import_export_gives_the_same_document(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    first = _export()
    fresh = _fresh_home(tmp_path)
    summary = _import(first, fresh)
    assert summary.added["habits"] == 3 and summary.added["logs"] == 6 and summary.added["messages"] == 2
    assert _comparable(_export(fresh)) == _comparable(first)


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_importing_twice_adds_nothing(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = _export()
    fresh = _fresh_home(tmp_path)
    _import(document, fresh)
    again = _import(document, fresh)
    assert sum(again.added.values()) == 0
    assert again.existing["logs"] == 6 and again.existing["conversations"] == 1
    assert _comparable(_export(fresh)) == _comparable(document)


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_importing_into_an_account_with_data_merges_by_natural_keys(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = _export()
    fresh = _fresh_home(tmp_path)
    with open_context(write=True, environ=fresh, clock=FixedClock(FIXED_NOW)) as ctx:
        water = add_habit(ctx, HabitFields(name="WATER", unit="cups", target=2))  # the same habit, named in capitals
        log_habit(ctx, water, TODAY, value=1)
    summary = _import(document, fresh)
    assert summary.existing["habits"] == 1 and summary.existing["logs"] == 1  # today's water was already logged
    assert summary.added["logs"] == 5
    waters = [h for h in _export(fresh)["habits"] if h["name"].casefold() == "water"]
    assert len(waters) == 1 and waters[0]["unit"] == "cups"  # what was here stays as it was


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_a_dry_run_counts_and_changes_nothing(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = _export()
    fresh = _fresh_home(tmp_path)
    before = _export(fresh)
    summary = _import(document, fresh, dry_run=True)
    assert summary.dry_run and summary.added["habits"] == 3 and summary.added["logs"] == 6
    assert _export(fresh)["habits"] == before["habits"] == []


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_a_bad_record_is_named_and_nothing_is_imported(make_ctx, tmp_path: Path) -> None:
    _fill(make_ctx)
    document = _export()
    broken = copy.deepcopy(document)
    broken["habits"][1]["logs"][2]["day"] = "26/11/2026"
    with pytest.raises(InvalidInput, match=r"record habits\[1\]\.logs\[2\]\.day"):
        read_document(json.dumps(broken))
    cron = copy.deepcopy(document)
    cron["reminders"][0 if cron["reminders"][0]["kind"] == "cron" else 1]["cron"] = "every friday"
    with pytest.raises(InvalidInput, match=r"record reminders\[\d\]\.cron"):
        read_document(json.dumps(cron))
    setting = copy.deepcopy(document)
    setting["preferences"].append({"key": "database_url", "value": '"sqlite:///elsewhere.db"'})
    with pytest.raises(InvalidInput, match="not a per-user setting"):
        read_document(json.dumps(setting))
    with pytest.raises(InvalidInput, match="not a paa export"):
        read_document(json.dumps({"habits": []}))
    with pytest.raises(InvalidInput, match="version 2"):
        read_document(json.dumps({**document, "version": 2}))
    assert _export(_fresh_home(tmp_path))["habits"] == []


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_a_failure_part_way_leaves_nothing(make_ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(make_ctx)
    document = read_document(json.dumps(_export()))
    fresh = _fresh_home(tmp_path)
    _export(fresh)  # the install exists

    def fail(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("paa.core.dataio.importing._reminders", fail)  # after habits, check-ins and chats went in
    with pytest.raises(RuntimeError), open_context(write=True, environ=fresh) as ctx:
        import_document(ctx, document)
    assert _export(fresh)["habits"] == [] and _export(fresh)["conversations"] == []


def test_the_csv_form_is_a_zip_of_tables(make_ctx) -> None:
    _fill(make_ctx)
    with open_context(clock=FixedClock(FIXED_NOW)) as ctx:
        archive = zipfile.ZipFile(io.BytesIO(csv_zip(export_user(ctx, paa_version="test"))))
    assert json.loads(archive.read("export.json"))["format"] == "paa-export"
    logs = list(csv.DictReader(io.StringIO(archive.read("habit_logs.csv").decode())))
    assert {"habit": "Run", "status": "done", "note": "easy 5 km, knee fine"}.items() <= logs[0].items()
    messages = list(csv.DictReader(io.StringIO(archive.read("messages.csv").decode())))
    assert messages[1]["conversation"] == "1" and json.loads(messages[1]["tool_calls"])[0]["name"] == "log_habit"


def test_the_documented_schema_is_current() -> None:
    documented = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    assert documented == export_json_schema(), "regenerate docs/export-schema.json: python scripts/gen_docs.py"


# ---- generated histories ---------------------------------------------------------------------------------------

START = date(2025, 1, 1)
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
log_entry = st.tuples(st.integers(0, 600), st.sampled_from(["done", "skipped"]), st.none() | text,
                      st.none() | st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 3)))  # fmt: skip
habit_history = st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]", fullmatch=True),
                          st.booleans(), st.lists(log_entry, max_size=25))  # fmt: skip
checkin_entry = st.tuples(st.integers(0, 600), st.integers(1, 5), st.none() | st.integers(1, 5),
                          st.lists(st.tuples(text, text), max_size=3))  # fmt: skip


def _instant(day: int, seconds: int = 0) -> datetime:
    return datetime(2025, 1, 1, 8, tzinfo=UTC) + timedelta(days=day, seconds=seconds, microseconds=day * 7 + 3)


def _document(habits: list[Any], checkins: list[Any]) -> dict[str, Any]:
    names: set[str] = set()
    out_habits: list[dict[str, Any]] = []
    for name, measurable, logs in habits:
        if name.casefold() in names:
            continue
        names.add(name.casefold())
        days: dict[int, Any] = {}
        for day, status, note, value in logs:
            days[day] = (status, note, value if measurable and status == "done" else None)
        out_habits.append({
            "name": name, "description": None, "category": None, "color": None,
            "kind": "measurable" if measurable else "boolean", "unit": "km" if measurable else None,
            "target": 5.0 if measurable else None, "target_type": "at_least",
            "schedule": {"type": "daily", "weekdays": [], "times": 1, "period_days": 1},
            "reminders": {"times": [], "weekdays": []}, "archived": False, "position": len(out_habits),
            "created_at": _instant(0).isoformat(), "updated_at": _instant(1).isoformat(),
            "logs": [{"day": (START + timedelta(days=day)).isoformat(), "status": status, "value": value, "note": note,
                      "created_at": _instant(day, 60).isoformat(), "updated_at": _instant(day, 90).isoformat()}
                     for day, (status, note, value) in sorted(days.items())],
        })  # fmt: skip
    by_day = {day: (mood, energy, answers) for day, mood, energy, answers in checkins}
    return {
        "format": "paa-export", "version": 1, "paa_version": "test", "exported_at": _instant(700).isoformat(),
        "user": {"username": "someone", "display_name": None, "created_at": _instant(0).isoformat()},
        "preferences": [], "habits": out_habits, "checkin_prompts": [],
        "checkins": [{"day": (START + timedelta(days=day)).isoformat(), "mood": mood, "energy": energy,
                      "answers": [{"prompt": p, "answer": a} for p, a in answers],
                      "sentiment": {"score": None, "label": None, "source": None}, "reflection": None,
                      "created_at": _instant(day, 30).isoformat(), "updated_at": _instant(day, 30).isoformat()}
                     for day, (mood, energy, answers) in sorted(by_day.items())],
        "conversations": [], "memories": [], "reminders": [],
    }  # fmt: skip


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(habits=st.lists(habit_history, max_size=4), checkins=st.lists(checkin_entry, max_size=10))
def test_generated_histories_survive_export_and_import(tmp_path_factory, habits, checkins) -> None:
    document = read_document(json.dumps(_document(habits, checkins)))
    home = {**os.environ, "PAA_HOME": str(tmp_path_factory.mktemp("generated") / "home")}
    with open_context(write=True, environ=home, clock=FixedClock(FIXED_NOW)) as ctx:
        import_document(ctx, document)
    exported = _export(home)
    wanted = document_json(document)
    assert exported["habits"] == wanted["habits"] and exported["checkins"] == wanted["checkins"]
    with open_context(write=True, environ=home, clock=FixedClock(FIXED_NOW)) as ctx:
        assert sum(import_document(ctx, document).added.values()) == 0  # idempotent


@pytest.mark.sqlite_only  # a second install in another PAA_HOME (on PostgreSQL the database URL is shared)
def test_an_import_of_logs_alone_tells_the_change_feed(make_ctx, tmp_path: Path) -> None:
    """Logs go in by plain INSERTs, which the session's change watch does not see; clients still hear of them."""
    import sqlite3

    _fill(make_ctx)
    document = _export()
    fresh = _fresh_home(tmp_path)
    _import(document, fresh)
    more = copy.deepcopy(document)
    first_log = more["habits"][0]["logs"][0]
    more["habits"][0]["logs"].insert(0, {**first_log, "day": "2026-01-05"})  # one new day on an existing habit
    with sqlite3.connect(tmp_path / "fresh" / "paa.db") as conn:
        before = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    assert _import(more, fresh).added["logs"] == 1
    with sqlite3.connect(tmp_path / "fresh" / "paa.db") as conn:
        rows = conn.execute("SELECT data FROM events WHERE type = 'data:changed' AND id > ?", (before,)).fetchall()
    assert [json.loads(data)["areas"] for (data,) in rows] == [["habits"]]


def test_a_real_export_is_valid_against_the_documented_schema(make_ctx) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    _fill(make_ctx)
    documented = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(documented).validate(_export())
    broken = _export()
    broken["habits"][0]["logs"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(documented).validate(broken)
