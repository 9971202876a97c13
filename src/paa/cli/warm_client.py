"""The warm path's client: hand this command line to a running warm server, or say it cannot (docs/performance.md).

It runs before anything else in `paa`, so it imports only what Python has already loaded (os, sys) and the C modules
under socket, struct and signal: the whole point is to answer before SQLAlchemy could even be imported. It passes the
server its stdin, stdout and stderr (as file descriptors), the arguments, the environment, the working directory and
the umask; a worker forked from the server runs the normal `paa.cli.main.main` with them and sends back the exit code.
Whenever the server is absent, from another version of paa, slow to answer or broken before the command starts,
`run_warm` returns None and paa runs the command itself (the cold path), saying nothing. The server's side is
`paa.cli.warm_server`.
"""

from __future__ import annotations

# The C halves of socket, struct and signal: the Python modules of the first and last import enum and selectors
# (6-9 ms, a tenth of a warm command); these load in well under a millisecond, and Python has loaded _signal already.
import _signal  # type: ignore[import-not-found]  # (typeshed has no stub for it)
import _socket
import _struct
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing and collections.abc are imports more than the client needs)
    from collections.abc import Mapping

PROTOCOL = b"paa-warm-1"
HEADER = _struct.Struct("!I")  # the length of the request that follows
CODE = _struct.Struct("!i")

# Replies: a worker took the command (its pid follows), exit code, killed by a signal, fall back to the cold path,
# the server is another version (fall back; it quits), status text (its length follows), stopped.
PID, EXIT, KILLED, FALL_BACK, STALE, INFO, STOPPED = b"P", b"X", b"K", b"F", b"S", b"I", b"D"
GO = b"G"  # the client still waits: run it, with its stdio attached (a client that gave up never sends it)

# How long a client waits for a worker to take its command before running it itself; PAA_WARM_TIMEOUT overrides.
# A worker names itself 5-8 ms after the connection here (p99 10-14 ms at a load of 2-3 on 2 cores).
DEFAULT_TIMEOUT = 0.05
# Kept in step with paa.errors.ExitCode.INTERNAL (tests/cli/test_warm.py checks it), not imported: see the docstring.
INTERNAL_EXIT = 1

# A command that finds no server starts one in the background (unless PAA_WARM_AUTOSTART or the warm.autostart
# setting says no) and runs cold; `.starting` files younger than this mean a start is under way.
START_HOLD = 60.0
OFF_WORDS = ("0", "f", "false", "n", "no", "off")  # what the settings read as false (pydantic's words)
STALE_SERVER = -1  # _run's answer for a server of other code (which quits): run cold, and start a new one

# Commands that stay on the cold path: they need the controlling terminal (password prompts read /dev/tty), run for
# long or start servers of their own.
COLD_COMMANDS = frozenset({"serve", "daemon", "warm", "auth", "users"})
# Commands served by the server's chat zygote, on a socket of its own (`zygote_path`): it holds Claude's SDK, numpy
# and Textual. Bare `paa`, which opens the TUI at a terminal, goes there too. Memory commands do not: the embedding
# helper embeds and scores for them, so a search needs none of it, and a fork of the smaller server is ~6 ms quicker.
ZYGOTE_COMMANDS = frozenset({"chat", "tui", ""})

# What a server reads from its environment before it forks a worker (Python's start-up, the locale, Typer's import
# time flags, and Textual's, which the chat zygote loads for the TUI): a client whose values differ is another
# server's, so these are part of the socket's name.
_KEY_NAMES = ("PAA_HOME", "TERMINAL_WIDTH", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "LANG", "LANGUAGE",
              "ESCDELAY", "TERM_PROGRAM")  # fmt: skip
_KEY_PREFIXES = ("PYTHON", "LC_", "TYPER_", "_TYPER_", "TEXTUAL_")


def run_warm(args: list[str]) -> int | None:
    """The exit code of `args` run by a warm server, or None when paa should run it itself."""
    word = _command_word(args)
    if os.environ.get("PAA_NO_SERVER", "") not in ("", "0") or word is None or _in_the_background():
        return None
    autostart = os.environ.get("PAA_WARM_AUTOSTART", "").strip().lower() not in OFF_WORDS
    path = socket_path(os.environ, create=autostart)
    if path is None:
        return None
    timeout = handover_timeout()
    # One limit for the whole hand-over: connecting to the chat zygote and then to the server, and the worker's
    # answer, take at most `timeout` together.
    deadline = _clock() + timeout
    conn = _connect(zygote_path(path), timeout) if word in ZYGOTE_COMMANDS else None
    if not isinstance(conn, _socket.socket):  # (no chat zygote: the server runs the command itself)
        conn = _connect(path, _left(deadline))
    if isinstance(conn, OSError):
        # Only when nobody listens (no socket file, or one left by a server that died): a server too busy to answer
        # in time is still there.
        if autostart and isinstance(conn, (FileNotFoundError, ConnectionRefusedError)):
            start_in_background(path)
        return None
    try:
        code = _run(conn, args, deadline)
    finally:
        conn.close()
    if code == STALE_SERVER:
        if autostart:
            start_in_background(path)  # the stale one is quitting: the next command meets the new code's server
        return None
    return code


def handover_timeout() -> float:
    """How long a worker has to take a command before it runs here: PAA_WARM_TIMEOUT (seconds), or DEFAULT_TIMEOUT."""
    try:
        return float(os.environ.get("PAA_WARM_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT


def _in_the_background() -> bool:
    """Whether this process is a background job of the terminal it reads or writes (`paa ... &` at a shell). The
    terminal stops such a job when it reads (or writes, with `stty tostop`) and the shell says so; a warm worker is
    not of the job, so its read would fail instead: a background command runs here, as it always did."""
    group = os.getpgrp()
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) != group:
                return True
        except OSError:  # a terminal that is not this process's own: no job control applies
            continue
    return False


def start_in_background(path: str) -> None:
    """Start a warm server for `path`, detached, unless one is starting already; never waits for it.

    The server (`paa.cli.warm_server`, "auto" mode) first waits for this process to exit, so its imports never
    compete with the command this process runs cold; it then reads the warm.* settings with paa's own code and quits
    at once when auto-start is off there. The `.starting` file next to the socket says a start is under way: taken
    with O_EXCL, so of two commands at once only one starts a server; held START_HOLD seconds, or (by a server that
    found auto-start off) longer, so commands do not keep starting servers that quit.
    """
    stem = path.removesuffix(".sock")
    marker = stem + ".starting"
    if not _take_marker(marker):
        return
    code = "from paa.cli.warm_server import main; main()"
    argv = [sys.executable, "-P", "-c", code, path, "auto", str(os.getpid())]
    quiet = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, quiet, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, quiet, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, stem + ".log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    try:  # (posix_spawn, not subprocess: that import alone would cost a cold command 10 ms)
        os.posix_spawn(sys.executable, argv, os.environ, file_actions=actions, setsid=True)
    except OSError:
        try:  # noqa: SIM105 (contextlib is one import more than this module needs)
            os.unlink(marker)
        except OSError:
            pass


def _take_marker(marker: str) -> bool:
    """Whether this process may start the server: it made the `.starting` file, or replaced one left too long."""
    for _ in range(2):
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return True
        except FileExistsError:
            try:
                if os.stat(marker).st_mtime > _now() - START_HOLD:
                    return False  # a start under way, or auto-start found off a moment ago
                os.unlink(marker)  # a start that never finished (the server failed): try again
            except OSError:
                return False
        except OSError:
            return False
    return False


def _now() -> float:
    import time  # (built in: no file to read)

    return time.time()


def _clock() -> float:
    import time  # (built in: no file to read)

    return time.monotonic()


def _left(deadline: float) -> float:
    """The seconds left until `deadline`; a millisecond at least (a socket's timeout of 0 would mean no waiting)."""
    return max(deadline - _clock(), 0.001)


def _served(args: list[str]) -> bool:
    """Whether the warm path runs this command line (COLD_COMMANDS says which do not, and why)."""
    return _command_word(args) is not None


def _command_word(args: list[str]) -> str | None:
    """The command a served command line runs, or None when it is not served: "--help" for help without a command,
    "" for none at all (bare `paa` opens the TUI at a terminal)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--user":
            skip = True
        elif not arg.startswith("-"):
            return None if arg in COLD_COMMANDS else arg
        elif arg in ("-V", "--version"):
            return None  # answered without the command tree anyway
    return "--help" if "-h" in args or "--help" in args else ""


def zygote_path(path: str) -> str:
    """The socket of the chat zygote of the server at `path`."""
    return path.removesuffix(".sock") + ".zygote.sock"


def _connect(path: str, timeout: float) -> _socket.socket | OSError:
    """A connection to the server at `path`, or why there is none."""
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(path)
    except OSError as exc:  # no server (a stale socket file refuses at once), a hung one, or not ours
        conn.close()
        return exc
    return conn


def _run(conn: _socket.socket, args: list[str], deadline: float) -> int | None:
    try:
        send_request(conn, b"run", args)
        conn.settimeout(_left(deadline))
        reply = _read_exact(conn, 1)
        if reply == STALE:
            return STALE_SERVER
        if reply != PID:
            return None  # fall back, or nothing: the command has not started
        worker = CODE.unpack(_read_exact(conn, CODE.size))[0]
        # Only now, to a worker that answered in time, go our stdin, stdout and stderr: descriptors sent to a hung
        # server would stay open in its queue, and a reader of our output would wait for their end for ever.
        send_with_fds(conn, GO, [0, 1, 2])
    except OSError:  # a timeout, a closed or a hung server: nothing ran
        return None
    # From here the worker may run the command: never run it again, unless it says it could not start.
    conn.settimeout(None)
    forwarded = _forward_signals(worker)
    try:
        kind = _read_exact(conn, 1)
        value = 0 if kind == FALL_BACK else CODE.unpack(_read_exact(conn, CODE.size))[0]
    except OSError:
        kind, value = b"", 0
    finally:
        for number, previous in forwarded.items():
            _signal.signal(number, previous)
    if kind == FALL_BACK:
        return None  # it could not become us (our folder is gone, say): nothing ran
    if kind == EXIT:
        return value
    if kind == KILLED:
        # Die of the same signal, as the command's own process would have (SIGKILL has no handler to reset).
        try:  # noqa: SIM105 (contextlib is one import more than this module needs)
            _signal.signal(value, _signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        try:  # noqa: SIM105 (as above)
            os.kill(os.getpid(), value)
        except (OSError, ValueError):
            pass
        return 128 + value
    os.write(2, b"paa: error: the warm server stopped in the middle of the command\n")
    os.write(2, b"  hint: check whether it did its work, then run it again (PAA_NO_SERVER=1 skips the warm server)\n")
    return INTERNAL_EXIT


def _forward_signals(worker: int) -> dict[int, object]:
    """Pass Ctrl-C, termination, terminal resizes and job control (stop, continue) on to the worker; the previous
    handlers, to put back."""

    def forward(number: int, _frame: object) -> None:
        try:  # noqa: SIM105 (contextlib is one import more than this module needs)
            os.kill(worker, number)
        except OSError:
            pass  # it has just finished

    def suspend(number: int, _frame: object) -> None:
        # Ctrl-Z (or a job-control stop): the worker stops first (the TUI puts the terminal back as it does), then
        # this process, so the shell gets a quiet terminal back; `fg` continues this process, which continues it.
        forward(number, _frame)
        _await_stop(worker)
        os.kill(os.getpid(), _signal.SIGSTOP)

    previous: dict[int, object] = {}
    for number in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGWINCH, _signal.SIGCONT):
        previous[number] = _signal.signal(number, forward)
    previous[_signal.SIGTSTP] = _signal.signal(_signal.SIGTSTP, suspend)
    return previous


def _await_stop(pid: int, limit: float = 1.0) -> None:
    """Wait (bounded) until process `pid` has stopped or ended (Linux: /proc; elsewhere not at all)."""
    import time  # (built in: no file to read)

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process_state(pid) in ("", "T", "t", "Z", "X"):
            return  # stopped or ended (or no /proc here)
        time.sleep(0.005)


def process_state(pid: int) -> str:
    """The state letter of process `pid` ("T": stopped by a signal), "" when it has gone or there is no /proc."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            stat = os.read(fd, 1024)
        finally:
            os.close(fd)
    except OSError:
        return ""
    end = stat.rfind(b")")  # the state follows the command's name, which may hold anything
    return stat[end + 2 : end + 3].decode("ascii", "replace")


def send_request(conn: _socket.socket, op: bytes, args: list[str], fds: list[int] | None = None) -> None:
    """Send one request: the operation, this paa's code stamp, where and how the command runs (and `fds`, which the
    server ignores: a `run` sends its descriptors with GO)."""
    umask = os.umask(0o077)
    os.umask(umask)
    fields = [PROTOCOL, op, code_stamp().encode(), os.fsencode(os.getcwd()), str(umask).encode()]
    fields += [os.fsencode(sys.argv[0] if sys.argv else "paa"), str(len(args)).encode()]
    fields += [os.fsencode(arg) for arg in args]
    fields += [os.fsencode(key) + b"=" + os.fsencode(value) for key, value in os.environ.items()]
    payload = b"\0".join(fields)
    message = HEADER.pack(len(payload)) + payload
    if fds:
        send_with_fds(conn, message, fds)
    else:
        conn.sendall(message)


def send_with_fds(conn: _socket.socket, message: bytes, fds: list[int]) -> None:
    """Send `message` with the descriptors `fds` attached to its first bytes."""
    ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, _struct.pack(f"{len(fds)}i", *fds))]
    sent = conn.sendmsg([message], ancillary)
    if sent < len(message):  # (an empty send to a peer that has closed would fail for nothing)
        conn.sendall(message[sent:])


def _read_exact(conn: _socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = conn.recv(size)
        if not chunk:
            raise ConnectionResetError("the warm server closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def runtime_dir(environ: Mapping[str, str], *, create: bool) -> str | None:
    """The private folder of this user's warm sockets, or None when it is missing or anyone else could enter it.

    $XDG_RUNTIME_DIR/paa (a per-user folder the login creates), else paa-<uid> in $TMPDIR or /tmp.
    """
    base = environ.get("XDG_RUNTIME_DIR") or ""
    folder = os.path.join(base, "paa") if base else os.path.join(environ.get("TMPDIR") or "/tmp", f"paa-{os.getuid()}")
    if create:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        status = os.lstat(folder)
    except OSError:
        return None
    private = status.st_mode & 0o077 == 0 and (status.st_mode & 0o170000) == 0o040000
    return folder if private and status.st_uid == os.getuid() else None


def socket_path(environ: Mapping[str, str], *, create: bool = False) -> str | None:
    """The socket of the warm server for this user, this Python environment and these start-up settings (_KEY_NAMES)."""
    folder = runtime_dir(environ, create=create)
    if folder is None:
        return None
    parts = [sys.prefix, sys.version]  # the environment, not the name of the interpreter (python, python3)
    parts += [f"{key}={environ[key]}" for key in sorted(environ) if key in _KEY_NAMES or key.startswith(_KEY_PREFIXES)]
    return os.path.join(folder, f"warm-{_digest(chr(0).join(parts))}.sock")


def code_stamp() -> str:
    """What changes when paa's code or the installed packages change: the count, sizes and mtimes of paa's source
    files (summed: any edit moves the sum), and the mtimes of the site-packages folders (an install changes them)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    totals = [0, 0, 0]  # files, bytes, nanoseconds
    _stamp_tree(package, totals)
    seen = [package, *map(str, totals)]
    for entry in sys.path:
        if entry.endswith("-packages"):
            try:  # noqa: SIM105 (as above)
                seen.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
            except OSError:
                pass
    return _digest("\0".join(seen))


def _stamp_tree(folder: str, totals: list[int]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            _stamp_tree(entry.path, totals)
        elif entry.name.endswith(".py"):
            status = entry.stat()
            totals[0] += 1
            totals[1] += status.st_size
            totals[2] += status.st_mtime_ns


def _digest(text: str) -> str:
    """A 64-bit FNV-1a hash as 16 hex digits: enough to tell versions apart, and no hashlib to import."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"
