"""Saving a check-in, for every interface: core writes it, and memory indexes it in the same transaction.

The CLI, the chat REPL, the chat's `record_checkin` tool, the TUI and the model's own refinement all save through
these functions, so a check-in is searchable by `paa memory search` at once, however it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from paa.core.checkins.entries import UNSET

if TYPE_CHECKING:
    from paa.core.checkins.entries import Answer, Mode, SaveResult
    from paa.core.checkins.sentiment import SentimentRefiner
    from paa.core.context import Context


def save(
    ctx: Context,
    day: date,
    answers: Sequence[Answer],
    *,
    mood: int | None = None,
    energy: int | None = None,
    mode: Mode = "new",
) -> SaveResult:
    """Record the day's check-in as core's `save_checkin` does (new, append or replace) and index it for memory."""
    from paa.core.checkins.entries import save_checkin

    return _indexed(ctx, day, save_checkin(ctx, day, answers, mood=mood, energy=energy, mode=mode))


def edit(
    ctx: Context,
    day: date,
    *,
    mood: int | None = UNSET,
    energy: int | None = UNSET,
    answers: Sequence[Answer] = UNSET,
    refiner: SentimentRefiner | None = None,
) -> SaveResult:
    """Change a stored check-in as core's `edit_checkin` does (UNSET keeps a field) and index its new text."""
    from paa.core.checkins.entries import edit_checkin

    result = edit_checkin(ctx, day, mood=mood, energy=energy, answers=answers, refiner=refiner)
    return _indexed(ctx, day, result)


def save_whole(
    ctx: Context, day: date, answers: Sequence[Answer], *, mood: int | None, energy: int | None
) -> SaveResult:
    """Save a check-in as a form holds it whole: a new one, or the stored one's answers, mood and energy replaced.

    Unlike `save(mode="replace")`, an energy of None clears the stored one: the form showed it and it was emptied.
    """
    from paa.core.checkins.entries import find_checkin

    if find_checkin(ctx, day) is None:
        return save(ctx, day, answers, mood=mood, energy=energy)
    return edit(ctx, day, mood=mood, energy=energy, answers=answers)


def answer_follow_up(ctx: Context, day: date, question: str, text: str) -> SaveResult:
    """Add the answer to the assistant's follow-up question to the day's check-in."""
    from paa.core.checkins.entries import Answer, clean_answer

    return save(ctx, day, [Answer(question, clean_answer(text, question))], mode="append")


def _indexed(ctx: Context, day: date, result: SaveResult) -> SaveResult:
    from paa.ai.memory import index_checkin_of

    index_checkin_of(ctx, day)  # in the saving transaction: searchable by memory as soon as it is committed
    return result
