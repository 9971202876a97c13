"""The check-in file opened by `paa checkin --edit`: written, then read back as the user left it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from paa.core.checkins.editfile import parse_edit_file, render_edit_file
from paa.core.checkins.entries import Answer, Checkin
from paa.errors import InvalidInput

DAY = date(2026, 11, 26)
PROMPTS = ["How was your day?", "Any wins today?"]


def stored(mood: int | None = 4, energy: int | None = None, *answers: Answer) -> Checkin:
    at = datetime(2026, 11, 26, 21, tzinfo=UTC)
    return Checkin(DAY, mood, energy, tuple(answers), None, None, at, at)


def test_a_new_day_lists_every_prompt_with_blank_ratings_and_reads_back_as_empty() -> None:
    text = render_edit_file(DAY, PROMPTS, None)
    assert "# paa check-in for 2026-11-26." in text
    assert "\nmood:\nenergy:\n\n## How was your day?\n\n\n## Any wins today?\n\n" in text
    edited = parse_edit_file(text)
    assert edited.empty and edited.answers == () and edited.mood is None


def test_the_stored_answers_and_ratings_round_trip() -> None:
    checkin = stored(3, 2, Answer("How was your day?", "Long\nbut good"), Answer("Any wins today?", "#1 shipped"))
    edited = parse_edit_file(render_edit_file(DAY, PROMPTS, checkin))
    assert (edited.mood, edited.energy) == (3, 2)
    assert edited.answers == checkin.answers  # a multi-line answer and one starting with # survive


def test_edited_text_is_read_heading_by_heading_and_blank_answers_are_left_out() -> None:
    text = "# a comment\nMood: 5\nenergy:\n\n## How was your day?\n\n  Calm  \n\n## Any wins today?\n\n## Extra?\nYes\n"
    edited = parse_edit_file(text)
    assert (edited.mood, edited.energy) == (5, None)
    assert edited.answers == (Answer("How was your day?", "Calm"), Answer("Extra?", "Yes"))
    assert not edited.empty


def test_an_emptied_file_is_empty() -> None:
    assert parse_edit_file("").empty and parse_edit_file("\n\n# only comments\n").empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mood: 6\n", "mood must be a whole number from 1 to 5"),
        ("mood: four\n", "mood must be a whole number from 1 to 5"),
        ("feeling: fine\n", "line 1: expected `mood: N`"),
        ("## \nx\n", "line 1: a `##` heading needs the prompt's text"),
        ("## A?\nx\n## a?\ny\n", "appears twice"),
        ("## A?\nbad \x07 bell\n", "control or invisible character"),
        ("## A?\n" + "x" * 300_000, "too large"),
    ],
)
def test_what_cannot_be_read_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_edit_file(text)
