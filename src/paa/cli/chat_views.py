"""How the chat looks in a terminal: streaming replies (Markdown as it arrives on a terminal, plain text otherwise),
tool activity, conversations, search hits and usage."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from paa import terminal_text
from paa.ai.slash import help_text, usage_lines
from paa.cli.output import console, escape, say

if TYPE_CHECKING:
    from paa.ai.chat import ChatEvent
    from paa.ai.insights import ConversationInsight
    from paa.ai.store import ConversationView, MessageView, SearchHit

SLASH_HELP = (
    help_text(
        [
            "/help",
            "/new",
            ("/history", "recent conversations (`paa chat --resume ID` reopens one)"),
            ("/habits", "today's habits"),
            ("/checkin", "check in for today, then hear what the assistant makes of it"),
            ("/attach [PATH]", "attach files to your next message (images, PDFs, text); alone: list them"),
            "/usage",
            "/model [NAME]",
            ("/exit", "leave (so do exit, quit and Ctrl-D)"),
        ]
    )
    + "\n\nCtrl-C stops a reply (what arrived is kept, marked interrupted); at the prompt it clears the line."
)


def _markdown(text: str) -> Any:
    """The model's reply as Markdown; a link shows its address rather than hiding it behind its words."""
    from rich.markdown import Markdown

    return Markdown(text, hyperlinks=False)


def _local(instant: Any) -> str:
    return instant.astimezone().strftime("%Y-%m-%d %H:%M")


class ReplyView:
    """Renders one turn's events. On a terminal the reply is Markdown, re-rendered live as text arrives; elsewhere
    it is written as plain text as it comes, and tool activity goes to stderr so stdout holds only the reply.

    Without `tool_lines` a tool's outcome is not shown on its own: the offline rules' reply already says it.
    """

    def __init__(self, *, rich: bool, tool_lines: bool = True) -> None:
        self.rich = rich
        self.tool_lines = tool_lines
        self.text = ""
        self._live: Any = None
        self._wrote_plain = False

    # -- text ---------------------------------------------------------------------------------------

    def _start_live(self) -> None:
        from rich.live import Live

        self._live = Live(_markdown(""), console=console(), refresh_per_second=12, vertical_overflow="visible")
        self._live.start()

    def delta(self, text: str) -> None:
        text = terminal_text.clean(text)  # the model's text never reaches the terminal with an escape sequence
        self.text += text
        if not self.rich:
            sys.stdout.write(text)
            sys.stdout.flush()
            self._wrote_plain = True
            return
        if self._live is None:
            self._start_live()
        self._live.update(_markdown(self.text))

    def pause(self) -> None:
        """Stop live rendering (before a question or a tool line); the next text starts a new block."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._wrote_plain:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self._wrote_plain = False
        self.text = ""

    # -- other events ------------------------------------------------------------------------------

    def side(self, message: str, style: str = "dim") -> None:
        """A line about the reply rather than of it (tools, notices)."""
        self.pause()
        if self.rich:
            console().print(f"[{style}]{escape(message)}[/]")
        else:
            sys.stderr.write(terminal_text.clean(message) + "\n")
            sys.stderr.flush()

    def handle(self, event: ChatEvent) -> None:
        from paa.ai.chat import Notice, ReplyDone, ToolFinished, ToolStarted
        from paa.ai.providers.base import TextDelta

        if isinstance(event, TextDelta):
            self.delta(event.text)
        elif isinstance(event, ToolStarted):
            self.pause()
        elif isinstance(event, ToolFinished):
            if not self.tool_lines:
                return
            result = event.result
            mark = "·" if result.ok else "✗" if not result.declined else "–"
            self.side(f"{mark} {result.summary}", "dim" if result.ok else "yellow")
        elif isinstance(event, Notice):
            self.side(f"({event.text})")
        elif isinstance(event, ReplyDone):
            self.pause()
            if event.interrupted:
                self.side("(interrupted: the reply so far is kept)", "yellow")
            if event.follow_up:
                self.side(event.follow_up, "cyan")

    def close(self) -> None:
        self.pause()


# ---- listings -----------------------------------------------------------------------------------


def render_conversations(found: list[ConversationView]) -> None:
    if not found:
        say("No conversations yet. Start one: [bold]paa chat[/]")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("ID", "Updated", "Messages", "Tokens in/out", "Title"):
        table.add_column(column, justify="right" if column in ("ID", "Messages") else "left")
    for item in found:
        table.add_row(
            str(item.id), _local(item.updated_at), str(item.messages),
            f"{item.input_tokens}/{item.output_tokens}", escape(item.title or "(untitled)"),
        )  # fmt: skip
    console().print(table)


def _message_line(message: MessageView) -> str:
    who = {"user": "[bold]You[/]", "assistant": "[bold cyan]paa[/]", "tool": "[dim]tool[/]"}.get(message.role, "?")
    if message.speaker and message.role != "tool":  # an imported conversation names who said each message
        who = f"[bold{' cyan' if message.role == 'assistant' else ''}]{escape(message.speaker)}[/]"
    elif message.role == "other":
        who = "[bold]Someone else[/]"
    extra = []
    if message.role == "assistant" and (message.input_tokens or message.output_tokens):
        extra.append(f"{message.input_tokens or 0} in / {message.output_tokens or 0} out")
    if message.interrupted:
        extra.append("interrupted")
    suffix = f" [dim]({', '.join(extra)})[/]" if extra else ""
    return f"{who} [dim]{_local(message.created_at)}[/]{suffix}"


def render_conversation(
    conversation: ConversationView, messages: list[MessageView], insight: ConversationInsight | None = None
) -> None:
    out = console()
    out.print(f"[bold]#{conversation.id} {escape(conversation.title or '(untitled)')}[/]")
    out.print(
        f"[dim]{_local(conversation.created_at)}, {conversation.messages} messages, "
        f"{conversation.input_tokens} tokens in / {conversation.output_tokens} out[/]"
    )
    if insight is not None and (insight.topics or insight.intents):
        topics = ", ".join(insight.topics) or "none"
        intents = ", ".join(insight.intents) or "none"
        reader = "rules" if insight.source == "local" else insight.source
        out.print(f"[dim]Topics: {escape(topics)} · intents: {escape(intents)} (read by {escape(reader)})[/]")
    if conversation.summary:
        out.print(f"[dim]Summary of earlier turns: {escape(conversation.summary)}[/]")
    for message in messages:
        out.print()
        out.print(_message_line(message))
        if message.role == "tool":
            name = (message.tool_calls or {}).get("name", "tool") if isinstance(message.tool_calls, dict) else "tool"
            out.print(f"[dim]{escape(name)}: {escape(message.content[:200])}[/]")
            continue
        if message.content:
            out.print(escape(message.content))
        for item in message.attachments:
            out.print(f"[dim]+ attached {escape(item.describe())}[/]")
        if message.role == "assistant" and isinstance(message.tool_calls, list):
            for call in message.tool_calls:
                out.print(f"[dim]→ {escape(str(call.get('name')))} {escape(str(call.get('input')))}[/]")


def render_search(query: str, hits: list[SearchHit]) -> None:
    if not hits:
        say(f"Nothing found for {escape(query)!r}.")
        return
    out = console()
    for hit in hits:
        message = hit.message
        text = " ".join(message.content.split())
        if len(text) > 160:
            text = text[:159] + "…"
        where = f"#{message.conversation_id} {escape(hit.conversation_title or '')}"
        who = escape(message.speaker) if message.speaker else message.role
        out.print(f"[bold]{where}[/] [dim]{_local(message.created_at)} {who}[/]")
        out.print(f"  {escape(text)}")


def render_usage(data: dict[str, Any]) -> None:
    for line in usage_lines(data):
        say(line)
