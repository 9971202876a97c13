"""HTTP API benchmark: a real `paa serve` (uvicorn, SQLite) beside a bare FastAPI app on the same uvicorn settings.

    python bench/api.py [--clients 16] [--reads 2000] [--writes 800] [--events 40] [--profile reads.txt]

In one run, in a temporary PAA_HOME:
- `GET /api/v1/habits` against paa, and against a bare FastAPI endpoint (a sync route, like paa's) that returns the
  very JSON paa answered, each with `--clients` concurrent clients (httpx, asyncio) for `--reads` requests, in
  rounds taking turns (a change in the machine's load falls on both):
  requests per second, p50 and p95. The ratio paa/bare is the goal's figure (>= 0.5). Beside it, each server's
  own CPU time per read (from /proc), which the machine's other load moves far less than the throughput.
- `POST /api/v1/habits/{id}/log` (value 1) with the same clients for `--writes` requests; afterwards the day's
  amount must equal the number of writes (nothing lost), else the script exits 1.
- A WebSocket client connected to paa, and `--events` core writes in another process (what `paa habit log` does,
  as the CLI's logged-in user): the latency from each write's commit to its `data:changed` event at the client,
  p50 and p95 (goal < 1 s).
The rate limits are raised for the run (PAA_SERVER_RATE_*): they would turn the load into 429s. With `--profile`,
py-spy (pip install py-spy) samples the paa server's threads that hold the GIL during its reads (the one process's
real cost) and writes collapsed stacks to the file (the sampling slows the server: take the figures from a run
without it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD = "correct horse battery staple"
FIXED_NOW = "2026-11-26T12:00:00+00:00"
# What `paa serve` gives uvicorn (src/paa/cli/serve.py), for the bare app too.
ROUNDS = 4  # reads alternate between the bare app and paa in this many rounds each
UVICORN_SETTINGS: dict[str, Any] = {
    "proxy_headers": False, "server_header": False, "log_level": "warning", "access_log": False,
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def paa_executable() -> Path:
    path = Path(sys.executable).with_name("paa")
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1")
    env.update(PAA_SERVER_RATE_PER_MINUTE="1000000", PAA_SERVER_RATE_BURST="1000000", PAA_KEYRING="off")
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def bare_server(port: int, payload: Path) -> None:
    """Child process: a FastAPI app whose one route returns `payload`'s JSON, on uvicorn like paa's."""
    import uvicorn
    from fastapi import FastAPI

    body = json.loads(payload.read_text(encoding="utf-8"))
    app = FastAPI()

    @app.get("/api/v1/habits")
    def habits() -> list[dict[str, Any]]:
        return list(body)

    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_SETTINGS)


def event_writer(count: int, pause: float) -> None:
    """Child process: `count` core writes as the CLI's logged-in user (one `paa habit log` each, after start-up),
    printing each commit's wall-clock time."""
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit
    from paa.core.runtime import Runtime

    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(count):
        with Runtime.from_environ(os.environ) as runtime:
            with runtime.context(write=True) as ctx:
                log_habit(ctx, resolve_habit(ctx, "stretch"), ctx.today())
            print(f"{time.time():.6f}", flush=True)  # after the commit
        with Runtime.from_environ(os.environ) as runtime, runtime.context(write=True) as ctx:
            from paa.core.habits.logs import unlog_habit

            unlog_habit(ctx, resolve_habit(ctx, "stretch"), ctx.today())  # so the next log is a change again
        time.sleep(pause)


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time a process has used so far (Linux /proc), all its threads together."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not answer within 60 s")


async def load(url: str, method: str, total: int, clients: int, headers: dict[str, str], body: Any = None) -> dict:
    """`total` requests from `clients` concurrent clients; rps over the wall time, latencies, and failures."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    remaining = iter(range(total))

    async def client() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            for _ in remaining:
                start = time.perf_counter()
                answer = await http.request(method, url, json=body)
                latencies.append(time.perf_counter() - start)
                if answer.status_code >= 300:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - began
    return summary(latencies, wall, failures)


def summary(latencies: list[float], wall: float, failures: list[str]) -> dict:
    return {"rps": len(latencies) / wall, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "failures": failures, "latencies": latencies, "wall": wall}  # fmt: skip


def merged(rounds: list[dict]) -> dict:
    """Several rounds as one: all their requests over the sum of their wall times."""
    latencies = [latency for result in rounds for latency in result["latencies"]]
    return summary(latencies, sum(result["wall"] for result in rounds), [f for r in rounds for f in r["failures"]])


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


async def event_latencies(ws_url: str, token: str, env: dict[str, str], count: int) -> list[float]:
    """Connect a WebSocket client, run the writer process, and pair each commit time with its event's arrival."""
    from websockets.asyncio.client import connect

    arrivals: list[float] = []
    async with connect(ws_url) as socket_:
        await socket_.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(await socket_.recv())
        assert ready["type"] == "ready", ready
        writer = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--event-writer", str(count), env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert writer.stdout is not None and writer.stdin is not None
        assert (await writer.stdout.readline()).strip() == b"ready"
        writer.stdin.write(b"go\n")
        await writer.stdin.drain()

        async def receive() -> None:
            while len(arrivals) < 2 * count:  # a log and its unlog each change the data
                message = json.loads(await socket_.recv())
                if message["type"] == "ping":
                    await socket_.send(json.dumps({"type": "pong"}))
                elif message["type"] == "data:changed":
                    arrivals.append(time.time())

        receiving = asyncio.create_task(receive())
        commits = [float(line) for line in (await writer.stdout.read()).split()]
        await writer.wait()
        await asyncio.wait_for(receiving, 30)
    return [arrival - commit for commit, arrival in zip(commits, arrivals[0::2], strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=800)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument(
        "--profile", type=Path, help="record paa serve's reads with py-spy into this file (collapsed stacks)"
    )
    parser.add_argument("--bare-server", nargs=2, metavar=("PORT", "PAYLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--event-writer", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(int(args.bare_server[0]), Path(args.bare_server[1]))
        return 0
    if args.event_writer:
        event_writer(args.event_writer, pause=0.1)
        return 0

    import httpx

    with tempfile.TemporaryDirectory(prefix="paa-bench-api-") as scratch:
        home = Path(scratch)
        env = isolated_env(home)
        paa_port, bare_port = free_port(), free_port()
        paa_url, bare_url = f"http://127.0.0.1:{paa_port}", f"http://127.0.0.1:{bare_port}"
        paa = subprocess.Popen([paa_executable(), "serve", "--port", str(paa_port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        processes = [paa]
        try:
            wait_healthy(f"{paa_url}/healthz", paa)
            registered = httpx.post(f"{paa_url}/api/v1/auth/register", json={"username": "ann", "password": PASSWORD})
            token = registered.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            login = subprocess.run([paa_executable(), "auth", "login", "ann", "--password-stdin"], env=env,
                                   input=PASSWORD + "\n", capture_output=True, text=True)  # fmt: skip
            if login.returncode != 0:
                raise SystemExit(f"paa auth login failed: {login.stderr}")
            habits = [
                {"name": "Drink water", "unit": "glasses", "target": 8, "remind": "09:00,15:00"},
                {"name": "Run", "days": "mon,wed,fri", "category": "health"},
                {"name": "Read", "unit": "pages", "target": 20},
                {"name": "Stretch"},
                {"name": "Meditate", "times": 3, "per": 7},
            ]
            for habit in habits:
                httpx.post(f"{paa_url}/api/v1/habits", json=habit, headers=headers).raise_for_status()
            for day in ("yesterday", "-2", "-3"):
                httpx.post(f"{paa_url}/api/v1/habits/1/log", json={"value": 8, "date": day}, headers=headers)
            listed = httpx.get(f"{paa_url}/api/v1/habits", headers=headers)
            payload = home / "habits.json"
            payload.write_text(listed.text, encoding="utf-8")
            bare = subprocess.Popen([sys.executable, __file__, "--bare-server", str(bare_port), str(payload)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            processes.append(bare)
            wait_healthy(f"{bare_url}/api/v1/habits", bare)
            assert httpx.get(f"{bare_url}/api/v1/habits").json() == listed.json()

            print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run", flush=True)
            for url, sent in ((paa_url, headers), (bare_url, {})):  # warm both up
                asyncio.run(load(f"{url}/api/v1/habits", "GET", 100, args.clients, sent))
            spy = None
            if args.profile:  # py-spy samples the server's every thread while the reads run
                spy_args = ["record", "--pid", str(paa.pid), "--format", "raw", "--threads", "--gil"]
                spy_args += ["--output", str(args.profile), "--nonblocking"]
                spy = subprocess.Popen(["py-spy", *spy_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            # Rounds in turn, so that a change in the machine's load falls on both sides alike.
            bare_rounds, paa_rounds = [], []
            bare_cpu = paa_cpu = 0.0  # each server's own CPU time over its reads: less at the mercy of the load
            for _ in range(ROUNDS):
                before = cpu_seconds(bare.pid)
                bare_rounds.append(asyncio.run(load(f"{bare_url}/api/v1/habits", "GET", args.reads // ROUNDS,
                                                    args.clients, {})))  # fmt: skip
                bare_cpu += cpu_seconds(bare.pid) - before
                before = cpu_seconds(paa.pid)
                paa_rounds.append(asyncio.run(load(f"{paa_url}/api/v1/habits", "GET", args.reads // ROUNDS,
                                                   args.clients, headers)))  # fmt: skip
                paa_cpu += cpu_seconds(paa.pid) - before
            bare_read, paa_read = merged(bare_rounds), merged(paa_rounds)
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes what it sampled and exits
                spy.wait(timeout=60)
            write = asyncio.run(load(f"{paa_url}/api/v1/habits/3/log", "POST", args.writes, args.clients, headers,
                                     {"value": 1}))  # fmt: skip
            history = httpx.get(f"{paa_url}/api/v1/habits/3/history", headers=headers).json()
            amount = sum(day.get("value") or 0 for day in history["logs"])
            ws_url = paa_url.replace("http", "ws", 1) + "/api/v1/ws"
            delays = asyncio.run(event_latencies(ws_url, token, env, args.events))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)

    ratio = paa_read["rps"] / bare_read["rps"]
    rows = (("GET /api/v1/habits (bare FastAPI)", bare_read), ("GET /api/v1/habits (paa)", paa_read),
            ("POST /api/v1/habits/{id}/log (paa)", write))  # fmt: skip
    print(f"{args.clients} concurrent clients")
    for name, result in rows:
        print(f"{name:<38} {result['rps']:8.0f} req/s   p50 {result['p50'] * 1000:7.1f} ms   "
              f"p95 {result['p95'] * 1000:7.1f} ms   failures {len(result['failures'])}")  # fmt: skip
    print(f"read throughput paa/bare: {ratio:.2f} (goal >= 0.5)")
    reads = len(paa_read["latencies"])
    print(f"server CPU per read: bare {bare_cpu / reads * 1000:.2f} ms, paa {paa_cpu / reads * 1000:.2f} ms "
          f"(bare/paa {bare_cpu / paa_cpu:.2f})")  # fmt: skip
    print(f"writes: {args.writes} sent, day's amount {amount:g} (goal: equal)")
    print(f"change event after a write in another process: p50 {percentile(delays, 50) * 1000:.0f} ms, "
          f"p95 {percentile(delays, 95) * 1000:.0f} ms over {len(delays)} writes (goal p95 < 1000 ms)")  # fmt: skip
    failures = paa_read["failures"] + bare_read["failures"] + write["failures"]
    if failures:
        print(f"failed requests: {failures[:5]}")
    lost = amount != args.writes or bool(write["failures"])
    return 1 if lost or failures else 0


if __name__ == "__main__":
    sys.exit(main())
