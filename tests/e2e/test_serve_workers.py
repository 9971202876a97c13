"""Issues #15 and #17, operations: `paa serve --workers 2` with PAA_REDIS_URL runs two uvicorn worker processes
built by `paa.api.main:app_factory`, acting as one server through Redis. A write through either worker (the test
picks each one, by what its /metrics counts) or a `paa` command in a terminal is announced on Redis once committed,
so a WebSocket held by one worker gets it (that the announcement, not the workers' safety-net poll, delivers it is
shown in process by tests/e2e/test_redis.py with the poll set to an hour; timing is bench/'s business, never a test's);
SIGTERM stops the whole server cleanly. An unreachable Redis is a one-line error before
anything serves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.test_serve import PASSWORD, Server, free_port, register, serving, ws_url
from tests.support.processes import child_env, paa_executable
from tests.support.redis_server import redis_url  # noqa: F401  (the session's Redis)
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e


def _next_change(client: ClientConnection) -> dict[str, Any]:
    """The next `data:changed` event (answering pings on the way), within a bound no loaded machine reaches."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    seen: list[dict[str, Any]] = []
    while True:
        try:
            message = json.loads(client.recv(timeout=max(deadline - time.monotonic(), 0.001)))
        except TimeoutError:
            raise AssertionError(f"no change event within {GIVE_UP_SECONDS:g} s; seen: {seen}") from None
        seen.append(message)
        if message["type"] == "ping":
            client.send(json.dumps({"type": "pong"}))
        elif message["type"] == "data:changed":
            return message


def _connection_to(server: Server, headers: dict[str, str], *, holding_the_socket: bool) -> httpx.Client:
    """A kept-alive HTTP connection to the worker that holds the test's one WebSocket, or to the other one: each
    worker's /metrics counts only its own sockets, and later requests on the connection go to the same worker."""

    def attempt() -> httpx.Client | None:
        client = httpx.Client(headers=headers)
        lines = client.get(f"{server.url}/metrics").text.splitlines()
        count = next(float(line.split()[1]) for line in lines if line.startswith("paa_websocket_connections "))
        if count == (1.0 if holding_the_socket else 0.0):
            return client
        client.close()
        return None

    which = "holding" if holding_the_socket else "not holding"
    found = wait_until(attempt, what=f"a connection to the worker {which} the WebSocket")
    assert found is not None  # wait_until returns only a true value
    return found


def _paa(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run([paa_executable(), *args], input=stdin, capture_output=True, text=True, env=child_env(),
                          timeout=GIVE_UP_SECONDS, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_two_workers_act_as_one_server_through_redis(
    paa_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,  # noqa: F811
) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", redis_url)  # the server's and the CLI's environment
    with serving("--workers", "2") as server:
        token = register(server)
        headers = {"Authorization": f"Bearer {token}"}
        _paa("auth", "login", "alice", "--password-stdin", stdin=PASSWORD + "\n")
        with connect(ws_url(server)) as client:
            client.send(json.dumps({"type": "auth", "token": token}))
            ready = json.loads(client.recv(timeout=GIVE_UP_SECONDS))
            assert ready["type"] == "ready"
            ids = []
            for name, holding in (("Run", False), ("Read", True), ("Write", False), ("Sleep", True)):
                worker = _connection_to(server, headers, holding_the_socket=holding)
                try:
                    added = worker.post(f"{server.url}/api/v1/habits", json={"name": name})
                finally:
                    worker.close()
                assert added.status_code == 201, added.text
                ids.append(_next_change(client)["id"])
            _paa("habit", "log", "Run")  # another process altogether: it announces its commit too
            logged = _next_change(client)
        assert ready["last_event_id"] < ids[0] < ids[1] < ids[2] < ids[3] < logged["id"]  # in order, none lost
        assert logged["data"]["areas"] == ["habits"]  # a log is part of its habit
        listed = httpx.get(f"{server.url}/api/v1/habits", headers=headers)
        assert sorted(habit["name"] for habit in listed.json()) == ["Read", "Run", "Sleep", "Write"]
        server.process.send_signal(signal.SIGTERM)
        out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert server.process.returncode == 0, err
    assert f"Serving paa at {server.url}/api/v1" in out and f"stopped serving {server.url}" in err
    assert not (paa_home / "server.json").exists()


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (uvicorn's workers, and what they start), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        children = parents.get(waiting.pop(), [])
        found.extend(children)
        waiting.extend(children)
    return found


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode("utf-8", errors="replace")
    return dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the workers' environment from /proc")
def test_workers_read_secret_files_themselves_and_hold_no_secret_in_their_environment(
    paa_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,  # noqa: F811
) -> None:
    # Secrets handed over as files (compose `secrets:`): each worker builds its runtime from the `*_FILE` variables,
    # which beside the values read in would be refused as "both set", and the values would show in `ps e`.
    database = tmp_path / "elsewhere" / "paa.db"
    database.parent.mkdir()
    database_url = f"sqlite:///{database}"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "db_url").write_text(database_url + "\n", encoding="utf-8")
    (secrets / "redis_url").write_text(redis_url + "\n", encoding="utf-8")
    monkeypatch.setenv("PAA_DB_URL_FILE", str(secrets / "db_url"))
    monkeypatch.setenv("PAA_REDIS_URL_FILE", str(secrets / "redis_url"))
    with serving("--workers", "2") as server:

        def two_workers() -> list[int] | None:
            found = _descendants(server.process.pid)
            return found if len(found) >= 2 else None

        try:
            workers = wait_until(two_workers, what="two worker processes")
            for pid in workers:
                environ = _environ_of(pid)
                assert environ.get("PAA_DB_URL_FILE") == str(secrets / "db_url")
                assert environ.get("PAA_REDIS_URL_FILE") == str(secrets / "redis_url")
                assert "PAA_DB_URL" not in environ and "PAA_REDIS_URL" not in environ
                assert not [name for name, value in environ.items() if redis_url in value or database_url in value]
            for name in ("alice", "bob"):  # a worker serves from the database the file names
                register(server, name)
        finally:  # SIGTERM stops the workers too (the helper's kill would leave them running)
            server.process.send_signal(signal.SIGTERM)
            _out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert server.process.returncode == 0, err
    assert "both set" not in err and "Traceback" not in err
    assert database.is_file()  # the database the file names, not the one in PAA_HOME


def test_an_unreachable_redis_is_refused_before_serving(paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    command = [paa_executable(), "serve", "--workers", "2", "--port", str(free_port())]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=GIVE_UP_SECONDS)
    assert done.returncode == 7, done.stderr  # a configuration error
    assert done.stderr.startswith("paa: error: cannot reach Redis at PAA_REDIS_URL: ")
    assert "Serving paa" not in done.stdout


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the processes' command lines from /proc")
def test_an_env_file_s_secrets_reach_the_workers_but_no_command_line(
    paa_home: Path,
    tmp_path: Path,
    redis_url: str,  # noqa: F811
) -> None:
    # Issue #15: what another local user could see of `paa serve --workers 2 --env-file` (launchd's way). The file's
    # values reach the workers only through their environment, which /proc shows to the same user and root alone
    # (as systemd's EnvironmentFile= does); `ps` shows anyone every command line, and none may carry a value.
    database = tmp_path / "elsewhere" / "paa.db"
    database.parent.mkdir()
    secrets = {"PAA_DB_URL": f"sqlite:///{database}", "PAA_REDIS_URL": redis_url}
    env_file = tmp_path / "daemon.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in secrets.items()), encoding="utf-8")
    env_file.chmod(0o600)
    with serving("--workers", "2", "--env-file", str(env_file)) as server:

        def two_workers() -> list[int] | None:
            found = _descendants(server.process.pid)
            return found if len(found) >= 2 else None

        try:
            workers = wait_until(two_workers, what="two worker processes")
            assert workers is not None
            processes = [server.process.pid, *workers]
            for pid in processes:
                command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", errors="replace")
                assert not [name for name, value in secrets.items() if value in command_line], (pid, command_line)
                # the environment holds the file's values: it is the service user's alone (the kernel shows
                # /proc/<pid>/environ to the process's owner only), so no worker may run as anyone else
                assert Path(f"/proc/{pid}").stat().st_uid == os.getuid()
            register(server, "alice")  # a worker serves from the database the file names
        finally:  # SIGTERM stops the workers too (the helper's kill would leave them running)
            server.process.send_signal(signal.SIGTERM)
            _out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    assert server.process.returncode == 0, err
    assert database.is_file()
