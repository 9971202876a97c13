"""Concurrency benchmark: several processes log to one database at once; report throughput and prove nothing is lost.

    python bench/concurrency.py [--processes 4] [--writes 250] [--via core|cli]

`--via core` (the default) runs each process as a Python worker that calls paa's core in a loop: one
`Runtime.context(write=True)` + `log_habit(value=1)` per write, exactly what one `paa habit log` does after start-up, so
the writers hit the database back to back. `--via cli` runs the real `paa habit log water 1` executable for every
write instead (slower: each write pays the interpreter start-up). Afterwards the day's total must equal the number
of writes and `PRAGMA integrity_check` must say ok; otherwise the script exits 1. It works in a temporary PAA_HOME.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FIXED_NOW = "2026-11-26T12:00:00+00:00"


def paa_executable() -> Path:
    name = "paa.exe" if sys.platform == "win32" else "paa"
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1")
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def worker(writes: int) -> None:
    """Child process: say ready, wait for the start line, then log 1 to Water `writes` times; print each latency."""
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit
    from paa.core.runtime import Runtime

    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(writes):
        start = time.perf_counter()
        with Runtime.from_environ(os.environ) as runtime, runtime.context(write=True) as ctx:
            log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=1)
        print(f"{time.perf_counter() - start:.6f}", flush=True)


def run_core(processes: int, writes: int, env: dict[str, str]) -> tuple[list[float], list[str]]:
    """Start the workers, release them together, and collect every write's latency and any failure."""
    command = [sys.executable, __file__, "--worker", "--writes", str(writes)]
    children = [
        subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise SystemExit(f"a worker failed to start: {child.communicate()[1]}")
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    latencies: list[float] = []
    failures: list[str] = []
    for child in children:
        out, err = child.communicate()
        latencies += [float(line) for line in out.split()]
        if child.returncode != 0:
            failures.append(f"worker exited {child.returncode}: {err.strip()[-500:]}")
    return latencies, failures


def run_cli(processes: int, writes: int, env: dict[str, str]) -> tuple[list[float], list[str]]:
    """One thread per process slot, each running `paa habit log water 1` `writes` times in a row."""
    exe = str(paa_executable())
    start = threading.Barrier(processes)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def slot() -> None:
        start.wait()
        for _ in range(writes):
            began = time.perf_counter()
            done = subprocess.run([exe, "habit", "log", "water", "1"], env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if done.returncode != 0:
                    failures.append(f"paa exited {done.returncode}: {done.stderr.strip()}")

    threads = [threading.Thread(target=slot) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def check_database(db_file: Path) -> tuple[float, str]:
    """The day's total for Water and the integrity check, read with plain sqlite3."""
    conn = sqlite3.connect(db_file, timeout=30)
    try:
        total = conn.execute(
            "SELECT COALESCE(SUM(l.value), 0) FROM habit_logs AS l JOIN habits AS h ON h.id = l.habit_id "
            "WHERE h.name_key = 'water'"
        ).fetchone()[0]
        integrity = "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
    return float(total), integrity


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4, help="processes writing at once (default 4)")
    parser.add_argument("--writes", type=int, default=250, help="writes per process (default 250)")
    parser.add_argument("--via", choices=("core", "cli"), default="core", help="core loop or real executable")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.writes)
        return 0

    with tempfile.TemporaryDirectory(prefix="paa-bench-") as temp:
        env = isolated_env(Path(temp))
        setup = [str(paa_executable()), "habit", "add", "Water", "--unit", "glasses", "--target", "8"]
        subprocess.run(setup, env=env, check=True, capture_output=True)
        began = time.perf_counter()
        runner = run_core if args.via == "core" else run_cli
        latencies, failures = runner(args.processes, args.writes, env)
        elapsed = time.perf_counter() - began
        total, integrity = check_database(Path(env["PAA_HOME"]) / "paa.db")

    expected = args.processes * args.writes
    print(f"paa concurrency: {args.processes} processes x {args.writes} writes = {expected} via {args.via}")
    print(f"  wall time        {elapsed:8.2f} s (from release to the last exit)")
    print(f"  throughput       {len(latencies) / elapsed:8.1f} writes/s")
    if latencies:
        print(
            f"  write latency    median {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
    print(f"  failed writes    {len(failures)}")
    print(f"  total on disk    {total:g} (expected {expected})")
    print(f"  integrity_check  {integrity}")
    for failure in failures[:5]:
        print(f"  ! {failure}")
    ok = not failures and total == expected and integrity == "ok"
    print("  result           " + ("nothing lost" if ok else "LOST OR DAMAGED DATA"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
