"""Text from the database or the person, put into Textual markup so that it shows exactly as written."""

from __future__ import annotations


def literal(text: str) -> str:
    """`text` as markup that renders as itself.

    Textual's `escape` only escapes brackets that look like lower-case tags, so `[WIP] Read` lost its `[WIP]`;
    here every `[` is escaped. (A backslash at the very end still escapes what follows, as with `escape`.)
    """
    return text.replace("[", "\\[")
