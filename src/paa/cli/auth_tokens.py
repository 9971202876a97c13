"""`paa auth token`: long-lived API tokens for scripts and phones (`paa serve`'s API), shown once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import emit_json, escape, say

if TYPE_CHECKING:
    from paa.core.accounts.bearer import ApiTokenView

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/accounts.md).")]


def create() -> typer.Typer:
    app = typer.Typer(help="Create, list and revoke API tokens for `paa serve`'s HTTP API.", no_args_is_help=True)
    app.command("create")(create_token)
    app.command("list")(list_tokens)
    app.command("revoke")(revoke_token)
    return app


def create_token(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. phone.", show_default=False)],
    scope: Annotated[str, typer.Option("--scope", help="read, or read,write.")] = "read",
    days: Annotated[int | None, typer.Option("--days", help="Days until it expires (default: never).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; it is printed once and stored only as a hash.

    Examples:

      paa auth token create --name phone --scope read,write

      TOKEN=$(paa auth token create --name backup-script --days 90)
      curl -H "Authorization: Bearer $TOKEN" localhost:8750/api/v1/habits
    """
    from paa.cli import runtime
    from paa.core.accounts.bearer import create_api_token, parse_scopes

    scopes = parse_scopes(scope)
    with runtime.current().auth(write=True) as actx:
        made = create_api_token(actx, name, scopes, days=days)
    if as_json:
        emit_json(made.to_json())
        return
    # The token alone on stdout (for $(...)); the words about it on stderr.
    typer.echo(made.token)
    typer.echo(
        f"API token #{made.view.id} ({made.view.name}, {','.join(made.view.scopes)}): shown only now; "
        "revoke it with `paa auth token revoke "
        f"{made.view.id}`.",
        err=True,
    )


def list_tokens(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False, as_json: JsonOpt = False
) -> None:
    """List your API tokens (never the tokens themselves)."""
    from paa.cli import runtime
    from paa.core.accounts.bearer import list_api_tokens

    with runtime.current().auth() as actx:
        found = list_api_tokens(actx, include_revoked=all_)
    if as_json:
        emit_json([view.to_json() for view in found])
        return
    if not found:
        say("No API tokens. Create one with `paa auth token create --name NAME`.")
    for view in found:
        say(_line(view))


def revoke_token(
    token_id: Annotated[int, typer.Argument(help="Token id, from `paa auth token list`.", show_default=False)],
) -> None:
    """Revoke an API token: requests with it are refused from now on."""
    from paa.cli import runtime
    from paa.core.accounts.bearer import revoke_api_token

    with runtime.current().auth(write=True) as actx:
        view = revoke_api_token(actx, token_id)
    say(f"Revoked API token #{view.id} ({escape(view.name or '')}).")


def _line(view: ApiTokenView) -> str:
    used = view.last_used_at.strftime("%Y-%m-%d %H:%M") if view.last_used_at else "never used"
    expires = f"expires {view.expires_at.date().isoformat()}" if view.expires_at else "no expiry"
    state = " [red]revoked[/]" if view.revoked_at else ""
    return f"#{view.id}  {escape(view.name or '')}  {','.join(view.scopes)}  {used}  {expires}{state}"
