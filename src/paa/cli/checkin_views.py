"""How check-ins look and sound in a terminal: the questions asked, the saved summary, history and prompts.

Questions go to stderr and answers come from stdin, so `paa checkin --json > day.json` still asks on screen.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from paa import terminal_text
from paa.cli.output import console, emit_json, escape, say
from paa.errors import Aborted, InvalidInput

if TYPE_CHECKING:
    from datetime import date

    from paa.ai.checkin_ai import CheckinInsight
    from paa.core.checkins.entries import Answer, Checkin, CheckinHistory, Prompt, SaveResult
    from paa.core.checkins.sentiment import Sentiment

KEEP_HINT = "Enter keeps it, - removes it"
SENTIMENT_STYLE = {"positive": "green", "neutral": "yellow", "negative": "red"}
OUTCOME_WORDS = {
    "created": "Checked in for",
    "appended": "Added to the check-in of",
    "replaced": "Replaced the check-in of",
    "edited": "Updated the check-in of",
}


# ---- asking -------------------------------------------------------------------------------------


def _tell(text: str) -> None:
    sys.stderr.write(terminal_text.clean(text) + "\n")
    sys.stderr.flush()


def _ask(question: str) -> str:
    """Ask one question on stderr and read one line; end of input aborts (nothing is saved)."""
    sys.stderr.write(terminal_text.clean(question) + " ")
    sys.stderr.flush()
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise InvalidInput("the terminal sent text that is not valid UTF-8; nothing was saved") from None
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def intro(day: date, appending: bool) -> None:
    heading = "Adding to the check-in of" if appending else "Check-in for"
    _tell(f"{heading} {day.strftime('%A %d %B %Y')}. Enter skips a question.")


def ask_edit_or_append(day: date) -> Literal["edit", "append"]:
    """Ask what to do with a day that already has a check-in."""
    while True:
        reply = _ask(f"You already checked in on {day.isoformat()}. [e]dit it, [a]ppend to it, or [q]uit?")
        choice = reply.strip().lower()[:1]
        if choice == "e":
            return "edit"
        if choice == "a":
            return "append"
        if choice == "q":
            raise Aborted("nothing was changed")
        _tell("Type e, a or q.")


def ask_answers(prompts: list[str]) -> list[str | None]:
    """Ask each prompt in turn; a blank line skips it, an unusable answer is asked again."""
    from paa.core.checkins.entries import clean_answer

    texts: list[str | None] = []
    for prompt in prompts:
        while True:
            reply = _ask(f"{prompt}\n>")
            if not reply.strip():
                texts.append(None)
                break
            try:
                texts.append(clean_answer(reply, prompt))
                break
            except InvalidInput as exc:
                _tell(f"  {exc.message}")
    return texts


def ask_edit(checkin: Checkin, prompts: list[str]) -> list[Answer]:
    """Walk through a check-in's answers (Enter keeps, - removes), then the prompts it does not answer yet."""
    from paa.core.checkins.entries import Answer, clean_answer

    kept: list[Answer] = []
    for index, prompt in enumerate(prompts):
        current = checkin.answers[index].answer if index < len(checkin.answers) else None
        if current is not None:
            _tell(f"{prompt}\n  now: {current}")
        while True:
            reply = _ask(f"{prompt if current is None else '  new'} ({KEEP_HINT if current else 'Enter skips'}) >")
            if reply.strip() == "-":
                break
            if not reply.strip():
                if current is not None:
                    kept.append(Answer(prompt, current))
                break
            try:
                kept.append(Answer(prompt, clean_answer(reply, prompt)))
                break
            except InvalidInput as exc:
                _tell(f"  {exc.message}")
    if not kept:
        raise InvalidInput("a check-in needs at least one answer; nothing was changed")
    return kept


def ask_scale(field: str, *, current: int | None = None, required: bool = False) -> int | None:
    """Ask for a 1-5 rating until it is valid; Enter keeps the current one, or skips it when optional."""
    from paa.core.checkins.entries import parse_scale

    extra = f", Enter keeps {current}" if current is not None else "" if required else ", Enter skips"
    while True:
        try:
            value = parse_scale(_ask(f"{field} (1-5{extra}):"), field.lower())
        except InvalidInput as exc:
            _tell(f"  {exc.message}")
            continue
        if value is None and current is None and required:
            _tell(f"  {field.lower()} is needed: a number from 1 to 5")
            continue
        return current if value is None else value


# ---- showing ------------------------------------------------------------------------------------


def _rating(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{'●' * value}{'○' * (5 - value)} {value}/5"


def _sentiment(sentiment: Sentiment | None) -> str:
    if sentiment is None:
        return "–"
    style = SENTIMENT_STYLE.get(sentiment.label, "")
    return f"[{style}]{sentiment.label}[/] ({sentiment.score:+.2f})"


def report_saved(result: SaveResult, as_json: bool) -> None:
    """Confirm a saved check-in and end with its reflection."""
    if as_json:
        emit_json(result.to_json())
        return
    found = result.checkin
    count = len(found.answers)
    say(
        f"{OUTCOME_WORDS[result.outcome]} {found.day.isoformat()}: mood {found.mood}/5"
        + (f", energy {found.energy}/5" if found.energy is not None else "")
        + f", {count} answer{'s' if count != 1 else ''}, sentiment {_sentiment(found.sentiment)}."
    )
    say(escape(result.reflection.text))


def report_insight(insight: CheckinInsight | None) -> None:
    """Show what the model made of a check-in: its summary, then its follow-up question (model text, never markup)."""
    if insight is None:
        return
    if insight.summary:
        say(f"[dim]Noted: {escape(insight.summary)}[/]")
    if insight.follow_up:
        say(f"[cyan]{escape(insight.follow_up)}[/]")


def render_checkin(found: Checkin) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold]{found.day.strftime('%A %d %B %Y')}[/]")
    facts = Table.grid(padding=(0, 2))
    facts.add_row("Mood", _rating(found.mood))
    facts.add_row("Energy", _rating(found.energy))
    facts.add_row("Sentiment", _sentiment(found.sentiment))
    out.print(facts)
    for answer in found.answers:
        out.print(f"\n[bold]{escape(answer.prompt)}[/]\n{escape(answer.answer)}")
    if found.reflection:
        out.print(f"\n[dim]{escape(found.reflection)}[/]")


def _first_line(answers: tuple[Answer, ...], width: int = 60) -> str:
    if not answers:
        return ""
    text = " ".join(answers[0].answer.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_history(history: CheckinHistory) -> None:
    if not history.checkins:
        say("No check-ins yet. Start one: [bold]paa checkin[/]")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Day", "Mood", "Energy", "Sentiment", "First answer"):
        table.add_column(column)
    for found in history.checkins:
        table.add_row(
            found.day.strftime("%a %Y-%m-%d"),
            _rating(found.mood),
            _rating(found.energy),
            _sentiment(found.sentiment),
            escape(_first_line(found.answers)),
        )
    out = console()
    out.print(table)
    count = len(history.checkins)
    average = "–" if history.mood_average is None else f"{history.mood_average:g}/5"
    out.print(f"\n{count} check-in{'s' if count != 1 else ''}, average mood {average}")


def render_prompts(prompts: list[Prompt]) -> None:
    for prompt in prompts:
        say(f"{prompt.position:>2}. {escape(prompt.text)}")
