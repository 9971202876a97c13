"""Text from the database, the person or the model, made safe to store and to show in a terminal.

One rule says which characters are control or invisible ones (`hidden_positions`): core/validate.py refuses them
in what a person names (habits, check-ins) and drops them from what must not be lost (a model's reply, pasted chat
input, a memory), and settings refuse them. At the output boundary, the CLI's helpers (`paa.cli.output.escape`,
`say`, `table`, the chat views) and the TUI's `paa.tui.markup.literal` apply it again, for rows stored before:

- `clean` drops control and invisible characters (ESC and so every escape sequence, OSC 52 clipboard writes and
  OSC 8 links with it, C1 controls, bidi overrides, NUL); newlines and tabs are kept;
- `markup` escapes what is left for rich's console markup, so `Read \\[/]` shows as written; `plain` reads such
  markup back as rich would show it, for output that is not coloured.

Nothing here imports rich: quick commands write plain lines without loading it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# A tag sequence after a black flag spells a subdivision flag emoji (England, Scotland, Wales);
# tag characters anywhere else stay refused, as they can hide text from a reader.
_FLAG_TAGS = re.compile("\U0001f3f4([\U000e0020-\U000e007e]+\U000e007f)")
_JOINERS = ("\u200d", "\u200c")  # zero-width joiner (emoji, Indic scripts) and non-joiner (Persian)

# A tag as rich's markup parser sees one (rich.markup.RE_TAGS): `[` then a lower-case letter, #, / or @, up to `]`.
_TAG = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
_TAG_START = re.compile(r"\[[a-z#/@][^[]*?]")
# A `[` that could become a tag with a `]` written after the text ends (none before the end, no `[` either).
_OPEN_TAG_AT_END = re.compile(r"\[[a-z#/@][^[\]]*\Z")
_BRACKET = re.compile(r"(\\*)\[")
# An empty style span: it keeps backslashes at the end of user text from escaping the tag written after them.
_END_GUARD = "[bold][/bold]"


def _is_noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def hidden_positions(text: str, *, multiline: bool = False) -> Iterator[int]:
    """The index of each control or invisible character in `text`; newline and tab pass when `multiline`.

    The rule: C0 and C1 controls (ESC starts every terminal escape sequence), format characters (bidi overrides
    and isolates, zero-width spaces), surrogates, private use and noncharacters. Emoji joiners and the tags of a
    subdivision flag are kept.
    """
    if text.isprintable():
        return  # the common case: isprintable is false for every category the rule looks at
    allowed = "\n\t" if multiline else ""
    flag_tags = {i for match in _FLAG_TAGS.finditer(text) for i in range(match.start(1), match.end(1))}
    for index, char in enumerate(text):
        if char in allowed or char in _JOINERS or index in flag_tags:
            continue
        category = unicodedata.category(char)
        # Unassigned (Cn) code points pass unless they are noncharacters: newer emoji are
        # unassigned in the Unicode database of an older Python.
        if category in ("Cc", "Cf", "Cs", "Co") or (category == "Cn" and _is_noncharacter(char)):
            yield index


def clean(text: str, *, multiline: bool = True) -> str:
    """`text` without control or invisible characters; newlines and tabs are kept unless not `multiline`."""
    hidden = set(hidden_positions(text, multiline=multiline))
    return "".join(char for index, char in enumerate(text) if index not in hidden) if hidden else text


def markup(text: str) -> str:
    """Rich console markup that shows `text` exactly, minus its control characters, wherever it is put."""
    text = clean(text)
    if "[" not in text and not text.endswith("\\"):
        return text

    def escaped(match: re.Match[str]) -> str:
        backslashes = match.group(1)
        if _TAG_START.match(text, match.end() - 1):
            # rich halves the backslashes before a tag, and an odd count left makes the tag literal text
            return backslashes * 2 + "\\["
        # Before any other `[`, rich drops only the one backslash it reads as the escape.
        return backslashes + "\\["

    result = _BRACKET.sub(escaped, text)
    if text.endswith("\\"):
        trailing = len(text) - len(text.rstrip("\\"))
        return result + "\\" * trailing + _END_GUARD  # 2n backslashes before a tag show as n
    if _OPEN_TAG_AT_END.search(text):
        return result + _END_GUARD  # the guard's `[` ends the bracket before a later `]` can close it
    return result


def plain(text: str) -> str:
    """What rich shows for console markup, without its styles: the reading of `markup` for uncoloured output."""
    if "[" not in text:
        return text
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        full, escapes, _tag = match.groups()
        start, end = match.span()
        if start > position:
            parts.append(text[position:start].replace("\\[", "["))
        position = end
        literal_backslashes, escaped = divmod(len(escapes), 2)
        parts.append("\\" * literal_backslashes)
        if escaped:
            parts.append(full[len(escapes) :])
    if position < len(text):
        parts.append(text[position:].replace("\\[", "["))
    return "".join(parts)
