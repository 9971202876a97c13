"""The warm path's client in process: which socket, which commands, and what it does with each reply.

A thread plays the server's side of the protocol with `warm_server.read_request` (no process is started here; the
real server is tested in tests/e2e/test_warm.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from paa.cli import warm_client
from paa.cli.warm_server import Request, _receive_go, read_request
from paa.errors import ExitCode


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="paaw-", dir="/tmp"))  # short: a socket's path is limited
    folder.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def test_the_internal_exit_code_is_paas() -> None:
    assert warm_client.INTERNAL_EXIT == ExitCode.INTERNAL


@pytest.mark.parametrize(
    ("args", "served", "by_the_zygote"),
    [
        ([], True, True),  # the TUI at a terminal: Textual is loaded in the chat zygote
        (["--user", "ann"], True, True),
        (["--help"], True, False),
        (["--version"], False, False),  # answered without the command tree anyway
        (["habit", "list"], True, False),
        (["--user", "ann", "habit", "log", "water"], True, False),
        (["checkin", "--mood", "4"], True, False),
        (["tui"], True, True),
        (["chat", "hello"], True, True),
        (["--user", "ann", "memory", "search", "x"], True, False),  # the embedding helper embeds for it
        (["serve"], False, False),
        (["daemon", "run"], False, False),
        (["warm", "status"], False, False),
        (["auth", "login"], False, False),  # password prompts read the controlling terminal
        (["users", "add", "bob"], False, False),
    ],
)
def test_which_command_lines_go_warm(args: list[str], served: bool, by_the_zygote: bool) -> None:
    assert warm_client._served(args) is served
    assert (warm_client._command_word(args) in warm_client.ZYGOTE_COMMANDS) is by_the_zygote


def test_the_socket_folder_must_be_private(runtime: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": str(runtime)}
    assert warm_client.runtime_dir(environ, create=False) is None  # not made yet
    made = warm_client.runtime_dir(environ, create=True)
    assert made == str(runtime / "paa")
    assert (runtime / "paa").stat().st_mode & 0o777 == 0o700
    (runtime / "paa").chmod(0o755)
    assert warm_client.runtime_dir(environ, create=False) is None
    assert warm_client.socket_path(environ) is None
    (runtime / "paa").chmod(0o700)
    assert warm_client.socket_path(environ) is not None


def test_the_socket_is_per_home_and_start_up_settings(runtime: Path) -> None:
    base = {"XDG_RUNTIME_DIR": str(runtime), "PAA_HOME": "/a"}
    first = warm_client.socket_path(base, create=True)
    assert first is not None and len(first) < 100
    assert warm_client.socket_path({**base, "PAA_HOME": "/b"}) != first
    assert warm_client.socket_path({**base, "FORCE_COLOR": "1"}) != first  # Typer reads it as it is imported
    assert warm_client.socket_path({**base, "PYTHONUTF8": "1"}) != first  # the server's stdio encoding
    # Textual reads these as it is imported, in the chat zygote that runs the TUI.
    for textual in ({"TEXTUAL_THEME": "nord"}, {"TEXTUAL_ANIMATIONS": "none"}, {"ESCDELAY": "25"},
                    {"TERM_PROGRAM": "iTerm.app"}):  # fmt: skip
        assert warm_client.socket_path({**base, **textual}) != first, textual
    # What the worker reads from the client's own environment does not need another server.
    assert warm_client.socket_path({**base, "NO_COLOR": "1", "PAA_USER": "ann", "PAA_NOW": "x"}) == first


def test_the_code_stamp_is_stable() -> None:
    assert warm_client.code_stamp() == warm_client.code_stamp()


def test_no_server_or_disabled_means_the_cold_path(fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert warm_client.run_warm(["habit", "list"]) is None  # no folder, no socket
    seen = fake_server.serve_once(lambda conn, request: conn.sendall(warm_client.PID + warm_client.CODE.pack(1)))
    monkeypatch.setenv("PAA_NO_SERVER", "1")
    assert warm_client.run_warm(["habit", "list"]) is None
    fake_server.finish()
    assert seen.request is None  # never even asked


Reply = Callable[[socket.socket, Request], None]


@dataclass
class Seen:
    """What the fake server saw: the request, and what the client sent after the reply (GO, or b"" for none)."""

    request: Request | None = None
    after: bytes | None = None


class FakeServer:
    """This environment's socket, answered once by `reply` in a thread (the server's side of the protocol)."""

    def __init__(self) -> None:
        self.listener: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.closing = threading.Event()

    def serve_once(self, reply: Reply) -> Seen:
        path = warm_client.socket_path(os.environ, create=True)
        assert path is not None
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(1)
        seen = Seen()
        self.thread = threading.Thread(target=self._serve, args=(self.listener, reply, seen), daemon=True)
        self.thread.start()
        return seen

    def _serve(self, listener: socket.socket, reply: Reply, seen: Seen) -> None:
        listener.settimeout(0.05)
        while not self.closing.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            break
        else:
            return  # `finish` came first: nobody connected
        with conn:
            conn.settimeout(60)
            seen.request = read_request(conn)
            for fd in seen.request.fds:
                os.close(fd)
            reply(conn, seen.request)
            with contextlib.suppress(OSError):
                seen.after = conn.recv(1)

    def finish(self) -> None:
        self.closing.set()
        if self.thread is not None:
            self.thread.join(timeout=60)
            assert not self.thread.is_alive()
        if self.listener is not None:
            self.listener.close()


@pytest.fixture
def fake_server(runtime: Path) -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.finish()


def test_the_request_carries_the_command_line_environment_and_folder(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "30")
    monkeypatch.setenv("ODD_VALUE", "a=b\tc")
    monkeypatch.chdir(tmp_path)

    def exit_with_7(conn: socket.socket, request: Request) -> None:
        conn.sendall(warm_client.PID + warm_client.CODE.pack(os.getpid()))
        go, fds = _receive_go(conn)
        for fd in fds:
            os.close(fd)
        assert (go, len(fds)) == (warm_client.GO, 3)  # stdin, stdout and stderr come with GO
        conn.sendall(warm_client.EXIT + warm_client.CODE.pack(7))

    seen = fake_server.serve_once(exit_with_7)
    args = ["habit", "log", "water", "--note", "naïve\udcff", ""]
    assert warm_client.run_warm(args) == 7
    fake_server.finish()
    request = seen.request
    assert request is not None
    assert request.op == "run" and request.args == args
    assert request.cwd == os.fsencode(str(tmp_path))
    assert request.environ[b"ODD_VALUE"] == b"a=b\tc"
    assert request.environ[b"PAA_HOME"] == os.fsencode(os.environ["PAA_HOME"])
    assert request.fds == []  # none before a worker has answered
    assert request.stamp == warm_client.code_stamp()


def _refuse(first: bytes) -> Reply:
    def reply(conn: socket.socket, request: Request) -> None:
        conn.sendall(first)
        conn.shutdown(socket.SHUT_WR)  # and nothing more, as a worker that refuses

    return reply


@pytest.mark.parametrize("first", [warm_client.STALE, warm_client.FALL_BACK, b""], ids=["stale", "fall-back", "eof"])
def test_a_refusal_before_the_start_means_the_cold_path(fake_server: FakeServer, monkeypatch, first: bytes) -> None:
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "30")
    seen = fake_server.serve_once(_refuse(first))
    assert warm_client.run_warm(["habit", "list"]) is None
    fake_server.finish()
    assert seen.after == b""  # closed without a GO


def test_a_silent_server_means_the_cold_path_and_no_go(fake_server: FakeServer, monkeypatch) -> None:
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "0.2")
    late = threading.Event()

    def answer_late(conn: socket.socket, request: Request) -> None:
        late.wait(60)  # until the client has given up
        with contextlib.suppress(OSError):  # it has closed the connection
            conn.sendall(warm_client.PID + warm_client.CODE.pack(os.getpid()))

    seen = fake_server.serve_once(answer_late)
    assert warm_client.run_warm(["habit", "list"]) is None
    late.set()
    fake_server.finish()
    assert seen.request is not None and seen.after != warm_client.GO  # the client gave up: nothing may run


def test_a_server_lost_mid_command_is_reported(fake_server: FakeServer, monkeypatch, capfd) -> None:
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "30")

    def vanish(conn: socket.socket, request: Request) -> None:
        conn.sendall(warm_client.PID + warm_client.CODE.pack(os.getpid()))
        go, fds = _receive_go(conn)
        for fd in fds:
            os.close(fd)
        assert go == warm_client.GO
        conn.shutdown(socket.SHUT_RDWR)

    fake_server.serve_once(vanish)
    assert warm_client.run_warm(["habit", "list"]) == ExitCode.INTERNAL
    fake_server.finish()
    err = capfd.readouterr().err
    assert err.startswith("paa: error: the warm server stopped in the middle of the command\n")


def test_a_worker_that_cannot_start_after_go_means_the_cold_path(fake_server: FakeServer, monkeypatch) -> None:
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "30")

    def cannot_start(conn: socket.socket, request: Request) -> None:
        conn.sendall(warm_client.PID + warm_client.CODE.pack(os.getpid()))
        _, fds = _receive_go(conn)
        for fd in fds:
            os.close(fd)
        conn.sendall(warm_client.FALL_BACK)  # e.g. the client's folder is gone

    fake_server.serve_once(cannot_start)
    assert warm_client.run_warm(["habit", "list"]) is None


def test_one_of_two_commands_at_once_starts_the_server(runtime: Path) -> None:
    """The `.starting` file is taken with O_EXCL: a second command while a start is under way starts nothing."""
    marker = str(runtime / "warm-x.starting")
    assert warm_client._take_marker(marker) is True
    assert warm_client._take_marker(marker) is False
    assert os.stat(marker).st_mode & 0o777 == 0o600


def test_a_start_that_never_finished_is_tried_again(runtime: Path) -> None:
    marker = runtime / "warm-x.starting"
    marker.touch()
    long_ago = marker.stat().st_mtime - warm_client.START_HOLD - 5
    os.utime(marker, (long_ago, long_ago))
    assert warm_client._take_marker(str(marker)) is True
    assert marker.stat().st_mtime > long_ago  # taken afresh


def test_a_marker_dated_ahead_holds_commands_off(runtime: Path) -> None:
    """A server that found warm.autostart off dates the file ahead (warm_server.OFF_HOLD): no start until then."""
    marker = runtime / "warm-x.starting"
    marker.touch()
    ahead = marker.stat().st_mtime + 300
    os.utime(marker, (ahead, ahead))
    assert warm_client._take_marker(str(marker)) is False
    assert marker.stat().st_mtime == ahead


@pytest.mark.parametrize("word", ["0", "f", "false", "n", "no", "off", "Off"])
def test_every_word_the_settings_read_as_off_keeps_the_client_from_starting_a_server(word: str, runtime: Path) -> None:
    from paa.config import load_settings, resolve_paths

    environ = {"PAA_HOME": str(runtime / "home"), "PAA_WARM_AUTOSTART": word}
    assert load_settings(resolve_paths(environ), environ).settings.warm_autostart is False
    assert word.strip().lower() in warm_client.OFF_WORDS


def test_doctor_without_a_runtime_folder_yet_says_the_next_command_starts_a_server(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paa.cli.warm import doctor_check

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime / "after-a-reboot"))  # the folder paa's socket goes in is gone
    environ = {"PAA_HOME": str(runtime / "home"), "XDG_RUNTIME_DIR": str(runtime / "after-a-reboot")}
    assert warm_client.socket_path(environ, create=False) is None
    check = doctor_check(environ)
    assert check.detail == "no warm server runs now; the next command starts one in the background"


def test_the_server_builds_what_every_check_in_worker_would_build_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from paa.cli import app
    from paa.cli.warm_server import preload
    from paa.core.checkins import sentiment

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")  # preload sets it only where it is unset
    monkeypatch.setattr(app, "_BUILT_AHEAD", {})  # the trees it builds stay with this test, not this process
    from paa.db import blind

    sentiment._vader.cache_clear()
    monkeypatch.setattr(blind, "_local", threading.local())
    assert "vaderSentiment.vaderSentiment" in preload()
    assert sentiment._vader.cache_info().currsize == 1  # VADER's lexicon read once, in the server
    assert getattr(blind._local, "conn", None) is not None  # the word cutter made once, in the server


def test_the_server_builds_every_command_groups_tree_whole_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from paa.cli import app
    from paa.cli.commands import COMMANDS

    monkeypatch.setattr(app, "_BUILT_AHEAD", {})
    cold = app.command_for("habit", "list")  # a cold run builds only what its command line names
    assert list(cold.commands["habit"].commands) == ["list"]  # type: ignore[attr-defined]
    assert app.command_for("habit", "list") is not cold
    app.build_ahead()
    for name in COMMANDS:
        built = app.command_for(name, "list")
        assert list(built.commands) == [name]
        assert app.command_for(name, None) is built  # built once, in the server, for every worker it forks
    whole = app.command_for("habit", None).commands["habit"].commands  # type: ignore[attr-defined]
    assert {"add", "list", "log", "today"} <= set(whole)  # the whole group: a typo's suggestions read as cold
    search = app.command_for("memory", None).commands["memory"].commands["search"]  # type: ignore[attr-defined]
    assert search.params and all(param._runtime_param is not None for param in search.params)  # converters built
    assert set(app.command_for(None, None).commands) == set(COMMANDS)


def test_a_worker_runs_without_the_cycle_collector_where_a_cold_run_does(
    paa_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import atexit
    import gc
    import threading

    from paa.cli.warm_server import Request, _run_command

    # A worker ends as a process ends (waits for threads, runs the atexit handlers); this one is the test's own
    # process, which must go on running tests with its thread pools and handlers.
    monkeypatch.setattr(threading, "_shutdown", lambda: None)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: None)

    def worker(*args: str) -> bool:
        request = Request("run", "stamp", b"/", 0o022, "paa", list(args), {})
        try:
            assert _run_command(request) == 0, capsys.readouterr().err
            return gc.isenabled()
        finally:
            gc.enable()

    assert worker("habit", "list") is False
    assert worker("config", "path") is True


def test_the_chat_zygote_and_the_server_share_one_time_limit(runtime: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chat goes to the chat zygote, then to the server if the zygote is not there: both attempts and the worker's
    answer together take at most PAA_WARM_TIMEOUT (50 ms by default), not that much each."""
    monkeypatch.setenv("PAA_WARM_AUTOSTART", "0")
    monkeypatch.setenv("PAA_WARM_TIMEOUT", "0.05")
    now = [100.0]
    given: list[tuple[str, float]] = []

    def connect(path: str, timeout: float) -> OSError:
        given.append((path, timeout))
        now[0] += 0.04  # a zygote whose queue is full: the connection waits, then fails
        return TimeoutError("timed out")

    monkeypatch.setattr(warm_client, "_clock", lambda: now[0])
    monkeypatch.setattr(warm_client, "_connect", connect)
    warm_client.socket_path(os.environ, create=True)
    assert warm_client.run_warm(["chat", "hello"]) is None
    [(zygote, first), (server, second)] = given
    assert zygote.endswith(".zygote.sock") and not server.endswith(".zygote.sock")
    assert first == pytest.approx(0.05) and second == pytest.approx(0.01)  # what was left of the 50 ms
