"""`paa auth`: credentials. `paa auth key` keeps API keys in the OS keyring, or a 0600 file when there is none."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from paa.cli.output import confirm, emit_json, say

NameArg = Annotated[str, typer.Argument(help="Which key: anthropic.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/chat.md).")]


def create() -> typer.Typer:
    app = typer.Typer(help="Manage credentials: API keys for the assistant.", no_args_is_help=True)
    key = typer.Typer(help="Store, list and remove API keys (never printed).", no_args_is_help=True)
    key.command("set")(key_set)
    key.command("list")(key_list)
    key.command("remove")(key_remove)
    app.add_typer(key, name="key")
    return app


def _read_key() -> str:
    """The key from a hidden prompt on a terminal, else the first line of stdin (never from the command line)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("API key (input hidden): ")
    return sys.stdin.readline()


def key_set(name: NameArg) -> None:
    """Store an API key, read from a hidden prompt or from stdin.

    Examples:

      paa auth key set anthropic

      pass show anthropic | paa auth key set anthropic
    """
    import os

    from paa.config import resolve_paths
    from paa.core.secrets import ENV_VARIABLES, check_name, set_secret

    key_name = check_name(name)
    info = set_secret(resolve_paths(), key_name, _read_key())
    where = "the OS keyring" if info.where == "keyring" else f"{info.detail} (readable only by you)"
    say(f"Stored the {key_name} key in {where}.")
    variable = ENV_VARIABLES.get(key_name)
    if variable and os.environ.get(variable):
        say(f"Note: {variable} is set in this shell and is used instead of the stored key.")


def key_list(as_json: JsonOpt = False) -> None:
    """List the API keys that are set and where each comes from (never the key itself)."""
    from paa.config import resolve_paths
    from paa.core.secrets import list_secrets

    found = list_secrets(resolve_paths())
    if as_json:
        emit_json([info.to_json() for info in found])
        return
    if not found:
        say("No API keys are set. Add one with `paa auth key set anthropic`.")
        return
    for info in found:
        where = {"env": "environment variable", "keyring": "OS keyring", "file": "file"}[info.where]
        say(f"{info.name}: {where} ({info.detail})")


def key_remove(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a stored API key from the keyring and the file."""
    from paa.config import resolve_paths
    from paa.core.secrets import check_name, delete_secret, stored_secret
    from paa.errors import NotFound

    key_name = check_name(name)
    paths = resolve_paths()
    if stored_secret(paths, key_name) is None:
        raise NotFound(f"no {key_name} key is stored", hint="see `paa auth key list`")
    confirm(f"Remove the stored {key_name} key?", assume_yes=yes)
    removed = delete_secret(paths, key_name)
    say(f"Removed the {key_name} key from {' and '.join(info.where for info in removed)}.")
