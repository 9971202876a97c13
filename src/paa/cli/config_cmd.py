"""`paa config`: show, read and change settings."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import emit_json, say

if TYPE_CHECKING:
    from paa.config import LoadedSettings

KeyArg = Annotated[str, typer.Argument(help="Setting name, e.g. timezone or checkin.time.", show_default=False)]


def create() -> typer.Typer:
    app = typer.Typer(
        help="Show and change settings (environment > stored > config.toml > default).", no_args_is_help=True
    )
    app.command("show")(show)
    app.command("get")(get)
    app.command("set")(set_)
    app.command("unset")(unset)
    app.command("path")(path)
    return app


def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Show secret values (URLs with tokens, passwords): admins only.")
    ] = False,
) -> None:
    """Show every setting, its value and where the value comes from (secrets masked)."""
    from paa.cli import runtime
    from paa.core.configuration import current_settings, kept_secrets

    command = runtime.current()
    if show_secrets:
        from paa.core.accounts.auth import require_install_admin

        with command.auth() as actx:
            require_install_admin(actx)
    kept = kept_secrets(command.paths, command.environ)
    with command.context() as ctx:
        views = current_settings(ctx, reveal=show_secrets, kept=kept)
    if as_json:
        emit_json([view.to_json() for view in views])
        return
    from rich.table import Table

    from paa.cli.output import console, escape

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Setting", "Value", "Source", "Description"):
        table.add_column(column)
    for view in views:
        value = "" if view.value is None else escape(str(view.value))
        table.add_row(view.key, value, view.source, f"[dim]{escape(view.description)}[/]")
    console().print(table)


def get(key: KeyArg, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print one setting's value (a secret's in full to an admin only; a password to nobody).

    Example:

      paa config get timezone
    """
    from paa.cli import runtime
    from paa.config import IN_SECRET_STORE, field_for_key, is_secret, key_for_field
    from paa.core.configuration import current_settings, kept_secrets, may_read_secrets

    field = field_for_key(key)
    wanted = key_for_field(field)
    command = runtime.current()
    reveal = False
    if is_secret(field):
        with command.auth() as actx:
            reveal = may_read_secrets(actx)
    kept = kept_secrets(command.paths, command.environ) if field in IN_SECRET_STORE else set()
    with command.context() as ctx:
        view = next(v for v in current_settings(ctx, reveal=reveal, kept=kept) if v.key == wanted)
    if as_json:
        emit_json(view.to_json())
    else:
        typer.echo("" if view.value is None else str(view.value))


def set_(
    key: KeyArg,
    value: Annotated[
        str | None,
        typer.Argument(
            help="New value; - reads it from stdin; left out on a terminal, it is asked for.", show_default=False
        ),
    ] = None,
) -> None:
    """Change a setting; a secret is never printed back.

    Examples:

      paa config set timezone Europe/Berlin

      paa config set day_start_hour 4

      paa config set webhook.url -   (the URL from stdin, out of sight of ps)
    """
    from paa.config import IN_SECRET_STORE, SCOPES, field_for_key, is_secret, key_for_field, load_settings
    from paa.core.configuration import overriding_env, set_install_setting, set_user_setting

    field = field_for_key(key)
    secret = is_secret(field)
    if field in IN_SECRET_STORE and value not in (None, "-"):
        from paa.errors import InvalidInput

        name = key_for_field(field)
        raise InvalidInput(f"{name} is never taken on the command line, where others see it in `ps` and it stays "
                           "in your shell's history", hint=f"paa config set {name} - (from stdin), or leave the "
                           "value out to be asked", field=name)  # fmt: skip
    value = _value_for(key_for_field(field), value, secret=secret)
    if SCOPES[field] == "install":
        from paa.cli import runtime
        from paa.core.accounts.auth import require_install_admin

        command = runtime.current()
        with command.auth() as actx:
            require_install_admin(actx)
        paths = command.paths
        stored = set_install_setting(paths, field, value, command.environ)
        loaded = load_settings(paths, command.environ)
        where = str(paths.config_file)
        if field in IN_SECRET_STORE:
            from paa.core.accounts.secrets import stored_secret

            found = stored_secret(paths, IN_SECRET_STORE[field], command.environ)
            where = found[1].detail if found else "the secret store"
    else:
        from paa.cli import runtime

        with runtime.current().context(write=True) as ctx:
            stored = set_user_setting(ctx, field, value)
            loaded = ctx.loaded
        where = "your preferences"
    if secret:
        say(f"{key_for_field(field)} is set (saved in {where}; a secret, so not shown).")
    else:
        say(f"{key_for_field(field)} = {stored} (saved in {where})")
    env = overriding_env(loaded, field)
    if env:
        say(f"[yellow]note:[/] {env} is set in the environment and takes precedence.")
    _warn_about_channels(loaded, field)


def _value_for(key: str, given: str | None, *, secret: bool) -> str:
    """The value to set: as given, from stdin for `-`, or asked for on a terminal (hidden for a secret)."""
    if given == "-":
        return sys.stdin.read().rstrip("\r\n")
    if given is not None:
        if secret:
            sys.stderr.write(
                f"paa: note: a secret on the command line can be read by others in `ps` and stays in your shell's "
                f"history; next time: `paa config set {key} -` (from stdin), or leave the value out to be asked\n"
            )
        return given
    if not sys.stdin.isatty():
        raise typer.BadParameter(f"give the value, or `-` to read it from stdin (paa config set {key} -)",
                                 param_hint="VALUE")  # fmt: skip
    if not secret:
        return str(typer.prompt(key))
    import getpass

    first = getpass.getpass(f"{key} (input hidden): ")
    if getpass.getpass(f"{key} again: ") != first:
        from paa.errors import InvalidInput

        raise InvalidInput(f"the two {key} values differ", hint="run the command again")
    return first


def _warn_about_channels(loaded: LoadedSettings, field: str) -> None:
    """Say on stderr which chosen notification channel the change leaves unable to deliver, and how to fix it."""
    from paa.core.configuration import channel_warnings

    for problem in channel_warnings(loaded, field):
        sys.stderr.write(f"paa: warning: {problem.message}: reminders on it will fail until it is set\n")
        sys.stderr.write(f"hint: {problem.hint}\n")


def unset(key: KeyArg) -> None:
    """Remove a stored setting so that its default applies again."""
    from paa.config import SCOPES, field_for_key, key_for_field, load_settings

    field = field_for_key(key)
    if SCOPES[field] == "install":
        from paa.cli import runtime
        from paa.core.accounts.auth import require_install_admin
        from paa.core.configuration import unset_install_setting

        command = runtime.current()
        with command.auth() as actx:
            require_install_admin(actx)
        unset_install_setting(command.paths, field, command.environ)
        _warn_about_channels(load_settings(command.paths, command.environ), field)
    else:
        from paa.cli import runtime
        from paa.core.configuration import unset_user_setting

        with runtime.current().context(write=True) as ctx:
            unset_user_setting(ctx, field)
    say(f"{key_for_field(field)} is back to its default.")


def path(all_: Annotated[bool, typer.Option("--all", help="Print every folder paa uses.")] = False) -> None:
    """Print the path of config.toml (or of every folder paa uses)."""
    from paa.cli import runtime
    from paa.config import resolve_paths

    paths = resolve_paths(runtime.environ())  # paths only: this works even when config.toml is broken
    if not all_:
        typer.echo(str(paths.config_file))
        return
    for name, value in [
        ("config", paths.config_file), ("database", paths.database_file), ("data", paths.data_dir),
        ("cache", paths.cache_dir), ("logs", paths.log_dir), ("backups", paths.backup_dir),
    ]:  # fmt: skip
        typer.echo(f"{name}\t{value}")
