"""The Typer app of `paa`: the root options and every command group, built lazily (see `create_app`)."""

from __future__ import annotations

from typing import Any

import typer
import typer.core

from paa import __version__
from paa.cli.commands import COMMANDS
from paa.errors import ExitCode

HELP = """paa: habits, daily check-ins, analytics and an assistant, in your terminal.

Examples:

  paa habit add "Drink water" --unit glasses --target 8 --remind 09:00

  paa habit log water 3

  paa habit today
"""


HELP_OPTIONS = ["-h", "--help"]


def create_app(only: str | None = None, subcommand: str | None = None) -> typer.Typer:
    """Build the Typer app: every command, or just `only` when that is all a run needs (and of that group just
    `subcommand`, when it has one by that name: Typer reads the signature of every command it builds, ~34 ms for
    all of `habit`'s)."""
    import importlib

    app = typer.Typer(
        name="paa",
        cls=_root_group_class(),
        help=HELP,
        add_completion=True,  # --install-completion and --show-completion on the root only; no extra imports
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": HELP_OPTIONS},
    )
    app.callback(invoke_without_command=True)(_root)
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        if hasattr(module, "create"):
            group = module.create()
            if only is not None and subcommand is not None:
                _keep_only(group, subcommand)
            app.add_typer(group, name=name)
        else:
            # a command named like a Python keyword (`import`) is the function with a trailing underscore
            app.command(name)(getattr(module, name, None) or getattr(module, f"{name}_"))
    return app


# Commands a warm server built before it forks its workers, by group name (None: every group), each group whole.
_BUILT_AHEAD: dict[str | None, typer.core.TyperGroup] = {}


def build_ahead() -> None:
    """Build the command tree of every group once, in a warm server before it forks: a worker then starts with its
    group built (5-40 ms of each command). A group is built whole, as a cold run builds it when the word after its
    name is not one of its subcommands, so every command line parses and reads exactly as when built for it."""
    _BUILT_AHEAD[None] = _command(create_app())
    for name in COMMANDS:
        _BUILT_AHEAD[name] = _command(create_app(only=name))
    for tree in _BUILT_AHEAD.values():
        _build_converters(tree)


def _build_converters(command: Any) -> None:
    """Make each parameter's value converter (Typer builds one with pydantic the first time a value is read, and
    keeps it on the parameter; 3-5 ms of a command with a few options), so that workers inherit them built."""
    for param in command.params:
        make = getattr(param, "get_runtime_param", None)
        if make is not None:
            make()
    for sub in getattr(command, "commands", {}).values():
        _build_converters(sub)


def command_for(only: str | None, subcommand: str | None) -> typer.core.TyperGroup:
    """The command tree a run of group `only` (None: an unknown or no command) needs: built ahead, or built now."""
    built = _BUILT_AHEAD.get(only)
    return built if built is not None else _command(create_app(only=only, subcommand=subcommand))


def _command(app: typer.Typer) -> typer.core.TyperGroup:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)  # the root has a callback and groups under it
    return command


def _keep_only(group: typer.Typer, name: str) -> None:
    """Leave just the subcommand `name` in a freshly made group; with none by that name (a typo, an argument of
    the group itself) keep them all, so that the error and its suggestions read as before."""
    commands = [
        info
        for info in group.registered_commands
        if (info.name or typer.main.get_command_name(getattr(info.callback, "__name__", ""))) == name
    ]
    groups = [info for info in group.registered_groups if getattr(info.name, "value", info.name) == name]
    if commands or groups:
        group.registered_commands = commands
        group.registered_groups = groups


def _root_group_class() -> type:
    """The root command group: once Typer has built every command under it, their placeholders are made alike."""

    class PaaGroup(typer.core.TyperGroup):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _tidy_placeholders(self)

        def get_params(self, ctx: Any) -> list[Any]:
            # Typer adds --install-completion and --show-completion after the group is built: flags like the rest.
            params = super().get_params(ctx)
            for param in params:
                if type(param) is typer.core.TyperOption:
                    param.__class__ = _Option
            return params

    return PaaGroup


def _tidy_placeholders(command: Any) -> None:
    """One help style for every command: an argument is its name in capitals (NAME, not {name}), an option's value
    is its type in capitals (TEXT, INTEGER) unless it names itself, and a flag shows no placeholder (no <bool>)."""
    # The help option is made when help is first asked for; make it now (with the names every context inherits).
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP_OPTIONS))
    for param in [*command.params, help_option]:
        if isinstance(param, typer.core.TyperArgument):
            param.metavar = (param.metavar or param.name or "value").upper()
            param.__class__ = _Argument
        elif isinstance(param, typer.core.TyperOption):
            param.__class__ = _Option
    for child in getattr(command, "commands", {}).values():
        _tidy_placeholders(child)


# Typer's type names (its `<str>` without the brackets) as help placeholders; a list is its element, repeated.
_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "int range": "INTEGER",
               "float range": "NUMBER", "datetime": "DATE", "list[str]": "TEXT", "list[int]": "INTEGER"}  # fmt: skip


def _type_word(param: Any, ctx: Any) -> str:
    shown = str(param.display_type(ctx)).strip("<>")
    if param.type_descriptor.is_choice:
        return f"[{shown}]"
    return _TYPE_WORDS.get(shown, shown.upper())


class _Argument(typer.core.TyperArgument):
    """An argument as help shows it: NAME in the usage line ([NAME] when optional) and in the panel."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.display_name_raw + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: Any) -> str | None:
        return _type_word(self, ctx)


class _Option(typer.core.TyperOption):
    """An option as help shows it: its value's placeholder in capitals, and nothing after a flag."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        return self.metavar or _type_word(self, ctx)


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
