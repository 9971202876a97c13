"""`python -m paa.daemon run | run-due | worker | install | uninstall`: the daemon's own entry point.

`paa daemon run`, `paa remind run-due`, `paa worker` and `paa daemon install` hand over to it, and the service
units start it directly, so a running daemon never loads the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from paa.errors import ExitCode, PaaError

if TYPE_CHECKING:
    from paa.core.runtime import Runtime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m paa.daemon", description="The paa reminder daemon.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="Run the daemon in the foreground until SIGTERM or Ctrl-C.")
    run.add_argument("--log-stderr", action="store_true", help="Also log to stderr (default: when it is a terminal).")
    due = commands.add_parser("run-due", help="Send what is due now, once, and exit.")
    due.add_argument("--json", action="store_true", help="Print JSON.")
    worker = commands.add_parser("worker", help="Run the job queue's jobs until SIGTERM or Ctrl-C (paa worker).")
    worker.add_argument("--threads", type=int, default=4, choices=range(1, 65), metavar="1-64",
                        help="Jobs run at once (default 4).")  # fmt: skip
    for sub in (run, due, worker):
        sub.add_argument("--env-file", type=Path, help="Read KEY=value lines (secrets such as PAA_DB_URL) from it.")
    for name in ("install", "uninstall"):
        sub = commands.add_parser(name, help=f"{name.capitalize()} the daemon as a user service.")
        sub.add_argument("--kind", choices=("auto", "systemd", "launchd", "cron"), default="auto")
        sub.add_argument("--print", dest="print_only", action="store_true", help="Print the file; change nothing.")
        flag = "--enable" if name == "install" else "--disable"
        sub.add_argument(flag, dest="switch", action="store_true", help="Also run systemctl/launchctl.")
        sub.add_argument("--with-server", action="store_true", help=f"{name.capitalize()} `paa serve` beside it too.")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            from paa.daemon.runner import Daemon

            return Daemon(_runtime(args.env_file)).run(to_stderr=args.log_stderr or sys.stderr.isatty())
        if args.command == "worker":
            from paa.daemon.worker import log_to_stderr, run_worker

            log_to_stderr()
            with _runtime(args.env_file) as runtime:
                return run_worker(runtime, threads=args.threads)
        if args.command == "run-due":
            return _run_due(as_json=args.json, env_file=args.env_file)
        return _service(
            args.command, args.kind, print_only=args.print_only, switch=args.switch, with_server=args.with_server
        )
    except PaaError as exc:
        return _report(exc)
    except KeyboardInterrupt:
        return int(ExitCode.ABORTED)
    except Exception as exc:
        # Cron and service managers mail or log stderr: one line and a documented code, never a traceback.
        if os.environ.get("PAA_DEBUG") == "1":
            raise
        return _report(_as_paa_error(exc))


def _report(exc: PaaError) -> int:
    sys.stderr.write(f"paa: error: {exc.message}\n")
    if exc.hint:
        sys.stderr.write(f"hint: {exc.hint}\n")
    return int(exc.exit_code)


def _as_paa_error(exc: Exception) -> PaaError:
    """What to say of an exception nothing below handled: a failing database, a folder paa cannot use, or a bug."""
    from paa.db.errors import as_storage_error
    from paa.errors import error_text

    storage = as_storage_error(exc)
    if storage is not None:
        return storage
    return PaaError(f"unexpected {type(exc).__name__}: {error_text(exc)}", "run again with PAA_DEBUG=1 and report it")


def _runtime(env_file: Path | None = None) -> Runtime:
    """The daemon's runtime, from the environment it was started with (read here, once) and its environment file."""
    from paa.core.runtime import Runtime

    return Runtime.from_environ(environ_with(os.environ, env_file))


def environ_with(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """`environ` with the values of the environment file (which win: it is the service's own); a missing file adds
    nothing, as systemd's `EnvironmentFile=-` does."""
    if env_file is None:
        return dict(environ)
    from paa.daemon.service import read_env_file

    try:
        return {**environ, **read_env_file(env_file)}
    except (OSError, UnicodeDecodeError) as exc:
        raise PaaError(f"cannot read the environment file {env_file}: {exc}") from None


def _run_due(*, as_json: bool, env_file: Path | None = None) -> int:
    from paa.daemon.dispatch import Dispatcher
    from paa.daemon.files import DaemonFiles, running_daemon
    from paa.daemon.logs import configure_logging

    with _runtime(env_file) as runtime:
        files = DaemonFiles.of(runtime.paths)
        configure_logging(files, rotate=running_daemon(files) is None)  # a running daemon rotates the shared log
        from paa.ai import queue

        queue.attach(runtime)  # with the queue on, what is due goes to the workers, as from the daemon
        dispatcher = Dispatcher(runtime=runtime)
        try:
            report = dispatcher.tick()
        finally:
            dispatcher.close()
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.summary() + "\n")
        for line in report.event_lines():
            sys.stdout.write(f"  {line}\n")
        for error in report.errors:
            sys.stdout.write(f"  error: {error}\n")
    return int(report.exit_code())  # not 0 when a reminder reached no channel, so cron says so


def _service(command: str, kind_name: str, *, print_only: bool, switch: bool, with_server: bool = False) -> int:
    from paa.config import resolve_paths
    from paa.daemon import service

    environ = dict(os.environ)
    kind = service.detect_kind(environ) if kind_name == "auto" else kind_name
    paths = resolve_paths(environ)
    plan = service.plan(kind, paths, environ)  # type: ignore[arg-type]
    plans = [plan]
    if with_server and (command == "install" or kind != "cron"):
        server = service.server_plan(kind, paths, environ)  # type: ignore[arg-type]  # refuses cron first
        if command == "install":
            service.require_server_extra()  # a unit that could never start would restart forever
        # Both read the one environment file: write it once, with what either needs.
        plan = replace(plan, secrets={**plan.secrets, **server.secrets})
        plans = [plan, replace(server, secrets={})]
    secrets = list(plan.secrets)
    if print_only:
        for each in plans:
            if len(plans) > 1:  # several files: say which is which, as `head` does
                sys.stdout.write(f"==> {each.path} <==\n")
            sys.stdout.write(each.text)
        if secrets:
            sys.stderr.write(f"note: {', '.join(secrets)} is read from {plan.env_file} (install writes it)\n")
        return 0
    if plan.path is None:
        if command == "uninstall":
            if with_server:
                sys.stderr.write("note: cron runs no server, so there is none to remove\n")
            sys.stdout.write(plan.text)
            sys.stdout.write("# remove this line with `crontab -e`\n")
            return 0
        for step in service.install(plan, enable=False):  # only the environment file: cron takes a line
            sys.stderr.write(step + "\n")
        sys.stdout.write(plan.text)
        sys.stdout.write("# add this line with `crontab -e`: it sends what is due every minute\n")
        return 0
    done: list[str] = []
    steps: list[str] = []
    for each in plans:
        if command == "install":
            done += service.install(each, enable=switch)
            steps += [" ".join(step) for step in each.enable if " ".join(step) not in steps]
        else:
            done += service.uninstall(each, disable=switch)
    tail = "\nto start it now and at every login, run:\n  " + "\n  ".join(steps) if steps and not switch else ""
    sys.stdout.write("\n".join(done or ["nothing to remove"]) + tail + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
