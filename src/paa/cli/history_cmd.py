"""`paa memory import` (also `paa chat import`): past conversations from ChatGPT, Claude, llm or paa's JSON Lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import emit_json, escape, say, table

if TYPE_CHECKING:
    from paa.ai.history import HistoryImport, Progress

SHOWN_PROBLEMS = 20  # a person reads the first ones; --json lists them all


def import_history(
    file: Annotated[
        Path,
        typer.Argument(help="conversations.json (or the export's zip), logs.db, or a .jsonl file.", show_default=False),
    ],
    format_: Annotated[
        str | None,
        typer.Option("--format", "-f", help="chatgpt, claude, llm or jsonl (found from the file when not given)."),
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error", help="A record that cannot be read: skip it (and list it), or stop (import nothing)."
        ),
    ] = "skip",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read the file and say what would be added.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")] = False,
) -> None:
    """Import past conversations so the assistant knows them and memory search finds them.

    Reads ChatGPT's and Claude's data exports (conversations.json, or their zip), llm's logs.db, and paa's JSON Lines.

    Times and speakers are kept. Importing the same file again adds nothing; a later export adds only what is new.

    It all goes in one transaction: with --on-error stop, a bad record adds nothing. Format: docs/memory.md.

    Examples:

      paa memory import ~/Downloads/conversations.json

      paa memory import ~/.config/io.datasette.llm/logs.db --dry-run

      paa chat import history.jsonl --on-error stop --json
    """
    from paa.ai.history import ON_ERROR
    from paa.ai.history import import_history as run
    from paa.cli import runtime
    from paa.core.dataio.conversations import read_history
    from paa.errors import InvalidInput

    choice = on_error.strip().lower()
    if choice not in ON_ERROR:
        raise InvalidInput(f"unknown --on-error {on_error!r}", hint="use skip or stop", field="on_error")
    path = file.expanduser()
    current = runtime.current()
    with current.context() as ctx:
        zone = ctx.prefs.zone  # a JSON Lines time without a zone is the user's local time
    history = read_history(path, zone, format_.strip().lower() if format_ else None)  # before the write lock
    with _progress_bar(enabled=not as_json) as progress, current.context(write=not dry_run) as ctx:
        summary = run(ctx, history, on_error=choice, dry_run=dry_run, progress=progress)
    if as_json:
        emit_json(summary.to_json())
        return
    _report(summary, path)


@contextmanager
def _progress_bar(*, enabled: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal (long imports take seconds); nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("messages"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _report(summary: HistoryImport, path: Path) -> None:
    data = summary.to_json()
    table(
        ["records", "would add" if summary.dry_run else "added", "already here"],
        [
            ["conversations", str(data["conversations"]["added"]), str(data["conversations"]["existing"])],
            ["messages", str(data["messages"]["added"]), str(data["messages"]["existing"])],
        ],
        right=frozenset({"added", "would add", "already here"}),
    )
    for problem in summary.skipped[:SHOWN_PROBLEMS]:
        say(f"[yellow]skipped[/] {escape(str(problem))}")
    if len(summary.skipped) > SHOWN_PROBLEMS:
        say(f"[yellow]skipped[/] {len(summary.skipped) - SHOWN_PROBLEMS} more (--json lists them all)")
    names = {"chatgpt": "ChatGPT", "claude": "Claude", "llm": "llm", "jsonl": "JSON Lines"}
    source = f"{escape(str(path))} ({names.get(summary.format, summary.format)})"
    if summary.dry_run:
        say(f"Nothing was changed (--dry-run); importing {source} would add {summary.messages_added} message(s).")
        return
    new = f", {summary.conversations_added} new conversation(s)" if summary.conversations_added else ""
    say(f"Imported {summary.messages_added} message(s){new} from {source}.")
    if summary.memories_added:
        say(
            "[dim]Memory search finds them by their words now, and by meaning once their vectors are computed "
            "(paa memory reindex, or the daemon).[/]"
        )
