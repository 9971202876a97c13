"""`paa import`: bring data into your account: a paa export, Loop Habit Tracker's CSV export, a simple CSV log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import emit_json, progress_bar, say, table, working
from paa.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from paa.core.context import Context
    from paa.core.dataio.schema import Export


def import_(
    source: Annotated[
        str,
        typer.Argument(help="The file (a paa export), or its kind: loop or csv, then the file.", show_default=False),
    ],
    file: Annotated[Path | None, typer.Argument(help="The file, after loop or csv.", show_default=False)] = None,
    into: Annotated[
        str, typer.Option("--into", help="Where jrnl entries go: memories (facts) or checkins (answers).")
    ] = "memories",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and say what would be added.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")] = False,
) -> None:
    """Import into your account: a paa export, Loop Habit Tracker's export or backup, jrnl's JSON, or a CSV log.

    Importing the same file twice adds nothing: records already here are left as they are.

    It all goes in one transaction: a problem adds nothing, and says which record or line it is.

    Examples:

      paa import paa-export.json --dry-run

      paa import loop "Loop Habits CSV 2026-12-06.zip"

      paa import loop "Loop Habits Backup 2026-12-06.db"

      paa import jrnl journal.json --into checkins

      paa import csv runs.csv --json
    """
    from paa.cli import runtime
    from paa.core.dataio.importing import import_document

    kind, path = ("paa", Path(source)) if file is None else (source.strip().lower(), file)
    if kind not in ("paa", "loop", "jrnl", "csv"):
        raise InvalidInput(
            f"unknown kind of import {source!r}", hint="paa import FILE, or paa import loop|jrnl|csv FILE"
        )
    path = path.expanduser()
    current = runtime.current()
    # Years of history take seconds: a spinner while the file is read and checked, then a bar of records added
    # (on a terminal only; a pipe, a log or --json stays quiet).
    with current.context(write=not dry_run) as ctx:
        with working(f"Reading {path.name}...", enabled=not as_json):
            document = _read(kind, path, ctx, into.strip().lower())
        with progress_bar("Importing", "records", enabled=not as_json) as progress:
            summary = import_document(ctx, document, dry_run=dry_run, progress=progress)
        if not dry_run:
            from paa.ai.memory import sync_sources

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
        say(f"Imported {total} record(s) from {path}.")


def _read(kind: str, path: Path, ctx: Context, into: str) -> Export:
    """The file as a paa export document (Loop's and plain CSV files are converted)."""
    from paa.core.dataio.importing import read_document
    from paa.core.dataio.loop import read_jrnl, read_loop, read_simple_csv
    from paa.core.habits.manage import list_habits

    if kind == "loop":
        return read_loop(path, ctx.now())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no file {path}", field="file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="file") from None
    if kind == "jrnl":
        return read_jrnl(text, str(path), ctx.now(), ctx.prefs.zone, into)
    if kind == "csv":
        kinds = {habit.name_key: habit.kind for habit in list_habits(ctx, include_archived=True)}
        return read_simple_csv(text, str(path), ctx.now(), kinds)
    return read_document(text, source=str(path))
