"""The runtime of one `paa` command: read from the environment and `--user` when first asked for, closed at the end.

The root callback (`paa.cli.app`) installs it for the thread running the command, and a command asks `current()`
for it. Nothing is opened for a command that never asks, so `paa config path` works with a broken config.toml.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import typer

    from paa.core.context import Acting
    from paa.core.runtime import Runtime

_RUNNING: ContextVar[CommandRuntime | None] = ContextVar("paa_command_runtime", default=None)


class CommandRuntime:
    """The Runtime of one command line, built on first use from the environment it started with and `--user`."""

    # What tests give every command's Runtime constructor (a fixed security clock, cheap hashing): trusted code
    # only, never the environment. Empty when paa runs.
    runtime_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, environ: Mapping[str, str], user: str | None = None) -> None:
        self.environ = dict(environ)
        self.user = user
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def get(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                from paa.core.runtime import Runtime

                self._runtime = Runtime.from_environ(self.environ, user=self.user, **self.runtime_options)
                self._runtime.on_first_write = _say_who_writes(self._runtime)
                _attach_queue(self._runtime)
            return self._runtime

    def close(self) -> None:
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()


def _attach_queue(runtime: Runtime) -> None:
    """With `queue.enabled`, the memories a command writes are embedded by a worker (docs/scaling.md). A queue turned
    on without PAA_REDIS_URL stops no command here (`paa config set queue.enabled false` must work): the daemon, the
    server and `paa worker` refuse to start and say why."""
    from paa.ai import queue
    from paa.errors import ConfigError

    with contextlib.suppress(ConfigError):
        queue.attach(runtime)


def _say_who_writes(runtime: Runtime) -> Callable[[Acting], None]:
    """Say on stderr whom a command writes as, when several accounts are logged in here (docs/accounts.md)."""

    def announce(acting: Acting) -> None:
        from paa.core.accounts.users import acting_marker

        name = acting_marker(acting, runtime.paths)
        if name is not None:
            sys.stderr.write(f"paa: as {name} (several accounts are logged in here; paa --user NAME picks one)\n")

    return announce


def install(ctx: typer.Context, user: str | None) -> CommandRuntime:
    """Give this command line its runtime (from the process environment, read once here), closed with `ctx`."""
    holder = CommandRuntime(os.environ, user)
    previous = _RUNNING.set(holder)

    def end() -> None:
        holder.close()
        _RUNNING.reset(previous)

    ctx.call_on_close(end)
    return holder


def named_user() -> str | None:
    """The user this command line names, as typed: `paa --user`, else PAA_USER (None for neither)."""
    holder = _holder()
    return holder.user if holder.user is not None else holder.environ.get("PAA_USER")


def environ() -> Mapping[str, str]:
    """The environment this command line started with (`paa doctor` checks it before building the runtime), with the
    secrets that `*_FILE` variables name read in (`paa serve` checks PAA_REDIS_URL before its workers start).

    When such a file cannot be read, the environment as it started: paths still resolve (`paa config path`), and
    building the runtime, or `read_secret_files` again, reports the file."""
    from paa.config_sources import read_secret_files
    from paa.errors import ConfigError

    holder = _holder()
    try:
        return read_secret_files(holder.environ)
    except ConfigError:
        return holder.environ


def started_environ() -> Mapping[str, str]:
    """The environment this command line started with (and an environment file's values), secret files unread: what
    `paa serve` hands its workers, so each reads the `*_FILE` secrets itself and none sits in a process's environment
    (`ps e`, /proc/<pid>/environ)."""
    return dict(_holder().environ)


def add_environ(values: Mapping[str, str]) -> None:
    """Add to the environment this command line reads (an environment file's values), before its runtime is built."""
    holder = _holder()
    if holder._runtime is not None:
        raise RuntimeError("the runtime is already built from the environment: add to it before current()")
    holder.environ.update(values)


def current() -> Runtime:
    """The runtime of the running command."""
    return _holder().get()


def _holder() -> CommandRuntime:
    holder = _RUNNING.get()
    if holder is None:
        raise RuntimeError("no paa command is running (paa.cli.runtime.current() is for command code)")
    return holder
