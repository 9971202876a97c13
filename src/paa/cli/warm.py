"""`paa warm`: start, stop and look at the warm server that answers everyday commands in milliseconds.

The server is `paa.cli.warm_server`, started detached; the client that hands it command lines is
`paa.cli.warm_client`. See docs/performance.md, "The warm path".
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import say

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paa.core.doctor import Check

START_SECONDS = 60.0  # importing everything on a busy machine can take a while; never longer than this


def create() -> typer.Typer:
    app = typer.Typer(help="Keep paa warm: a background server that answers commands faster.", no_args_is_help=True)
    for name, function in [("start", start), ("stop", stop), ("status", status)]:
        app.command(name)(function)
    return app


def _socket() -> str:
    """The socket of this environment's warm server (its private folder is made when missing)."""
    from paa.cli import runtime
    from paa.cli.warm_client import runtime_dir, socket_path
    from paa.errors import ConfigError

    environ = runtime.environ()
    path = socket_path(environ, create=True)
    if path is None:
        folder = runtime_dir(environ, create=False)
        raise ConfigError(
            "no private folder for the warm server's socket" + ("" if folder else " (it is missing or shared)"),
            hint="set XDG_RUNTIME_DIR to a folder only you can enter (mode 0700)",
        )
    return path


def _ask(path: str, op: bytes, timeout: float = 5.0) -> bytes | None:
    """Send a control request to the server at `path`; its reply (kind and text), or None when none answers."""
    from paa.cli import warm_client as proto

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        try:
            conn.connect(path)
            proto.send_request(conn, op, [])
            kind = proto._read_exact(conn, 1)
            if kind == proto.INFO:
                (size,) = proto.HEADER.unpack(proto._read_exact(conn, proto.HEADER.size))
                return kind + proto._read_exact(conn, size)
            return kind
        except OSError:
            return None


def _info(reply: bytes | None) -> dict[str, str] | None:
    from paa.cli import warm_client as proto

    if not reply or not reply.startswith(proto.INFO):
        return None
    lines = reply[1:].decode(errors="replace").splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def start(
    idle: Annotated[
        int | None,
        typer.Option(
            "--idle",
            min=10,
            max=7 * 24 * 3600,
            help="Seconds without a command before it quits (default: the warm.idle_seconds setting).",
        ),
    ] = None,
) -> None:
    """Start the warm server for this environment (it quits when idle, or when paa is upgraded)."""
    from paa.cli import runtime
    from paa.cli.warm_client import code_stamp
    from paa.config import load_settings, resolve_paths
    from paa.errors import StorageError

    path = _socket()
    if idle is None:
        environ = runtime.environ()
        idle = load_settings(resolve_paths(environ), environ).settings.warm_idle_seconds
    running = _info(_ask(path, b"ping"))
    if running is not None and running.get("stamp") == code_stamp():
        say(f"The warm server is already running (pid {running.get('pid')}).")
        return
    if running is not None:
        _ask(path, b"stop")  # it holds other code (paa was upgraded or edited): it goes, a new one comes
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a socket nobody answers on: a server that died
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path.removesuffix(".sock") + ".starting")  # commands may start one again once this one has gone
    log = path.removesuffix(".sock") + ".log"
    code = "from paa.cli.warm_server import main; main()"
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as errors:
        server = subprocess.Popen(
            [sys.executable, "-c", code, path, str(idle)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=errors, cwd="/", start_new_session=True,
        )  # fmt: skip
    assert server.stdout is not None
    line = b""
    with server.stdout:
        ready, _, _ = select.select([server.stdout], [], [], START_SECONDS)
        if ready:
            line = server.stdout.readline()
    if not line.startswith(b"ready"):
        with contextlib.suppress(OSError):
            server.kill()
        server.wait(timeout=10)
        raise StorageError("the warm server did not start", hint=f"its log is {log}; commands still run without it")
    say(f"Started the warm server (pid {server.pid}); it quits after {idle} s without a command.")


def stop() -> None:
    """Stop the warm server for this environment (commands then start from scratch again)."""
    path = _socket()
    info = _info(_ask(path, b"ping"))
    if info is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # nobody answers on it
        say("No warm server is running.")
        return
    _ask(path, b"stop")
    deadline = time.monotonic() + 10
    while os.path.exists(path) and time.monotonic() < deadline:  # it removes its socket as it goes
        time.sleep(0.02)
    say(f"Stopped the warm server (pid {info.get('pid')}).")


def status() -> None:
    """Show whether a warm server runs for this environment: its pid, memory and commands served."""
    from paa.cli import runtime

    path = _socket()
    info = _info(_ask(path, b"ping"))
    if info is None:
        say("No warm server is running (start one with `paa warm start`).")
        return
    disabled = runtime.environ().get("PAA_NO_SERVER", "") not in ("", "0")
    up = max(0, int(time.time()) - int(info["started"]))
    chats = int(info.get("chat_zygote_rss_kib") or 0) // 1024  # the process that runs chats and the TUI
    model = int(info.get("embedding_helper_rss_kib") or 0) // 1024  # the one that keeps the embedding model
    beside = [f"{chats} MiB for chats and the TUI"] if chats else []
    beside += [f"{model} MiB for the embedding model"] if model else []
    say(
        f"running (pid {info['pid']}), up {up} s, {info['served']} connection(s) served, "
        f"{int(info['rss_kib']) // 1024} MiB resident"
        + (f" (and {'; '.join(beside)})" if beside else "")
        + f", quits after {info['idle_seconds']} s idle"
        + (f"; read ahead: {info['rehearsed'].replace(',', ', ')}" if info.get("rehearsed", "-") != "-" else "")
        + ("; PAA_NO_SERVER is set, so commands skip it" if disabled else "")
    )


def doctor_check(environ: Mapping[str, str]) -> Check:
    """The warm path's line in `paa doctor`: whether a warm server answers this environment's commands."""
    from paa.cli.warm_client import socket_path
    from paa.core.doctor import Check

    if environ.get("PAA_NO_SERVER", "") not in ("", "0"):
        return Check("warm path", "info", "off: PAA_NO_SERVER is set, so every command starts from scratch")
    path = socket_path(environ, create=False)
    info = _info(_ask(path, b"ping", timeout=2.0)) if path else None
    if info is None:
        from paa.cli.warm_server import autostart_idle

        if autostart_idle(environ) is not None:  # with no runtime folder yet (after a reboot) too: it makes one
            return Check(
                "warm path", "info", "no warm server runs now; the next command starts one in the background",
                "paa warm start starts it at once",
            )  # fmt: skip
        return Check(
            "warm path", "info", "no warm server runs, so every command starts from scratch (warm.autostart is off)",
            "paa warm start keeps paa loaded in the background and answers commands several times faster",
        )  # fmt: skip
    memory = int(info.get("rss_kib", "0")) // 1024
    return Check("warm path", "ok", f"a warm server (pid {info.get('pid')}, {memory} MiB) answers commands")
