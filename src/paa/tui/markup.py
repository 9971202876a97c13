"""Text from the database or the person, put into Textual markup so that it shows exactly as written."""

from __future__ import annotations

from paa.terminal_text import clean

# Textual reads any `[` right after a backslash as an escaped bracket, so a backslash ending the text would
# unmake the tag written after it; a word joiner between them takes no column and no part in the markup.
_WORD_JOINER = "\u2060"


def literal(text: str) -> str:
    """`text` as markup that renders as itself, minus control characters (no escape sequence reaches the screen).

    Textual's `escape` only escapes brackets that look like lower-case tags, so `[WIP] Read` lost its `[WIP]`;
    here every `[` is escaped, and a backslash at the very end is kept from escaping what follows.
    """
    text = clean(text).replace("[", "\\[")
    return text + _WORD_JOINER if text.endswith("\\") else text
