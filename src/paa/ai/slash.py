"""The chat's slash commands that `paa chat` and the TUI share: parsing, the help list, /usage and /model.

Each function returns plain text (no markup) for the interface to render; the ones that read or write settings
take the chat session and run where the caller runs them (a worker thread in the TUI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paa.ai.chat import ChatSession

MODEL_SETTING = "ai_model"
SHARED_HELP = {
    "/help": "this list",
    "/new": "start a new conversation",
    "/usage": "tokens used by this conversation and this session",
    "/model [NAME]": "show or change the model (stored as your `ai.model` setting)",
}
HELP_COLUMN = 18
OFFLINE_NOTE = " (offline: the rules answer, not a model)"
LEAVE_WORDS = frozenset({"exit", "quit", "bye", ":q"})


@dataclass(frozen=True)
class Slash:
    """A typed slash command: `name` lower-cased with its slash (`/model`), `argument` the stripped rest."""

    name: str
    argument: str

    @property
    def typed(self) -> str:
        """The command as the person typed it, tidied: for echoing it back."""
        return f"{self.name} {self.argument}".rstrip()


def parse(text: str) -> Slash | None:
    """The slash command in a line the person typed, or None when the line is a message for the model."""
    line = text.strip()
    if not line.startswith("/") or line.startswith("//"):
        return None
    name, _, rest = line.partition(" ")
    return Slash(name.lower(), rest.strip())


def help_text(rows: Iterable[str | tuple[str, str]]) -> str:
    """An aligned command list; a bare string names a command described in SHARED_HELP."""
    lines = []
    for row in rows:
        usage, description = (row, SHARED_HELP[row]) if isinstance(row, str) else row
        lines.append(f"{usage:<{HELP_COLUMN}} {description}")
    return "\n".join(lines)


def message(text: str) -> str:
    """What a line that is not a command sends to the model: `//etc/hosts ...` sends `/etc/hosts ...`."""
    line = text.strip()
    return line[1:] if line.startswith("//") else line


def attachment_paths(argument: str, *, split: bool = True) -> list[Path]:
    """The files `/attach` names: paths split as a shell would (quotes keep spaces), `~` expanded; with `split`
    False, `argument` is one path (`paa chat -a`, already split by the shell). InvalidInput for unbalanced quotes."""
    import shlex

    from paa.errors import InvalidInput

    if not split:
        return [Path(argument).expanduser()]
    try:
        words = shlex.split(argument)
    except ValueError:
        raise InvalidInput("unbalanced quotes in the file names", hint='/attach "my file.pdf"') from None
    return [Path(word).expanduser() for word in words]


def is_leave_word(text: str) -> bool:
    """Whether a whole line is "exit", "quit" or "bye" without the slash: a person leaving, not a message."""
    return text.strip().strip(".!").lower() in LEAVE_WORDS


def unknown(name: str) -> str:
    return f"Unknown command {name}; /help lists them (start with // to send a line that begins with /)."


# ---- /usage ----------------------------------------------------------------------------------------------


def usage_lines(data: dict[str, Any]) -> list[str]:
    """What `ChatSession.usage()` reports, as sentences: the conversation's (if one is open), then the session's."""
    from paa.core.words import plural

    conversation, session = data.get("conversation"), data["session"]
    lines = []
    if conversation:
        offline = int(conversation.get("offline_replies") or 0)
        by_rules = f"{plural(offline, 'reply', 'replies')} by the offline rules (no model, no tokens)"
        if conversation["calls"]:
            line = (
                f"This conversation: {plural(conversation['calls'], 'model call')}, "
                f"{plural(conversation['input_tokens'], 'input token')} ({conversation['cache_read_input_tokens']} "
                f"read from cache, {conversation['cache_creation_input_tokens']} written to it), "
                f"{plural(conversation['output_tokens'], 'output token')}"
            )
            lines.append(f"{line}; {by_rules}." if offline else f"{line}.")
        else:
            lines.append(f"This conversation: {by_rules}." if offline else "This conversation: no replies yet.")
    lines.append(
        f"This session: {session['input_tokens']} input (+{session['cache_read_input_tokens']} cached, "
        f"+{session['cache_creation_input_tokens']} cache writes) and {session['output_tokens']} output tokens."
    )
    return lines


# ---- /model ----------------------------------------------------------------------------------------------


def check_model(name: str) -> str:
    """The model name, stripped; InvalidInput when it cannot be one (empty, too long, or with spaces)."""
    from paa.config import parse_model
    from paa.errors import InvalidInput

    try:
        return parse_model(name)
    except ValueError:
        raise InvalidInput(f"{name[:40]!r} is not a model name", hint="e.g. claude-sonnet-5-5") from None


def current_model(session: ChatSession) -> str:
    """The model the session's next reply uses: its own override (`paa chat --model`), else the stored setting."""
    from paa.ai import settings

    if session.model_override:
        return session.model_override
    with session.contexts() as ctx:
        return str(settings.setting(ctx, MODEL_SETTING))


def show_model(session: ChatSession) -> str:
    suffix = "" if session.provider.online else OFFLINE_NOTE
    return f"Model: {current_model(session)}{suffix}"


def switch_model(session: ChatSession, name: str) -> str:
    """Store `name` as the person's model (kept for later sessions) and drop any override; returns what to say."""
    from paa.ai import settings
    from paa.config import env_name

    chosen = check_model(name)
    with session.contexts(write=True) as ctx:
        settings.store_setting(ctx, MODEL_SETTING, chosen)
        from_env = ctx.loaded.env_values.get(MODEL_SETTING)
    if from_env is None:
        session.model_override = None
        return f"Model set to {chosen} (kept for later sessions)."
    # The environment wins over a stored setting; this session still does what the person just asked.
    session.model_override = chosen
    return (f"Model set to {chosen} for this session, and kept; {env_name(MODEL_SETTING)}={from_env} "
            "chooses it in new sessions while it is set.")  # fmt: skip
