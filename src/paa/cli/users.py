"""`paa users`: what admins do to accounts: list them, change roles, disable and enable them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import confirm, emit_json, escape, say

if TYPE_CHECKING:
    from paa.core.accounts.views import UserView

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/accounts.md).")]
UserArg = Annotated[str, typer.Argument(help="User name.", show_default=False)]


def create() -> typer.Typer:
    app = typer.Typer(help="Manage accounts (admins only): list, roles, disable and enable.", no_args_is_help=True)
    app.command("list")(list_)
    app.command("role")(role)
    app.command("disable")(disable)
    app.command("enable")(enable)
    return app


def _line(view: UserView) -> str:
    state = "" if view.is_active else " [disabled]"
    how = ", ".join([*(["password"] if view.has_password else []), *view.identities]) or "no login"
    last = f"last login {view.last_login:%Y-%m-%d}" if view.last_login else "never logged in"
    email = f" <{escape(view.email)}>" if view.email else ""
    return f"#{view.id} {escape(view.username)}{email} {view.role}{state}: {how}; {last}"


def list_(as_json: JsonOpt = False) -> None:
    """List every account with its role and how it logs in."""
    from paa.cli import runtime
    from paa.core.accounts.admin import list_users

    with runtime.current().auth() as actx:
        found = list_users(actx)
    if as_json:
        emit_json([view.to_json() for view in found])
        return
    for view in found:
        say(_line(view))


def role(
    username: UserArg,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin or member.", show_default=False)],
) -> None:
    """Make a user an admin or a member.

    Examples:

      paa users role bob admin
    """
    from paa.cli import runtime
    from paa.core.accounts.admin import set_role

    with runtime.current().auth(write=True) as actx:
        view = set_role(actx, username, new_role)
    say(f"{escape(view.username)} is now a {view.role}.")


def disable(
    username: UserArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Disable an account: it cannot log in, and its sessions end (its data is kept)."""
    from paa.cli import runtime
    from paa.core.accounts.admin import set_active

    confirm(f"Disable {username} and end their sessions?", assume_yes=yes)
    with runtime.current().auth(write=True) as actx:
        view = set_active(actx, username, False)
    say(f"Disabled {escape(view.username)}; their sessions have ended.")


def enable(username: UserArg) -> None:
    """Enable a disabled account again."""
    from paa.cli import runtime
    from paa.core.accounts.admin import set_active

    with runtime.current().auth(write=True) as actx:
        view = set_active(actx, username, True)
    say(f"Enabled {escape(view.username)}.")
