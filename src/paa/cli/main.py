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


def create_app() -> typer.Typer:
    """Build the Typer app with every command group."""
    from paa.cli import config_cmd, doctor, habit

    app = typer.Typer(
        name="paa",
        help=HELP,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback(invoke_without_command=True)(_root)
    app.add_typer(habit.create(), name="habit")
    app.add_typer(config_cmd.create(), name="config")
    app.command("doctor")(doctor.doctor)
    return app


def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(f"paa {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def run(argv: list[str] | None = None) -> None:
    """Run paa and exit with its documented exit code."""
    sys.exit(main(argv))


def main(argv: list[str] | None = None) -> int:
    import click

    from paa.cli.output import print_error

    command = typer.main.get_command(create_app())
    try:
        result = command.main(args=argv, prog_name="paa", standalone_mode=False)
    except PaaError as exc:
        print_error(exc.message, exc.hint)
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return int(ExitCode.USAGE)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "paa"
        print_error(exc.format_message().splitlines()[0], f"see `{where} --help`")
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        print_error(exc.format_message())
        return int(exc.exit_code)
    except (click.Abort, KeyboardInterrupt, EOFError):
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
        print_error(f"unexpected {type(exc).__name__}: {exc}", "run again with PAA_DEBUG=1 and report it")
        return int(ExitCode.INTERNAL)
    return int(result) if isinstance(result, int) else 0
