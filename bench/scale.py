"""Scale load test: simulated users through 2 API workers on PostgreSQL + Redis, beside 1 worker on SQLite.

    python bench/scale.py [--users 20] [--duration 20] [--cli-writers 2] [--reminders 10] [--rounds 1]
                          [--pg-url URL] [--redis-url URL] [--only pg|sqlite]

Each setup runs, in a temporary PAA_HOME and on the real clock, for `--duration` seconds:
- `paa serve` (PostgreSQL: `--workers 2` with PAA_DB_URL and PAA_REDIS_URL; SQLite: one worker, no Redis);
- the reminder daemon (`python -m paa.daemon run`, what `paa daemon run` starts) on the same database, its webhook
  channel pointed at a receiver on 127.0.0.1;
- `--users` accounts, each a client in a closed loop (no pause) going round three routes: `POST
  /api/v1/habits/{id}/log` (value 1), `GET /api/v1/habits` and `GET /api/v1/reminders`;
- `--cli-writers` processes running the real `paa habit log water 1` over and over as the install's owner;
- one custom reminder per user and `--reminders` for the owner (whose reminders go to the webhook), all added
  before the load starts and due while it runs.

Afterwards (the daemon gets up to 60 s past the last due time) it counts, in the database itself: every acknowledged
write (a 2xx answer, a `paa habit log` that exited 0) must be in the day's total of its user (nothing lost); every
reminder must have exactly one notification row on each of its channels, marked sent, and the webhook must have
received each of the owner's reminders exactly once (no duplicate, none lost). It prints requests per second,
p50/p95 per route, the machine's load (/proc/loadavg) before and after each setup, and the throughput ratio of
2 workers on PostgreSQL to 1 on SQLite, measured in the same run. It exits 1 when something was lost or sent
twice, never because of a timing: the machine may be loaded.

PostgreSQL: `--pg-url` (default: $PAA_TEST_PG_URL) names a server on which the role may CREATE DATABASE; the bench
creates a fresh database there for the run and drops it afterwards; it starts no PostgreSQL itself. To get one:
  initdb -D /tmp/pg -U postgres -A trust && pg_ctl -D /tmp/pg -o "-p 55432 -k /tmp/pg" -w start
  psql -h /tmp/pg -p 55432 -U postgres -c "CREATE ROLE paa LOGIN CREATEDB"
  python bench/scale.py --pg-url postgresql+psycopg://paa@127.0.0.1:55432/postgres
(initdb refuses root: run those as an ordinary user, e.g. `su postgres`). Redis: `--redis-url`, or without it the
bench starts `redis-server` on a free port of 127.0.0.1 (nothing written to disk) and stops it at the end.
Everything listens on 127.0.0.1 only; the sizes are capped (at most 200 users, 16 CLI writers, 300 s, 5 rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from api import free_port, paa_executable  # bench/api.py's, beside this file

PASSWORD = "correct horse battery staple"
OWNER = "owner"  # the first account: an admin, whose reminders the install's channels (the webhook) carry
ROUTES = ("POST /habits/{id}/log", "GET /habits", "GET /reminders")
CLI_ROUTE = "paa habit log (CLI)"
DELIVERY_WAIT = 60.0  # seconds past the last due time the daemon gets to deliver
MAX_USERS, MAX_CLI, MAX_DURATION, MAX_REMINDERS, MAX_ROUNDS = 200, 16, 300.0, 200, 5
PG_LABEL, SQLITE_LABEL = "2 workers, PostgreSQL + Redis", "1 worker, SQLite"


def loadavg() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, as /proc/loadavg gives them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


class Receiver:
    """The webhook's far end on 127.0.0.1: every POST's JSON, in arrival order."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        lock = threading.Lock()
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    bodies.append(json.loads(raw or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def custom(self) -> list[dict[str, Any]]:
        return [body for body in list(self.bodies) if body.get("type") == "chat:notification"]


@contextmanager
def redis_server(given: str | None) -> Iterator[str]:
    """The Redis to use: `given`, or a throwaway redis-server on a free port of 127.0.0.1 for the run."""
    if given:
        yield given
        return
    program = shutil.which("redis-server")
    if program is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server), and no --redis-url given")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="paa-bench-redis-") as folder:
        process = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            import redis

            deadline = time.monotonic() + 30
            while True:
                client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
                try:
                    if client.ping():
                        break
                except redis.RedisError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("redis-server did not start") from None
                    time.sleep(0.1)
                finally:
                    client.close()
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of `server_url` for the run, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"paa_scale_{os.getpid()}_{secrets.token_hex(3)}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise SystemExit(f"cannot create a database on {url.render_as_string()}: {exc}".strip()) from None
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Outcome:
    """What one setup measured."""

    label: str
    load_before: str
    load_after: str = ""
    wall: float = 0.0  # the API clients' time, from the start to the last answer
    cli_wall: float = 0.0  # the CLI writers' time, to the exit of the last one started in time
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    acked: Counter[str] = field(default_factory=Counter)  # acknowledged writes by username
    stored: dict[str, float] = field(default_factory=dict)  # the day's total in the database by username
    reminders: int = 0
    rows_bad: list[str] = field(default_factory=list)  # reminders without exactly one sent row per channel
    webhook_expected: int = 0
    webhook_counts: Counter[int] = field(default_factory=Counter)  # webhook POSTs by reminder id
    channels: Counter[str] = field(default_factory=Counter)

    @property
    def api_requests(self) -> int:
        return sum(len(self.latencies[route]) for route in ROUTES)

    @property
    def lost(self) -> list[str]:
        return [f"{user}: {self.acked[user]} acknowledged, {self.stored.get(user, 0):g} stored"
                for user in sorted(self.acked) if self.stored.get(user, 0) != self.acked[user]]  # fmt: skip

    @property
    def webhook_duplicates(self) -> int:
        return sum(count - 1 for count in self.webhook_counts.values() if count > 1)


def isolated_env(home: Path, webhook: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_KEYRING="off", NO_COLOR="1")
    env.update(PAA_SERVER_RATE_PER_MINUTE="1000000", PAA_SERVER_RATE_BURST="1000000")  # load, not 429s
    env.update(PAA_NOTIFY_CHANNELS="webhook", PAA_WEBHOOK_URL=webhook, PYTHONDONTWRITEBYTECODE="1")
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paa serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("paa serve did not answer within 120 s")


def register(url: str, name: str) -> str:
    import httpx

    answer = httpx.post(f"{url}/api/v1/auth/register", json={"username": name, "password": PASSWORD}, timeout=120)
    if answer.status_code != 201 and answer.status_code != 200:
        raise SystemExit(f"registering {name} failed: {answer.status_code} {answer.text[:200]}")
    return str(answer.json()["access_token"])


def prepare(url: str, env: dict[str, str], users: int) -> dict[str, tuple[str, int]]:
    """Accounts (the owner first), a Water habit each, and the owner logged in for the CLI: each user's token and
    habit id."""
    import httpx

    accounts: dict[str, tuple[str, int]] = {}
    for name in [OWNER] + [f"user{n:03d}" for n in range(users)]:
        token = register(url, name)
        habit = httpx.post(f"{url}/api/v1/habits", json={"name": "Water", "unit": "glasses", "target": 8},
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip
        habit.raise_for_status()
        accounts[name] = (token, int(habit.json()["id"]))
    login = subprocess.run([str(paa_executable()), "auth", "login", OWNER, "--password-stdin"], env=env,
                           input=PASSWORD + "\n", capture_output=True, text=True)  # fmt: skip
    if login.returncode != 0:
        raise SystemExit(f"paa auth login failed: {login.stderr.strip()}")
    return accounts


def add_reminders(url: str, accounts: dict[str, tuple[str, int]], owner_reminders: int, start_at: datetime,
                  duration: float) -> dict[str, list[int]]:  # fmt: skip
    """One reminder per user and `owner_reminders` for the owner, due over the middle of the load (so they are sent
    while it runs): each user's reminder ids."""
    import httpx

    slots = owner_reminders + len(accounts) - 1
    due = [start_at + timedelta(seconds=duration * (0.2 + 0.6 * n / max(slots - 1, 1))) for n in range(slots)]
    reminders: dict[str, list[int]] = {}
    for name, (token, _) in accounts.items():
        for _ in range(owner_reminders if name == OWNER else 1):
            at = due.pop(0).isoformat(timespec="seconds")
            added = httpx.post(f"{url}/api/v1/reminders", json={"text": f"{name} at {at}", "at": at},
                               headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip
            if added.status_code != 201:
                raise SystemExit(f"adding a reminder failed: {added.status_code} {added.text[:200]}")
            reminders.setdefault(name, []).append(int(added.json()["id"]))
    return reminders


async def simulate(url: str, accounts: dict[str, tuple[str, int]], until: float, outcome: Outcome) -> None:
    """Every non-owner account as one client in a closed loop over the three routes until `until`."""
    import httpx

    async def user(name: str, token: str, habit_id: int) -> None:
        calls = (("POST", f"/api/v1/habits/{habit_id}/log", {"value": 1}), ("GET", "/api/v1/habits", None),
                 ("GET", "/api/v1/reminders", None))  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            turn = 0
            while time.monotonic() < until:
                route, (method, path, body) = ROUTES[turn % 3], calls[turn % 3]
                turn += 1
                began = time.perf_counter()
                try:
                    answer = await http.request(method, path, json=body)
                except httpx.HTTPError as exc:
                    outcome.failures.append(f"{route}: {type(exc).__name__}")
                    continue
                outcome.latencies[route].append(time.perf_counter() - began)
                if answer.status_code >= 300:
                    outcome.failures.append(f"{route}: {answer.status_code} {answer.text[:120]}")
                elif method == "POST":
                    outcome.acked[name] += 1

    await asyncio.gather(*(user(name, *pair) for name, pair in accounts.items() if name != OWNER))


def cli_writer(env: dict[str, str], until: float, outcome: Outcome, lock: threading.Lock) -> None:
    """`paa habit log water 1` as the owner, again and again until `until`; each exit 0 is an acknowledged write."""
    command = [str(paa_executable()), "habit", "log", "water", "1"]
    while time.monotonic() < until:
        began = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - began
        with lock:
            outcome.latencies[CLI_ROUTE].append(elapsed)
            if done.returncode == 0:
                outcome.acked[OWNER] += 1
            else:
                outcome.failures.append(f"{CLI_ROUTE}: exit {done.returncode} {done.stderr.strip()[-200:]}")


def count_in_database(db_url: str, outcome: Outcome, reminders: dict[str, list[int]]) -> None:
    """The day's Water total of every user, and the notification rows of every reminder, read from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            totals = conn.execute(text(
                "SELECT u.username, COALESCE(SUM(l.value), 0) FROM users AS u JOIN habits AS h ON h.user_id = u.id "
                "LEFT JOIN habit_logs AS l ON l.habit_id = h.id WHERE h.name_key = 'water' GROUP BY u.username"
            )).all()  # fmt: skip
            outcome.stored = {str(name): float(total) for name, total in totals}
            rows = conn.execute(text(
                "SELECT u.username, n.ref_id, n.channel, n.status FROM notifications AS n "
                "JOIN users AS u ON u.id = n.user_id WHERE n.kind = 'custom'"
            )).all()  # fmt: skip
    finally:
        engine.dispose()
    by_reminder: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    for name, ref_id, channel, status in rows:
        by_reminder[(str(name), int(ref_id))].append((str(channel), str(status)))
        outcome.channels[str(channel)] += 1
    for name, ids in reminders.items():
        for ref_id in ids:
            outcome.reminders += 1
            found = by_reminder.get((name, ref_id), [])
            channels = Counter(channel for channel, _ in found)
            if not found or any(count != 1 for count in channels.values()):
                outcome.rows_bad.append(f"{name} #{ref_id}: rows {found}")
            elif any(status != "sent" for _, status in found):
                outcome.rows_bad.append(f"{name} #{ref_id}: {found}")
            elif name == OWNER and "webhook" not in channels:
                outcome.rows_bad.append(f"{name} #{ref_id}: no webhook row in {found}")


def run_setup(label: str, db_url: str | None, redis_url: str | None, workers: int, args: argparse.Namespace) -> Outcome:
    """One setup from an empty database to its counts."""
    receiver = Receiver()
    outcome = Outcome(label, loadavg())
    print(f"{label}: load average {outcome.load_before} before; setting up {args.users + 1} accounts", flush=True)
    with tempfile.TemporaryDirectory(prefix="paa-bench-scale-") as scratch:
        env = isolated_env(Path(scratch), receiver.url)
        if db_url:
            env["PAA_DB_URL"] = db_url
        if redis_url:
            env["PAA_REDIS_URL"] = redis_url
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [str(paa_executable()), "serve", "--port", str(port)] + (
            ["--workers", str(workers)] if workers > 1 else []
        )
        processes: list[subprocess.Popen[bytes]] = []
        try:
            server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(server)
            wait_healthy(url, server)
            accounts = prepare(url, env, args.users)
            # The reminders' due times are fixed before the daemon starts: room for adding them and for its start.
            setup_began = time.monotonic()
            settle = 15.0 + 0.2 * (args.users + args.reminders)
            start_at = datetime.now(UTC) + timedelta(seconds=settle)
            reminders = add_reminders(url, accounts, args.reminders, start_at, args.duration)
            daemon = subprocess.Popen([sys.executable, "-m", "paa.daemon", "run"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            processes.append(daemon)
            status_file = Path(env["PAA_HOME"]) / "daemon.json"
            while True:  # the daemon has loaded every user's jobs once it has scanned
                try:
                    if json.loads(status_file.read_text()).get("last_scan_at"):
                        break
                except (OSError, ValueError):
                    pass
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited with {daemon.returncode}")
                if time.monotonic() - setup_began > settle + 60:
                    raise SystemExit("the daemon did not load its jobs in time")
                time.sleep(0.2)
            lateness = (datetime.now(UTC) - start_at).total_seconds()
            if lateness > 0:
                print(f"  (setting up ran {lateness:.0f} s past the planned start: early reminders will be late)")
            time.sleep(max(0.0, (start_at - datetime.now(UTC)).total_seconds()))
            began = time.monotonic()
            until = began + args.duration
            lock = threading.Lock()
            writers = [threading.Thread(target=cli_writer, args=(env, until, outcome, lock))
                       for _ in range(args.cli_writers)]  # fmt: skip
            for writer in writers:
                writer.start()
            asyncio.run(simulate(url, accounts, until, outcome))
            outcome.wall = time.monotonic() - began
            for writer in writers:
                writer.join()
            outcome.cli_wall = time.monotonic() - began
            outcome.load_after = loadavg()
            last_due = start_at + timedelta(seconds=args.duration * 0.8)
            expected = len(reminders.get(OWNER, []))
            outcome.webhook_expected = expected
            give_up = time.monotonic() + max(0.0, (last_due - datetime.now(UTC)).total_seconds()) + DELIVERY_WAIT
            while len(receiver.custom()) < expected and time.monotonic() < give_up:
                time.sleep(0.5)
            time.sleep(2)  # a duplicate would come now, if one were coming
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
            for body in receiver.custom():
                outcome.webhook_counts[int(body["ref_id"])] += 1
            for ref_id in reminders.get(OWNER, []):
                outcome.webhook_counts.setdefault(ref_id, 0)
            count_in_database(db_url or f"sqlite:///{Path(env['PAA_HOME']) / 'paa.db'}", outcome, reminders)
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            receiver.httpd.shutdown()
    return outcome


def report(outcomes: list[Outcome], args: argparse.Namespace) -> bool:
    """Print the tables; True when nothing was lost or sent twice."""
    print()
    print(f"{args.users} simulated users (closed loop), {args.cli_writers} CLI writers, {args.duration:g} s each; "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    ok = True
    for outcome in outcomes:
        rps = outcome.api_requests / outcome.wall
        writes = sum(outcome.acked.values())
        cli = len(outcome.latencies[CLI_ROUTE])
        print()
        print(f"{outcome.label}   load average (1/5/15 min) {outcome.load_before} before, {outcome.load_after} after")
        print(f"  {'route':<24}{'requests':>9}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}")
        for route in (*ROUTES, CLI_ROUTE):
            values = outcome.latencies[route]
            wall = outcome.cli_wall if route == CLI_ROUTE else outcome.wall
            print(f"  {route:<24}{len(values):>9}{len(values) / wall:>8.1f}"
                  f"{percentile(values, 50) * 1000:>9.1f}{percentile(values, 95) * 1000:>9.1f}")  # fmt: skip
        print(f"  API throughput {rps:.1f} req/s; acknowledged writes {writes} (API and {cli} CLI), "
              f"failed requests {len(outcome.failures)}")  # fmt: skip
        lost = outcome.lost
        print(f"  nothing lost: {'yes' if not lost else 'NO'} ({sum(outcome.stored.values()):g} stored of {writes} "
              f"acknowledged, {len(outcome.acked)} users)")  # fmt: skip
        sent_once = sum(1 for count in outcome.webhook_counts.values() if count == 1)
        print(f"  reminders: {outcome.reminders} due, rows by channel {dict(sorted(outcome.channels.items()))}, "
              f"{len(outcome.rows_bad)} without exactly one sent row per channel")  # fmt: skip
        print(f"  webhook: {sent_once} of {outcome.webhook_expected} owner reminders received exactly once, "
              f"{outcome.webhook_duplicates} duplicates")  # fmt: skip
        for line in (lost + outcome.rows_bad + outcome.failures)[:5]:
            print(f"  ! {line}")
        ok = ok and not lost and not outcome.rows_bad and not outcome.webhook_duplicates
        ok = ok and sent_once == outcome.webhook_expected
    pgs = [outcome for outcome in outcomes if outcome.label == PG_LABEL]
    lites = [outcome for outcome in outcomes if outcome.label == SQLITE_LABEL]
    if pgs and lites:  # each round's pair, taken one after the other
        ratios = [
            (pg.api_requests / pg.wall) / (lite.api_requests / lite.wall) for pg, lite in zip(pgs, lites, strict=True)
        ]
        print()
        each = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"API throughput, 2 workers on PostgreSQL / 1 worker on SQLite: {statistics.median(ratios):.2f}"
              + (f" (median of the rounds' {each})" if len(ratios) > 1 else ""))  # fmt: skip
    return ok


def bounded(kind: type, low: float, high: float):  # type: ignore[no-untyped-def]
    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=bounded(int, 1, MAX_USERS), default=20, help="simulated API users (20)")
    parser.add_argument("--duration", type=bounded(float, 5, MAX_DURATION), default=20.0,
                        help="seconds of load per setup (20)")  # fmt: skip
    parser.add_argument("--cli-writers", type=bounded(int, 0, MAX_CLI), default=2,
                        help="processes running `paa habit log` in a loop (2)")  # fmt: skip
    parser.add_argument("--reminders", type=bounded(int, 1, MAX_REMINDERS), default=10,
                        help="the owner's reminders due during the load, sent to the webhook (10)")  # fmt: skip
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PAA_TEST_PG_URL"),
        help="a PostgreSQL server where the role may CREATE DATABASE (default $PAA_TEST_PG_URL)",
    )
    parser.add_argument("--redis-url", help="a Redis to use (default: start redis-server on 127.0.0.1)")
    parser.add_argument(
        "--rounds",
        type=bounded(int, 1, MAX_ROUNDS),
        default=1,
        help="run the pair of setups this many times, in turn; the ratio is the rounds' median (1)",
    )
    parser.add_argument("--only", choices=("pg", "sqlite"), help="run one setup only (no ratio)")
    args = parser.parse_args(argv)
    if args.only != "sqlite" and not args.pg_url:
        raise SystemExit("no PostgreSQL: pass --pg-url (see --help for starting one), or --only sqlite")

    outcomes = []
    for round_ in range(args.rounds):  # the setups in turn, so a change in the machine's load falls on both
        if args.rounds > 1:
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
        if args.only != "sqlite":
            with redis_server(args.redis_url) as redis_url, fresh_database(args.pg_url) as db_url:
                outcomes.append(run_setup(PG_LABEL, db_url, redis_url, 2, args))
        if args.only != "pg":
            outcomes.append(run_setup(SQLITE_LABEL, None, None, 1, args))
    return 0 if report(outcomes, args) else 1


if __name__ == "__main__":
    sys.exit(main())
