"""Rendering helpers shared by the commands: the console, JSON, errors and confirmations."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from paa import terminal_text
from paa.errors import NotConfirmed, PaaError

if TYPE_CHECKING:
    from rich.console import Console


def _colour_choice() -> str:
    choice = os.environ.get("PAA_COLOR", "")
    if choice in ("auto", "always", "never"):
        return choice
    try:
        from paa.config import read_config_file, resolve_paths

        return str(read_config_file(resolve_paths(os.environ).config_file).get("color", "auto"))
    except PaaError:
        return "auto"


# The width of output that is not a terminal: wide enough that no line a script reads is ever broken.
PIPED_WIDTH = 10_000


@contextmanager
def progress_bar(label: str, unit: str, *, enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr while the block runs, fed `(done, total)`; None (nothing shown) when stderr is
    not a terminal or `enabled` is false (--json), so pipes and logs stay quiet."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console as RichConsole
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeRemainingColumn())
    with Progress(*columns, console=RichConsole(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def working(message: str, *, enabled: bool = True) -> Iterator[None]:
    """A spinner with `message` on stderr while a step of unknown length runs (a backup), on a terminal only."""
    if not enabled or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console as RichConsole

    with RichConsole(stderr=True).status(message):
        yield


@cache
def console() -> Console:
    """The console for human output: colour only on a terminal, never with NO_COLOR; never wrapped in a pipe."""
    from rich.console import Console

    choice = _colour_choice()
    # A terminal wraps at its width; a pipe or file gets each line whole (COLUMNS, meant for terminals, is ignored).
    layout: dict[str, Any] = {} if _stdout_is_terminal() else {"width": PIPED_WIDTH, "soft_wrap": True}
    if os.environ.get("NO_COLOR") or choice == "never":
        return Console(no_color=True, highlight=False, emoji=False, **layout)
    if choice == "always":
        return Console(force_terminal=True, highlight=False, emoji=False, **layout)
    return Console(highlight=False, emoji=False, **layout)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


# What json.dumps(ensure_ascii=False) leaves raw that a terminal acts on or hides: DEL, C1, line and paragraph
# separators, and the format characters (bidi controls, zero-width and invisible ones).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def emit_json(data: Any) -> None:
    """Write JSON to stdout: the machine interface, never coloured."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    # json escapes C0 controls but writes C1 controls and bidi overrides raw: escape those too (same JSON value).
    sys.stdout.write(_UNSAFE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text) + "\n")


def plain(markup: str) -> str:
    """Markup as plain text, as rich would show it without styles (user text is put in with `escape`)."""
    return terminal_text.plain(markup)


def _colour_wanted() -> bool:
    choice = _colour_choice()
    if os.environ.get("NO_COLOR") or choice == "never":
        return False
    return choice == "always" or sys.stdout.isatty()


def say(message: str) -> None:
    """One line of confirmation for a person (rich markup allowed).

    Without colour the line is written directly: loading rich for one plain line would cost
    more than the rest of a quick command like `paa habit log`.
    """
    say_lines([message])


def say_lines(messages: list[str]) -> None:
    """Lines for a person (rich markup allowed), each as `say` writes it; with colour, through one console."""
    lines = [terminal_text.clean(message) for message in messages]  # no escape sequence reaches the terminal
    if _colour_wanted():
        out = console()
        for line in lines:
            out.print(line)
    else:
        sys.stdout.write("".join(plain(line) + "\n" for line in lines))


def cell_width(text: str) -> int:
    """Columns a string takes in a terminal: wide East Asian characters take two, combining marks none."""
    import unicodedata

    width = 0
    for char in text:
        if unicodedata.combining(char) or char in "\u200d\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def table(headers: list[str], rows: list[list[str]], *, right: frozenset[str] = frozenset()) -> None:
    """Print rows under headers (cells may hold markup). Rich draws it on a colour terminal; otherwise the
    columns are aligned as plain text, never wrapped, which keeps pipes and `grep` simple and paa quick."""
    rows = [[terminal_text.clean(cell) for cell in row] for row in rows]
    if _colour_wanted():
        from rich.table import Table

        rich_table = Table(box=None, pad_edge=False, header_style="bold")
        for header in headers:
            rich_table.add_column(header, justify="right" if header in right else "left")
        for row in rows:
            rich_table.add_row(*row)
        console().print(rich_table)
        return
    cells = [list(headers)] + [[plain(cell) for cell in row] for row in rows]
    widths = [max(cell_width(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        parts = []
        for header, cell, width in zip(headers, row, widths, strict=True):
            pad = " " * (width - cell_width(cell))
            parts.append(pad + cell if header in right else cell + pad)
        sys.stdout.write("  ".join(parts).rstrip() + "\n")


def print_error(message: str, hint: str | None = None) -> None:
    """One error line on stderr, and the hint; the fields core refers to are named by their options."""
    from paa.cli.fields import as_flags

    sys.stderr.write(f"paa: error: {terminal_text.clean(as_flags(message))}\n")
    if hint:
        sys.stderr.write(f"hint: {terminal_text.clean(as_flags(hint))}\n")


def confirm(question: str, *, assume_yes: bool) -> None:
    """Ask before a destructive step; raise NotConfirmed on no, and refuse to guess without a terminal."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise NotConfirmed(f"{question} (not confirmed)", hint="run it in a terminal, or pass --yes")
    import typer

    if not typer.confirm(question, default=False):
        raise NotConfirmed("nothing was changed")


def escape(text: str) -> str:
    """User, stored or model text as rich markup that shows it as written, without its control characters."""
    return terminal_text.markup(text)
