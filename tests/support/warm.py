"""A warm server for a test: started with the real `paa warm start` in the test's own runtime folder, always stopped.

`warm_folder` makes a short private folder (a Unix socket's path is limited to ~100 bytes, more than pytest's
tmp_path leaves) and points XDG_RUNTIME_DIR at it; `WarmServer.start` runs `paa warm start`; `stop` asks it to stop
and kills it (and its workers) if it has not gone within a bounded wait.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from paa.cli import warm_client, warm_server
from tests.support.processes import child_env, paa_executable
from tests.support.waiting import wait_until

STOP_SECONDS = 30.0


@contextlib.contextmanager
def warm_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh 0700 folder as XDG_RUNTIME_DIR (paa's sockets go in its `paa` folder), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="paaw-", dir="/tmp"))
    folder.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "30")  # a loaded machine is no reason to fall back in a test
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class WarmServer:
    """A warm server started for one test, for the environment `env`."""

    pid: int
    socket: str
    env: dict[str, str]
    zygote: int = 0  # the server's chat zygote, its child for as long as it runs
    helper: int = 0  # the server's embedding helper, another such child

    @classmethod
    def start(cls, extra: Mapping[str, str] | None = None, idle: int = 120) -> WarmServer:
        env = child_env(extra)
        done = subprocess.run(
            [paa_executable(), "warm", "start", "--idle", str(idle)], capture_output=True, text=True, env=env,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        info = status(env)
        assert info["running"], (done.stdout, done.stderr)
        zygote, helper = int(info.get("chat_zygote") or 0), int(info.get("embedding_helper") or 0)
        return cls(pid=int(info["pid"]), socket=str(info["socket"]), env=env, zygote=zygote, helper=helper)

    def served(self) -> int:
        """How many connections the server has forked a worker for (run requests and status requests alike)."""
        info = status(self.env)
        return int(info["served"]) if info["running"] else -1

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return _state(self.pid) not in ("Z", "")

    def workers(self) -> list[int]:
        """The server's worker processes running a command now (Linux: read from /proc), and the chat zygote's."""
        return [pid for pid in self.children() if not is_spare(pid)]

    def children(self) -> list[int]:
        """Every process the server or its chat zygote forked that still runs: workers, and a spare worker of each
        waiting for the next command; not the zygote itself, nor the embedding helper."""
        zygote = self.zygote
        found = []
        for entry in os.listdir("/proc"):
            pid = int(entry) if entry.isdigit() else 0
            if pid and pid not in (zygote, self.helper) and _parent(pid) in (self.pid, zygote) and _state(pid) != "Z":
                found.append(pid)  # (a zombie has finished: its parent reaps it in a moment)
        return found

    def worker_of(self, client: int) -> int | None:
        """The worker running the command of the client process `client`: the one reading its stdin (a worker that
        answered a status request may still be exiting beside it)."""
        try:
            stdin = os.readlink(f"/proc/{client}/fd/0")
        except OSError:
            return None
        for worker in self.workers():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{worker}/fd/0") == stdin:
                    return worker
        return None

    def stop(self) -> None:
        """Stop it, by asking and then by SIGKILL to its process group; wait (bounded) until it is gone."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run([paa_executable(), "warm", "stop"], capture_output=True, env=self.env, timeout=STOP_SECONDS)
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)  # it leads its own session: this takes its workers too
        wait_until(lambda: not self.alive(), timeout=STOP_SECONDS, what=f"warm server {self.pid} to exit")


def status(env: Mapping[str, str]) -> dict[str, Any]:
    """What the warm server of `env` says about itself (pid, socket, served...), asked over its socket as `paa warm
    status` asks; {"running": False} when none answers."""
    path = warm_client.socket_path(env)
    if path is None:
        return {"running": False}
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(60)
        try:
            conn.connect(path)
            warm_client.send_request(conn, b"ping", [])
            if warm_client._read_exact(conn, 1) != warm_client.INFO:
                return {"running": False}
            (size,) = warm_client.HEADER.unpack(warm_client._read_exact(conn, warm_client.HEADER.size))
            text = warm_client._read_exact(conn, size).decode()
        except OSError:
            return {"running": False}
    return {"running": True, **dict(line.split(": ", 1) for line in text.splitlines())}


def code_changed_since(stamp: str) -> bool:
    """Whether paa's source changed during the test (someone editing the checkout): the server quits, as it must."""
    return warm_client.code_stamp() != stamp


def _stat_fields(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[-1].split()


def _state(pid: int) -> str:
    fields = _stat_fields(pid)
    return fields[0] if fields else ""


def is_spare(pid: int) -> bool:
    """Whether `pid` is a spare worker, forked ahead of a command it has not been given yet (it says so in its name)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == warm_server.SPARE_NAME.decode()
    except OSError:
        return False


def _parent(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else -1


def parent_of(pid: int) -> int:
    """The parent of process `pid` (Linux: read from /proc); -1 when it is gone."""
    return _parent(pid)


def state_of(pid: int) -> str:
    """The state letter of process `pid` (Linux: /proc; "T" stopped, "S" sleeping, "R" running), "" when gone."""
    return _state(pid)


def has_ended(pid: int) -> bool:
    """Whether process `pid` has ended (gone, or a zombie waiting to be reaped)."""
    return _state(pid) in ("Z", "")


# Runs a test that uses `run_paa` twice: cold, then with a warm server serving its commands (tests/conftest.py).
both_paths = pytest.mark.parametrize("run_paa", ["cold", "warm"], indirect=True)


def serving(
    monkeypatch: pytest.MonkeyPatch, run: Callable[..., subprocess.CompletedProcess[str]]
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """`run_paa` through a warm server for the test: started in its own folder, checked to have served, stopped."""
    stamp = warm_client.code_stamp()
    with warm_folder(monkeypatch):
        server = WarmServer.start()
        try:
            before = server.served()
            yield run
            after = server.served()
        finally:
            server.stop()
    if not code_changed_since(stamp):  # else the server quit mid-test, as it must, and the rest ran cold
        assert after > before + 1, "the warm server served none of the test's commands"
