"""The warm server starts on first use: a command that finds none runs cold and starts one in the background.

Every test points XDG_RUNTIME_DIR at a fresh private folder and PAA_HOME at its own temporary one; any server a test
caused is found by its command line (`/proc`, which names the socket) and stopped, and removing the folder makes a
forgotten one quit as well.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from paa.cli import warm_client
from tests.support.processes import child_env, paa_executable
from tests.support.waiting import wait_until
from tests.support.warm import WarmServer, code_changed_since, status, warm_folder

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")]

START_SECONDS = 120.0  # the server waits for its command to end, then imports everything: slow on a busy machine


@pytest.fixture
def autostart(monkeypatch: pytest.MonkeyPatch, paa_home: Path) -> Iterator[dict[str, str]]:
    """The environment of commands that may start a server (tests/conftest.py turns it off everywhere else)."""
    monkeypatch.delenv("PAA_WARM_AUTOSTART")
    with warm_folder(monkeypatch) as _folder:
        env = child_env()
        try:
            yield env
        finally:
            for pid in _servers_of(env):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)  # a server leads its own session: its workers go too


def _socket(env: dict[str, str]) -> str:
    path = warm_client.socket_path(env)
    assert path is not None
    return path


def _servers_of(env: dict[str, str]) -> list[int]:
    """Processes whose command line names this environment's socket: its warm servers, running or starting."""
    path = warm_client.socket_path(env)
    if path is None:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            words = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.fsencode(path) in words:
            found.append(int(entry))
    return found


def _paa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([paa_executable(), *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_command_that_finds_no_server_runs_cold_and_starts_one(autostart: dict[str, str]) -> None:
    stamp = warm_client.code_stamp()
    first = _paa(autostart, "habit", "list", "--json")
    assert (first.returncode, first.stdout, first.stderr) == (0, "[]\n", "")

    info = wait_until(lambda: status(autostart) if status(autostart)["running"] else None, timeout=START_SECONDS,
                      what="the warm server started by the first command")  # fmt: skip
    server = WarmServer(pid=int(info["pid"]), socket=str(info["socket"]), env=autostart)
    try:
        assert info["socket"] == _socket(autostart)
        assert not os.path.exists(_socket(autostart).removesuffix(".sock") + ".starting")  # done starting
        assert int(info["idle_seconds"]) == 600  # warm.idle_seconds' default
        assert os.readlink(f"/proc/{server.pid}/cwd") == "/"  # not the folder of the command that started it
        before = server.served()
        again = _paa(autostart, "habit", "list", "--json")
        if code_changed_since(stamp):
            pytest.skip("paa's source changed during the test: the warm server quit, as it must")
        assert (again.returncode, again.stdout, again.stderr) == (0, "[]\n", "")
        assert server.served() == before + 2  # the status request that counted, then the command
        doctor = _paa(autostart, "doctor")
        assert "a warm server (pid" in doctor.stdout, doctor.stdout
    finally:
        server.stop()


def test_the_idle_time_comes_from_the_setting(autostart: dict[str, str]) -> None:
    env = {**autostart, "PAA_WARM_IDLE_SECONDS": "45"}
    assert _paa(env, "habit", "list").returncode == 0
    info = wait_until(lambda: status(env) if status(env)["running"] else None, timeout=START_SECONDS,
                      what="the warm server started by the command")  # fmt: skip
    server = WarmServer(pid=int(info["pid"]), socket=str(info["socket"]), env=env)
    try:
        assert int(info["idle_seconds"]) == 45
    finally:
        server.stop()


def test_the_variable_turns_it_off(autostart: dict[str, str]) -> None:
    env = {**autostart, "PAA_WARM_AUTOSTART": "0"}
    done = _paa(env, "habit", "list", "--json")
    assert (done.returncode, done.stdout) == (0, "[]\n")
    assert warm_client.runtime_dir(env, create=False) is None  # not even the sockets' folder was made
    assert _servers_of(env) == []


def test_no_server_is_the_off_switch_too(autostart: dict[str, str]) -> None:
    env = {**autostart, "PAA_NO_SERVER": "1"}
    assert _paa(env, "habit", "list").returncode == 0
    assert warm_client.runtime_dir(env, create=False) is None
    assert _servers_of(env) == []


def test_the_setting_turns_it_off_and_commands_stop_trying(autostart: dict[str, str], paa_home: Path) -> None:
    paa_home.mkdir(parents=True, exist_ok=True)
    (paa_home / "config.toml").write_text("[warm]\nautostart = false\n")
    done = _paa(autostart, "habit", "list", "--json")
    assert (done.returncode, done.stdout, done.stderr) == (0, "[]\n", "")
    marker = Path(_socket(autostart).removesuffix(".sock") + ".starting")

    # The process it started read the setting, dated the marker ahead (so commands leave it be) and went.
    wait_until(lambda: marker.exists() and marker.stat().st_mtime > time.time() + 60, timeout=START_SECONDS,
               what="the marker dated ahead")  # fmt: skip
    wait_until(lambda: _servers_of(autostart) == [], timeout=START_SECONDS, what="the process that found it off")
    held = marker.stat().st_mtime
    assert _paa(autostart, "habit", "list").returncode == 0
    assert marker.stat().st_mtime == held
    assert _servers_of(autostart) == []
    assert not os.path.exists(_socket(autostart))
    doctor = _paa(autostart, "doctor")
    assert "warm.autostart is off" in doctor.stdout, doctor.stdout


def test_a_server_quits_when_its_home_is_removed(autostart: dict[str, str], paa_home: Path) -> None:
    env = {**autostart, "PAA_WARM_AUTOSTART": "0"}
    assert _paa(env, "habit", "list").returncode == 0  # creates the data folder
    server = WarmServer.start(env)
    try:
        import shutil

        shutil.rmtree(paa_home)
        wait_until(lambda: not server.alive(), timeout=60, what="the server of a removed PAA_HOME to quit")
        assert not os.path.exists(server.socket)
    finally:
        server.stop()
