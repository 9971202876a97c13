"""The `paa` entry point: builds the app, runs it, and turns every failure into one clear line."""

from __future__ import annotations

import os
import sys

import typer

from paa import __version__
from paa.errors import ExitCode, PaaError

HELP = """paa: habits, daily check-ins, analytics and an assistant, in your terminal.

Examples:

  paa habit add "Drink water" --unit glasses --target 8 --remind 09:00

  paa habit log water 3

  paa habit today
"""


# Top-level commands and the modules that build them. Only the one being run is imported,
# so start-up time stays flat as paa grows; help and unknown commands build them all.
COMMANDS: dict[str, str] = {
    "habit": "paa.cli.habit",
    "tui": "paa.cli.tui_cmd",
    "checkin": "paa.cli.checkin",
    "analytics": "paa.cli.analytics",
    "remind": "paa.cli.remind",
    "daemon": "paa.cli.daemon_cmd",
    "memory": "paa.cli.memory",
    "config": "paa.cli.config_cmd",
    "doctor": "paa.cli.doctor",
    "chat": "paa.cli.chat",
    "auth": "paa.cli.auth",
    "users": "paa.cli.users",
}


def create_app(only: str | None = None) -> typer.Typer:
    """Build the Typer app: every command, or just `only` when that is all a run needs."""
    import importlib

    app = typer.Typer(
        name="paa",
        help=HELP,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback(invoke_without_command=True)(_root)
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        if hasattr(module, "create"):
            app.add_typer(module.create(), name=name)
        else:
            app.command(name)(getattr(module, name))
    return app


def _opens_tui(argv: list[str]) -> bool:
    """`paa tui`, or bare `paa` with a person at a terminal."""
    if argv in (["tui"], ["tui", "--exit-when-ready"]):
        return True
    if argv:
        return False
    from paa.cli import tui_cmd

    return tui_cmd.interactive()


def _command_named(argv: list[str]) -> str | None:
    """The top-level command a command line runs, when it is a known one."""
    takes_value = ("--user",)  # root options followed by a value, which is not a command
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-h", "--help", "-V", "--version"):
            return None
        if arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit."),
    user: str | None = typer.Option(
        None,
        "--user",
        metavar="NAME",
        show_default=False,
        help="Act as this user: a logged-in account or a profile without a password (or set PAA_USER).",
    ),
) -> None:
    if user is not None:
        _select_user(ctx, user)
    if version:
        typer.echo(f"paa {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        from paa.cli import tui_cmd

        if tui_cmd.interactive():  # a person at a terminal: open the TUI
            raise typer.Exit(tui_cmd.launch())
        _print_help(ctx)
        raise typer.Exit()


def _select_user(ctx: typer.Context, name: str) -> None:
    """Pass `--user` to the command as PAA_USER, as if it were set in the environment, for this run only."""
    previous = os.environ.get("PAA_USER")
    os.environ["PAA_USER"] = name

    def restore() -> None:
        if previous is None:
            os.environ.pop("PAA_USER", None)
        else:
            os.environ["PAA_USER"] = previous

    ctx.call_on_close(restore)


def _print_help(ctx: typer.Context) -> None:
    text = ctx.get_help()  # the rich formatter prints as it formats and returns ""
    if text:
        typer.echo(text)


def _report_usage(exc: typer.TyperException) -> int:
    """Report a command-line mistake in one line; a bare command group prints its help instead."""
    from paa.cli.output import print_error

    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        # Typer's rich formatter already printed the help while the error was built; a plain
        # formatter returns it as the message instead.
        if exc.format_message().strip():
            typer.echo(exc.format_message())
        return int(ExitCode.OK)
    where = ctx.command_path if ctx is not None else "paa"
    message = exc.format_message().strip().splitlines()[0] if exc.format_message().strip() else "invalid usage"
    print_error(message, f"see `{where} --help`" if exc.exit_code == ExitCode.USAGE else None)
    return int(exc.exit_code)


def run(argv: list[str] | None = None) -> None:
    """Run paa and exit with its documented exit code."""
    sys.exit(main(argv))


def main(argv: list[str] | None = None) -> int:
    from paa.cli.output import print_error

    args = sys.argv[1:] if argv is None else argv
    # paa uses no pydantic plugins; skipping their entry-point scan saves ~20 ms per command.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        if _opens_tui(args):
            from paa.cli import tui_cmd

            # Straight to the TUI: building the Typer app first would only delay the first paint.
            return tui_cmd.launch(exit_when_ready=True) if "--exit-when-ready" in args else tui_cmd.launch()
        command = typer.main.get_command(create_app(only=_command_named(args)))
        result = command.main(args=args, prog_name="paa", standalone_mode=False)
    except PaaError as exc:
        print_error(exc.message, exc.hint)
        return int(exc.exit_code)
    except typer.TyperException as exc:
        return _report_usage(exc)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        print_error("aborted")
        return int(ExitCode.ABORTED)
    except BrokenPipeError:
        # The reader went away (e.g. `paa habit list | head`); nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:
        if os.environ.get("PAA_DEBUG") == "1":
            raise
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            print_error(f"database error: {exc.orig}", "another program may hold the database; try again")
            return int(ExitCode.STORAGE)
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        print_error(f"unexpected {type(exc).__name__}: {first_line}", "run again with PAA_DEBUG=1 and report it")
        return int(ExitCode.INTERNAL)
    return int(result) if isinstance(result, int) else 0
