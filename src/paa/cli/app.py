"""The Typer app of `paa`: the root options and every command group, built lazily (see `create_app`)."""

from __future__ import annotations

import typer

from paa import __version__
from paa.cli.commands import COMMANDS
from paa.errors import ExitCode

HELP = """paa: habits, daily check-ins, analytics and an assistant, in your terminal.

Examples:

  paa habit add "Drink water" --unit glasses --target 8 --remind 09:00

  paa habit log water 3

  paa habit today
"""


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
    from paa.cli import runtime

    runtime.install(ctx, user)  # read from the environment (and --user) once, when a command first asks
    if version:
        typer.echo(f"paa {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        from paa.tui import launch

        if launch.interactive():  # a person at a terminal: open the TUI
            raise typer.Exit(launch.launch(user=user))
        _print_help(ctx)
        raise typer.Exit()


def _print_help(ctx: typer.Context) -> None:
    text = ctx.get_help()  # the rich formatter prints as it formats and returns ""
    if text:
        typer.echo(text)


def report_usage(exc: typer.TyperException) -> int:
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
