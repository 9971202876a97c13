"""`paa config`: show, read and change settings."""

from __future__ import annotations

from typing import Annotated

import typer

from paa.cli.output import emit_json, say

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


def show(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show every setting, its value and where the value comes from."""
    from paa.cli import runtime
    from paa.core.configuration import current_settings

    with runtime.current().context() as ctx:
        views = current_settings(ctx)
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
    """Print one setting's value.

    Example:

      paa config get timezone
    """
    from paa.cli import runtime
    from paa.config import field_for_key, key_for_field
    from paa.core.configuration import current_settings

    wanted = key_for_field(field_for_key(key))
    with runtime.current().context() as ctx:
        view = next(v for v in current_settings(ctx) if v.key == wanted)
    if as_json:
        emit_json(view.to_json())
    else:
        typer.echo("" if view.value is None else str(view.value))


def set_(key: KeyArg, value: Annotated[str, typer.Argument(help="New value.", show_default=False)]) -> None:
    """Change a setting.

    Examples:

      paa config set timezone Europe/Berlin

      paa config set day_start_hour 4

      paa config set checkin.time 21:30
    """
    from paa.config import SCOPES, field_for_key, key_for_field, load_settings
    from paa.core.configuration import overriding_env, set_install_setting, set_user_setting

    field = field_for_key(key)
    if SCOPES[field] == "install":
        from paa.cli import runtime
        from paa.core.accounts.auth import require_install_admin

        command = runtime.current()
        with command.auth() as actx:
            require_install_admin(actx)
        paths = command.paths
        stored = set_install_setting(paths, field, value)
        loaded = load_settings(paths, command.environ)
        where = str(paths.config_file)
    else:
        from paa.cli import runtime

        with runtime.current().context(write=True) as ctx:
            stored = set_user_setting(ctx, field, value)
            loaded = ctx.loaded
        where = "your preferences"
    say(f"{key_for_field(field)} = {stored} (saved in {where})")
    env = overriding_env(loaded, field)
    if env:
        say(f"[yellow]note:[/] {env} is set in the environment and takes precedence.")


def unset(key: KeyArg) -> None:
    """Remove a stored setting so that its default applies again."""
    from paa.config import SCOPES, field_for_key, key_for_field, write_config_value

    field = field_for_key(key)
    if SCOPES[field] == "install":
        from paa.cli import runtime
        from paa.core.accounts.auth import require_install_admin

        command = runtime.current()
        with command.auth() as actx:
            require_install_admin(actx)
        write_config_value(command.paths, field, None)
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
