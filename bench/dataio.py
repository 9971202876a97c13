"""Benchmark: backup, export and import of 10 years of data, against copying the database file.

It builds the database of bench/analytics.py (20 habits, 10 years of logs, 3,650 check-ins, about 4,000 chat
messages; fixed seed), then times, in this process, each of:

- copy: `shutil.copyfile` of the database file (the floor: what any backup has to do at least);
- backup: `paa backup`'s core (`backup_database`: the online backup API, checksum, manifest);
- export: `export_user` and `json.dumps` of the document (what `paa export` writes);
- import: `read_document` and `import_document` of that export into a fresh install, in one transaction;
- loop import: `read_loop` and `import_document` of a Loop Habit Tracker CSV export of the same habits and days.

and prints each median and its ratio to the copy. The ratios say how much work each does beyond moving bytes: a
backup should stay within 20 copies (it reads the copy again for its SHA-256); export and import build and check
every record, so they take hundreds of copies, and their absolute time is what a person waits.

    python bench/dataio.py [--runs 5] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics import NOW, populate  # the same data as the analytics benchmark

BACKUP_TARGET = 20.0  # backup <= 20 copies of the file (it also reads it all again for the checksum)


def _median(runs: int, work: Callable[[int], None]) -> float:
    times = []
    for run in range(runs):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _loop_export(home: Path, folder: Path) -> int:
    """Write a Loop CSV export (Habits.csv, NNN Name/Checkmarks.csv) of the benchmark's habits; return its days."""
    import sqlite3

    folder.mkdir()
    with sqlite3.connect(home / "paa.db") as conn:
        habits = conn.execute("SELECT id, name, kind, unit, target FROM habits ORDER BY id").fetchall()
        rows = 0
        with open(folder / "Habits.csv", "w", newline="") as stream:
            out = csv.writer(stream)
            header = ["Position", "Name", "Type", "Question", "Description", "FrequencyNumerator"]
            out.writerow([*header, "FrequencyDenominator", "Color", "Unit", "Target Type", "Target Value", "Archived?"])
            for number, (habit_id, name, kind, unit, target) in enumerate(habits, start=1):
                numerical = kind == "measurable"
                out.writerow([f"{number:03d}", name, "NUMERICAL" if numerical else "YES_NO", "", "", 1, 1, "#1e88e5",
                              unit or "", "AT_LEAST" if numerical else "", target or "", "false"])  # fmt: skip
                sub = folder / f"{number:03d} {name}"
                sub.mkdir()
                logs = conn.execute(
                    "SELECT day, status, value FROM habit_logs WHERE habit_id = ? ORDER BY day DESC", (habit_id,)
                ).fetchall()
                with open(sub / "Checkmarks.csv", "w", newline="") as checks:
                    writer = csv.writer(checks)
                    writer.writerow(["Date", "Value", "Notes"])
                    for day, status, value in logs:
                        if status == "skipped":
                            mark = "SKIP"
                        else:
                            mark = str(round((value or 0) * 1000)) if numerical else "YES_MANUAL"
                        writer.writerow([day, mark, ""])
                        rows += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="paa-bench-dataio-"))
    try:
        home = base / "home"
        os.environ["PAA_KEYRING"] = "off"
        counts = populate(home)
        from paa.clock import FixedClock
        from paa.core.dataio.backup import backup_database
        from paa.core.dataio.export import document_json, export_user
        from paa.core.dataio.importing import import_document, read_document
        from paa.core.dataio.loop import read_loop
        from paa.core.runtime import Runtime

        env = {**os.environ, "PAA_HOME": str(home), "PAA_TIMEZONE": "UTC"}
        database = home / "paa.db"
        with Runtime.from_environ(env, clock=FixedClock(NOW)) as runtime:
            assert runtime.engine is not None  # opened before timing
            size = database.stat().st_size
            copy = _median(args.runs, lambda run: shutil.copyfile(database, base / f"copy-{run}.db"))
            backup = _median(
                args.runs,
                lambda run: backup_database(runtime.engine, runtime.paths, NOW, target=base / f"backup-{run}.db"),
            )
            exported: dict[str, str] = {}

            def export(_run: int) -> None:
                with runtime.context() as ctx:
                    exported["text"] = json.dumps(document_json(export_user(ctx, paa_version="bench")))

            export_time = _median(args.runs, export)

        def import_into(run: int, read: Callable[[object], object], name: str) -> None:
            fresh = {**env, "PAA_HOME": str(base / f"{name}-{run}")}
            with Runtime.from_environ(fresh, clock=FixedClock(NOW)) as runtime, runtime.context(write=True) as ctx:
                import_document(ctx, read(ctx))  # type: ignore[arg-type]

        import_time = _median(
            args.runs, lambda run: import_into(run, lambda _ctx: read_document(exported["text"]), "import")
        )
        loop_days = _loop_export(home, base / "loop")
        loop_time = _median(
            args.runs,
            lambda run: import_into(run, lambda ctx: read_loop(base / "loop", ctx.now()), "loop"),  # type: ignore[attr-defined]
        )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept {base}")

    print(f"data: {counts} (database {size / 1e6:.1f} MB; export {len(exported['text']) / 1e6:.1f} MB; "
          f"Loop export {loop_days} days)")  # fmt: skip
    print(f"{'what':<12} {'median':>9} {'x copy':>8}")
    for name, seconds in (("copy", copy), ("backup", backup), ("export", export_time), ("import", import_time),
                          ("loop import", loop_time)):  # fmt: skip
        print(f"{name:<12} {seconds * 1000:>7.1f} ms {seconds / copy:>8.1f}")
    ok = backup / copy <= BACKUP_TARGET
    print(f"backup within {BACKUP_TARGET:g}x copy: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
