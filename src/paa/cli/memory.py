"""`paa memory`: list, search, add and forget what the assistant remembers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from paa.cli.history_cmd import import_history
from paa.cli.output import confirm, console, emit_json, escape, say, say_lines

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")]
KIND_HELP = "Only this kind: fact, message, checkin or attachment (the text of an attached file)."


def create() -> typer.Typer:
    app = typer.Typer(help="Search and manage what paa remembers: facts, messages, check-ins.", no_args_is_help=True)
    commands: list[tuple[str, Callable[..., None]]] = [
        ("list", list_), ("search", search), ("add", add), ("forget", forget), ("reindex", reindex),
        ("import", import_history),
    ]  # fmt: skip
    for name, function in commands:
        app.command(name)(function)
    return app


def list_(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help=KIND_HELP)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="At most this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List memories, newest first."""
    from paa.ai.memory import list_memories, memory_json
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        rows = [memory_json(row) for row in list_memories(ctx, kind=kind, limit=limit)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        say('Nothing remembered yet. Add a fact with: paa memory add "I am training for a half marathon"')
        return
    for row in rows:
        waiting = "" if row["embedded"] else " [dim](words only for now)[/]"
        say(f"[bold]#{row['id']}[/] {row['created_at'][:10]} [cyan]{row['kind']}[/] {escape(_short(row['content']))}"
            f"{waiting}")  # fmt: skip


def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.", show_default=False)],
    kind: Annotated[list[str] | None, typer.Option("--kind", "-k", help=KIND_HELP + " Repeatable.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="At most this many.")] = 8,
    as_json: JsonOpt = False,
) -> None:
    """Search memories by words and by meaning, best first, each with its relevance (0-100) and why it matched.

    Examples:

      paa memory search "what am I training for"

      paa memory search coffee --kind checkin --json
    """
    from paa.ai.memory import SEARCH_EMBED_BUDGET
    from paa.ai.memory import search as find
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        # (recent memories become findable by meaning too)
        hits = find(ctx, query, limit=limit, kinds=kind, embed_first=SEARCH_EMBED_BUDGET)
        if as_json:
            from paa.ai.history import with_sources  # (with the chat tables: ~30 ms the lines below never need)

            hits = with_sources(ctx, hits)  # each hit's message, conversation, speaker and time
    if as_json:
        emit_json([hit.to_json() for hit in hits])
        return
    if not hits:
        say("No memory matches that.")
        return
    say_lines([
        f"[bold]#{hit.memory_id}[/] {hit.created_at.date().isoformat()} [cyan]{hit.kind}[/] "
        f"{escape(_short(hit.content))} [dim](relevance {hit.relevance}; {escape(hit.why())})[/]"
        for hit in hits
    ])  # fmt: skip


def add(text: Annotated[str, typer.Argument(help="What to remember.", show_default=False)]) -> None:
    """Remember a fact.

    Example:

      paa memory add "I'm training for a half marathon in March"
    """
    from paa.ai.memory import remember
    from paa.cli import runtime

    with runtime.current().context(write=True) as ctx:
        row = remember(ctx, text)
    say(f"Remembered #{row.id}: {escape(_short(row.content))}")


def forget(
    memory_id: Annotated[int, typer.Argument(help="Memory id (see paa memory list).", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget a memory for good."""
    from paa.ai.memory import forget as drop
    from paa.ai.memory import get_memory
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        content = get_memory(ctx, memory_id).content
    confirm(f"Forget #{memory_id} ({_short(content, 60)})?", assume_yes=yes)
    with runtime.current().context(write=True) as ctx:
        drop(ctx, memory_id)
    say(f"Forgot #{memory_id}.")


def reindex(
    full: Annotated[bool, typer.Option("--full", help="Rebuild every vector, not only the missing ones.")] = False,
) -> None:
    """Index messages and check-ins not indexed yet, and compute missing vectors (also any the vector store lost)."""
    from paa.ai.memory import embed_pending, memory_status, requeue_missing_vectors, reset_vectors, sync_sources
    from paa.cli import runtime

    with runtime.current().context(write=True) as ctx:
        changed = sync_sources(ctx)
        if full:
            reset_vectors(ctx)
    with runtime.current().context() as ctx:
        status = memory_status(ctx)
        if not status.embedder.available:
            say(f"Indexed {changed} new or changed item(s) by words; no vectors: {status.embedder.detail}.")
            return
        with console().status("Computing vectors..."):
            lost = 0 if full else requeue_missing_vectors(ctx)
            embedded = embed_pending(ctx)
    done = f"Indexed {changed} new or changed item(s); computed {embedded} vector(s) with {status.embedder.name}"
    say(done + (f" ({lost} of them missing from the vector store)." if lost else "."))


def _short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
