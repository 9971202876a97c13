"""`paa doctor`: what is set up and what to do about what is not."""

from __future__ import annotations

from typing import Annotated

import typer

from paa.cli.output import console, emit_json, escape
from paa.errors import ExitCode

MARKS = {"ok": "[green]✓[/]", "info": "[dim]•[/]", "warn": "[yellow]![/]", "error": "[red]✗[/]"}


def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check paa's setup: version, paths, database, timezone and optional parts."""
    from paa.ai.embeddings import doctor_check
    from paa.cli import runtime
    from paa.core.doctor import run_checks, settings_problem

    problem = settings_problem(runtime.environ())
    if problem:
        checks = [problem]
    else:
        current = runtime.current()
        from paa.ai.chroma import target_of

        shared = (current.loaded.settings.database_url or "").startswith("postgresql")  # vectors in the database
        server = target_of(current.loaded.settings)  # a Chroma server holds the vectors instead
        origin = server.origin if server is not None else None
        checks = run_checks(current, doctor_check(current.paths.data_dir, shared=shared, chroma=origin))
    if not problem:
        from paa.ai import chroma, queue, voice
        from paa.cli import warm

        checks.append(queue.doctor_check(runtime.current()))
        checks.append(chroma.doctor_check(runtime.current().loaded.settings))
        checks.append(voice.doctor_check())
        checks.append(warm.doctor_check(runtime.environ()))
    if as_json:
        emit_json([check.to_json() for check in checks])
    else:
        out = console()
        for check in checks:
            out.print(f"{MARKS[check.status]} [bold]{check.name}[/]: {escape(check.detail)}")
            if check.advice:
                out.print(f"    [dim]→ {escape(check.advice)}[/]")
    failing = [check for check in checks if check.status == "error"]
    if failing:
        # the database's failure is a storage error; the settings' and a channel's are configuration errors
        storage = problem is None and any(check.name == "database" for check in failing)
        raise typer.Exit(int(ExitCode.STORAGE if storage else ExitCode.CONFIG))
