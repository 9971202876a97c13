"""`paa backup`: a consistent copy of the database with its manifest, and the list of backups kept."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paa.cli.output import emit_json, escape, say, table, working


def backup(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write it: a new file, or a folder (default: the backups folder).", show_default=False
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="List the backups in the backups folder instead.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")] = False,
) -> None:
    """Back up the database: a consistent copy, safe while paa runs.

    A backup is one file and its manifest, FILE.json (version, schema, time, encryption, SHA-256).

    On PostgreSQL it is pg_dump's archive, or paa's own copy when no fitting pg_dump is installed.

    The backups folder keeps the newest backup.keep of them.

    An encrypted database stays encrypted in its backup: keep a copy of the data key too (see paa doctor).

    Examples:

      paa backup

      paa backup ~/safe/paa-2026-12-06.db

      paa backup --list --json
    """
    from paa.cli import runtime
    from paa.core.dataio.backup import backup_database, list_backups

    current = runtime.current()
    if list_:
        found = list_backups(current.paths)
        if as_json:
            emit_json([info.to_json() for info in found])
            return
        if not found:
            say(f"No backups yet in {escape(str(current.paths.backup_dir))}. Make one with: paa backup")
            return
        rows = [
            [
                info.created_at.strftime("%Y-%m-%d %H:%M:%S") if info.created_at else "?",
                info.kind,
                info.revision or "?",
                {True: "yes", False: "no", None: "?"}[info.encrypted],
                _size(info.size),
                escape(info.path.name),
            ]
            for info in found
        ]
        table(["taken (UTC)", "kind", "schema", "encrypted", "size", "file"], rows, right=frozenset({"size"}))
        return
    with working("Backing up...", enabled=not as_json):  # a big database takes a while: on a terminal only
        result = backup_database(
            current.engine,
            current.paths,
            current.clock.now(),
            target=file.expanduser() if file is not None else None,
            keep=current.loaded.settings.backup_keep,
        )
    if as_json:
        emit_json(result.to_json())
        return
    info = result.backup
    say(f"Backed up to {escape(str(info.path))} ({_size(info.size)}, schema {info.revision}, sha256 {info.sha256}).")
    if info.encrypted:
        say("[yellow]Encrypted:[/] restoring it needs this data key too (data.key or the OS keyring; see paa doctor).")
    if result.note:
        say(f"[yellow]Note:[/] {escape(result.note)}.")
    if result.removed:
        say(f"Removed {len(result.removed)} older backup(s) beyond backup.keep.")


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"
