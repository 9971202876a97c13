"""Benchmark: the reminder daemon with 1,000 habits with reminders: idle memory, idle CPU, and lateness.

It builds a database with 1,000 habits (three reminder times each, spread over the day), starts the
real daemon (`python -m paa.daemon run`) with the webhook channel pointed at a local HTTP server, and
measures, on the real clock:

- idle RSS of the daemon once its jobs are loaded (target <= 80 MB), against the floor of a bare
  Python process that imports paa's core (every paa process pays that);
- CPU used while idle over `--idle` seconds (target ~0: no busy polling);
- lateness of fired reminders (arrival at the webhook minus due time; target p95 <= 1 s): 300 of
  the habits get a reminder at the same minute, and 100 one-off reminders fall in the 20 s after it.
  The floor is the round trip of one POST to the same server.

    python bench/daemon.py [--idle 30] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HABITS = 1000
CLUSTER = 300  # habits whose reminder falls on the same minute during the run
ONE_OFFS = 100
SEED = 20261126
TARGET_RSS_MB = 80.0
TARGET_P95_S = 1.0


class Server:
    """Records when each POST arrives and what it says."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, object]]] = []
        lock = threading.Lock()
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.time()
                with lock:
                    arrivals.append((at, json.loads(body or b"{}")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def populate(cluster_minute: int, avoid: set[int], one_offs: list[datetime]) -> None:
    """1,000 habits with three reminder times each; CLUSTER of them also at `cluster_minute`."""
    from paa.core.habits.manage import HabitFields, add_habit
    from paa.core.reminders.custom import add_reminder
    from paa.core.runtime import Runtime

    rng = random.Random(SEED)
    free = [m for m in range(24 * 60) if m not in avoid]
    with Runtime.from_environ(os.environ) as runtime, runtime.context(write=True) as ctx:
        for n in range(HABITS):
            times = {_hhmm(m) for m in rng.sample(free, 3)}
            if n < CLUSTER:
                times.add(_hhmm(cluster_minute))
            add_habit(ctx, HabitFields(name=f"Habit {n:04d}", remind=",".join(sorted(times))))
        for n, due in enumerate(one_offs):
            add_reminder(ctx, f"One-off {n}", at=due.isoformat())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def floor_rss_mb() -> float:
    code = "import paa.core.context, time, sys; print('ready', flush=True); sys.stdin.readline()"
    probe = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert probe.stdout is not None and probe.stdin is not None
    probe.stdout.readline()
    try:
        return rss_mb(probe.pid)
    finally:
        probe.stdin.write("\n")
        probe.stdin.flush()
        probe.wait()


def post_floor(url: str) -> float:
    times = []
    for _ in range(20):
        start = time.perf_counter()
        request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measurement")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("this benchmark reads /proc: run it on Linux")

    home = Path(tempfile.mkdtemp(prefix="paa-bench-daemon-"))
    server = Server()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAA_")}
    env["PAA_NO_SERVER"] = "1"  # no warm server started on first use beside the measured daemon
    env.update({"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_NOTIFY_CHANNELS": "webhook",
                "PAA_WEBHOOK_URL": server.url})  # fmt: skip
    os.environ.update(env)

    now = datetime.now(UTC)
    settle = 8.0  # start-up and loading the jobs
    first_fire = now + timedelta(seconds=settle + args.idle + 10)
    cluster_at = (first_fire + timedelta(minutes=1)).replace(second=0, microsecond=0)
    one_offs = [cluster_at + timedelta(seconds=5 + n * 20 / ONE_OFFS) for n in range(ONE_OFFS)]
    window = range(int((now - timedelta(hours=1)).timestamp() // 60), int(cluster_at.timestamp() // 60) + 2)
    avoid = {m % (24 * 60) for m in window}  # nothing else fires before or during the measured window
    started = time.perf_counter()
    populate(cluster_at.hour * 60 + cluster_at.minute, avoid, one_offs)
    print(f"paa daemon benchmark: {HABITS} habits ({HABITS * 3 + CLUSTER} reminder times), {ONE_OFFS} one-off "
          f"reminders; database built in {time.perf_counter() - started:.1f} s")  # fmt: skip

    daemon = subprocess.Popen([sys.executable, "-m", "paa.daemon", "run"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    status_file = home / "daemon.json"
    try:

        def loaded() -> bool:
            try:
                status = json.loads(status_file.read_text())
            except (OSError, ValueError):
                return False
            return status.get("pid") == daemon.pid and bool(status.get("last_scan_at"))

        t0 = time.perf_counter()
        wait_for(loaded, 120, "the daemon to load its jobs")
        load_time = time.perf_counter() - t0
        time.sleep(2)
        jobs = json.loads(status_file.read_text())["jobs"]
        rss = rss_mb(daemon.pid)
        floor = floor_rss_mb()
        cpu_before, wall_before = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(args.idle)
        idle_cpu = cpu_seconds(daemon.pid) - cpu_before
        idle_wall = time.monotonic() - wall_before
        assert not server.arrivals, "something fired during the idle window"

        expected = CLUSTER + ONE_OFFS
        wait_for(lambda: len(server.arrivals) >= expected, (one_offs[-1] - datetime.now(UTC)).total_seconds() + 60,
                 f"{expected} reminders")  # fmt: skip
        rss_after = rss_mb(daemon.pid)
        late_by_kind: dict[str, list[float]] = {"habit:reminder": [], "chat:notification": []}
        for at, body in server.arrivals:
            late_by_kind[str(body["type"])].append(at - datetime.fromisoformat(str(body["due_at"])).timestamp())
        lateness = sorted(x for values in late_by_kind.values() for x in values)
        floor_post = post_floor(server.url)
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
        server.httpd.shutdown()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"data kept in {home}")

    p50 = statistics.median(lateness)
    p95 = lateness[int(0.95 * (len(lateness) - 1))]
    print(f"daemon: {jobs} jobs loaded in {load_time:.1f} s after start; exit code on SIGTERM {code}")
    print()
    print(f"{'measure':<38}{'value':>12}{'floor':>12}{'ratio':>8}  target")
    rss_ok = "ok" if rss <= TARGET_RSS_MB else "OVER"
    print(f"{'idle RSS (MB)':<38}{rss:>12.1f}{floor:>12.1f}{rss / floor:>8.2f}  <= {TARGET_RSS_MB:g} MB  {rss_ok}")
    print(f"{'RSS after firing (MB)':<38}{rss_after:>12.1f}{floor:>12.1f}{rss_after / floor:>8.2f}")
    share = 100 * idle_cpu / idle_wall
    label = f"idle CPU over {idle_wall:.0f} s (% of one core)"
    print(f"{label:<38}{share:>12.3f}{'':>12}{'':>8}  ~0  "
          f"({idle_cpu * 1000:.0f} ms of CPU)")  # fmt: skip
    ok = "ok" if p95 <= TARGET_P95_S else "OVER"
    print(f"{'lateness p50 (s)':<38}{p50:>12.3f}{floor_post:>12.4f}{p50 / floor_post:>8.1f}")
    print(
        f"{'lateness p95 (s)':<38}{p95:>12.3f}{floor_post:>12.4f}{p95 / floor_post:>8.1f}  <= {TARGET_P95_S:g} s  {ok}"
    )
    print(f"{'lateness max (s)':<38}{lateness[-1]:>12.3f}")
    for kind, label in (("habit:reminder", f"{CLUSTER} habits at once"), ("chat:notification", "one-offs 0.2 s apart")):
        values = sorted(late_by_kind[kind])
        p95_kind = values[int(0.95 * (len(values) - 1))]
        print(f"{'  ' + label + ': p50 / p95 (s)':<38}{statistics.median(values):>12.3f}{p95_kind:>12.3f}")
    print(f"({len(lateness)} reminders fired: {CLUSTER} at {cluster_at:%H:%M:%S} UTC, {ONE_OFFS} over the next 25 s; "
          "floor = one POST's round trip)")  # fmt: skip
    return 0 if rss <= TARGET_RSS_MB and p95 <= TARGET_P95_S else 1


if __name__ == "__main__":
    sys.exit(main())
