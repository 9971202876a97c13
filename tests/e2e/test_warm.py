"""The warm path: the same command lines give the same bytes and exit codes cold and warm, and nothing blocks.

Every scenario runs twice on the same PAA_HOME path (emptied in between): once cold (PAA_NO_SERVER=1), once through a
warm server started for the test; each step's exit code, stdout and stderr must be equal. The server's connection
count shows the warm steps really went through it. If paa's source changes during a test (someone editing the
checkout), the server quits as it must and the test is skipped rather than judged.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from paa.ai import embeddings
from paa.cli import warm_client
from paa.errors import ExitCode
from tests.support.processes import child_env, exec_on_a_terminal, paa_executable
from tests.support.waiting import GIVE_UP_SECONDS, readable_within, wait_until
from tests.support.warm import WarmServer, code_changed_since, has_ended, is_spare, parent_of, state_of, warm_folder
from tests.support.warm import status as status_of

pytestmark = pytest.mark.e2e
_MODEL = embeddings.status(None).available


@dataclass
class Step:
    args: list[str]
    input: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None  # relative to the scenario's scratch folder


SCENARIOS: dict[str, list[Step]] = {
    "habits": [
        Step(["habit", "add", "Water", "--unit", "glasses", "--target", "8", "--remind", "09:00"]),
        Step(["habit", "add", "Run", "--days", "mon,wed,fri"]),
        Step(["habit", "log", "water", "3"]),
        Step(["habit", "log", "run", "--date", "yesterday"]),
        Step(["habit", "list"]),
        Step(["habit", "list", "--json"]),
        Step(["habit", "today"]),
        Step(["remind", "upcoming"]),
        Step(["remind", "upcoming", "--json"]),
    ],
    "checkin-piped": [
        Step(["checkin", "--mood", "4", "--json"], input="Sunny and calm\nA long walk\n"),
        Step(["checkin", "--mood", "4"], input="again\n\n"),
    ],
    "failures": [
        Step(["habit", "log", "nosuch"]),  # not found: 4
        Step(["habit", "log"]),  # usage: 2
        Step(["habit", "add", "esc\x1b[31m"]),  # invalid input: 3
        Step(["no-such-command"]),
        Step(["habit", "list", "--user", "nobody"]),
        Step(["habit", "list"], env={"PAA_USER": "nobody"}),
    ],
    "colour-and-env": [
        Step(["habit", "add", "Stretch"]),
        Step(["habit", "today"], env={"PAA_COLOR": "always"}),
        Step(["habit", "today"], env={"PAA_COLOR": "always", "NO_COLOR": "1"}),
        Step(["habit", "list"], env={"COLUMNS": "60"}),
        Step(["habit", "today"], env={"PAA_NOW": "2026-11-27T08:00:00+00:00", "PAA_TIMEZONE": "Asia/Tokyo"}),
    ],
    "help-and-version": [
        Step(["--help"]),
        Step(["habit", "--help"]),
        Step(["habit"]),
        Step(["habit", "list", "--help"]),
        Step(["checkin", "--help"]),
        Step(["habit", "lst"]),  # a typo: the suggestion comes from the whole group, cold and warm
        Step(["--user", "nobody", "remind", "upcoming"]),
        Step(["--version"]),
    ],
    "memory": [  # vectors come from the embedding helper warm, from the model loaded in the process cold
        Step(["memory", "add", "I ran 5 km with Ann in the park"]),
        Step(["memory", "add", "My sister bakes sourdough bread"]),
        Step(["memory", "reindex"]),
        Step(["memory", "search", "jogging"]),
        Step(["memory", "search", "who makes bread", "--json"]),
        Step(["memory", "list"]),
    ],
    "working-folder": [
        Step(["habit", "add", "Read", "--unit", "pages", "--target", "20"]),
        Step(["habit", "log", "read", "12"]),
        Step(["analytics", "export", "--format", "json", "-o", "out.json"], cwd="sub"),
        Step(["analytics", "export", "-o", "../up.csv"], cwd="sub"),
    ],
}


def _run(step: Step, scratch: Path, extra_env: dict[str, str]) -> tuple[int, bytes, bytes]:
    cwd = scratch / (step.cwd or ".")
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [paa_executable(), *step.args], input=None if step.input is None else step.input.encode(),
        capture_output=True, env=child_env({**extra_env, **step.env}), cwd=cwd, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def _files(scratch: Path) -> dict[str, bytes]:
    return {str(path.relative_to(scratch)): path.read_bytes() for path in sorted(scratch.rglob("*")) if path.is_file()}


@pytest.fixture
def warm_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with warm_folder(monkeypatch) as folder:
        yield folder


@pytest.fixture
def stamp() -> str:
    return warm_client.code_stamp()


def _skip_if_code_changed(stamp: str) -> None:
    if code_changed_since(stamp):
        pytest.skip("paa's source changed during the test: the warm server quit, as it must")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cold_and_warm_give_the_same_bytes(name: str, warm_env: Path, paa_home: Path, tmp_path: Path, stamp: str):
    steps = SCENARIOS[name]
    scratch = tmp_path / "scratch"
    cold = [_run(step, scratch, {"PAA_NO_SERVER": "1"}) for step in steps]
    cold_files = _files(scratch)
    warm, served = _again_warm(steps, scratch, paa_home, stamp)
    for step, cold_run, warm_run in zip(steps, cold, warm, strict=True):
        assert warm_run == cold_run, step.args
    assert _files(scratch) == cold_files
    assert served == sum(1 for step in steps if warm_client._served(step.args))  # all but --version
    assert any(code != 0 for code, _, _ in cold) or name != "failures"


def _again_warm(steps: list[Step], scratch: Path, paa_home: Path, stamp: str) -> tuple[list, int]:
    """The steps run again, through a warm server started for them, on an emptied PAA_HOME and scratch folder: their
    results, and how many commands the server served."""
    shutil.rmtree(paa_home, ignore_errors=True)
    shutil.rmtree(scratch)
    server = WarmServer.start()
    try:
        before = server.served()
        warm = [_run(step, scratch, {}) for step in steps]
        after = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    return warm, after - before - 1  # less the status request that counted `before`


LIVED_IN = [  # a home with rows for each of the rehearsal's reads (paa.cli.warm_rehearsal)
    Step(["habit", "add", "Water", "--unit", "glasses", "--target", "8", "--remind", "09:00"]),
    Step(["habit", "add", "Run", "--days", "mon,wed,fri"]),
    Step(["habit", "log", "water", "3"]),
    Step(["checkin", "--mood", "4", "--answer", "A long walk", "--answer", "Finished the book"]),
    Step(["chat", "--offline", "--no-stdin", "I drank a glass of water"]),
]
AFTER_THE_REHEARSAL = [
    Step(["habit", "list"]),
    Step(["habit", "today", "--json"]),
    Step(["habit", "today"], env={"PAA_COLOR": "always"}),
    Step(["remind", "upcoming"]),
    Step(["checkin", "--mood", "3", "--answer", "Tired", "--answer", "Nothing", "--replace"]),
    Step(["chat", "--offline", "--no-stdin", "how did my week go?"]),
    Step(["chat", "history", "--json"]),
    Step(["habit", "list"], env={"PAA_USER": "nobody"}),
]


def test_a_server_that_read_ahead_answers_as_a_cold_run(warm_env: Path, paa_home: Path, tmp_path: Path, stamp: str):
    """A server started on a lived-in home reads it once before serving (the rehearsal); what its workers then
    answer and write is what cold runs answer and write, and the server holds no thread and no database file."""
    scratch = tmp_path / "scratch"
    cold_env = {"PAA_NO_SERVER": "1"}
    for step in LIVED_IN:
        assert _run(step, scratch, cold_env)[0] == 0, step.args
    cold = [_run(step, scratch, cold_env) for step in AFTER_THE_REHEARSAL]
    cold_files = _files(scratch)
    shutil.rmtree(paa_home)
    shutil.rmtree(scratch)
    for step in LIVED_IN:
        _run(step, scratch, cold_env)
    server = WarmServer.start()
    try:
        info = status_of(server.env)
        assert info["rehearsed"] == "habits,agenda,checkin,chat,memory,dashboard"
        shown = subprocess.run(
            [paa_executable(), "warm", "status"], capture_output=True, text=True, env=server.env, timeout=120
        )
        assert "read ahead: habits, agenda, checkin, chat, memory, dashboard" in shown.stdout, shown
        for pid in (server.pid, server.zygote):
            assert len(os.listdir(f"/proc/{pid}/task")) == 1  # it forks: never beside a thread
            held = _files_held(pid)
            assert not [path for path in held if path.startswith(str(paa_home))], held
        before = server.served()
        warm = [_run(step, scratch, {}) for step in AFTER_THE_REHEARSAL]
        served = server.served() - before - 1  # less the status request that counted `before`
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    for step, cold_run, warm_run in zip(AFTER_THE_REHEARSAL, cold, warm, strict=True):
        assert warm_run == cold_run, step.args
    assert served == len(AFTER_THE_REHEARSAL)
    assert _files(scratch) == cold_files


def _files_held(pid: int) -> list[str]:
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # (closed meanwhile)
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


def test_version_answers_without_the_command_tree() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", paa_executable(), "--version"], capture_output=True, text=True,
        env=child_env(), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == "paa 0.1.0\n"
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}
    assert "paa.cli.app" not in imported and "typer" not in imported and "paa.errors" not in imported


def test_a_warm_command_imports_only_the_client(warm_env: Path, paa_home: Path, stamp: str) -> None:
    """The client's whole cost is Python's start and these few modules: `socket`, `signal` and `struct` would bring
    `enum` and `selectors` (a tenth of a warm command), paa's own modules the command code."""

    def imported(*command: str) -> set[str]:
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *command], capture_output=True, text=True, env=server.env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")}

    # What the installed script imports before paa's own code (pip's older scripts import `re`; newer, nothing).
    launcher = Path(paa_executable()).read_text(encoding="utf-8").splitlines()
    prologue = [line for line in launcher if line.startswith("import ") and "paa" not in line]
    server = WarmServer.start()
    try:
        before = server.served()
        client = imported(str(paa_executable()), "habit", "list", "--json")
        served = server.served()
        python_alone = imported("-c", "\n".join(prologue) or "pass")
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert served == before + 2  # the status request that counted, then the command
    own = {"paa", "paa.cli", "paa.cli.main", "paa.cli.warm_client"}
    assert client - python_alone == own | {"_socket", "_struct", "__future__"}  # (the last: their annotations)


def test_no_server_stale_socket_or_hung_server_runs_cold(warm_env: Path, paa_home: Path) -> None:
    path = warm_client.socket_path(child_env(), create=True)
    assert path is not None
    listed = [paa_executable(), "habit", "list", "--json"]

    no_server = subprocess.run(listed, capture_output=True, text=True, env=child_env(), timeout=120)
    assert (no_server.returncode, no_server.stdout) == (0, "[]\n")

    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # the file stays: a server that died without removing it
    refused = subprocess.run(listed, capture_output=True, text=True, env=child_env(), timeout=120)
    assert (refused.returncode, refused.stdout, refused.stderr) == (0, "[]\n", "")

    os.unlink(path)
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(path)
    hung.listen(8)  # accepts connections into its backlog and never answers
    try:
        waited = subprocess.run(  # (with the default time limit: the suite's own is long, for loaded machines)
            listed, capture_output=True, text=True, env=child_env({"PAA_WARM_TIMEOUT": ""}), timeout=120
        )
    finally:
        hung.close()
    assert (waited.returncode, waited.stdout, waited.stderr) == (0, "[]\n", "")


def test_a_server_of_another_version_is_not_used_and_quits(warm_env: Path, stamp: str, monkeypatch) -> None:
    server = WarmServer.start()
    try:
        monkeypatch.setattr(warm_client, "code_stamp", lambda: "0" * 16)  # what a client of another paa sends
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(60)
            conn.connect(server.socket)
            warm_client.send_request(conn, b"run", ["habit", "list"], fds=[0, 1, 2])
            assert conn.recv(1) == warm_client.STALE
        wait_until(lambda: not server.alive(), what="the stale server to quit")
        assert not os.path.exists(server.socket)
    finally:
        server.stop()


def _blocked_checkin(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`paa checkin` waiting for its first answer on a pipe that stays open."""
    return subprocess.Popen(
        [paa_executable(), "checkin", "--mood", "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def test_kill_9_of_the_server_mid_command(warm_env: Path, paa_home: Path, stamp: str) -> None:
    server = WarmServer.start()
    try:
        # The server alone killed: the worker finishes the command and its client hears from it.
        client = _blocked_checkin(server.env)
        worker = wait_until(lambda: server.worker_of(client.pid), what="the client's worker")
        os.kill(server.pid, signal.SIGKILL)
        out, err = client.communicate(b"Fine\nA walk\n", timeout=120)
        assert client.returncode == 0, err
        _skip_if_code_changed(stamp)
        assert out.startswith(b"Checked in for 2026-11-26: mood 4/5, 2 answers"), out
        assert worker not in server.workers()

        # The next command finds a socket nobody answers on, and runs cold.
        shown = subprocess.run(
            [paa_executable(), "habit", "list", "--json"], capture_output=True, text=True, env=server.env, timeout=120
        )
        assert (shown.returncode, shown.stdout, shown.stderr) == (0, "[]\n", "")
    finally:
        server.stop()


def test_kill_9_of_server_and_worker_mid_command_is_an_error_not_a_hang(warm_env: Path, stamp: str) -> None:
    server = WarmServer.start()
    try:
        client = _blocked_checkin(server.env)
        wait_until(lambda: server.worker_of(client.pid), what="the client's worker")
        os.killpg(server.pid, signal.SIGKILL)  # the server's whole session: it and its worker
        _, err = client.communicate(timeout=120)
        _skip_if_code_changed(stamp)
        assert client.returncode == ExitCode.INTERNAL
        assert err.decode().startswith("paa: error: the warm server stopped in the middle of the command"), err
        again = subprocess.run(
            [paa_executable(), "habit", "list", "--json"], capture_output=True, text=True, env=server.env, timeout=120
        )
        assert (again.returncode, again.stdout, again.stderr) == (0, "[]\n", "")
    finally:
        server.stop()


def test_kill_9_of_the_worker_kills_the_client_alike(warm_env: Path, stamp: str) -> None:
    """A cold process killed with SIGKILL dies of it; so does the client of a worker killed with it."""
    server = WarmServer.start()
    try:
        client = _blocked_checkin(server.env)
        worker = wait_until(lambda: server.worker_of(client.pid), what="the client's worker")
        assert worker is not None
        os.kill(worker, signal.SIGKILL)
        client.communicate(timeout=120)
        _skip_if_code_changed(stamp)
        assert client.returncode == -signal.SIGKILL
        assert server.alive()
    finally:
        server.stop()


def test_the_server_refuses_another_user(warm_env: Path, stamp: str) -> None:
    """Even with the folder and socket opened up, a process of another uid is turned away (peer credentials)."""
    if os.getuid() != 0:
        pytest.skip("needs root to act as another user")
    server = WarmServer.start()
    try:
        Path(server.socket).parent.chmod(0o711)
        warm_env.chmod(0o711)
        zygote = warm_client.zygote_path(server.socket)  # the chat zygote's socket, which serves chats and the TUI
        for path in (server.socket, zygote):
            assert os.stat(path).st_mode & 0o077 == 0  # made private: opened up here only to test the uid check
            os.chmod(path, 0o777)
        code = (
            "import os, socket, sys\n"
            "from paa.cli import warm_client as w\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "c = socket.socket(socket.AF_UNIX); c.settimeout(60); c.connect(sys.argv[1])\n"
            "try:\n    w.send_request(c, b'run', [sys.argv[2], 'list'], fds=[0, 1, 2]); print(repr(c.recv(1)))\n"
            "except OSError as e:\n    print('closed', type(e).__name__)\n"
        )
        env = {**server.env, "HOME": "/", "PYTHONPATH": os.pathsep.join(sys.path)}
        for path, command in ((server.socket, "habit"), (zygote, "chat")):
            done = subprocess.run(
                [sys.executable, "-c", code, path, command], capture_output=True, text=True, env=env, cwd="/",
                timeout=120,
            )  # fmt: skip
            assert done.stdout.strip() in ("b''", "closed BrokenPipeError", "closed ConnectionResetError"), done.stderr
        _skip_if_code_changed(stamp)
        assert server.alive() and not server.workers()
    finally:
        server.stop()


def test_idle_server_quits(warm_env: Path) -> None:
    path = warm_client.socket_path(child_env(), create=True)
    server = subprocess.Popen(
        [sys.executable, "-c", "from paa.cli.warm_server import main; main()", str(path), "0.5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(), cwd="/",
    )  # fmt: skip
    try:
        assert server.wait(timeout=120) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    assert not os.path.exists(str(path))


def test_ctrl_c_reaches_a_warm_command_on_a_terminal(warm_env: Path, stamp: str) -> None:
    assert _ctrl_c_cold_and_warm(stamp) == 2  # connections: the status request and the command's worker


def test_ctrl_c_reaches_a_relayed_check_in_on_a_terminal(warm_env: Path, stamp: str, fake_anthropic) -> None:
    """With an API key the server's worker hands the check-in to the chat zygote: its questions still reach the
    terminal, and Ctrl-C at the first one still aborts it, as cold."""
    assert _ctrl_c_cold_and_warm(stamp) == 3  # the status request, the server's worker, and the zygote's
    assert not fake_anthropic.message_requests  # aborted before anything was saved or read


def _ctrl_c_cold_and_warm(stamp: str) -> int:
    """Ctrl-C at a check-in's first question on a terminal, cold and then warm: the same exit code and screen (checked
    here); how many connections the warm server counted meanwhile."""
    pty = pytest.importorskip("pty")
    cold = _interrupted_on_a_terminal(pty, {"PAA_NO_SERVER": "1"})
    server = WarmServer.start()
    try:
        before = server.served()
        warm = _interrupted_on_a_terminal(pty, {})
        after = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert cold[0] == ExitCode.ABORTED and "How was your day?" in cold[1], cold[1]
    assert warm == cold
    return after - before


def _interrupted_on_a_terminal(pty, extra: dict[str, str]) -> tuple[int, str]:
    """Run `paa checkin` on a new terminal, press Ctrl-C at its first question; its exit code and what it showed."""
    code, shown = _on_a_terminal(pty, ["checkin", "--mood", "4"], extra, ctrl_c_after=QUESTION)
    return code, shown.decode(errors="replace")


QUESTION = b"?"  # the check-in's first question ends with one


def test_the_tui_opens_full_screen_over_the_warm_path(warm_env: Path, paa_home: Path, stamp: str) -> None:
    """`paa tui` on a terminal, through the warm server (its chat zygote, which has Textual loaded), paints the same
    dashboard as cold, puts the terminal back and exits alike."""
    pty = pytest.importorskip("pty")
    added = subprocess.run([paa_executable(), "habit", "add", "Water", "--unit", "glasses", "--target", "8"],
                           capture_output=True, env=child_env(), timeout=120)  # fmt: skip
    assert added.returncode == 0, added.stderr
    args = ["tui", "--exit-when-ready"]
    cold = _on_a_terminal(pty, args, {"PAA_NO_SERVER": "1"})
    server = WarmServer.start()
    try:
        before = server.served()
        warm = _on_a_terminal(pty, args, {})
        after = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    for code, shown in (cold, warm):
        assert code == 0, shown[-2000:]
        assert b"Water" in shown and b"0/8" in shown  # the dashboard, with the habit and its progress
        assert shown.index(b"\x1b[?1049h") < shown.index(b"Water") < shown.rindex(b"\x1b[?1049l")  # full screen, left
    assert after - before == 2  # the TUI went through the server (and the status request that counted `before`)


def test_a_stopped_warm_tui_gives_the_terminal_back_and_comes_back_on_fg(
    warm_env: Path, paa_home: Path, stamp: str
) -> None:
    """A job-control stop of a warm `paa tui` (SIGTSTP, as `kill -TSTP` or a shell sends it) reaches its worker:
    the TUI leaves full screen before the client stops, as it does cold, and SIGCONT (`fg`) brings it back."""
    pty = pytest.importorskip("pty")
    added = subprocess.run([paa_executable(), "habit", "add", "Water"], capture_output=True, env=child_env(),
                           timeout=120)  # fmt: skip
    assert added.returncode == 0, added.stderr
    server = WarmServer.start()
    try:
        with _Terminal(pty, ["tui"]) as terminal:
            terminal.until(b"Water")
            worker = server.worker_of(terminal.pid)
            assert worker is not None, terminal.shown[-2000:]
            painted = len(terminal.shown)
            os.kill(terminal.pid, signal.SIGTSTP)
            wait_until(lambda: state_of(terminal.pid) == "T" and state_of(worker) == "T", what="both to stop")
            terminal.until(b"\x1b[?1049l", since=painted)
            left = len(terminal.shown)
            os.kill(terminal.pid, signal.SIGCONT)  # what `fg` sends
            terminal.until(b"\x1b[?1049h", since=left)
            os.write(terminal.leader, b"q")
            code = terminal.exit_code()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    shown = terminal.shown
    assert b"\x1b[?1049l" in shown[painted:left]  # full screen left while stopped
    assert b"\x1b[?1049h" in shown[left:]  # and entered again on fg
    assert code == 0, shown[-2000:]


def test_ctrl_z_stops_a_warm_command_and_fg_continues_it(warm_env: Path, stamp: str) -> None:
    """Ctrl-Z at a warm command's prompt stops its worker with the client, as it stops a cold `paa` (which the
    terminal signals itself): a worker left running would read the terminal under the shell. Continuing the client
    (the shell's `fg`) continues the worker, and the command goes on."""
    pty = pytest.importorskip("pty")
    server = WarmServer.start()
    try:
        with _Terminal(pty, ["checkin", "--mood", "4"]) as terminal:
            pid, worker = terminal.pid, terminal.stopped_at_a_question(server)
            os.kill(pid, signal.SIGCONT)  # what `fg` sends
            wait_until(lambda: state_of(pid) != "T" and state_of(worker) != "T", what="both to go on")
            os.write(terminal.leader, b"\x03")  # the command goes on: Ctrl-C at its question ends it as usual
            code = terminal.exit_code()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert code == ExitCode.ABORTED, terminal.shown


def test_ctrl_z_stops_a_relayed_check_in_and_fg_continues_it(warm_env: Path, stamp: str, fake_anthropic) -> None:
    """With an API key the check-in runs in a worker of the chat zygote, asked by the server's worker: Ctrl-Z stops
    both with the client, and `fg` continues both."""
    pty = pytest.importorskip("pty")
    server = WarmServer.start()
    try:
        with _Terminal(pty, ["checkin", "--mood", "4"]) as terminal:
            pid = terminal.pid
            terminal.stopped_at_a_question(server)
            terminal_name = os.readlink(f"/proc/{pid}/fd/0")
            held = [w for w in server.workers() if os.readlink(f"/proc/{w}/fd/0") == terminal_name]
            assert sorted(parent_of(w) for w in held) == sorted([server.pid, server.zygote])
            wait_until(lambda: all(state_of(w) == "T" for w in held), what="both workers to stop")
            os.kill(pid, signal.SIGCONT)  # what `fg` sends
            wait_until(lambda: all(state_of(p) != "T" for p in [pid, *held]), what="all three to go on")
            os.write(terminal.leader, b"\x03")  # Ctrl-C at its question ends it as usual
            code = terminal.exit_code()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert code == ExitCode.ABORTED, terminal.shown


def test_a_stopped_warm_command_whose_client_is_killed_ends(warm_env: Path, stamp: str) -> None:
    """Ctrl-Z, then `kill -9` of the stopped job: a cold paa is gone; the warm one's worker, which only its client
    would ever continue, is hung up by its server instead of waiting stopped for ever."""
    pty = pytest.importorskip("pty")
    server = WarmServer.start()
    try:
        with _Terminal(pty, ["checkin", "--mood", "4"]) as terminal:
            pid, worker = terminal.pid, terminal.stopped_at_a_question(server)
            os.kill(pid, signal.SIGKILL)
            code = terminal.exit_code(read=False)
            wait_until(lambda: has_ended(worker), what="the stopped worker to end")
        assert server.alive()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert code == -signal.SIGKILL


def test_a_server_whose_chat_zygote_was_killed_mid_command_still_quits_when_idle(
    warm_env: Path, stamp: str, fake_anthropic
) -> None:
    """The zygote's last word was "one worker running": once it is gone, its server must not wait on that."""
    from tests.support.fake_anthropic import hang

    server = WarmServer.start(idle=10)
    try:
        fake_anthropic.push(hang())  # the reply never comes: the chat waits in its worker
        client = subprocess.Popen(
            [paa_executable(), "chat", "--no-stdin", "hello there"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=server.env,
        )  # fmt: skip
        worker = wait_until(lambda: server.worker_of(client.pid), what="the chat's worker")
        os.kill(server.zygote, signal.SIGKILL)
        os.kill(worker, signal.SIGKILL)
        client.communicate(timeout=120)
        wait_until(lambda: not server.alive(), what="the server to quit when idle")
    finally:
        server.stop()
    _skip_if_code_changed(stamp)


# A shell's `paa ... &`: the command in a process group of its own, not the terminal's foreground group.
BACKGROUND_JOB = """
import os, sys
job = os.fork()
if job == 0:
    os.setpgid(0, 0)
    os.execv(sys.argv[1], sys.argv[1:])
_, status = os.waitpid(job, os.WUNTRACED)
if os.WIFSTOPPED(status):
    os.write(1, b"job stopped\\n")
    os.kill(job, 9)
    os.waitpid(job, 0)
else:
    os.write(1, b"job ended %d\\n" % os.waitstatus_to_exitcode(status))
"""


def test_a_command_started_in_the_background_is_stopped_when_it_reads_the_terminal(warm_env: Path, stamp: str) -> None:
    """`paa checkin --mood 4 &` at a shell: a background job that reads its terminal is stopped by it (the shell
    says "Stopped"); a warm worker, of no job of that terminal, would read the keys typed at the shell instead. So a
    command started in the background runs by itself, and the server never sees it."""
    pty = pytest.importorskip("pty")
    server = WarmServer.start()
    try:
        before = server.served()
        pid, leader = pty.fork()
        if pid == 0:
            exec_on_a_terminal([sys.executable, "-c", BACKGROUND_JOB, paa_executable(), "checkin", "--mood", "4"],
                               child_env())  # fmt: skip
        try:
            shown = _read_to_end(leader, b"", time.monotonic() + GIVE_UP_SECONDS)
        finally:
            os.close(leader)
            os.waitpid(pid, 0)
        served = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert b"job stopped" in shown, shown
    assert served == before + 1  # the status request that counted `before`: the command ran by itself


class _Terminal:
    """`paa ARGS` on a new terminal of its own (its controlling one, as a shell's would be), read as it shows."""

    def __init__(self, pty, args: list[str]) -> None:
        self.pid, self.leader = pty.fork()
        if self.pid == 0:
            exec_on_a_terminal([paa_executable(), *args], child_env())
        self.shown = b""
        self.deadline = time.monotonic() + GIVE_UP_SECONDS  # a bound no loaded machine reaches
        self._status: int | None = None

    def until(self, wanted: bytes, *, since: int = 0) -> None:
        self.shown = _read_until(self.leader, wanted, self.shown, self.deadline, since=since)

    def stopped_at_a_question(self, server: WarmServer) -> int:
        """Wait for the command's first question, press Ctrl-Z (the terminal sends SIGTSTP to its foreground
        process, the client) and wait until the client and its worker have both stopped; the worker's pid."""
        self.until(QUESTION)
        worker = server.worker_of(self.pid)
        assert worker is not None, self.shown
        os.write(self.leader, b"\x1a")
        wait_until(lambda: state_of(self.pid) == "T" and state_of(worker) == "T", what="both to stop")
        return worker

    def exit_code(self, *, read: bool = True) -> int:
        """Read all it shows until it ends (with `read`: a terminal a stopped worker holds never ends); its exit
        code."""
        if read:
            self.shown = _read_to_end(self.leader, self.shown, self.deadline)
        self._close()
        assert self._status is not None
        return os.waitstatus_to_exitcode(self._status)

    def _close(self) -> None:
        if self._status is None:
            os.close(self.leader)
            if time.monotonic() >= self.deadline:
                os.kill(self.pid, signal.SIGKILL)
            self._status = os.waitpid(self.pid, 0)[1]

    def __enter__(self) -> _Terminal:
        return self

    def __exit__(self, *_: object) -> None:
        if self._status is None:
            os.kill(self.pid, signal.SIGKILL)  # a failed test's program: never left running
            self._close()


def _read_until(leader: int, wanted: bytes, shown: bytes, deadline: float, *, since: int = 0) -> bytes:
    """`shown` and what the terminal shows next, until `wanted` appears past `since` (or the deadline passes)."""
    while wanted not in shown[since:] and time.monotonic() < deadline:
        shown += _read_some(leader) or b""
    return shown


def _read_to_end(leader: int, shown: bytes, deadline: float) -> bytes:
    """`shown` and all the terminal shows until the program closes it (or the deadline passes)."""
    while time.monotonic() < deadline:
        chunk = _read_some(leader)
        if chunk is None:
            break
        shown += chunk
    return shown


def _read_some(fd: int) -> bytes | None:
    """What the terminal shows within 0.1 s (b"" if nothing), or None once the program has closed it."""
    if not readable_within(fd, 0.1):
        return b""
    try:
        return os.read(fd, 4096) or None
    except OSError:  # EIO: the program ended
        return None


def test_status_and_stop_without_a_server(warm_env: Path) -> None:
    env = child_env()
    for command, said in [("status", "No warm server is running (start one with `paa warm start`).\n"),
                          ("stop", "No warm server is running.\n")]:  # fmt: skip
        done = subprocess.run([paa_executable(), "warm", command], capture_output=True, text=True, env=env, timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (0, said, "")


def test_status_says_what_runs(warm_env: Path) -> None:
    server = WarmServer.start()
    try:
        env = {**server.env, "PAA_NO_SERVER": "1"}
        command = [paa_executable(), "warm", "status"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"running (pid {server.pid}), up ")
    beside = r"\(and \d+ MiB for chats and the TUI; \d+ MiB for the embedding model\)"  # zygote; helper
    assert re.search(rf" \d+ MiB resident {beside}, quits after 120 s idle;", done.stdout)
    assert done.stdout.rstrip().endswith("; PAA_NO_SERVER is set, so commands skip it")


def test_doctor_says_whether_the_warm_path_is_active(warm_env: Path, stamp: str) -> None:
    def warm_line(extra: dict[str, str]) -> dict[str, str]:
        command = [paa_executable(), "doctor", "--json"]
        done = subprocess.run(command, capture_output=True, text=True, env=child_env(extra), timeout=120)
        return next(check for check in json.loads(done.stdout) if check["name"] == "warm path")

    off = warm_line({})  # (tests/conftest.py turns warm.autostart off; tests/e2e/test_warm_autostart.py has it on)
    assert off["detail"] == "no warm server runs, so every command starts from scratch (warm.autostart is off)"
    server = WarmServer.start()
    try:
        active = warm_line({})  # asked through the warm server itself
        disabled = warm_line({"PAA_NO_SERVER": "1"})
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert active["status"] == "ok" and active["detail"].startswith(f"a warm server (pid {server.pid}, ")
    assert disabled["detail"] == "off: PAA_NO_SERVER is set, so every command starts from scratch"


def test_the_server_preloads_no_heavy_library_and_runs_one_thread() -> None:
    """What it holds in memory stays bounded: the big libraries load in the workers that need them, never before a
    fork (Claude's SDK lives in the chat zygote, a process of its own), and a fork beside another thread could hand
    a worker a lock held forever."""
    code = (
        "import sys, threading; from paa.cli.warm_server import preload; preload()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])), threading.active_count())"
    )
    heavy = ["anthropic", "httpx2", "chromadb", "textual", "apscheduler", "alembic", "numpy", "onnxruntime",
             "tokenizers", "fastapi", "uvicorn", "httpx"]  # fmt: skip
    command = [sys.executable, "-c", code, *heavy]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=120)
    assert done.stdout.split() == ["[]", "1"], done.stderr


def test_one_blas_thread_ranks_vectors_as_a_cold_process_does() -> None:
    """The chat zygote loads numpy with BLAS on one thread (it forks: no thread may run in it), so its workers
    compare vectors on one; a cold process has one per core. The products a search ranks by are the same to the
    bit either way (each element is one row's sum), over as many vectors as a big memory holds."""
    pytest.importorskip("numpy")
    pytest.importorskip("threadpoolctl")
    code = (
        "import hashlib, os, sys\n"
        "if sys.argv[1] == 'warm':\n"
        "    from paa.cli import warm_server\n"
        "    warm_server._preload_numpy()\n"
        "    assert len(os.listdir('/proc/self/task')) == 1\n"
        "import numpy as np\n"
        "rng = np.random.default_rng(7)\n"
        "matrix = rng.standard_normal((50_000, 384), dtype=np.float32)\n"
        "vector = rng.standard_normal(384, dtype=np.float32)\n"
        "from threadpoolctl import threadpool_info\n"
        "threads = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "print(hashlib.sha256((matrix @ vector).tobytes()).hexdigest(), threads)\n"
    )
    found = {}
    for way in ("cold", "warm"):
        env = child_env({"OPENBLAS_NUM_THREADS": ""} if way == "cold" else {})  # cold: one thread per core
        done = subprocess.run([sys.executable, "-c", code, way], capture_output=True, text=True, env=env,
                              timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        found[way] = done.stdout.split(" ", 1)
    assert found["warm"][0] == found["cold"][0]
    assert found["warm"][1].strip() == "[1]"
    if (os.cpu_count() or 1) > 1:
        assert found["cold"][1].strip() != "[1]"  # (so the two really ran on different numbers of threads)


def test_a_terminal_sees_the_same_colours_cold_and_warm(warm_env: Path, paa_home: Path, stamp: str) -> None:
    pty = pytest.importorskip("pty")
    added = subprocess.run([paa_executable(), "habit", "add", "Water", "--unit", "glasses", "--target", "8"],
                           capture_output=True, env=child_env(), timeout=120)  # fmt: skip
    assert added.returncode == 0, added.stderr
    lines = [["habit", "today"], ["habit", "list"], ["habit", "log", "nosuch"]]
    cold = [_on_a_terminal(pty, args, {"PAA_NO_SERVER": "1"}) for args in lines]
    server = WarmServer.start()
    try:
        before = server.served()
        warm = [_on_a_terminal(pty, args, {}) for args in lines]
        after = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    assert warm == cold
    assert b"\x1b[" in cold[0][1]  # a terminal gets colour
    assert after - before == len(lines) + 1


def _on_a_terminal(
    pty, args: list[str], extra: dict[str, str], *, ctrl_c_after: bytes | None = None
) -> tuple[int, bytes]:
    """Run paa on a new terminal (stdin, stdout and stderr all on it); its exit code and every byte it showed.

    With `ctrl_c_after`, the terminal sends Ctrl-C once those bytes have been shown.
    """
    env = child_env(extra)
    pid, leader = pty.fork()
    if pid == 0:  # the child: a session of its own with the terminal as its controlling one
        exec_on_a_terminal([paa_executable(), *args], env)
    shown = b""
    deadline = time.monotonic() + GIVE_UP_SECONDS  # a bound no loaded machine reaches: then the child is killed
    try:
        if ctrl_c_after is not None:
            shown = _read_until(leader, ctrl_c_after, shown, deadline)
            os.write(leader, b"\x03")
        shown = _read_to_end(leader, shown, deadline)
        if time.monotonic() >= deadline:  # seen once under load, with nothing said: say where each thread waited
            shown += f"\n[killed at the deadline; its threads waited in: {_waits_of(pid)}]".encode()
    finally:
        os.close(leader)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
    _, status_code = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status_code), shown


def _waits_of(pid: int) -> str:
    """The kernel function each of a process's threads sleeps in (/proc/PID/task/*/wchan), for a hang's report."""
    with contextlib.suppress(OSError):
        tasks = sorted(os.listdir(f"/proc/{pid}/task"))
        return ", ".join(Path(f"/proc/{pid}/task/{task}/wchan").read_text() or "running" for task in tasks)
    return "unknown"


def test_start_replaces_a_server_of_other_code(warm_env: Path, stamp: str) -> None:
    path = warm_client.socket_path(child_env(), create=True)
    code = (
        "import paa.cli.warm_client as w; w.code_stamp = lambda: 'other'\n"  # a server of other code
        "from paa.cli.warm_server import main; main()"
    )
    old = subprocess.Popen(
        [sys.executable, "-c", code, str(path), "120"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=child_env(), cwd="/",
    )  # fmt: skip
    server = None
    try:
        assert old.stdout is not None and old.stdout.readline().startswith(b"ready")
        server = WarmServer.start()  # `paa warm start`: not "already running"
        assert server.pid != old.pid
        assert old.wait(timeout=120) == 0
        _skip_if_code_changed(stamp)
        assert server.alive() and os.path.exists(str(path))
    finally:
        if old.poll() is None:
            old.kill()
            old.wait(timeout=30)
        if server is not None:
            server.stop()


def test_a_chat_against_the_api_gives_the_same_bytes_and_request_cold_and_warm(
    warm_env: Path, paa_home: Path, tmp_path: Path, stamp: str, fake_anthropic
) -> None:
    """The warm server holds Claude's SDK with its reply parsers built (against a stand-in inside the server, which
    must leave nothing behind): a chat through it prints the same, exits the same, and sends the API the same
    request as a cold one, a tool call included."""
    from tests.support.fake_anthropic import reply

    def script() -> None:
        fake_anthropic.push(
            reply("", tools=[("log_habit", {"habit": "water", "value": 2})], stop_reason="tool_use"),
            reply("Logged 2 glasses of water."),
        )

    steps = [Step(["habit", "add", "Water", "--unit", "glasses", "--target", "8"]), Step(["chat", "I drank 2 glasses"]),
             Step(["habit", "list"])]  # fmt: skip
    scratch = tmp_path / "scratch"
    script()
    cold = [_run(step, scratch, {"PAA_NO_SERVER": "1"}) for step in steps]
    cold_requests = _bodies(fake_anthropic.message_requests)
    fake_anthropic.requests.clear()
    script()
    warm, served = _again_warm(steps, scratch, paa_home, stamp)
    assert warm == cold and cold[1][0] == 0 and b"Logged 2 glasses of water." in cold[1][1]
    assert b"2/8" in cold[2][1]  # the tool call ran
    assert _bodies(fake_anthropic.message_requests) == cold_requests
    assert len(cold_requests) == 2 and served == len(steps)


@pytest.mark.skipif(not _MODEL, reason="the memory extra or the local model is missing")
def test_memory_commands_get_their_vectors_from_the_embedding_helper(warm_env: Path, stamp: str) -> None:
    """The embedding helper, the server's child, loads the model once and embeds for memory commands' workers (in
    the chat zygote, which never loads it: it forks); with the helper gone, a worker loads the model itself and
    finds the same."""
    server = WarmServer.start()
    try:
        assert server.helper and parent_of(server.helper) == server.pid
        for args in (["memory", "add", "I ran 5 km with Ann in the park"], ["memory", "reindex"]):
            done = subprocess.run([paa_executable(), *args], capture_output=True, env=server.env, timeout=120)
            assert done.returncode == 0, done.stderr
        search = [paa_executable(), "memory", "search", "jogging"]
        helped = subprocess.run(search, capture_output=True, env=server.env, timeout=120)
        loaded = {pid: _maps_name(pid, "onnxruntime") for pid in (server.helper, server.zygote, server.pid)}
        os.kill(server.helper, signal.SIGKILL)
        wait_until(lambda: has_ended(server.helper), what="the embedding helper to end")
        alone = subprocess.run(search, capture_output=True, env=server.env, timeout=120)
        served = server.served()
    finally:
        server.stop()
    _skip_if_code_changed(stamp)
    cold = subprocess.run(search, capture_output=True, env=child_env({"PAA_NO_SERVER": "1"}), timeout=120)
    assert loaded == {server.helper: True, server.zygote: False, server.pid: False}
    assert b"by meaning" in cold.stdout, cold.stdout
    assert (helped.returncode, helped.stdout, helped.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert (alone.returncode, alone.stdout, alone.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert served == 5  # the four commands went through the server, as did the status request of its start


def _maps_name(pid: int, name: str) -> bool:
    """Whether process `pid` has a library whose path holds `name` mapped (Linux: /proc)."""
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
        return any(name in line for line in maps)


def _bodies(requests: list) -> list[str]:
    """The requests' bodies as JSON, with the fake server's numbered tool call ids made alike."""
    return [re.sub(r"toolu_fake\d+", "toolu_fake", json.dumps(request.body, sort_keys=True)) for request in requests]


def test_chats_run_in_the_chat_zygote_which_reports_a_kill_and_ends_with_the_server(
    warm_env: Path, stamp: str, fake_anthropic
) -> None:
    """A chat goes to the chat zygote, the server's child that holds Claude's SDK (so the server, forked for every
    other command, stays small): a chat's worker killed with SIGKILL kills its client alike, and the zygote and the
    embedding helper end once the server has, by their sockets closing."""
    from tests.support.fake_anthropic import hang

    server = WarmServer.start()
    try:
        assert server.zygote and parent_of(server.zygote) == server.pid
        assert len(os.listdir(f"/proc/{server.zygote}/task")) == 1  # it forks: numpy's BLAS started no thread
        fake_anthropic.push(hang())  # the reply never comes: the chat waits in its worker
        # stdin: a pipe of its own, by which `worker_of` knows its worker
        client = subprocess.Popen(
            [paa_executable(), "chat", "--no-stdin", "hello there"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=server.env,
        )  # fmt: skip
        worker = wait_until(lambda: server.worker_of(client.pid), what="the chat's worker")
        assert worker is not None and parent_of(worker) == server.zygote
        os.kill(worker, signal.SIGKILL)
        client.communicate(timeout=120)
        _skip_if_code_changed(stamp)
        assert client.returncode == -signal.SIGKILL
        assert server.alive() and not has_ended(server.zygote)
        stopped = subprocess.run([paa_executable(), "warm", "stop"], capture_output=True, env=server.env, timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        wait_until(lambda: has_ended(server.zygote), what="the chat zygote to end with the server")
        wait_until(lambda: has_ended(server.helper), what="the embedding helper to end with the server")
    finally:
        server.stop()


def _spares(server: WarmServer) -> dict[int, int]:
    """The spare workers of the server and its chat zygote: parent -> spare."""
    return {parent_of(pid): pid for pid in server.children() if is_spare(pid)}


def _both_spares(server: WarmServer) -> dict[int, int] | None:
    """The spare worker of the server and the one of its chat zygote, once both are there."""
    found = _spares(server)
    return found if found.keys() == {server.pid, server.zygote} else None


def test_a_command_is_served_by_the_worker_forked_before_it(warm_env: Path, paa_home: Path, stamp: str) -> None:
    """The server and its chat zygote each keep a worker forked ahead; a command is handed to it, which then takes
    its own name back, and a new spare is forked for the next command."""
    server = WarmServer.start()
    try:
        spares = wait_until(lambda: _both_spares(server), what="a spare worker of the server and of its chat zygote")
        commands = {server.pid: ["checkin", "--mood", "4"], server.zygote: ["chat"]}
        for parent, spare in spares.items():
            # it waits on its stdin: its worker is still there to be looked at
            client = subprocess.Popen(
                [paa_executable(), *commands[parent]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=server.env,
            )  # fmt: skip
            worker = wait_until(lambda: server.worker_of(client.pid), what="the command's worker")  # noqa: B023
            _skip_if_code_changed(stamp)
            assert worker == spare
            assert Path(f"/proc/{worker}/comm").read_text().strip() != "paa-spare"
            renewed = wait_until(lambda: (pid := _spares(server).get(parent)) not in (None, spare) and pid,  # noqa: B023
                                 what="the next spare")  # fmt: skip
            assert renewed not in (worker, spare)
            _, err = client.communicate(b"Fine\nA walk\n" if parent == server.pid else b"hello there\n", timeout=120)
            assert client.returncode == 0, err
    finally:
        server.stop()


def test_a_killed_spare_is_replaced_and_spares_end_with_their_server(warm_env: Path, stamp: str) -> None:
    server = WarmServer.start()
    try:
        spare = wait_until(lambda: _spares(server).get(server.pid), what="the server's spare worker")
        os.kill(spare, signal.SIGKILL)
        shown = subprocess.run(
            [paa_executable(), "habit", "list", "--json"], capture_output=True, text=True, env=server.env, timeout=120
        )
        assert (shown.returncode, shown.stdout, shown.stderr) == (0, "[]\n", "")
        _skip_if_code_changed(stamp)
        assert server.served() >= 1
        spares = wait_until(lambda: _both_spares(server), what="spare workers again")
        assert spare not in spares.values()
        stopped = subprocess.run([paa_executable(), "warm", "stop"], capture_output=True, env=server.env, timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        for pid in spares.values():
            wait_until(lambda: has_ended(pid), what=f"spare worker {pid} to end with the server")  # noqa: B023
    finally:
        server.stop()


def test_a_check_in_the_model_reads_runs_in_the_chat_zygote(
    warm_env: Path, paa_home: Path, tmp_path: Path, stamp: str, fake_anthropic
) -> None:
    """With an API key a check-in calls Claude once it is saved, which a worker of the server would first have to
    import (~1.2 s): the worker hands it to the chat zygote, which has the SDK loaded, and it prints, writes and asks
    the API the same as cold."""
    from tests.support.fake_anthropic import reply

    reading = '{"sentiment": 0.4, "label": "positive", "summary": "A calm day with a long walk."}'
    steps = [Step(["habit", "add", "Water"]),
             Step(["checkin", "--mood", "4", "--answer", "A long walk", "--answer", "Finished the book"])]  # fmt: skip
    scratch = tmp_path / "scratch"
    fake_anthropic.push(reply(reading))
    cold = [_run(step, scratch, {"PAA_NO_SERVER": "1"}) for step in steps]
    cold_requests = _bodies(fake_anthropic.message_requests)
    fake_anthropic.requests.clear()
    fake_anthropic.push(reply(reading))
    warm, served = _again_warm(steps, scratch, paa_home, stamp)
    assert cold[1][0] == 0 and b"A calm day with a long walk." in cold[1][1], cold[1]
    assert warm == cold
    assert _bodies(fake_anthropic.message_requests) == cold_requests and len(cold_requests) == 1
    assert served == len(steps) + 1  # the check-in twice: the server's worker's connection, then the zygote's


def test_a_relayed_check_in_runs_in_a_worker_of_the_zygote_and_dies_alike(warm_env: Path, stamp: str, fake_anthropic):
    """The relayed check-in runs in a worker of the chat zygote, which has the SDK mapped, while the server's worker
    never loads it; killed, the zygote's worker takes the server's worker and the client with it, by the same
    signal."""
    from tests.support.fake_anthropic import hang

    server = WarmServer.start()
    try:
        fake_anthropic.push(hang())  # the model never answers: the check-in waits in its worker
        # stdin: a pipe of its own, by which its workers are known
        client = subprocess.Popen(
            [paa_executable(), "checkin", "--mood", "4", "--answer", "Fine", "--answer", "A walk"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=server.env,
        )  # fmt: skip
        stdin = os.readlink(f"/proc/{client.pid}/fd/0")

        def holders() -> dict[int, int] | None:
            found = {}
            for pid in server.workers():
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/0") == stdin:
                        found[parent_of(pid)] = pid
            return found if len(found) == 2 and fake_anthropic.message_requests else None

        workers = wait_until(holders, what="the check-in's two workers, and its request")
        _skip_if_code_changed(stamp)
        assert workers.keys() == {server.pid, server.zygote}
        assert _maps_name(workers[server.zygote], "jiter") and not _maps_name(workers[server.pid], "jiter")
        os.kill(workers[server.zygote], signal.SIGKILL)
        client.communicate(timeout=120)
        assert client.returncode == -signal.SIGKILL
        wait_until(lambda: has_ended(workers[server.pid]), what="the server's worker to end")
        assert server.alive()
    finally:
        server.stop()
