"""`paa import`: bring data into your account: paa's own export (more formats to come)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paa.cli.output import emit_json, say, table
from paa.errors import InvalidInput, NotFound


def import_(
    file: Annotated[Path, typer.Argument(help="The file to import: a paa export (JSON).", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and say what would be added.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")] = False,
) -> None:
    """Import a paa export (paa export's JSON) into your account.

    Importing the same file twice adds nothing: records already here are left as they are.

    It all goes in one transaction: a problem adds nothing, and says which record it is.

    Examples:

      paa import paa-export.json --dry-run

      paa --user alice import alice.json --json
    """
    from paa.cli import runtime
    from paa.core.dataio.importing import import_document, read_document

    path = file.expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no file {file}", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}", field="file") from None
    document = read_document(text, source=str(file))
    current = runtime.current()
    if dry_run:
        with current.context() as ctx:
            summary = import_document(ctx, document, dry_run=True)
    else:
        from paa.ai.memory import sync_sources

        with current.context(write=True) as ctx:
            summary = import_document(ctx, document)
            sync_sources(ctx)  # imported messages and check-ins become searchable too
    if as_json:
        emit_json(summary.to_json())
        return
    data = summary.to_json()
    rows = [[kind.replace("_", " "), str(data["added"][kind]), str(data["existing"][kind])] for kind in data["added"]]
    table(
        ["records", "would add" if dry_run else "added", "already here"],
        rows,
        right=frozenset({"added", "would add", "already here"}),
    )
    total = sum(data["added"].values())
    if dry_run:
        say(f"Nothing was changed (--dry-run); importing would add {total} record(s).")
    else:
        say(f"Imported {total} record(s) from {file}.")
