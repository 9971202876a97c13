"""Benchmark: paa's commands on 10 years of data against the same on an empty database.

It builds a database with 20 habits, 10 years of their logs, 3,650 check-ins and a few thousand chat
messages (fixed seed), then runs the real `paa` executable next to this interpreter and prints the
ratio of each command's median wall time to its baseline on an empty database: `paa habit list` and
`paa habit today` against themselves (target <= 1.1), `paa analytics summary` and `paa analytics habit X`
against `paa habit list` (target <= 1.5). CPU time (user + system of each child) is printed too: it moves far
less when the machine is busy.

    python bench/analytics.py [--runs 7] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
YEARS = 10
SEED = 20261126
TARGET = 1.5  # analytics on ten years against `habit list` on none
SAME_TARGET = 1.1  # a command on ten years against the same command on none

# name, schedule (days | times/per), measurable (unit, target, at_most), how often it is kept
HABITS: list[tuple[str, dict[str, Any], tuple[str, float, bool] | None, float]] = [
    ("Meditate", {}, None, 0.85),
    ("Read", {}, None, 0.75),
    ("Journal", {}, None, 0.6),
    ("Floss", {}, None, 0.7),
    ("Stretch", {}, None, 0.65),
    ("No sugar", {}, None, 0.5),
    ("Vitamins", {}, None, 0.9),
    ("Walk", {}, None, 0.8),
    ("Run", {"days": "mon,wed,fri"}, None, 0.75),
    ("Gym", {"days": "tue,thu"}, None, 0.7),
    ("Piano", {"days": "weekdays"}, None, 0.6),
    ("Call family", {"days": "sun"}, None, 0.8),
    ("Swim", {"times": 2, "per": 7}, None, 0.35),
    ("Cook", {"times": 4, "per": 7}, None, 0.55),
    ("Clean", {"times": 1, "per": 3}, None, 0.4),
    ("Budget", {"times": 1, "per": 30}, None, 0.05),
    ("Water", {}, ("glasses", 8.0, False), 0.9),
    ("Steps", {}, ("k steps", 8.0, False), 0.85),
    ("Coffee", {}, ("cups", 2.0, True), 0.95),
    ("Cycle", {"days": "sat,sun"}, ("km", 20.0, False), 0.6),
]


def populate(home: Path) -> dict[str, int]:
    """Create the benchmark database under `home` (PAA_HOME) by bulk inserts; return row counts."""
    os.environ["PAA_HOME"] = str(home)
    os.environ["PAA_TIMEZONE"] = "UTC"
    from sqlalchemy import insert

    from paa.clock import FixedClock
    from paa.core.habits.manage import HabitFields, add_habit, rule_of
    from paa.core.runtime import Runtime
    from paa.db.models import Conversation, DailyCheckin, HabitLog, Message

    rng = random.Random(SEED)
    today = NOW.date()
    first = today - timedelta(days=365 * YEARS - 1)
    start = datetime(first.year, first.month, first.day, 9, 0, tzinfo=UTC)
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    counts = {"habits": 0, "logs": 0, "checkins": 0, "messages": 0}
    with Runtime.from_environ(os.environ, clock=FixedClock(start)) as runtime, runtime.context(write=True) as ctx:
        user_id = ctx.user_id
        habits = []
        for name, schedule, measure, keep in HABITS:
            unit, target, at_most = measure if measure else (None, None, False)
            fields = HabitFields(name=name, unit=unit, target=target, at_most=at_most, **schedule)
            habits.append((add_habit(ctx, fields), keep))
        counts["habits"] = len(habits)
    with Runtime.from_environ(os.environ, clock=FixedClock(NOW)) as runtime, runtime.context(write=True) as ctx:
        session = ctx.session
        logs: list[dict[str, object]] = []
        good_day = {day: rng.random() < 0.5 for day in days}
        for habit, keep in habits:
            rule = rule_of(habit)
            for day in days:
                roll = rng.random() - (0.1 if good_day[day] else -0.1)
                if rule.schedule.type == "weekdays" and not rule.schedule.is_scheduled(day):
                    continue
                if roll < 0.02:
                    logs.append(_log(user_id, habit.id, day, "skipped", None))
                elif roll < keep:
                    value = None
                    if rule.measurable:
                        spread = rng.uniform(0.5, 1.4) if not rule.at_most else rng.uniform(0.0, 1.5)
                        value = round((rule.target or 1.0) * spread, 1)
                    logs.append(_log(user_id, habit.id, day, "done", value))
        session.execute(insert(HabitLog), logs)
        counts["logs"] = len(logs)
        checkins = []
        for day in days:
            mood = max(1, min(5, round(rng.gauss(3.6 if good_day[day] else 3.0, 0.8))))
            sentiment = max(-1.0, min(1.0, rng.gauss((mood - 3) / 2.5, 0.2)))
            label = "positive" if sentiment > 0.05 else "negative" if sentiment < -0.05 else "neutral"
            instant = datetime(day.year, day.month, day.day, 21, 0, tzinfo=UTC)
            checkins.append(
                {"user_id": user_id, "day": day, "mood": mood, "energy": rng.randint(1, 5), "answers": "[]",
                 "sentiment_score": round(sentiment, 3), "sentiment_label": label,
                 "created_at": instant, "updated_at": instant}
            )  # fmt: skip
        session.execute(insert(DailyCheckin), checkins)
        counts["checkins"] = len(checkins)
        messages = []
        for week in range(0, len(days), 7):
            day = days[week]
            instant = datetime(day.year, day.month, day.day, 19, 0, tzinfo=UTC)
            conversation = Conversation(
                user_id=user_id, title=f"week {week // 7}", created_at=instant, updated_at=instant
            )
            session.add(conversation)
            session.flush()
            for turn in range(rng.randint(2, 6)):
                at = instant + timedelta(minutes=3 * turn)
                for role in ("user", "assistant"):
                    messages.append(
                        {"user_id": user_id, "conversation_id": conversation.id, "role": role,
                         "content": f"{role} message {turn}", "interrupted": False, "created_at": at}
                    )  # fmt: skip
        session.execute(insert(Message), messages)
        counts["messages"] = len(messages)
    return counts


def _log(user_id: int, habit_id: int | None, day: date, status: str, value: float | None) -> dict[str, object]:
    instant = datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)
    return {"user_id": user_id, "habit_id": habit_id, "day": day, "status": status, "value": value,
            "created_at": instant, "updated_at": instant}  # fmt: skip


def _time(exe: str, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the child; 0 where the OS does not say) of one run."""
    before = _child_cpu()
    began = time.perf_counter()
    done = subprocess.run([exe, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"`paa {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, _child_cpu() - before


def _child_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # not every system says
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (median is used)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases and print where")
    options = parser.parse_args()
    exe = str(Path(sys.executable).with_name("paa"))
    if not Path(exe).exists():
        raise SystemExit(f"no paa executable next to {sys.executable}")
    root = Path(tempfile.mkdtemp(prefix="paa-bench-"))
    try:
        full, empty = root / "full", root / "empty"
        began = time.perf_counter()
        counts = populate(full)
        built = time.perf_counter() - began
        base = {k: v for k, v in os.environ.items() if not k.startswith("PAA_") and k not in ("NO_COLOR",)}
        # The cold path: a warm server would hide the data-size cost behind its own figures.
        base.update(
            {"PAA_TIMEZONE": "UTC", "PAA_NOW": NOW.isoformat(), "NO_COLOR": "1", "COLUMNS": "100", "PAA_NO_SERVER": "1"}
        )
        env_full = {**base, "PAA_HOME": str(full)}
        env_empty = {**base, "PAA_HOME": str(empty)}
        # name: (arguments, environment, baseline, target); a baseline has no target of its own.
        commands: dict[str, tuple[list[str], dict[str, str], str | None, float]] = {
            "habit list (empty db)": (["habit", "list"], env_empty, None, 0.0),
            "habit today (empty db)": (["habit", "today"], env_empty, None, 0.0),
            "habit list": (["habit", "list"], env_full, "habit list (empty db)", SAME_TARGET),
            "habit today": (["habit", "today"], env_full, "habit today (empty db)", SAME_TARGET),
            "analytics summary": (["analytics", "summary"], env_full, "habit list (empty db)", TARGET),
            "analytics habit Run": (["analytics", "habit", "Run"], env_full, "habit list (empty db)", TARGET),
        }
        for args, env, _, _ in commands.values():  # warm up: create the empty database, fill OS caches
            _time(exe, args, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.runs):  # interleaved, so drift in machine load hits every command alike
            for name, (args, env, _, _) in commands.items():
                spent, used = _time(exe, args, env)
                walls[name].append(spent)
                cpus[name].append(used)
        wall = {name: statistics.median(values) for name, values in walls.items()}
        cpu = {name: statistics.median(values) for name, values in cpus.items()}
        print(f"data: {json.dumps(counts)} (built in {built:.1f}s); {options.runs} runs each, medians")
        print(f"load average: {_load()}")
        print(f"  {'command':<24} {'wall':>8} {'ratio':>6}   {'cpu':>8} {'cpu ratio':>9}  against")
        over = []
        for name, (_, _, floor, target) in commands.items():
            if floor is None:
                print(
                    f"  {name:<24} {wall[name] * 1000:6.0f}ms {'':>6}   {cpu[name] * 1000:6.0f}ms {'':>9}  (baseline)"
                )
                continue
            ratio = wall[name] / wall[floor]
            cpu_ratio = cpu[name] / cpu[floor] if cpu[floor] else float("nan")
            verdict = "ok" if ratio <= target else "OVER"
            if ratio > target:
                over.append(name)
            print(
                f"  {name:<24} {wall[name] * 1000:6.0f}ms {ratio:6.2f}   {cpu[name] * 1000:6.0f}ms {cpu_ratio:9.2f}"
                f"  {floor} (target <= {target}) {verdict}"
            )
        print(f"{len(over)} command(s) over target" + (f": {', '.join(over)}" if over else ""))
        if options.keep:
            print(f"databases kept under {root}")
        return 1 if over else 0
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
