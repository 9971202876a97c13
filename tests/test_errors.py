"""The one way an exception becomes what a person reads: one line, the PaaError's message, never a traceback."""

from __future__ import annotations

from paa.errors import InvalidInput, error_text


def test_a_paa_error_says_its_message_without_the_hint() -> None:
    assert error_text(InvalidInput("mood must be 1 to 5", hint="e.g. --mood 4")) == "mood must be 1 to 5"


def test_another_exception_says_its_first_line_within_the_limit() -> None:
    assert error_text(ValueError("database is locked\nTraceback (most recent call last): ...")) == "database is locked"
    assert error_text(RuntimeError("x" * 500)) == "x" * 200
    assert error_text(RuntimeError("y" * 500), 120) == "y" * 120


def test_an_exception_with_no_text_is_named() -> None:
    assert error_text(KeyError()) == "KeyError"
    assert error_text(OSError("  \n ")) == "OSError"
