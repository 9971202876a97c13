"""`paa restore`: put a backup back, after checking it and keeping a copy of the current data."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from paa.cli.output import confirm, emit_json, escape, say, table, working


def restore(
    file: Annotated[Path, typer.Argument(help="The backup file (see paa backup --list).", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the backup and say what would change.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")] = False,
) -> None:
    """Restore the database from a backup, keeping the current data as a backup first.

    The backup is checked first (checksum, schema, data key); an older schema is migrated forward.

    Other paa processes' writes wait while it runs; the daemon, the TUI and browsers then see the restored data.

    Examples:

      paa restore ~/.local/share/paa/backups/paa-backup-20261206T195650Z.db --dry-run

      paa restore mine.db --yes
    """
    from paa.cli import runtime
    from paa.core.dataio.restore import restore as put_back
    from paa.core.dataio.restore import stage

    current = runtime.current()
    with ExitStack() as stack:
        with working(f"Checking {file.name}...", enabled=not as_json):  # the spinner stops before the question
            staged = stack.enter_context(stage(current.engine, current.paths, current.environ, file.expanduser()))
        plan = staged.plan
        if dry_run:
            if as_json:
                emit_json(plan.to_json())
                return
            _describe(plan)
            return
        if not as_json:
            _describe(plan)
        confirm(f"Replace every user's data in this paa with {file.name}?", assume_yes=yes)
        with working("Restoring...", enabled=not as_json):
            result = put_back(current.engine, current.paths, staged, current.clock.now())
    if as_json:
        emit_json(result.to_json())
        return
    say(f"Restored {escape(str(file))}. The data it replaced is kept in {escape(str(result.kept))}.")


def _describe(plan) -> None:  # type: ignore[no-untyped-def]
    migrated = f", migrated to {plan.to_json()['migrated_to']}" if plan.migrated else ""
    encrypted = ", encrypted (its data key is here)" if plan.encrypted else ""
    checksum = "checksum ok" if plan.checksum == "ok" else "no manifest, so no checksum to check"
    say(f"{escape(str(plan.backup.path))}: schema {plan.revision}{migrated}, {checksum}{encrypted}.")
    rows = [[change.table, str(change.now), str(change.then)] for change in plan.tables if change.now or change.then]
    table(["table", "rows now", "rows after"], rows, right=frozenset({"rows now", "rows after"}))
