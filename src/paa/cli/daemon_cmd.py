"""`paa daemon`: run the reminder daemon, start and stop it, see its status and log, install it as a service.

The daemon is its own interface (`python -m paa.daemon`); these commands start it, signal it and
read its files (`paa.daemon.files`), and never import the daemon's runner.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import console, emit_json, escape, say

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from paa.daemon.files import DaemonFiles, DaemonStatus, LogReader

KindOpt = Annotated[str, typer.Option("--kind", help="auto, systemd, launchd or cron.")]
WithServerOpt = Annotated[
    bool, typer.Option("--with-server", help="Also `paa serve` as a service beside it (systemd or launchd, not cron).")
]


def create() -> typer.Typer:
    app = typer.Typer(help="Run the reminder daemon, or manage it in the background.", no_args_is_help=True)
    for name, function in [
        ("run", run), ("start", start), ("stop", stop), ("status", status), ("logs", logs),
        ("install", install), ("uninstall", uninstall),
    ]:  # fmt: skip
        app.command(name)(function)
    return app


def _daemon_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "paa.daemon", *args]


def _files() -> DaemonFiles:
    from paa.cli import runtime
    from paa.config import resolve_paths
    from paa.daemon.files import DaemonFiles

    return DaemonFiles.of(resolve_paths(runtime.environ()))


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


def run() -> None:
    """Run the daemon in the foreground until Ctrl-C or SIGTERM (what a service manager runs)."""
    sys.stdout.flush()
    sys.stderr.flush()
    command = _daemon_command("run")
    os.execv(command[0], command)


def start(
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for it to come up.")] = 15,
) -> None:
    """Start the daemon in the background."""
    from paa.daemon.files import running_daemon
    from paa.errors import PaaError

    files = _files()
    running = running_daemon(files)
    if running is not None:
        say(f"The paa daemon is already running (pid {running}).")
        return
    from paa.files import make_private_folder, open_private_append

    make_private_folder(files.log.parent)
    early = files.log.with_name("daemon.stderr.log")
    with open_private_append(early) as stderr:
        process = subprocess.Popen(
            _daemon_command("run"), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    if not _wait(lambda: process.poll() is not None or running_daemon(files) == process.pid, timeout):
        raise PaaError(f"the daemon did not come up within {timeout:g} s", hint=f"see {files.log}")
    if process.poll() is not None:
        lines = early.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        reason = next((line.removeprefix("paa: error: ") for line in reversed(lines) if "error" in line), None)
        raise PaaError(f"the daemon stopped at once: {reason or f'exit code {process.returncode}'}",
                       hint=f"see {early}")  # fmt: skip
    say(f"Started the paa daemon (pid {process.pid}); log: {files.log}")


def stop(
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for it to stop.")] = 20,
) -> None:
    """Stop the background daemon (SIGTERM; it finishes what it is sending)."""
    import signal

    from paa.daemon.files import running_daemon
    from paa.errors import PaaError

    files = _files()
    pid = running_daemon(files)
    if pid is None:
        say("The paa daemon is not running.")
        return
    if pid < 0:
        raise PaaError("the daemon lock is held but holds no pid", hint=f"look for the process holding {files.lock}")
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.kill(pid, signal.SIGTERM)
    if not _wait(lambda: running_daemon(files) is None, timeout):
        raise PaaError(f"the daemon (pid {pid}) did not stop within {timeout:g} s", hint=f"kill {pid}")
    say(f"Stopped the paa daemon (pid {pid}).")


def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/reminders.md).")] = False):
    """Show whether the daemon runs, its pid and uptime, what is due next and its latest errors."""
    from paa.cli import runtime
    from paa.daemon.files import daemon_status

    with runtime.current().context() as ctx:
        found = daemon_status(ctx)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(found.to_json())
        return
    _render_status(found, zone)


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"]
    return " ".join(parts)


def _render_status(found: DaemonStatus, zone: object) -> None:
    from datetime import datetime

    out = console()
    if found.running:
        up = f", up {_duration(found.uptime_seconds)}" if found.uptime_seconds is not None else ""
        jobs = f"; {found.jobs} reminder job(s)" if found.jobs is not None else ""
        out.print(f"[green]running[/] (pid {found.pid}){up}{jobs}")
    else:
        out.print("[yellow]not running[/]: start it with `paa daemon start`, or install it with `paa daemon install`")
    out.print(f"Log: {_files().log}")
    if found.next:
        out.print("[bold]Next[/]")
        for item in found.next:
            local = datetime.fromisoformat(item["local"])
            out.print(f"  {local:%a %d %b %H:%M}  {escape(item['title'])} [dim]({item['kind']})[/]")
    if found.last_errors:
        out.print("[bold]Latest errors[/]")
        for error in found.last_errors[-5:]:
            out.print(f"  {escape(str(error.get('at', ''))[:19])}  {escape(str(error.get('message', '')))}")
    if found.failed_notifications:
        out.print(f"{found.failed_notifications} failed notification(s): see `paa remind list --history`")


def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="How many of the last lines to show.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")] = False,
) -> None:
    """Print the end of the daemon's log: your reminders' lines and the daemon's own (an admin's: all)."""
    from collections import deque

    from paa.daemon.logs import lines_for

    log = _files().log
    if not log.exists():
        say(f"No log yet at {log}: the daemon has not run.")
        return
    reader = _log_reader()
    if reader.user_id is None and not reader.everything:
        typer.echo("paa: showing only the daemon's own lines: log in to see your reminders' (paa auth login)", err=True)

    def visible(text: Iterable[str]) -> Iterator[str]:
        return lines_for(text, reader.user_id, everything=reader.everything)

    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in deque(visible(handle), maxlen=lines) if lines else []:
            sys.stdout.write(line)
        sys.stdout.flush()
        if not follow:
            return
        position = handle.tell()
    while True:  # Ctrl-C ends it (exit code 130)
        time.sleep(0.5)
        if not log.exists() or log.stat().st_size < position:
            position = 0  # rotated
        if log.exists():
            with open(log, "rb") as raw:
                raw.seek(position)
                chunk = raw.read()
            whole = chunk.rfind(b"\n") + 1  # half a line waits for its end, to know whose it is
            position += whole
            sys.stdout.writelines(visible(chunk[:whole].decode("utf-8", errors="replace").splitlines(keepends=True)))
            sys.stdout.flush()


def _log_reader() -> LogReader:
    """Whose lines the person running this command may read (it works even when nobody is logged in)."""
    from paa.cli import runtime
    from paa.daemon.files import LogReader

    with runtime.current().auth() as actx:
        return LogReader.for_account(actx)


def _service(*args: str) -> None:
    done = subprocess.run(_daemon_command(*args), capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode:
        raise typer.Exit(done.returncode)


def install(
    kind: KindOpt = "auto",
    print_only: Annotated[bool, typer.Option("--print", help="Print the unit (or cron line); write nothing.")] = False,
    enable: Annotated[bool, typer.Option("--enable", help="Also run systemctl/launchctl to start it now.")] = False,
    with_server: WithServerOpt = False,
) -> None:
    """Install the daemon as a user service: a systemd unit, a launchd agent, or print a cron line.

    Secrets (PAA_DB_URL, PAA_REDIS_URL) go to a 0600 environment file the services read, never into the unit.

    Examples:

      paa daemon install --enable

      paa daemon install --with-server --enable

      paa daemon install --kind cron
    """
    _service(
        "install", "--kind", kind, *(["--print"] if print_only else []), *(["--enable"] if enable else []),
        *(["--with-server"] if with_server else []),
    )  # fmt: skip


def uninstall(
    kind: KindOpt = "auto",
    disable: Annotated[bool, typer.Option("--disable", help="Also run systemctl/launchctl to stop it.")] = False,
    with_server: Annotated[bool, typer.Option("--with-server", help="Also remove the server's service file.")] = False,
) -> None:
    """Remove the daemon's service file."""
    _service(
        "uninstall", "--kind", kind, *(["--disable"] if disable else []), *(["--with-server"] if with_server else [])
    )
