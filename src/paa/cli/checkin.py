"""`paa checkin`: the daily check-in, its history, and the prompts it asks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import emit_json, escape, say

if TYPE_CHECKING:
    from datetime import date as Date

    from paa.core.checkins.entries import Answer, Checkin, Mode

DATE_HELP = "Day: today, yesterday, -N, a weekday name or YYYY-MM-DD."
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/checkins.md).")]
MoodOpt = Annotated[int | None, typer.Option("--mood", "-m", help="Mood from 1 (low) to 5 (great).")]
EnergyOpt = Annotated[int | None, typer.Option("--energy", "-e", help="Energy from 1 (drained) to 5 (full).")]
AnswerOpt = Annotated[
    list[str] | None,
    typer.Option("--answer", "-a", help="An answer, in prompt order; repeat for each prompt.", show_default=False),
]
DayArg = Annotated[str, typer.Argument(help=DATE_HELP)]

CHECKIN_HELP = """Check in for the day: answer your prompts, rate your mood, get a short reflection.

On a terminal it asks each prompt in turn. From a script, give --mood and --answer (once per prompt, in order), \
or write the answers on stdin: one line per prompt, a blank line skips one.

Examples:

  paa checkin

  paa checkin --mood 4 --answer "Calm, productive" --answer "Shipped the report"

  paa checkin --edit    # write it in $VISUAL or $EDITOR

  printf 'Long day\\n\\nSlept well\\n' | paa checkin --mood 3 --date yesterday
"""


def create() -> typer.Typer:
    app = typer.Typer(help=CHECKIN_HELP, no_args_is_help=False)
    app.callback(invoke_without_command=True)(checkin)
    commands: list[tuple[str, Callable[..., None]]] = [("history", history), ("show", show), ("edit", edit)]
    for name, function in commands:
        app.command(name)(function)
    prompts = typer.Typer(help="List, add, remove and reorder the prompts a check-in asks.", no_args_is_help=True)
    commands = [("list", prompts_list), ("add", prompts_add), ("remove", prompts_remove), ("reorder", prompts_reorder)]
    for name, function in commands:
        prompts.command(name)(function)
    app.add_typer(prompts, name="prompts")
    return app


def stdin_is_terminal() -> bool:
    """Whether a person can answer questions (tests replace this)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _answers_from_stdin() -> list[str | None]:
    from paa.core.checkins.entries import INPUT_MAX_BYTES, answers_from_input
    from paa.errors import InvalidInput

    stream = getattr(sys.stdin, "buffer", None)
    try:
        data = stream.read(INPUT_MAX_BYTES + 1) if stream is not None else b""
    except OSError as exc:
        raise InvalidInput(f"cannot read answers from stdin: {exc}") from None
    texts = answers_from_input(data)
    if not any(text is not None for text in texts):
        raise InvalidInput(
            "no answers given", hint="pass --answer TEXT once per prompt, or write one answer per line on stdin"
        )
    return texts


def checkin(
    ctx: typer.Context,
    mood: MoodOpt = None,
    energy: EnergyOpt = None,
    answer: AnswerOpt = None,
    date: Annotated[str, typer.Option("--date", "-d", help="Backfill a past day. " + DATE_HELP)] = "today",
    append: Annotated[bool, typer.Option("--append", help="Add these answers to the day's check-in.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the day's answers with these.")] = False,
    in_editor: Annotated[
        bool, typer.Option("--edit", help="Write the day's answers, mood and energy in $VISUAL or $EDITOR.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if in_editor:
        _edit_in_editor(date, mood, energy, answer, append or replace, as_json)
        return
    from paa.cli import checkin_views as views
    from paa.cli import runtime
    from paa.core.checkins.entries import find_checkin, list_prompts, pair_answers, prompts_for, scale
    from paa.core.dates import parse_day
    from paa.errors import InvalidInput

    if append and replace:
        raise InvalidInput("--append and --replace cannot be used together")
    scale(mood, "mood")
    scale(energy, "energy")
    with runtime.current().context() as context:
        day = parse_day(date, context.today())
        prompts = [prompt.text for prompt in list_prompts(context)]
        existing = find_checkin(context, day)
        edit_prompts = prompts_for(context, existing)
    mode: Mode = "append" if append else "replace" if replace else "new"
    if answer or not stdin_is_terminal():
        answers = pair_answers(prompts, list(answer) if answer else _answers_from_stdin())
    else:
        if existing is not None and mode == "new":
            if views.ask_edit_or_append(day) == "edit":
                _edit_interactively(day, existing, edit_prompts, mood, energy, as_json)
                return
            mode = "append"
        kept = existing if mode != "new" else None
        views.intro(day, appending=kept is not None and mode == "append")
        answers = pair_answers(prompts, views.ask_answers(prompts))
        if mood is None:
            mood = views.ask_scale("Mood", current=kept.mood if kept else None, required=True)
        if energy is None:
            energy = views.ask_scale("Energy", current=kept.energy if kept else None)
    _save(day, answers, mood, energy, mode, as_json)


def _save(day: Date, answers: list[Answer], mood: int | None, energy: int | None, mode: Mode, as_json: bool) -> None:
    from paa.ai import checkins
    from paa.cli import runtime
    from paa.cli.checkin_views import report_saved

    with runtime.current().context(write=True) as context:
        result = checkins.save(context, day, answers, mood=mood, energy=energy, mode=mode)
    report_saved(result, as_json)
    _read_by_model(day, as_json)


def _read_by_model(day: Date, as_json: bool) -> None:
    """With an API key: the model refines the sentiment, keeps a summary as a memory, perhaps asks one question.

    It runs after the check-in is saved, so a slow or failing model never costs the answers.
    """
    from paa.cli import runtime
    from paa.core.accounts.secrets import get_secret

    command = runtime.current()
    if get_secret(command.paths, "anthropic", command.environ) is None:
        return  # offline: the local sentiment stands, and nothing heavy is imported
    from paa.ai import settings as ai_settings
    from paa.ai.checkin_ai import after_checkin, keep_follow_up
    from paa.ai.providers.select import choose

    with command.context() as ctx:
        provider = choose(command.paths, ai_settings.load(ctx), command.environ)
    insight = after_checkin(command.context, provider, day)
    kept = keep_follow_up(command.context, insight)  # so that `paa chat --continue` can answer the question
    if not as_json:
        from paa.cli.checkin_views import report_insight

        report_insight(insight)
        if kept is not None:
            say("[dim]Answer it with `paa chat --continue`.[/]")


def _edit_in_editor(
    date: str, mood: int | None, energy: int | None, answer: list[str] | None, mode_given: bool, as_json: bool
) -> None:
    """Open the day's check-in in the user's editor and save what they wrote, as a new check-in or an edit."""
    from paa.ai import checkins
    from paa.cli import runtime
    from paa.cli.checkin_views import report_saved
    from paa.cli.editor import edit_text
    from paa.core.checkins.editfile import parse_edit_file, render_edit_file
    from paa.core.checkins.entries import find_checkin, prompts_for
    from paa.core.dates import parse_day
    from paa.errors import InvalidInput

    if mood is not None or energy is not None or answer or mode_given:
        raise InvalidInput("--edit takes no other answers or ratings", hint="write them in the editor")
    command = runtime.current()
    with command.context() as context:
        day = parse_day(date, context.today())
        existing = find_checkin(context, day)
        original = render_edit_file(day, prompts_for(context, existing), existing)
    written = edit_text(original, command.environ, prefix="paa-checkin-")
    edited = parse_edit_file(written)
    if written == original or edited.empty:
        why = "not changed" if written == original else "empty"
        say(f"Nothing saved: the check-in for {day.isoformat()} was {why}.")
        return
    with command.context(write=True) as context:
        if existing is None:
            result = checkins.save(context, day, edited.answers, mood=edited.mood, energy=edited.energy)
        else:
            result = checkins.edit(context, day, mood=edited.mood, energy=edited.energy, answers=edited.answers)
    report_saved(result, as_json)
    if existing is None:
        _read_by_model(day, as_json)


def _edit_interactively(
    day: Date, existing: Checkin, prompts: list[str], mood: int | None, energy: int | None, as_json: bool
) -> None:
    from paa.ai import checkins
    from paa.cli import checkin_views as views
    from paa.cli import runtime

    answers = views.ask_edit(existing, prompts)
    if mood is None:
        mood = views.ask_scale("Mood", current=existing.mood, required=True)
    if energy is None:
        energy = views.ask_scale("Energy", current=existing.energy)
    # The questions are asked before the write transaction, so other paa processes are not held up.
    with runtime.current().context(write=True) as context:
        result = checkins.edit(context, day, mood=mood, energy=energy, answers=answers)
    views.report_saved(result, as_json)


def history(
    from_: Annotated[str | None, typer.Option("--from", help="First day. " + DATE_HELP)] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day. " + DATE_HELP)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List check-ins, newest first, with mood, energy and sentiment."""
    from paa.cli import runtime
    from paa.core.checkins.entries import list_checkins
    from paa.core.dates import parse_day

    with runtime.current().context() as context:
        start = parse_day(from_, context.today()) if from_ else None
        end = parse_day(to, context.today()) if to else None
        found = list_checkins(context, start, end)
    if as_json:
        emit_json(found.to_json())
        return
    from paa.cli.checkin_views import render_history

    render_history(found)


def show(day: DayArg = "today", as_json: JsonOpt = False) -> None:
    """Show one day's check-in: answers, mood, energy, sentiment and reflection."""
    from paa.cli import runtime
    from paa.core.checkins.entries import get_checkin
    from paa.core.dates import parse_day

    with runtime.current().context() as context:
        found = get_checkin(context, parse_day(day, context.today()))
    if as_json:
        emit_json(found.to_json())
        return
    from paa.cli.checkin_views import render_checkin

    render_checkin(found)


def edit(
    day: DayArg = "today",
    mood: MoodOpt = None,
    energy: EnergyOpt = None,
    no_energy: Annotated[bool, typer.Option("--no-energy", help="Clear the energy rating.")] = False,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer", "-a", help="Replace all answers; in the order `show` lists the prompts.", show_default=False
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a day's check-in; on a terminal with no options, walk through it.

    Examples:

      paa checkin edit yesterday --mood 3

      paa checkin edit 2026-11-20 --answer "Better than I said" --answer "Finished the book"
    """
    from paa.ai import checkins
    from paa.cli import runtime
    from paa.core.checkins.entries import UNSET, get_checkin, pair_answers, prompts_for, scale
    from paa.core.dates import parse_day
    from paa.errors import InvalidInput

    if no_energy and energy is not None:
        raise InvalidInput("--energy and --no-energy cannot be used together")
    scale(mood, "mood")
    scale(energy, "energy")
    with runtime.current().context() as context:
        when = parse_day(day, context.today())
        existing = get_checkin(context, when)
        prompts = prompts_for(context, existing)
    if mood is None and energy is None and not no_energy and not answer and stdin_is_terminal():
        _edit_interactively(when, existing, prompts, None, None, as_json)
        return
    with runtime.current().context(write=True) as context:
        result = checkins.edit(
            context, when,
            mood=UNSET if mood is None else mood,
            energy=None if no_energy else UNSET if energy is None else energy,
            answers=pair_answers(prompts, answer) if answer else UNSET,
        )  # fmt: skip
    from paa.cli.checkin_views import report_saved

    report_saved(result, as_json)


def prompts_list(as_json: JsonOpt = False) -> None:
    """List the prompts a check-in asks, in order."""
    from paa.cli import runtime
    from paa.core.checkins.entries import list_prompts

    with runtime.current().context() as context:
        found = list_prompts(context)
    if as_json:
        emit_json([prompt.to_json() for prompt in found])
        return
    from paa.cli.checkin_views import render_prompts

    render_prompts(found)


def prompts_add(
    text: Annotated[str, typer.Argument(help="The question to ask, e.g. 'What drained you?'", show_default=False)],
    at: Annotated[int | None, typer.Option("--at", help="Position to insert at (1 = asked first).")] = None,
) -> None:
    """Add a prompt to the check-in."""
    from paa.cli import runtime
    from paa.core.checkins.entries import add_prompt

    with runtime.current().context(write=True) as context:
        added = add_prompt(context, text, at)
    say(f"Added prompt {added.position}: {escape(added.text)}")


def prompts_remove(
    prompt: Annotated[str, typer.Argument(help="Prompt number, or its text (a unique start works).")],
) -> None:
    """Remove a prompt; past check-ins keep their answers to it."""
    from paa.cli import runtime
    from paa.core.checkins.entries import remove_prompt

    with runtime.current().context(write=True) as context:
        removed = remove_prompt(context, prompt)
    say(f"Removed prompt {removed.position}: {escape(removed.text)}")


def prompts_reorder(
    order: Annotated[list[int], typer.Argument(help="Prompt numbers in their new order; unnamed ones follow.")],
) -> None:
    """Reorder the prompts, e.g. `reorder 3 1` asks prompt 3 first, then 1, then the rest."""
    from paa.cli import runtime
    from paa.core.checkins.entries import reorder_prompts

    with runtime.current().context(write=True) as context:
        found = reorder_prompts(context, order)
    from paa.cli.checkin_views import render_prompts

    render_prompts(found)
