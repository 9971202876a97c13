"""Reading other programs' files as paa export documents: Loop Habit Tracker's CSV export and backup, jrnl's JSON
export, and a plain `date,habit,value` log.

Both become a `schema.Export` that `importing.import_document` then imports, so they share its checks, natural keys
(importing twice adds nothing), dry run and single transaction. Errors name the file and line.

Loop's "Export as CSV" is a zip (or the folder it unpacks to) holding `Habits.csv` and, per habit, a folder
`NNN Name/` (NNN its position) with `Checkmarks.csv` (`Date,Value,Notes`) and `Scores.csv`. paa reads Habits.csv
and each Checkmarks.csv; scores are computed again by paa, the same way Loop computes them. Loop's database backup
(its "Export full backup", an SQLite file) is read from its Habits and Repetitions tables.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from paa.core.dataio import schema
from paa.core.habits.schedule import SHORT_DAYS
from paa.errors import InvalidInput, NotFound

_POSITION = re.compile(r"^(\d{3})\b")
# What a Checkmarks.csv value means: Loop writes names, older versions wrote numbers.
_DONE = {"YES_MANUAL", "2"}
_SKIPPED = {"SKIP", "3", "-3"}
_NOTHING = {"YES_AUTO", "NO", "UNKNOWN", "1", "0", "-1", ""}  # computed or empty days: no log in paa


@dataclass(frozen=True)
class _Files:
    """The text files of an export, by their path inside it ("Habits.csv", "001 Run/Checkmarks.csv")."""

    texts: dict[str, str]
    name: str

    def get(self, path: str) -> str | None:
        return self.texts.get(path)


def _read_files(path: Path) -> _Files:
    if not path.exists():
        raise NotFound(f"no file or folder {path}", field="file")
    texts: dict[str, str] = {}
    try:
        if path.is_dir():
            for item in path.rglob("*.csv"):
                texts[item.relative_to(path).as_posix()] = item.read_text(encoding="utf-8-sig")
        else:
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.lower().endswith(".csv"):
                        texts[member] = archive.read(member).decode("utf-8-sig")
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path} is neither a zip file nor a folder", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="file") from None
    # A zip made by hand may hold the files one folder down ("Loop Habits CSV 2026-12-06/Habits.csv").
    prefixes = [name[: -len("Habits.csv")] for name in texts if name.endswith("Habits.csv")]
    if not prefixes:
        raise InvalidInput(f"{path} holds no Habits.csv: it is not a Loop Habit Tracker CSV export", field="file")
    prefix = min(prefixes, key=len)
    return _Files({name[len(prefix) :]: text for name, text in texts.items() if name.startswith(prefix)}, str(path))


def _rows(text: str, where: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row with its line number (the header is line 1), keys as written in the header."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return
    for row in reader:
        if None in row:
            raise InvalidInput(f"{where} line {reader.line_num}: more values than the header names", field="file")
        yield reader.line_num, {key.strip(): (value or "").strip() for key, value in row.items() if key}


def _number(text: str, where: str, label: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{where}: {label} {text!r} is not a number", field="file") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{where}: {label} {text!r} is not a number", field="file")
    return value


def _day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{where}: {text!r} is not a date (YYYY-MM-DD)", field="file") from None


def read_loop(path: Path, now: datetime) -> schema.Export:
    """Loop's CSV export (a zip or its folder) or its database backup (`.db`) as a paa export document."""
    from paa import __version__

    if path.is_file() and _is_sqlite(path):
        return _read_loop_db(path, now, __version__)
    files = _read_files(path)
    habits_text = files.get("Habits.csv") or ""
    folders = {
        match[1]: name.rsplit("/", 1)[0]
        for name in files.texts
        if name.endswith("/Checkmarks.csv") and (match := _POSITION.match(name))
    }
    habits: list[dict[str, Any]] = []
    for line, row in _rows(habits_text, "Habits.csv"):
        where = f"Habits.csv line {line}"
        name = row.get("Name", "")
        if not name:
            raise InvalidInput(f"{where}: the habit has no name", field="file")
        position = row.get("Position", "")
        numerical = row.get("Type", "YES_NO").upper() == "NUMERICAL"
        numerator = row.get("FrequencyNumerator") or row.get("NumRepetitions") or "1"
        denominator = row.get("FrequencyDenominator") or row.get("Interval") or "1"
        times, period = int(_number(numerator, where, "frequency")), int(_number(denominator, where, "frequency"))
        if times < 1 or period < 1 or times > period:
            raise InvalidInput(f"{where}: the frequency {times}/{period} is not one paa can keep", field="file")
        description = " / ".join(part for part in (row.get("Question", ""), row.get("Description", "")) if part)
        habit: dict[str, Any] = {
            "name": name,
            "description": description[:2000] or None,
            "color": (row.get("Color") or "").lower() or None,
            "kind": "measurable" if numerical else "boolean",
            "schedule": {"type": "daily"} if times == period == 1 else
                        {"type": "x_per_y", "times": times, "period_days": period},
            "archived": row.get("Archived?", "false").lower() == "true",
            "position": len(habits) + 1,
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
        }  # fmt: skip
        if numerical:
            habit["unit"] = row.get("Unit") or None
            habit["target"] = _number(row.get("Target Value") or "0", where, "target")
            habit["target_type"] = "at_most" if row.get("Target Type", "").upper() == "AT_MOST" else "at_least"
        folder = folders.get(position[-3:].zfill(3)) if position else None
        if folder is not None:
            habit["logs"] = _loop_logs(files, folder, numerical, now)
        habits.append(habit)
    if not habits:
        raise InvalidInput(f"{files.name}: Habits.csv lists no habits", field="file")
    return _document(habits, now, __version__)


def _loop_logs(files: _Files, folder: str, numerical: bool, now: datetime) -> list[dict[str, Any]]:
    where_file = f"{folder}/Checkmarks.csv"
    logs = []
    for line, row in _rows(files.get(where_file) or "", where_file):
        where = f"{where_file} line {line}"
        value = row.get("Value", "").upper()
        note = row.get("Notes") or None
        entry: dict[str, Any] = {"day": _day(row.get("Date", ""), where).isoformat(), "note": note,
                                 "created_at": now.isoformat(), "updated_at": now.isoformat()}  # fmt: skip
        if value in _SKIPPED:
            entry["status"] = "skipped"
        elif numerical and value not in _NOTHING:
            amount = _number(value, where, "value") / 1000  # Loop keeps amounts in thousandths
            if amount <= 0:
                continue
            entry.update(status="done", value=amount)
        elif not numerical and value in _DONE:
            entry["status"] = "done"
        elif value in _NOTHING or value in _DONE:
            continue
        else:
            raise InvalidInput(f"{where}: unknown value {row.get('Value')!r}", field="file")
        logs.append(entry)
    return logs


def _document(habits: list[dict[str, Any]], now: datetime, version: str) -> schema.Export:
    from pydantic import ValidationError

    data = {
        "format": schema.FORMAT, "version": schema.VERSION, "paa_version": version, "exported_at": now.isoformat(),
        "user": {"username": "imported", "created_at": now.isoformat()}, "habits": habits,
    }  # fmt: skip
    try:
        return schema.Export.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"cannot import {where}: {first['msg']}", field="file") from None


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.read(16) == b"SQLite format 3\x00"


# Loop stores a habit's colour as an index into its palette of 20; its CSV export writes these same colours.
LOOP_PALETTE = (
    "#d32f2f", "#e64a19", "#f57c00", "#ff8f00", "#f9a825", "#afb42b", "#7cb342", "#388e3c", "#00897b", "#00acc1",
    "#039be5", "#1976d2", "#303f9f", "#5e35b1", "#8e24aa", "#d81b60", "#5d4037", "#303030", "#757575", "#aaaaaa",
)  # fmt: skip
# Loop's reminder days are a 7-bit mask whose bit i is weekday i counted from Saturday (its weekday numbering).
LOOP_DAY_BITS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")


def _read_loop_db(path: Path, now: datetime, version: str) -> schema.Export:
    """Loop's database backup: its Habits table and every Repetitions row (a day's value and note)."""
    import sqlite3
    from contextlib import closing
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            tables = {row[0].lower() for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"habits", "repetitions"} <= tables:
                raise InvalidInput(f"{path} is an SQLite file but not a Loop Habit Tracker backup", field="file")
            habit_rows = conn.execute("SELECT * FROM Habits ORDER BY position, id").fetchall()
            repetitions = conn.execute("SELECT * FROM Repetitions ORDER BY habit, timestamp").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="file") from None
    by_habit: dict[int, list[sqlite3.Row]] = {}
    for repetition in repetitions:
        by_habit.setdefault(repetition["habit"], []).append(repetition)
    stamp = now.isoformat()
    habits: list[dict[str, Any]] = []
    for row in habit_rows:
        fields = row.keys()
        where = f"{path.name}, habit {row['id']}"
        numerical = "type" in fields and row["type"] == 1
        times, period = int(row["freq_num"] or 1), int(row["freq_den"] or 1)
        if times < 1 or period < 1 or times > period:
            raise InvalidInput(f"{where}: the frequency {times}/{period} is not one paa can keep", field="file")
        parts = [row[name] for name in ("question", "description") if name in fields and row[name]]
        habit: dict[str, Any] = {
            "name": (row["name"] or "").strip(),
            "description": " / ".join(parts)[:2000] or None,
            "kind": "measurable" if numerical else "boolean",
            "schedule": {"type": "daily"} if times == period == 1 else
                        {"type": "x_per_y", "times": times, "period_days": period},
            "archived": bool(row["archived"]),
            "position": len(habits) + 1,
            "created_at": stamp,
            "updated_at": stamp,
        }  # fmt: skip
        if "color" in fields and row["color"] is not None and 0 <= int(row["color"]) < len(LOOP_PALETTE):
            habit["color"] = LOOP_PALETTE[int(row["color"])]
        if row["reminder_hour"] is not None and row["reminder_min"] is not None:
            reminder: dict[str, Any] = {"times": [f"{int(row['reminder_hour']):02d}:{int(row['reminder_min']):02d}"]}
            mask = int(row["reminder_days"]) if "reminder_days" in fields and row["reminder_days"] is not None else 127
            if 0 < mask & 127 < 127:  # every day (127, Loop's default) is paa's empty list: the days it is due
                reminder["weekdays"] = [day for day in SHORT_DAYS if mask & (1 << LOOP_DAY_BITS.index(day))]
            habit["reminders"] = reminder
        if numerical:
            habit["unit"] = (row["unit"] if "unit" in fields else None) or None
            habit["target"] = float(row["target_value"] or 0)
            habit["target_type"] = "at_most" if "target_type" in fields and row["target_type"] == 1 else "at_least"
        habit["logs"] = _db_logs(by_habit.get(row["id"], []), numerical, stamp)
        habits.append(habit)
    if not habits:
        raise InvalidInput(f"{path}: the Loop backup holds no habits", field="file")
    return _document(habits, now, version)


def _db_logs(rows: list[Any], numerical: bool, stamp: str) -> list[dict[str, Any]]:
    """A habit's Repetitions as logs: the day from the timestamp (UTC midnight, in milliseconds), done or skipped."""
    from datetime import UTC, timedelta

    logs = []
    for row in rows:
        fields = row.keys()
        value = row["value"] if "value" in fields else 2  # the oldest backups kept only the days done
        day = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(row["timestamp"]))).date()
        entry: dict[str, Any] = {"day": day.isoformat(), "note": (row["notes"] if "notes" in fields else None) or None,
                                 "created_at": stamp, "updated_at": stamp}  # fmt: skip
        if value in (3, -3):
            entry["status"] = "skipped"
        elif numerical and value > 0:
            entry.update(status="done", value=value / 1000)
        elif not numerical and value == 2:
            entry["status"] = "done"
        else:
            continue  # computed, missed or unknown days are no log in paa
        logs.append(entry)
    return logs


CSV_HEADER = ("date", "habit", "value")


def read_simple_csv(text: str, source: str, now: datetime, kinds: dict[str, str]) -> schema.Export:
    """A `date,habit,value[,note]` log as a paa export document.

    `kinds` maps the casefolded names of the user's habits to their kind. A value is empty, `done`, `yes`, `x` or
    `1` for done (on a habit that is not measurable), `skip` or `skipped`, or an amount for a measurable habit. A
    habit not there yet is made as a yes/no habit; one that needs amounts must be added first.
    """
    from paa import __version__

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if header[:3] != list(CSV_HEADER) or not set(header[3:]) <= {"note"}:
        raise InvalidInput(
            f"{source} line 1: the header must be date,habit,value (and optionally note), not {','.join(header)!r}",
            field="file",
        )
    reader.fieldnames = header
    habits: dict[str, dict[str, Any]] = {}
    for row in reader:
        where = f"{source} line {reader.line_num}"
        if None in row:
            raise InvalidInput(f"{where}: more values than the header names", field="file")
        day = _day((row.get("date") or "").strip(), where)
        name = (row.get("habit") or "").strip()
        if not name:
            raise InvalidInput(f"{where}: no habit named", field="file")
        key = name.casefold()
        kind = kinds.get(key, "boolean")
        raw = (row.get("value") or "").strip()
        entry: dict[str, Any] = {"day": day.isoformat(), "note": (row.get("note") or "").strip() or None,
                                 "created_at": now.isoformat(), "updated_at": now.isoformat()}  # fmt: skip
        if raw.lower() in ("skip", "skipped"):
            entry["status"] = "skipped"
        elif kind == "measurable":
            amount = _number(raw, where, "value")
            if amount < 0:
                raise InvalidInput(f"{where}: the value must be zero or more", field="file")
            entry.update(status="done", value=amount)
        elif raw.lower() in ("", "done", "yes", "y", "x", "1", "true"):
            entry["status"] = "done"
        elif key not in kinds:
            raise InvalidInput(
                f"{where}: {name!r} is not a habit yet and {raw!r} is an amount",
                hint=f'add it first as a measurable habit: paa habit add "{name}" --unit UNIT --target N',
                field="file",
            )
        else:
            raise InvalidInput(f"{where}: {name!r} is a yes/no habit; {raw!r} is not done or skip", field="file")
        stamp = now.isoformat()
        target = 1.0 if kind == "measurable" else None  # an existing habit keeps its own; only the key matters here
        made: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "target": target,
            "created_at": stamp,
            "updated_at": stamp,
            "logs": [],
        }
        habit = habits.setdefault(key, made)
        if any(log["day"] == entry["day"] for log in habit["logs"]):
            raise InvalidInput(f"{where}: {name!r} has another row for {day.isoformat()}", field="file")
        habit["logs"].append(entry)
    return _document(list(habits.values()), now, __version__)


def read_jrnl(text: str, source: str, now: datetime, zone: Any, into: str) -> schema.Export:
    """jrnl's JSON export (`jrnl --format json`) as a paa export document: each entry a remembered fact
    (`into="memories"`), or each day's entries the answers of that day's check-in (`into="checkins"`).

    An entry's date and time are read in `zone` (the user's), as jrnl wrote them.
    """
    import json
    from datetime import UTC, time

    from paa import __version__

    if into not in ("memories", "checkins"):
        raise InvalidInput(f"cannot import jrnl entries into {into!r}", hint="use --into memories or --into checkins")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{source} is not JSON: {exc}", field="file") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(
            f'{source} is not a jrnl export (no "entries" list)', hint="write one with: jrnl --format json"
        )
    memories: list[dict[str, Any]] = []
    days: dict[date, dict[str, Any]] = {}
    for number, entry in enumerate(entries):
        where = f"{source}, entry {number}"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where}: not an object", field="file")
        day = _day(str(entry.get("date", "")), where)
        try:
            at = time.fromisoformat(str(entry.get("time") or "00:00"))
        except ValueError:
            raise InvalidInput(f"{where}: {entry.get('time')!r} is not a time (HH:MM)", field="file") from None
        title = " ".join(str(entry.get("title") or "").split())
        body = str(entry.get("body") or "").strip()
        instant = datetime.combine(day, at, tzinfo=zone).astimezone(UTC).isoformat()
        if into == "memories":
            content = "\n\n".join(part for part in (title, body) if part)[:2000]
            if content:
                memories.append({"content": content, "created_at": instant})
            continue
        checkin = days.setdefault(day, {"day": day.isoformat(), "answers": [], "created_at": instant,
                                        "updated_at": instant})  # fmt: skip
        checkin["answers"].append({"prompt": title or "Journal", "answer": body or title})
    document = _document([], now, __version__)
    if into == "memories":
        return document.model_copy(update={"memories": [schema.Memory.model_validate(m) for m in memories]})
    checkins = [schema.Checkin.model_validate(value) for _, value in sorted(days.items())]
    return document.model_copy(update={"checkins": checkins})
