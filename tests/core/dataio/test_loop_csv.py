"""Importing Loop Habit Tracker's CSV export and a plain date,habit,value log (fixture files written for paa)."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from paa.clock import FixedClock
from paa.core.dataio.export import document_json, export_user
from paa.core.dataio.importing import import_document
from paa.core.dataio.loop import read_loop, read_simple_csv
from paa.core.habits.manage import HabitFields, add_habit
from paa.errors import InvalidInput
from tests.support.clock import FIXED_NOW
from tests.support.runtime import open_context

LOOP_EXPORT = Path(__file__).with_name("loop_export")


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for item in sorted(folder.rglob("*.csv")):
            archive.write(item, item.relative_to(folder).as_posix())
    return target


def _habits() -> dict[str, dict]:
    with open_context(clock=FixedClock(FIXED_NOW)) as ctx:
        return {habit["name"]: habit for habit in document_json(export_user(ctx, paa_version="t"))["habits"]}


def _import_loop(path: Path, *, dry_run: bool = False):
    with open_context(write=True, clock=FixedClock(FIXED_NOW)) as ctx:
        return import_document(ctx, read_loop(path, ctx.now()), dry_run=dry_run)


def test_a_loop_export_becomes_habits_and_logs(tmp_path: Path) -> None:
    summary = _import_loop(_zip(LOOP_EXPORT, tmp_path / "Loop Habits CSV 2026-11-26.zip"))
    assert summary.added["habits"] == 3 and summary.added["logs"] == 6
    habits = _habits()
    meditate, run, old = habits["Meditate"], habits["Run"], habits["Old habit"]
    assert meditate["kind"] == "boolean" and meditate["color"] == "#ff8f00"
    assert meditate["description"] == "Did you meditate today? / Ten quiet minutes"
    assert [(log["day"], log["status"], log["note"]) for log in meditate["logs"]] == [
        ("2026-11-23", "done", "calm, 12 minutes"),
        ("2026-11-25", "skipped", "travelling"),
        ("2026-11-26", "done", None),
    ]  # NO and UNKNOWN days are not logs
    assert run["kind"] == "measurable" and run["unit"] == "km" and run["target"] == 5.0
    assert run["schedule"] == {"type": "x_per_y", "weekdays": [], "times": 3, "period_days": 7}
    assert [(log["day"], log["value"], log["note"]) for log in run["logs"]] == [
        ("2026-11-23", 10.0, "long run"), ("2026-11-25", 5.2, "tempo"),
    ]  # fmt: skip  # amounts are kept in thousandths by Loop
    assert old["archived"] and len(old["logs"]) == 1


def test_the_unpacked_folder_imports_the_same_and_twice_adds_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    shutil.copytree(LOOP_EXPORT, folder)
    assert _import_loop(folder, dry_run=True).added["logs"] == 6
    assert _habits() == {}
    assert _import_loop(folder).added["logs"] == 6
    again = _import_loop(_zip(LOOP_EXPORT, tmp_path / "again.zip"))
    assert sum(again.added.values()) == 0 and again.existing["logs"] == 6


def test_a_bad_loop_line_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(LOOP_EXPORT, folder)
    checkmarks = folder / "002 Run" / "Checkmarks.csv"
    checkmarks.write_text(checkmarks.read_text().replace("2026-11-24", "24.11.2026"))
    with pytest.raises(InvalidInput, match=r"002 Run/Checkmarks\.csv line 4: '24\.11\.2026' is not a date"):
        _import_loop(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match=r"no Habits\.csv"):
        _import_loop(tmp_path / "empty")
    assert _habits() == {}


def _import_csv(text: str):
    with open_context(write=True, clock=FixedClock(FIXED_NOW)) as ctx:
        kinds = {"water": "measurable"} if "Water" in _names(ctx) else {}
        return import_document(ctx, read_simple_csv(text, "log.csv", ctx.now(), kinds))


def _names(ctx) -> set[str]:
    from paa.core.habits.manage import list_habits

    return {habit.name for habit in list_habits(ctx, include_archived=True)}


def test_a_simple_csv_log(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))
    text = (
        "date,habit,value,note\n2026-11-24,Read,,a chapter\n2026-11-25,read,done,\n2026-11-25,Water,6,\n"
        "2026-11-26,Read,skip,\n"
    )
    summary = _import_csv(text)
    assert summary.added["habits"] == 1 and summary.existing["habits"] == 1 and summary.added["logs"] == 4
    habits = _habits()
    assert [(log["status"], log["note"]) for log in habits["Read"]["logs"]] == [
        ("done", "a chapter"), ("done", None), ("skipped", None),
    ]  # fmt: skip
    assert habits["Water"]["logs"][0]["value"] == 6.0
    assert sum(_import_csv(text).added.values()) == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("day,habit,value\n", "line 1: the header must be date,habit,value"),
        ("date,habit,value\n2026-11-26,Read,yes\n2026-13-01,Read,\n", r"log.csv line 3: '2026-13-01' is not a date"),
        ("date,habit,value\n2026-11-26,Run,5\n", r"line 2: 'Run' is not a habit yet and '5' is an amount"),
        ("date,habit,value\n2026-11-26,Water,lots\n", r"line 2: value 'lots' is not a number"),
        ("date,habit,value\n2026-11-26,Read,\n2026-11-26,read,\n", "line 3: 'read' has another row for 2026-11-26"),
    ],
)
def test_a_bad_csv_line_is_named(make_ctx, text: str, problem: str) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))
    with pytest.raises(InvalidInput, match=problem):
        _import_csv(text)
    assert set(_habits()) == {"Water"}


# Loop's database backup: the columns of its Habits and Repetitions tables (Loop's HabitRecord and EntryRecord).
LOOP_SCHEMA = """
create table Habits (id integer primary key autoincrement, archived integer, color integer, description text,
    freq_den integer, freq_num integer, highlight integer, name text, position integer, reminder_hour integer,
    reminder_min integer, reminder_days integer not null default 127, type integer not null default 0,
    target_type integer not null default 0, target_value real not null default 0, unit text not null default '',
    question text, uuid text);
create table Repetitions (id integer primary key autoincrement, habit integer not null references habits(id),
    timestamp integer not null, value integer not null, notes text);
"""
DAY_MS = 86_400_000
NOV_23 = 1_795_392_000_000  # 2026-11-23T00:00:00Z in milliseconds, as Loop stores a day


def _loop_db(path: Path) -> Path:
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.executescript(LOOP_SCHEMA)
        conn.execute("insert into Habits (id, archived, color, description, freq_den, freq_num, name, position,"
                     " reminder_hour, reminder_min, reminder_days, type, question, uuid) values"
                     " (1, 0, 8, '', 1, 1, 'Meditate', 0, 7, 30, 36, 0, 'Did you meditate?', 'a')")  # fmt: skip
        conn.execute("insert into Habits (id, archived, color, description, freq_den, freq_num, name, position, type,"
                     " target_type, target_value, unit, question, uuid) values"
                     " (2, 1, 3, 'Easy pace', 7, 3, 'Run', 1, 1, 0, 5.0, 'km', '', 'b')")  # fmt: skip
        rows = [
            (1, NOV_23, 2, "calm"), (1, NOV_23 + DAY_MS, 3, ""), (1, NOV_23 + 2 * DAY_MS, 0, ""),
            (1, NOV_23 + 3 * DAY_MS, 2, None), (2, NOV_23, 10000, "long run"), (2, NOV_23 + DAY_MS, 0, ""),
        ]  # fmt: skip
        conn.executemany("insert into Repetitions (habit, timestamp, value, notes) values (?, ?, ?, ?)", rows)
    return path


def test_a_loop_database_backup(tmp_path: Path) -> None:
    backup = _loop_db(tmp_path / "Loop Habits Backup 2026-11-26.db")
    summary = _import_loop(backup)
    assert summary.added["habits"] == 2 and summary.added["logs"] == 4
    habits = _habits()
    meditate, run = habits["Meditate"], habits["Run"]
    assert meditate["reminders"]["times"] == ["07:30"] and meditate["description"] == "Did you meditate?"
    # Loop's reminder mask 36 is bits 2 and 5, counted from Saturday: Monday and Thursday.
    assert meditate["reminders"]["weekdays"] == ["mon", "thu"]
    assert meditate["color"] == "#00897b" and run["color"] == "#ff8f00"  # palette indices 8 and 3
    assert [(log["day"], log["status"], log["note"]) for log in meditate["logs"]] == [
        ("2026-11-23", "done", "calm"),
        ("2026-11-24", "skipped", None),
        ("2026-11-26", "done", None),
    ]
    assert run["archived"] and run["unit"] == "km" and run["target"] == 5.0 and run["schedule"]["times"] == 3
    assert [(log["day"], log["value"]) for log in run["logs"]] == [("2026-11-23", 10.0)]
    assert sum(_import_loop(backup).added.values()) == 0


def test_loop_s_every_day_reminder_is_the_habit_s_own_days(tmp_path: Path) -> None:
    import sqlite3

    backup = _loop_db(tmp_path / "loop.db")
    with sqlite3.connect(backup) as conn:
        conn.execute("update Habits set reminder_days = 127, color = 99 where id = 1")  # 99: no colour of Loop's
    _import_loop(backup)
    meditate = _habits()["Meditate"]
    assert meditate["reminders"] == {"times": ["07:30"], "weekdays": []} and meditate["color"] is None


def test_an_sqlite_file_that_is_not_loops_is_refused(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer)")
    with pytest.raises(InvalidInput, match="not a Loop Habit Tracker backup"):
        _import_loop(other)


JRNL: dict[str, Any] = {
    "tags": {"@knee": 1},
    "entries": [
        {"title": "Long run today.", "body": "18 km, the @knee held up.", "date": "2026-11-22", "time": "19:05",
         "tags": ["@knee"], "starred": False},
        {"title": "Slept badly.", "body": "", "date": "2026-11-23", "time": "07:10", "tags": [], "starred": True},
        {"title": "Evening.", "body": "Quiet day, read a lot.", "date": "2026-11-23", "time": "22:30", "tags": [],
         "starred": False},
    ],
}  # fmt: skip


def _import_jrnl(into: str, data: object = JRNL):
    import json
    from zoneinfo import ZoneInfo

    from paa.core.dataio.loop import read_jrnl

    with open_context(write=True, clock=FixedClock(FIXED_NOW)) as ctx:
        document = read_jrnl(json.dumps(data), "journal.json", ctx.now(), ZoneInfo("Europe/Berlin"), into)
        return import_document(ctx, document)


def _everything() -> dict:
    with open_context(clock=FixedClock(FIXED_NOW)) as ctx:
        return document_json(export_user(ctx, paa_version="t"))


def test_jrnl_entries_become_memories() -> None:
    assert _import_jrnl("memories").added["memories"] == 3
    memories = _everything()["memories"]
    assert memories[0] == {"content": "Long run today.\n\n18 km, the @knee held up.",
                           "created_at": "2026-11-22T18:05:00Z"}  # fmt: skip  # 19:05 in Berlin
    assert memories[1]["content"] == "Slept badly."
    assert sum(_import_jrnl("memories").added.values()) == 0


def test_jrnl_days_become_checkins() -> None:
    assert _import_jrnl("checkins").added["checkins"] == 2
    checkins = _everything()["checkins"]
    assert [c["day"] for c in checkins] == ["2026-11-22", "2026-11-23"]
    assert checkins[1]["answers"] == [
        {"prompt": "Slept badly.", "answer": "Slept badly."},
        {"prompt": "Evening.", "answer": "Quiet day, read a lot."},
    ]
    assert sum(_import_jrnl("checkins").added.values()) == 0


def test_a_bad_jrnl_entry_is_named() -> None:
    broken = {"entries": [JRNL["entries"][0], {**JRNL["entries"][1], "date": "yesterday"}]}
    with pytest.raises(InvalidInput, match=r"journal\.json, entry 1: 'yesterday' is not a date"):
        _import_jrnl("memories", broken)
    with pytest.raises(InvalidInput, match="not a jrnl export"):
        _import_jrnl("memories", {"items": []})
    assert _everything()["memories"] == []


def test_after_import_strength_is_what_loop_shows(tmp_path: Path) -> None:
    """Loop's published figures (its YesNoScoreListTest: done 20 days, skipped 3 of them) come out of the import."""
    from datetime import timedelta

    from paa.core.analytics.strength import strength_on
    from paa.core.habits.manage import resolve_habit, rule_of
    from paa.core.habits.status import Entry

    today = FIXED_NOW.date()
    folder = tmp_path / "loop"
    (folder / "001 Meditate").mkdir(parents=True)
    (folder / "Habits.csv").write_text(
        "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,Color,Unit,Target Type,"
        "Target Value,Archived?\n001,Meditate,YES_NO,,,1,1,#FF8F00,,,,false\n"
    )
    lines = ["Date,Value,Notes"]
    for back in range(25):  # Loop writes the newest day first, a value for every day since the first
        value = "SKIP" if back in (5, 10, 11) else "YES_MANUAL" if back < 20 else "NO"
        lines.append(f"{(today - timedelta(days=back)).isoformat()},{value},")
    (folder / "001 Meditate" / "Checkmarks.csv").write_text("\n".join(lines) + "\n")
    _import_loop(folder)
    logs = _habits()["Meditate"]["logs"]
    entries = {date.fromisoformat(log["day"]): Entry(log["status"], log["value"]) for log in logs}
    with open_context(clock=FixedClock(FIXED_NOW)) as ctx:
        rule = rule_of(resolve_habit(ctx, "Meditate"))
    assert strength_on(rule, entries, today) == pytest.approx(0.596033, abs=1e-6)  # Loop's score for today
    assert strength_on(rule, entries, today - timedelta(days=5)) == pytest.approx(0.472617, abs=1e-6)


def test_an_import_reports_its_progress_in_records(tmp_path: Path) -> None:
    """What a progress bar is fed: the records done so far, rising to the document's total."""
    seen: list[tuple[int, int]] = []
    with open_context(write=True, clock=FixedClock(FIXED_NOW)) as ctx:
        document = read_loop(_zip(LOOP_EXPORT, tmp_path / "loop.zip"), ctx.now())
        import_document(ctx, document, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (9, 9)  # 3 habits and their 6 logs
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)
