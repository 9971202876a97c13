"""The warm server: a process that has already imported paa's command code and forks a worker per command line.

Started by `paa warm start` as `python -m paa.cli.warm_server SOCKET IDLE_SECONDS`, detached. One thread only (a fork
copies just the calling thread, so a server with others could hand a worker a lock held forever), and no database is
opened before a fork: each worker opens its own, as a cold `paa` would. A worker installs the client's descriptors as
0, 1 and 2, its environment (os.environ replaced whole), working directory and umask, then runs `paa.cli.main.main`,
the function the cold path runs, and reports the exit code. The server quits when idle for IDLE_SECONDS, when paa's
code or the installed packages change (`warm_client.code_stamp`), when its socket file is removed or replaced, when its
PAA_HOME folder is removed, and on SIGTERM or a `stop` request. A command that finds no server starts one in "auto"
mode (`warm_client.start_in_background`), which waits for that command to end and honours the warm.* settings.
Chats and the TUI run in the chat zygote, a child forked before serving that holds Claude's SDK, numpy and Textual
and serves them on a socket of its own (`Server.start_chat_zygote`), as does a check-in the model reads (handed over
by the server's worker: `_relayed`); the embedding model is kept loaded by the embedding helper, another such child
(`paa.ai.embedding_helper`), which workers ask for vectors and memory searches. The server and the zygote each keep
the next command's worker forked ahead (`Server._fork_spare`), so a command does not wait for the fork.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import gc
import importlib
import io
import math
import mmap
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from paa.cli import warm_client as proto
from paa.processes import threads_running

STAMP_EVERY = 5.0  # seconds between looks at the installed code while idle
REQUEST_LIMIT = 64 * 1024 * 1024  # a bigger request is not a command line
HANDSHAKE_SECONDS = 10.0  # a worker waits this long for its client's request and its go-ahead
PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
AUTO_WAIT_SECONDS = 120.0  # a server started on first use waits at most this long for that command to end
OFF_HOLD = 600.0  # with auto-start off, commands try again (and read the setting again) after this long
ZYGOTE_READY_SECONDS = 60.0  # the server waits this long at most for its chat zygote to serve
SPARE_NAME = b"paa-spare"  # what `ps` shows for a spare worker (/proc/PID/comm) until it takes a command
REPORT = struct.Struct("qq")  # what the chat zygote tells its server: connections served, workers running now
# What Textual and Rich import only once an app runs (its driver, input parser, layouts, scroll bars, Rich's emoji
# table for markup): ~15-20 ms of the TUI's first paint in a worker of the chat zygote. Definitions only: none starts
# a thread as it loads; the input parser reads LC_TERMINAL and TERM_PROGRAM, which are part of the socket's name.
TEXTUAL_ON_RUN = ("textual.drivers.linux_driver", "textual._xterm_parser", "textual._keyboard_protocol",
                  "textual.drivers._writer_thread", "textual.layouts.factory", "textual.scrollbar", "textual.pilot",
                  "rich._emoji_codes")  # fmt: skip


@dataclass
class Request:
    """One client's request, as `warm_client.send_request` wrote it."""

    op: str
    stamp: str
    cwd: bytes
    umask: int
    argv0: str
    args: list[str]
    environ: dict[bytes, bytes]
    fds: list[int] = field(default_factory=list)


def preload() -> list[str]:
    """Import what the everyday commands use (never a database connection); the modules, for `paa warm status`."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as paa.cli.main does, before pydantic loads
    import importlib

    from paa.cli.commands import COMMANDS

    names = ["paa.cli.main", "paa.cli.app", "paa.cli.output", "paa.cli.runtime", "paa.core.runtime", "paa.db.models"]
    names += ["sqlalchemy.dialects.sqlite.pysqlite", "sqlmodel", "paa.errors", "typer.rich_utils"]
    names += ["typer._adapters", "typer._click.decorators"]  # Typer imports them as it builds a command (~30 ms)
    # Every command module and its views: they import big libraries (textual, uvicorn, anthropic) only as they run.
    names += list(COMMANDS.values()) + _modules_under("paa.cli")
    names += _modules_under("paa.core") + _modules_under("paa.db", skip=("paa.db.migrations",))
    names += _modules_under("paa.ai")  # they load anthropic and numpy only when a chat or a vector search runs
    # What a check-in loads as it saves (the local sentiment analyser, the API key lookup, sealed columns).
    names += ["vaderSentiment.vaderSentiment", "keyring", "cryptography.hazmat.primitives.ciphers.aead"]
    loaded = []
    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
            loaded.append(name)
    loaded += _keyring_backends()
    from sqlalchemy.orm import configure_mappers

    from paa.core.checkins.sentiment import load_lexicon

    load_lexicon()  # a check-in's worker would read VADER's lexicon file again each time
    _first_cipher()
    from paa.db import blind

    # The word cutter: FTS5's tokenizer over a scratch table in memory (no file, emptied after each use), which a
    # check-in, a chat or a memory search would make again in each worker (~1.5 ms).
    blind.terms("paa")

    from paa.ai.tools import registry

    registry()  # the tools' argument schemas, made once (pydantic, ~15 ms a chat)

    configure_mappers()  # the ORM's class set-up, done once here rather than in every worker

    from paa.cli.app import build_ahead

    build_ahead()  # every command group's tree (Typer reads each command's signature), ~0.25 s once
    return loaded


def _first_cipher() -> None:
    """Seal and open a throwaway value with a throwaway key: OpenSSL looks its AES-GCM cipher up on the first use in
    a process (~1.3 ms), which every worker that reads a sealed column would do again."""
    with contextlib.suppress(ImportError):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        cipher, nonce = AESGCM(os.urandom(32)), os.urandom(12)
        cipher.decrypt(nonce, cipher.encrypt(nonce, b"paa", None), None)


def _keyring_backends() -> list[str]:
    """Import the keyring's backend modules (its entry points), as its detection would in every check-in's worker.

    Only the imports (two thirds of the detection's time): which backend is usable depends on the worker's own
    environment (its config folder, the D-Bus session), so the detection itself still runs in the worker.
    """
    from importlib.metadata import entry_points

    from paa.core.accounts.secrets import _spare_the_macos_probe

    _spare_the_macos_probe()  # as a cold check-in does first: the macOS backend's helper is not loaded off macOS
    loaded = []
    for point in entry_points(group="keyring.backends"):
        with contextlib.suppress(Exception):  # a broken plugin: the worker's detection skips it as keyring does
            point.load()
            loaded.append(point.value)
    return loaded


def _modules_under(package: str, skip: tuple[str, ...] = ()) -> list[str]:
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    found = []
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if not info.name.startswith(skip):
            found.append(info.name)
    return found


class Server:
    """The listening socket and its workers."""

    def __init__(self, path: str, idle_seconds: float, *, parent: socket.socket | None = None) -> None:
        self.path = path
        self.idle_seconds = idle_seconds
        self.parent = parent  # the chat zygote's: its server's end closes when the server has gone
        self.stamp = proto.code_stamp()
        # The chat zygote's counts, written by it and read by its server (memory both share, made before the fork).
        self.report = mmap.mmap(-1, REPORT.size)
        self.started = time.time()
        self.workers: dict[int, socket.socket] = {}  # pid -> its client's connection, to report a death by signal
        self.clients: dict[int, int] = {}  # worker pid -> its client's pid (from the connection's peer credentials)
        self.zygote: socket.socket | None = None  # to the process that runs chats (`start_chat_zygote`)
        self.zygote_pid = 0
        self.helper: socket.socket | None = None  # to the embedding helper (`start_embedding_helper`)
        self.helper_pid = 0
        self.served = 0
        # The next command's worker, forked ahead (pid, the end its connection is sent on): a fork of the server
        # costs ~6 ms (~11 ms of the chat zygote), which a command would otherwise wait for.
        self.spare: tuple[int, socket.socket] | None = None
        self.stopping = False
        self.modules: list[str] = []
        self.rehearsed: list[str] = []  # what `paa.cli.warm_rehearsal` read before the first fork
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.identity: tuple[int, int] | None = None
        # The data folder the server was started for (a test's or a benchmark's temporary one, often): once it is
        # removed, nobody will ask this server anything again.
        home = os.environ.get("PAA_HOME")
        self.home = home if home and os.path.isdir(home) else None

    def start_embedding_helper(self) -> None:
        """Fork the process that keeps the embedding model loaded (`paa.ai.embedding_helper`), before serving and
        before the chat zygote, so that both and every worker inherit its socket; this process's `load_embedder`
        then asks it (as do its children's). Nothing when numpy or the tokenizer is not installed."""
        import importlib.util

        from paa.ai import embedding_helper

        if any(importlib.util.find_spec(name) is None for name in ("numpy", "tokenizers")):
            return
        from paa.config_sources import resolve_paths

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        data_dir = resolve_paths(os.environ).data_dir  # this server's folder: its model is loaded ahead

        def helper() -> int:
            ours.close()
            self.listener.close()
            _quiet_stdio()
            return embedding_helper.serve(theirs, data_dir)

        pid = _fork(helper)
        theirs.close()
        self.helper, self.helper_pid = ours, pid
        embedding_helper.use_helper(ours)

    def start_chat_zygote(self) -> None:
        """Fork the process that runs chats and the TUI, before serving: it holds Claude's SDK with
        its reply parsers built, numpy and Textual (`_chat_zygote`), which would make this server twice as big, and
        every fork of it (every command) slower. Their clients connect to its socket (`warm_client.zygote_path`)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

        def zygote() -> int:
            ours.close()
            self.listener.close()
            return _chat_zygote(theirs, proto.zygote_path(self.path), self.stamp, self.report)

        pid = _fork(zygote)
        theirs.close()
        self.zygote, self.zygote_pid = ours, pid
        # Serve only once it serves too: a chat meanwhile would import the SDK in a worker of this server (~1.5 s).
        ours.settimeout(ZYGOTE_READY_SECONDS)
        with contextlib.suppress(OSError):
            ours.recv(1)  # its "ready" (or nothing, if it failed: its commands then run here)
        ours.settimeout(None)

    def listen(self) -> None:
        """Bind under a temporary name and rename into place, so a client never meets a socket not yet listening."""
        temporary = f"{self.path}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        previous = os.umask(0o077)
        try:
            self.listener.bind(temporary)
        finally:
            os.umask(previous)
        self.listener.listen(64)
        os.rename(temporary, self.path)
        status = os.lstat(self.path)
        self.identity = (status.st_dev, status.st_ino)

    def serve_forever(self) -> int:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wake-up pipe hears of it
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        selector = selectors.DefaultSelector()
        selector.register(self.listener, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        if self.parent is not None:
            selector.register(self.parent, selectors.EVENT_READ)
        last_active = last_stamp = time.monotonic()
        self.pipes = (wake_read, wake_write)
        seen = self._zygote_counts()
        try:
            while not self.stopping:
                self._fork_spare()
                for key, _ in selector.select(timeout=1.0):
                    if key.fileobj is self.listener:
                        self._accept()
                        last_active = time.monotonic()
                    elif key.fileobj is self.parent:
                        with contextlib.suppress(OSError):
                            if not self.parent.recv(1):
                                self.stopping = True  # the server has gone: so does its chat zygote
                    else:
                        with contextlib.suppress(BlockingIOError):
                            os.read(wake_read, 512)
                self._reap()
                self._check_zygote()
                now = time.monotonic()
                counts = self._zygote_counts()
                if self.workers or counts[1] or counts != seen:  # (the chat zygote's workers count as ours)
                    last_active = now
                    seen = counts
                elif now - last_active >= self.idle_seconds:
                    break
                if now - last_stamp >= STAMP_EVERY:
                    last_stamp = now
                    if not self._still_current():
                        break
        finally:
            self._close()
        # Workers still running finish their commands; their clients hear from them directly.
        return 0

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def _still_current(self) -> bool:
        """Whether the code is the one this server loaded and the socket file is still this server's."""
        try:
            status = os.lstat(self.path)
        except OSError:
            return False
        if self.home is not None and not os.path.isdir(self.home):
            return False
        return (status.st_dev, status.st_ino) == self.identity and proto.code_stamp() == self.stamp

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        try:
            client, uid, _gid = PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size))
        except OSError:
            client, uid = 0, -1
        if uid != os.getuid():
            conn.close()  # only this user's own processes: the folder's mode says so, and so does the kernel here
            return
        if threads_running() != 1:
            conn.close()  # never fork beside another thread (the client runs the command itself)
            return
        pid = self._hand_to_spare(conn) or _fork(lambda: self._worker(conn))
        self.served += 1
        self.workers[pid] = conn
        self.clients[pid] = client
        self._tell_parent()

    def _fork_spare(self) -> None:
        """Fork the next command's worker now, so that a command need not wait for the fork. It leaves the server
        at once (as every worker does) and waits for its one connection; a spare ends unused when the server ends."""
        if self.spare is not None or self.stopping or threads_running() != 1:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

        def spare() -> int:
            ours.close()
            self._leave_server()
            name = _rename(SPARE_NAME)
            try:
                _, fds, _, _ = socket.recv_fds(theirs, 1, 1)
            except OSError:
                return 0
            theirs.close()
            if len(fds) != 1:
                return 0  # the server has gone (or went on without this spare)
            _rename(name)
            return self._serve(socket.socket(fileno=fds[0]))

        pid = _fork(spare)
        theirs.close()
        self.spare = (pid, ours)

    def _hand_to_spare(self, conn: socket.socket) -> int:
        """Send `conn` to the spare worker; its pid, or 0 when there is none (or it has gone)."""
        spare, self.spare = self.spare, None
        if spare is None:
            return 0
        pid, channel = spare
        try:
            socket.send_fds(channel, [b"c"], [conn.fileno()])
        except OSError:
            return 0
        finally:
            channel.close()
        return pid

    def _reap(self) -> None:
        ended = _reap(self.workers)
        if self.spare is not None and self.spare[0] in ended:
            self.spare[1].close()  # (killed, say) another is forked before the next command
            self.spare = None
        for gone in set(self.clients) - set(self.workers):
            del self.clients[gone]
        self._hang_up_orphans()
        self._tell_parent()

    def _hang_up_orphans(self) -> None:
        """End a worker stopped by its client (Ctrl-Z) whose client has gone since (killed): nobody would ever send
        it SIGCONT. A hangup ends it, as it would end a stopped cold paa whose terminal went."""
        for worker, client in self.clients.items():
            if client and not _exists(client) and proto.process_state(worker) == "T":
                for number in (signal.SIGHUP, signal.SIGCONT):
                    with contextlib.suppress(OSError):
                        os.kill(worker, number)

    def _check_zygote(self) -> None:
        """Forget a chat zygote that has ended (killed, say): its last counts must not keep this server from idling."""
        if not self.zygote_pid:
            return
        try:
            ended = os.waitpid(self.zygote_pid, os.WNOHANG)[0] != 0
        except ChildProcessError:
            ended = True  # (already reaped with a worker)
        if ended:
            self.zygote_pid = 0

    def _tell_parent(self) -> None:
        if self.parent is not None:  # the chat zygote: its server counts what it served, and stays while it works
            self.report[:] = REPORT.pack(self.served, len(self.workers))

    def _zygote_counts(self) -> tuple[int, int]:
        """The chat zygote's connections served and workers running (0, 0 in the zygote itself, or without one)."""
        if self.parent is not None or not self.zygote_pid:
            return (0, 0)
        served, running = REPORT.unpack(self.report[:])
        return (served, running)

    def _close(self) -> None:
        with contextlib.suppress(OSError):
            status = os.lstat(self.path)
            if (status.st_dev, status.st_ino) == self.identity:
                os.unlink(self.path)
        self.listener.close()
        if self.zygote is not None:
            self.zygote.close()  # the chat zygote ends once this end is closed everywhere (workers close it at once)
        if self.helper is not None:
            self.helper.close()  # the embedding helper ends once the zygote and every worker have ended
        if self.spare is not None:
            self.spare[1].close()  # the spare worker ends unused
            self.spare = None
        for conn in self.workers.values():
            conn.close()

    # --- in the worker ---------------------------------------------------------------------------------------------

    def _worker(self, conn: socket.socket) -> int:
        """Serve one connection in the forked child; the child's own exit status (the command's goes in the reply)."""
        self._leave_server()
        return self._serve(conn)

    def _leave_server(self) -> None:
        """In a fork: let go of everything that is the server's (its socket, its workers' connections, its pipes and
        signal handlers), keeping only what a command uses."""
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.listener.close()
        for other in self.workers.values():
            other.close()
        for fd in self.pipes:
            os.close(fd)
        for held in (self.zygote, self.parent):  # (so the chat zygote ends as soon as its server has)
            if held is not None:
                held.close()

    def _serve(self, conn: socket.socket) -> int:
        conn.settimeout(HANDSHAKE_SECONDS)
        try:
            request = read_request(conn)
        except (OSError, ValueError):
            return 0
        if request.op == "ping":
            conn.sendall(_with_length(proto.INFO, self.describe().encode()))
            return 0
        if request.stamp != self.stamp:
            with contextlib.suppress(OSError):
                conn.sendall(proto.STALE)
            os.kill(os.getppid(), signal.SIGTERM)  # another version of paa is installed: this server must go
            return 0
        if request.op == "stop":
            os.kill(os.getppid(), signal.SIGTERM)
            conn.sendall(proto.STOPPED)
            return 0
        for fd in request.fds:
            os.close(fd)  # a run's descriptors come with GO
        request.fds = []
        if request.op != "run":
            with contextlib.suppress(OSError):
                conn.sendall(proto.FALL_BACK)
            return 0
        # A worker of the server (not of the chat zygote) hands a command that calls Claude to the zygote
        zygote = proto.zygote_path(self.path) if self.zygote_pid and self.parent is None else None
        return _serve_run(conn, request, zygote)

    def describe(self) -> str:
        """What `paa warm status` shows, as `key: value` lines."""
        lines = {
            "pid": os.getppid(),
            "socket": self.path,
            "started": int(self.started),
            "served": self.served + self._zygote_counts()[0],
            "idle_seconds": int(self.idle_seconds),
            "rss_kib": _rss_kib(os.getppid()),
            "chat_zygote": self.zygote_pid,
            "chat_zygote_rss_kib": _rss_kib(self.zygote_pid) if self.zygote_pid else 0,
            "embedding_helper": self.helper_pid,
            "embedding_helper_rss_kib": _rss_kib(self.helper_pid) if self.helper_pid else 0,
            "modules": len(sys.modules),
            "rehearsed": ",".join(self.rehearsed) or "-",
            "stamp": self.stamp,
        }
        return "".join(f"{key}: {value}\n" for key, value in lines.items())


def _fork(work: Callable[[], int]) -> int:
    """Fork a child that does `work` and exits with its code, whatever happens; the child's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = work()
        finally:
            os._exit(code)
    return pid


def _rename(name: bytes) -> bytes:
    """Set this process's name as `ps` shows it (Linux; nothing elsewhere); the name it had."""
    try:
        fd = os.open("/proc/self/comm", os.O_RDWR)
    except OSError:
        return name
    try:
        before = os.read(fd, 64).rstrip(b"\n")
        os.write(fd, name)
    except OSError:
        before = name
    finally:
        os.close(fd)
    return before


def _reap(workers: dict[int, socket.socket]) -> set[int]:
    """Wait for the children that ended; tell the client of a worker killed by a signal which signal it was. The pids
    of those ended."""
    ended: set[int] = set()
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        ended.add(pid)
        conn = workers.pop(pid, None)
        if conn is None:
            continue
        if os.WIFSIGNALED(status):
            with contextlib.suppress(OSError):
                conn.sendall(proto.KILLED + proto.CODE.pack(os.WTERMSIG(status)))
        conn.close()
    return ended


def _serve_run(conn: socket.socket, request: Request, zygote: str | None = None) -> int:
    """In a worker: send the client its pid, take its descriptors with its go-ahead, run the command, report the
    exit code."""
    try:
        conn.sendall(proto.PID + proto.CODE.pack(os.getpid()))
        go, fds = _receive_go(conn)
    except OSError:
        return 0  # the client gave up waiting and runs the command itself
    if go != proto.GO or len(fds) != 3 or not _take_over(request, fds):
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            conn.sendall(proto.FALL_BACK)  # nothing ran: the client runs it
        return 0
    conn.settimeout(None)
    code = _relayed(request.args, zygote) if zygote and _calls_claude(request.args) else None
    if code is None:
        code = _run_command(request)
    with contextlib.suppress(OSError):
        conn.sendall(proto.EXIT + proto.CODE.pack(code))
    return 0


def _calls_claude(args: list[str]) -> bool:
    """Whether the command may call Claude, and so import its SDK (~1.2 s in a worker of this server): a check-in,
    when an API key is known (the model reads it once it is saved). Chats go to the chat zygote directly."""
    if proto._command_word(args) != "checkin":
        return False
    from paa.config_sources import resolve_paths
    from paa.core.accounts.secrets import secret_known

    try:
        return secret_known(resolve_paths(os.environ), "anthropic", os.environ)
    except Exception:  # (a folder it cannot tell) the command finds out for itself, as cold
        return False


def _relayed(args: list[str], zygote: str) -> int | None:
    """Run the command in the chat zygote, which has Claude's SDK loaded, as the client would have: this worker,
    which is the client's process now (its descriptors, environment and folder), asks it and passes its signals on.
    The exit code, or None when the zygote did not take it (then this worker runs it)."""
    timeout = proto.handover_timeout()
    conn = proto._connect(zygote, timeout)
    if isinstance(conn, OSError):
        return None
    try:
        code = proto._run(conn, args, time.monotonic() + timeout)
    finally:
        conn.close()
    return None if code == proto.STALE_SERVER else code


def _chat_zygote(parent: socket.socket, path: str, stamp: str, report: mmap.mmap) -> int:
    """The chat zygote: forked from the server before it serves, it builds Claude's SDK (`prepare_sdk`, ~1.3 s and
    ~57 MiB) and loads numpy and Textual, then serves chats and the TUI on a socket of its own
    (`path`) as the server serves the others, forking a worker for each. Its clients connect to it directly: a
    second hop through the server would cost each one a fork more. It ends with its server (`parent` reads as
    ended) or its code."""
    _quiet_stdio()
    _preload_numpy()
    with contextlib.suppress(Exception):  # no SDK, or one that changed its ways: chats import it as they run
        from paa.ai.providers.claude import prepare_sdk, prepare_tls

        prepare_sdk()
        prepare_tls()
    with contextlib.suppress(ImportError):  # the TUI's modules and Textual (~0.3 s of its first paint; no thread)
        for name in _modules_under("paa.tui", skip=("paa.tui.__main__", "paa.tui.preload")):
            importlib.import_module(name)
    for name in TEXTUAL_ON_RUN:
        with contextlib.suppress(ImportError):  # (a Textual or Rich that moved one: the TUI imports it as it runs)
            importlib.import_module(name)
    gc.collect()
    gc.freeze()
    zygote = Server(path, math.inf, parent=parent)
    zygote.stamp, zygote.report = stamp, report  # the server's: a client of other code is told so, and restarts it
    zygote.listen()
    with contextlib.suppress(OSError):
        parent.send(b"r")  # ready: the server starts serving
    return zygote.serve_forever()


def _quiet_stdio() -> None:
    """/dev/null as stdin and stdout, as the server has once ready: never holding `paa warm start`'s pipe open."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)


def _preload_numpy() -> None:
    """Import numpy (~40 ms of a chat's worker that reads vectors) without the thread pool its BLAS starts as it
    loads: this process forks. Its workers' BLAS then runs on one thread, whatever their environment says. paa's
    products are a matrix of vectors against one vector, which one thread does in a few milliseconds (~8 ms at
    50,000), with the same result to the bit (each element is one row's sum either way: tests/e2e/test_warm.py);
    giving each worker the threads of a cold process after the fork cost it ~50 ms (OpenBLAS sets up each thread's
    buffers)."""
    previous = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401
    except ImportError:
        pass
    finally:
        if previous is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = previous


def _wait_for_exit(pid: int, limit: float = AUTO_WAIT_SECONDS) -> None:
    """Wait (bounded) until process `pid` has exited: the command that started this server runs cold meanwhile, and
    this server's imports must not slow it down."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except OSError:
            return  # (not ours to signal: not the process that started us)
        time.sleep(0.05)


def autostart_idle(environ: Mapping[str, str]) -> int | None:
    """The idle time of a server started on first use, or None when the warm.autostart setting is off (or the
    settings cannot be read: the command itself says why)."""
    from paa.config import load_settings, resolve_paths
    from paa.errors import PaaError

    try:
        settings = load_settings(resolve_paths(environ), environ).settings
    except (PaaError, OSError):
        return None
    return settings.warm_idle_seconds if settings.warm_autostart else None


def _hold_marker(path: str, seconds: float) -> None:
    """Date the socket's `.starting` file `seconds` ahead: clients take a start as under way until then."""
    marker = path.removesuffix(".sock") + ".starting"
    until = time.time() + seconds
    with contextlib.suppress(OSError):
        os.utime(marker, (until, until))


def _with_length(kind: bytes, payload: bytes) -> bytes:
    return kind + proto.HEADER.pack(len(payload)) + payload


def _rss_kib(pid: int) -> int:
    """The resident memory of a process in KiB (Linux's /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def read_request(conn: socket.socket) -> Request:
    """Read one request and the descriptors sent with it (closed again if the request is not whole)."""
    fds = array.array("i")
    data, ancillary, _flags, _ = conn.recvmsg(proto.HEADER.size, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    try:
        if len(data) < proto.HEADER.size:
            data += proto._read_exact(conn, proto.HEADER.size - len(data))
        (size,) = proto.HEADER.unpack(data)
        if size > REQUEST_LIMIT:
            raise ValueError("request too large")
        fields = proto._read_exact(conn, size).split(b"\0")
        if fields[0] != proto.PROTOCOL:
            raise ValueError("another protocol")
        count = int(fields[6])
        args = [os.fsdecode(arg) for arg in fields[7 : 7 + count]]
        environ = dict(item.split(b"=", 1) for item in fields[7 + count :] if b"=" in item)
        return Request(
            op=fields[1].decode(), stamp=fields[2].decode(), cwd=fields[3], umask=int(fields[4]),
            argv0=os.fsdecode(fields[5]), args=args, environ=environ, fds=list(fds),
        )  # fmt: skip
    except (OSError, ValueError, IndexError):
        for fd in fds:
            os.close(fd)
        raise


def _receive_go(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The client's GO and the three descriptors (stdin, stdout, stderr) attached to it."""
    fds = array.array("i")
    data, ancillary, _flags, _ = conn.recvmsg(1, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def _take_over(request: Request, fds: list[int]) -> bool:
    """Become the client's process: its descriptors as 0, 1, 2, its environment, directory and umask."""
    try:
        os.chdir(request.cwd)
    except OSError:
        return False  # the client's folder is gone or closed to it: the cold path says what a cold run says
    for target, fd in enumerate(fds):  # each received descriptor is a new number above 2: none overwrites another
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    os.umask(request.umask)
    # A stop the client passes on (Ctrl-Z) stops this worker as it would stop a cold paa. Its default action would
    # not: the kernel drops it for a process group with no parent in its session, as the server's is (it ended
    # its own session as it started). The TUI puts its own handler in place, which gives the terminal back first.
    signal.signal(signal.SIGTSTP, _stop_now)
    os.environ.clear()
    for key, value in request.environ.items():
        os.environb[key] = value
    time.tzset()
    sys.argv = [request.argv0, *request.args]
    _fresh_stdio()
    return True


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # (another user's process: there, but not ours to signal)
    return True


def _stop_now(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGSTOP)


def _fresh_stdio() -> None:
    """sys.stdin, stdout and stderr on the new 0, 1, 2, buffered as Python buffers them at start-up: a line at a time
    on a terminal (always for stderr), in blocks otherwise; the encoding is the server's, started with the same locale
    and PYTHON* variables as the client (they are part of the socket's name)."""
    encoding = sys.stdout.encoding
    sys.stdin = _text(0, "rb", encoding, sys.stdin.errors, line_buffering=False)
    sys.stdout = _text(1, "wb", encoding, sys.stdout.errors, line_buffering=os.isatty(1))
    sys.stderr = _text(2, "wb", encoding, sys.stderr.errors, line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]


def _text(fd: int, mode: str, encoding: str, errors: str | None, *, line_buffering: bool) -> io.TextIOWrapper:
    binary = open(fd, mode, closefd=False)  # noqa: SIM115 (it lives as long as the process)
    return io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline="\n", line_buffering=line_buffering)


def _run_command(request: Request) -> int:
    """Run the command as `paa.cli.main.run` would, then end the way Python ends a process; its exit code."""
    from paa.cli.main import main, spare_the_collector

    spare_the_collector(request.args)  # as a cold run does: its passes cost a check-in's worker about 2 ms
    try:
        code: object = main(request.args)
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    except BaseException:  # main() turns every error into a line; this is the interpreter's last word, as cold
        import traceback

        traceback.print_exc()
        code = 1
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()  # wait for the command's non-daemon threads, as the interpreter does at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr, flush=True)  # sys.exit("message") prints it and exits 1
    return 1


def main(argv: list[str] | None = None) -> int:
    """`SOCKET IDLE_SECONDS` (`paa warm start`), or `SOCKET auto CLIENT_PID` (started by a command that found none)."""
    args = sys.argv[1:] if argv is None else argv
    path = args[0]
    # Started with -c, Python put the working folder first on the path; a worker's folder is its client's, and no
    # module may come from there. The `paa` script's folder stands in its place, as for a cold run.
    sys.path[:] = [os.path.dirname(sys.executable)] + [entry for entry in sys.path if entry not in ("", ".")]
    auto = args[1] == "auto"
    if auto:
        os.chdir("/")  # (`paa warm start` starts it there too) never holding the folder of the command that started it
        _wait_for_exit(int(args[2]))
        idle = autostart_idle(os.environ)
        if idle is None:
            _hold_marker(path, OFF_HOLD)  # auto-start is off: commands stop trying for a while
            return 0
        idle_seconds = float(idle)
    else:
        idle_seconds = float(args[1])
    server = Server(path, idle_seconds)
    server.modules = preload()
    from paa.cli.warm_rehearsal import rehearse

    server.rehearsed = rehearse(os.environ)  # before any fork: the chat zygote and every worker inherit it
    gc.collect()  # the start-up's garbage goes now
    # What is left is permanent: a worker's collections then skip it, instead of walking (and so copying, page by
    # page) the whole preloaded heap; this took two thirds of a `habit list` worker's time. Once, here: frozen before
    # every fork, each command's leftovers in the server would be kept for as long as it runs.
    gc.freeze()
    server.start_embedding_helper()
    server.start_chat_zygote()
    server.listen()
    if auto:
        with contextlib.suppress(OSError):
            os.unlink(path.removesuffix(".sock") + ".starting")
    os.write(1, f"ready {os.getpid()}\n".encode())  # `paa warm start` waits for this line
    _quiet_stdio()
    return server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
