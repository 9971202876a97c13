"""Chat: the same conversation engine as `paa chat` (paa.ai.chat), its replies streamed as markdown.

The engine runs in a worker thread and its events arrive here as messages, so typing, scrolling and the rest of
the app stay live while a reply streams. A destructive tool call asks in a modal dialog, answered on the event loop
while the worker waits. A sidebar lists past conversations (searchable); picking one continues it. A line starting
with `/` is a command (paa.ai.slash, shared with `paa chat`), answered in the transcript and never sent. Files
attached with `/attach PATH` or picked with ctrl+o are read and checked by paa.core.attachments, wait as chips under
the message box (a chip pressed drops its file) and go with the next message; a refused file is one line there.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from paa.ai.slash import Slash, help_text, message, parse, unknown
from paa.errors import PaaError, error_text
from paa.terminal_text import clean
from paa.tui.data import ConversationItem, insight_line, latest_conversation, load_conversation, load_conversations
from paa.tui.markup import literal
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets.chat import AssistantMessage, ChatNote, UserMessage, tool_call_text, tool_result_text
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

    from paa.ai.chat import ChatSession
    from paa.ai.providers.base import CancelToken
    from paa.ai.voice import Microphone
    from paa.core.attachments import Draft

WELCOME = (
    'Ask about your habits, log something ("I drank 2 glasses of water"), set a reminder, or tell paa what to '
    "remember. [$foreground-muted]enter sends · esc leaves the box (then 1-5 switch screens), esc again stops a "
    "reply · ctrl+n new · ctrl+f search[/]"
)
CONFIRM_POLL = 0.1
ATTACH_HELP = ("/attach [PATH]", "attach files to your next message (ctrl+o picks one); alone: list; clear: drop")
SLASH_HELP = (
    help_text(["/help", "/new", "/usage", "/model [NAME]", ATTACH_HELP])
    + "\n\nA line starting with / is a command: it is answered here and not sent to the model."
)


class ChatScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+n", "new", "New chat", tooltip="start a new conversation (or type /new)"),
        Binding("ctrl+f", "search", "Search", tooltip="search past conversations by their words"),
        Binding("ctrl+b", "toggle_sidebar", "List", tooltip="show or hide the list of conversations"),
        Binding(
            "ctrl+o",
            "attach",
            "Attach",
            show=False,
            tooltip="pick a file for your next message (or type /attach PATH); press its chip to drop it",
        ),
        Binding(
            "ctrl+r",
            "voice",
            "Speak",
            show=False,
            tooltip="record a message from the microphone; again: stop, then edit the words before enter sends them",
        ),
        Binding(
            "escape", "stop_or_leave", "Stop/leave", show=False, tooltip="leave the message box; again: stop a reply"
        ),
    ]

    # ---- messages from the workers ----

    class Ready(Message):
        """The provider is chosen and the session made."""

        def __init__(self, who: str, online: bool) -> None:
            super().__init__()
            self.who = who
            self.online = online

    class Listed(Message):
        def __init__(self, items: list[ConversationItem], query: str) -> None:
            super().__init__()
            self.items = items
            self.query = query

    class Event(Message):
        """One event of the chat loop (TextDelta, ToolStarted, ToolFinished, Usage, Notice, ReplyDone)."""

        def __init__(self, event: Any) -> None:
            super().__init__()
            self.event = event

    class TurnEnded(Message):
        def __init__(self, error: str | None = None, hint: str | None = None) -> None:
            super().__init__()
            self.error = error
            self.hint = hint

    class Opened(Message):
        """A conversation was opened (or a new one started): its messages, to draw."""

        def __init__(
            self, conversation_id: int | None, title: str, messages: list[Any], insight: str | None = None
        ) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.title = title
            self.messages = messages
            self.insight = insight  # its stored topics and intents, as one line

    class Heard(Message):
        """A recording's transcript, for the message box; or why there is none."""

        def __init__(self, text: str, error: str | None = None, hint: str | None = None) -> None:
            super().__init__()
            self.text = text
            self.error = error
            self.hint = hint

    class Attached(Message):
        """Files read and checked for the next message; or the one-line reason they were refused."""

        def __init__(self, drafts: list[Draft], error: str | None = None) -> None:
            super().__init__()
            self.drafts = drafts
            self.error = error

    class Answered(Message):
        """A slash command's answer (worked out in a worker, since it reads or writes the database)."""

        def __init__(self, command: str, lines: list[str], *, error: bool = False, model: str | None = None) -> None:
            super().__init__()
            self.command = command
            self.lines = lines
            self.error = error
            self.model = model  # the model just switched to, for the status line

    def __init__(self) -> None:
        super().__init__()
        self.session: ChatSession | None = None
        self.cancel: CancelToken | None = None
        self.streaming = False
        self.who = ""
        self.online = False
        self.reply: AssistantMessage | None = None
        self.reply_stream: MarkdownStream | None = None
        self.tool_lines: dict[str, ChatNote] = {}
        self.items: list[ConversationItem] = []
        self._search_timer: Timer | None = None
        self._session_lock = threading.Lock()
        self.microphone: Microphone | None = None  # recording while set (ctrl+r)
        self.pending: list[Draft] = []  # attached for the next message

    def compose(self) -> ComposeResult:
        yield NavBar("chat")
        with Horizontal(id="chat-body"):
            with Vertical(id="chat-sidebar"):
                yield Input(placeholder="Search (ctrl+f)", id="chat-search", compact=True)
                yield OptionList(id="chat-list")
            with Vertical(id="chat-main"):
                with VerticalScroll(id="transcript"):
                    yield ChatNote(WELCOME, id="chat-welcome")
                yield Static("Starting the assistant…", id="chat-status")
                yield Input(placeholder="Message paa (enter to send)", id="prompt")
                yield Horizontal(id="chat-attached")  # hidden while empty: the screen is as before
                yield Static("", id="chat-attach-error", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.paa.chat = self
        self.query_one("#prompt", Input).focus()
        self.prepare()

    # ---- the provider and the session ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="chat-prepare", exit_on_error=False)
    def prepare(self) -> None:
        """Choose the provider and make the session, then warm the SDK up while the person types."""
        from paa.ai.slash import current_model

        try:
            provider = self.paa.store.provider()
            model = current_model(self._ensure_session())  # the stored model, even if switched since the app began
        except Exception as exc:
            self.post_message(self.TurnEnded(error_text(exc, 300), getattr(exc, "hint", None)))
            return
        self.post_message(self.Ready(_who(model, provider.online), provider.online))
        from paa.ai import recall

        recall.warm_up_in_background(self.paa.store.runtime, provider=provider, keep_indexing=True)

    def _ensure_session(self, conversation_id: int | None = None, *, replace: bool = False) -> ChatSession:
        from paa.ai.chat import ChatSession

        with self._session_lock:
            if self.session is None or replace:
                self.session = ChatSession(
                    self.paa.store.contexts, self.paa.store.provider(), conversation_id=conversation_id,
                    confirm=self._confirm,
                )  # fmt: skip
            return self.session

    def on_chat_screen_ready(self, message: Ready) -> None:
        self.who = message.who
        self.online = message.online
        self._show_status()

    def _show_status(self) -> None:
        conversation = self.session.conversation_id if self.session else None
        where = f"conversation #{conversation}" if conversation else "new conversation"
        if self.streaming:
            text = f"[$accent]replying… (esc esc stops)[/] [$foreground-muted]· {where}[/]"
        else:
            text = f"[$foreground-muted]{literal(self.who)} · {where}[/]"
        self.query_one("#chat-status", Static).update(text)

    def _confirm(self, question: str) -> bool:
        """The engine's confirmation for a destructive tool: runs in the worker, asks in a dialog, waits."""
        from paa.tui.screens.modals import ConfirmScreen

        answered = threading.Event()
        answer: list[bool] = []

        def done(result: bool | None) -> None:
            answer.append(bool(result))
            answered.set()

        self.app.call_from_thread(self.app.push_screen, ConfirmScreen(question), done)
        worker = get_current_worker()
        while not answered.wait(CONFIRM_POLL):
            if worker.is_cancelled or (self.cancel is not None and self.cancel.cancelled):
                return False
        return answer[0]

    # ---- the conversation list ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="chat-list", exit_on_error=False)
    def load(self) -> None:
        query = self.query_one("#chat-search", Input).value if self.is_mounted else ""
        try:
            with self.paa.store.read() as ctx:
                items = load_conversations(ctx, query)
        except PaaError:
            items = []
        if not get_current_worker().is_cancelled:
            self.post_message(self.Listed(items, query))

    def on_chat_screen_listed(self, message: Listed) -> None:
        self.items = message.items
        listing = self.query_one("#chat-list", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for item in message.items:
            when = item.when.strftime("%d %b")
            title = literal(item.title if len(item.title) <= 40 else item.title[:39] + "…")
            prompt = f"{title}\n[$foreground-muted]{when} · #{item.id}[/]"
            if item.snippet:
                prompt += f"\n[$foreground-muted]“{literal(item.snippet[:60])}”[/]"
            listing.add_option(Option(prompt, id=str(item.id)))
        if not message.items:
            listing.add_option(Option("[$foreground-muted]No matches[/]" if message.query else
                                      "[$foreground-muted]No conversations yet[/]", disabled=True))  # fmt: skip
        else:
            listing.highlighted = min(highlighted or 0, len(message.items) - 1)

    @on(Input.Changed, "#chat-search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.25, self.reload)

    @on(Input.Submitted, "#chat-search")
    def _search_submitted(self) -> None:
        self.query_one("#chat-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#chat-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_conversation(int(event.option.id))

    def action_search(self) -> None:
        sidebar = self.query_one("#chat-sidebar")
        sidebar.display = True
        self.query_one("#chat-search", Input).focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#chat-sidebar")
        sidebar.display = not sidebar.display

    # ---- opening and starting conversations ---------------------------------------------------------

    def action_new(self) -> None:
        if self.streaming:
            self.notify("Wait for the reply, or press esc to stop it.", severity="warning")
            return
        self.start_new()

    @work(thread=True, exclusive=True, group="chat-open", exit_on_error=False)
    def start_new(self) -> None:
        session = self._ensure_session()
        session.new_conversation()  # records the insight of the one left behind
        self.post_message(self.Opened(None, "", []))

    def action_continue_latest(self) -> None:
        self._continue_latest()

    @work(thread=True, exclusive=True, group="chat-open", exit_on_error=False)
    def _continue_latest(self) -> None:
        with self.paa.store.read() as ctx:
            found = latest_conversation(ctx)
        if found is not None:
            self._open(found)

    @work(thread=True, exclusive=True, group="chat-open", exit_on_error=False)
    def open_conversation(self, conversation_id: int) -> None:
        self._open(conversation_id)

    def _open(self, conversation_id: int) -> None:
        if self.streaming:
            self.app.call_from_thread(self.notify, "Wait for the reply first.", severity="warning")
            return
        try:
            old = self.session
            if old is not None and old.conversation_id not in (None, conversation_id):
                old.finish()
            with self.paa.store.read() as ctx:
                view, messages = load_conversation(ctx, conversation_id)
                insight = insight_line(ctx, conversation_id)
            self._ensure_session(conversation_id, replace=True)
        except PaaError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="warning")
            return
        self.post_message(self.Opened(conversation_id, view.title or "(untitled)", messages, insight))

    async def on_chat_screen_opened(self, message: Opened) -> None:
        await self._stop_stream()
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.remove_children()
        widgets: list[Any] = []
        if message.conversation_id is None:
            widgets.append(ChatNote(WELCOME))
        if message.insight:
            widgets.append(ChatNote(literal(message.insight), classes="-insight"))
        for row in message.messages:
            if row.role == "user":
                widgets += [UserMessage(row.content)] if row.content.strip() else []
                widgets += [_attached_note(item.describe()) for item in row.attachments]
            elif row.role == "other":  # another person, in an imported conversation
                widgets.append(UserMessage(f"{row.speaker or 'Someone else'}: {row.content}"))
            elif row.role == "assistant":
                if row.content.strip():
                    widgets.append(AssistantMessage(row.content))
                for call in row.tool_calls or []:
                    widgets.append(ChatNote("⚙ " + tool_call_text(call.get("name", "?"), call.get("input") or {})))
                if row.interrupted:
                    widgets.append(ChatNote("(interrupted)"))
        await transcript.mount_all(widgets)
        transcript.scroll_end(animate=False)
        self._show_status()
        self.query_one("#prompt", Input).focus()

    # ---- sending -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    async def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text and not self.pending:  # files alone, without words, are a message too
            return
        command = parse(text)
        if command is not None:  # answered here, even during a reply: nothing goes to the model
            event.input.value = ""
            await self._slash(command)
            return
        if self.streaming:
            self.notify("Wait for the reply, or press esc to stop it.", severity="warning")
            return
        event.input.value = ""
        text = message(text)  # "//" starts a message with a slash
        files, self.pending = self.pending, []
        await self._show_pending()
        transcript = self.query_one("#transcript", VerticalScroll)
        said = [UserMessage(text)] if text else []
        await transcript.mount_all([*said, *(_attached_note(draft.describe()) for draft in files)])
        transcript.scroll_end(animate=False)
        self.streaming = True
        self._show_status()
        self.turn(text, files)

    @work(thread=True, group="chat-turn", exit_on_error=False)
    def turn(self, text: str, files: list[Draft] | None = None) -> None:
        from paa.ai.providers.base import CancelToken

        cancel = CancelToken()
        self.cancel = cancel
        self.paa.cancel_tokens.add(cancel)
        try:
            session = self._ensure_session()
            for event in session.send(text, cancel, attachments=files or ()):
                self.post_message(self.Event(event))
        except PaaError as exc:
            self.post_message(self.TurnEnded(exc.message, exc.hint))
            return
        except Exception as exc:
            self.post_message(self.TurnEnded(error_text(exc, 300)))
            return
        finally:
            self.paa.cancel_tokens.discard(cancel)
            self.paa.wrote()  # the turn stored messages, and its tools may have logged habits
        self.post_message(self.TurnEnded())

    async def on_chat_screen_event(self, message: Event) -> None:
        from paa.ai.chat import Notice, ReplyDone, ToolFinished, ToolStarted
        from paa.ai.providers.base import TextDelta

        event = message.event
        transcript = self.query_one("#transcript", VerticalScroll)
        if isinstance(event, TextDelta):
            if self.reply_stream is None:
                self.reply = AssistantMessage()
                await transcript.mount(self.reply)
                self.reply_stream = AssistantMessage.get_stream(self.reply)
            await self.reply_stream.write(clean(event.text))  # streamed model text, without escape sequences
        elif isinstance(event, ToolStarted):
            await self._stop_stream()
            asks = " [$warning](asks first)[/]" if event.destructive else ""
            line = ChatNote("⚙ " + tool_call_text(event.name, event.input) + asks)
            self.tool_lines[event.call_id] = line
            await transcript.mount(line)
        elif isinstance(event, ToolFinished):
            result = event.result
            started = self.tool_lines.pop(result.call_id) if result.call_id in self.tool_lines else None
            text = "⚙ " + literal(result.name) + "  " + tool_result_text(result.ok, result.declined, result.summary)
            if started is not None:
                started.update(text)
            else:
                await transcript.mount(ChatNote(text))
        elif isinstance(event, Notice):
            await transcript.mount(ChatNote(f"({literal(event.text)})"))
        elif isinstance(event, ReplyDone):
            await self._stop_stream()
            usage = event.usage
            tail = " · interrupted" if event.interrupted else ""
            tokens = f"{usage.total_input} in / {usage.output_tokens} out tokens" if usage.total_input else ""
            details = " · ".join(part for part in (literal(event.model), tokens) if part)
            await transcript.mount(ChatNote(f"{details}{tail}", classes="-usage"))
            if event.follow_up:
                await transcript.mount(ChatNote(literal(event.follow_up), classes="-follow-up"))
        transcript.scroll_end(animate=False)

    async def on_chat_screen_turn_ended(self, message: TurnEnded) -> None:
        await self._stop_stream()
        self.streaming = False
        self.cancel = None
        if message.error:
            transcript = self.query_one("#transcript", VerticalScroll)
            hint = f"\n{literal(message.hint)}" if message.hint else ""
            await transcript.mount(ChatNote(f"{literal(message.error)}{hint}", classes="-error"))
            transcript.scroll_end(animate=False)
        self._show_status()
        self.reload()

    # ---- voice (ctrl+r) ------------------------------------------------------------------------------

    async def action_voice(self) -> None:
        """Start recording; pressed again, stop and transcribe (on this machine: paa.ai.voice)."""
        from paa.ai import voice

        status = self.query_one("#chat-status", Static)
        if self.microphone is not None:
            recording, self.microphone = self.microphone, None
            status.update("[$accent]transcribing on this machine…[/]")
            self.transcribe(recording)
            return
        try:
            reason = voice.unavailable_reason()  # before the microphone opens: a recording that could not be used
            if reason is not None:
                raise voice.VoiceUnavailable(reason, hint=voice.EXTRA_HINT)
            microphone = voice.Microphone()
            microphone.start()
        except PaaError as exc:
            await self.on_chat_screen_heard(self.Heard("", exc.message, exc.hint))
            return
        self.microphone = microphone
        status.update("[$error]● recording… ctrl+r stops[/]")

    @work(thread=True, exclusive=True, group="chat-voice", exit_on_error=False)
    def transcribe(self, microphone: Microphone) -> None:
        from paa.ai import voice

        try:
            heard = voice.transcribe(microphone.stop())
        except PaaError as exc:
            self.post_message(self.Heard("", exc.message, exc.hint))
            return
        except Exception as exc:
            self.post_message(self.Heard("", error_text(exc, 300)))
            return
        if heard.text:
            self.post_message(self.Heard(heard.text))
        else:
            self.post_message(self.Heard("", "no words were heard in the recording", "speak closer to the microphone"))

    async def on_chat_screen_heard(self, message: Heard) -> None:
        """The words go into the message box, after what is typed there already, for the person to edit and send."""
        self._show_status()
        if message.error:
            transcript = self.query_one("#transcript", VerticalScroll)
            hint = f"\n{literal(message.hint)}" if message.hint else ""
            await transcript.mount(ChatNote(f"{literal(message.error)}{hint}", classes="-error"))
            transcript.scroll_end(animate=False)
            return
        prompt = self.query_one("#prompt", Input)
        prompt.value = f"{prompt.value.rstrip()} {clean(message.text)}".lstrip()
        prompt.cursor_position = len(prompt.value)
        prompt.focus()

    def on_unmount(self) -> None:
        if self.microphone is not None:  # the app closed while recording: the recording goes, unheard
            with contextlib.suppress(Exception):
                self.microphone.stop()
            self.microphone = None

    # ---- attachments (/attach, ctrl+o) ----------------------------------------------------------------

    def action_attach(self) -> None:
        from paa.tui.screens.attach import AttachScreen, start_folder

        def picked(path: Path | None) -> None:
            self.query_one("#prompt", Input).focus()
            if path is not None:
                self.read_attachments([path])

        self.app.push_screen(AttachScreen(start_folder(self.paa.store.environ)), picked)

    async def _attach_command(self, argument: str) -> None:
        """`/attach PATH...` reads files as `paa chat` does; alone it lists them, `/attach clear` drops them."""
        from paa.ai.slash import attachment_paths

        if argument.lower() == "clear":
            self.pending = []
            await self._show_pending()
            await self._answer("/attach clear", ["Attachments dropped."])
            return
        if not argument:
            listed = ", ".join(draft.describe() for draft in self.pending)
            await self._answer("/attach", [f"Attached for your next message: {listed}" if listed else
                                           "Nothing attached; /attach PATH (or ctrl+o) adds a file."])  # fmt: skip
            return
        try:
            paths = attachment_paths(argument)
        except PaaError as exc:
            await self.on_chat_screen_attached(self.Attached([], _one_line(exc)))
            return
        self.read_attachments(paths)

    @work(thread=True, group="chat-attach", exit_on_error=False)
    def read_attachments(self, paths: list[Path]) -> None:
        """Read and check the files off the event loop (a PDF's pages are counted, a large file read)."""
        from paa.core.attachments import read_file

        try:
            drafts = [read_file(path) for path in paths]
        except PaaError as exc:
            self.post_message(self.Attached([], _one_line(exc)))
            return
        except Exception as exc:
            self.post_message(self.Attached([], error_text(exc, 200)))
            return
        self.post_message(self.Attached(drafts))

    async def on_chat_screen_attached(self, message: Attached) -> None:
        from paa.core.attachments import check_message

        error = message.error
        if error is None:
            try:
                check_message([*self.pending, *message.drafts])  # the message's limits, with those already waiting
            except PaaError as exc:
                error = _one_line(exc)
            else:
                self.pending = [*self.pending, *message.drafts]
        await self._show_pending(error)

    async def _show_pending(self, error: str | None = None) -> None:
        """The chips of the files waiting for the next message, and the line saying why one was refused."""
        chips = self.query_one("#chat-attached", Horizontal)
        await chips.remove_children()
        await chips.mount_all(
            # A file's name is text, never markup (a "[red]" in it would vanish, "[@click=...]" would act).
            Button(Content(f"{clean(draft.describe())} ✕"), id=f"attached-{number}", compact=True,
                   classes="attached-chip", tooltip="drop this file")
            for number, draft in enumerate(self.pending)
        )  # fmt: skip
        chips.display = bool(self.pending)
        line = self.query_one("#chat-attach-error", Static)
        line.update(Content(error or ""))
        line.display = error is not None

    @on(Button.Pressed, ".attached-chip")
    async def _drop_attached(self, event: Button.Pressed) -> None:
        event.stop()
        number = int((event.button.id or "").rpartition("-")[2])
        if number < len(self.pending):
            self.pending = [draft for index, draft in enumerate(self.pending) if index != number]
        await self._show_pending()
        self.query_one("#prompt", Input).focus()

    # ---- slash commands ------------------------------------------------------------------------------

    async def _slash(self, command: Slash) -> None:
        if command.name == "/help":
            await self._answer(command.typed, [SLASH_HELP])
        elif command.name == "/attach":
            await self._attach_command(command.argument)
        elif command.name == "/new":
            self.action_new()
        elif command.name in ("/usage", "/model"):
            self.slash_command(command)
        else:
            await self._answer(command.typed, [unknown(command.name)])

    @work(thread=True, group="chat-slash", exit_on_error=False)
    def slash_command(self, command: Slash) -> None:
        """/usage and /model: they read (or store) the session's figures and settings, so not on the event loop."""
        from paa.ai import slash

        typed = command.typed
        try:
            session = self._ensure_session()
            if command.name == "/usage":
                self.post_message(self.Answered(typed, slash.usage_lines(session.usage())))
            elif command.argument:
                said = slash.switch_model(session, command.argument)
                self.paa.wrote()
                self.post_message(self.Answered(typed, [said], model=slash.current_model(session)))
            else:
                self.post_message(self.Answered(typed, [slash.show_model(session)]))
        except PaaError as exc:
            self.post_message(self.Answered(typed, [exc.message, *([exc.hint] if exc.hint else [])], error=True))
        except Exception as exc:  # the database busy elsewhere, say: an answer rather than silence
            self.post_message(self.Answered(typed, [error_text(exc)], error=True))

    async def on_chat_screen_answered(self, message: Answered) -> None:
        if message.model is not None and self.online:
            self.who = _who(message.model, online=True)
            self._show_status()
        await self._answer(message.command, message.lines, error=message.error)

    async def _answer(self, command: str, lines: list[str], *, error: bool = False) -> None:
        """The command as typed, then its answer, together in the transcript."""
        from textual.content import Content

        # Plain Content, not escaped markup: textual's escape() lets "[NAME]" through as a tag, which then vanishes.
        transcript = self.query_one("#transcript", VerticalScroll)
        answer = ChatNote(Content("\n".join(lines)), classes="-error" if error else "")
        await transcript.mount_all([ChatNote(Content(command), classes="-command"), answer])
        transcript.scroll_end(animate=False)

    async def _stop_stream(self) -> None:
        stream, self.reply_stream, self.reply = self.reply_stream, None, None
        if stream is not None:
            await stream.stop()

    def action_stop_or_leave(self) -> None:
        """esc: leave the message box (so keys work as commands); pressed again during a reply, stop it."""
        prompt = self.query_one("#prompt", Input)
        if prompt.has_focus or self.query_one("#chat-search", Input).has_focus:
            self.query_one("#transcript", VerticalScroll).focus()
        elif self.streaming and self.cancel is not None:
            self.cancel.cancel()
            self.notify("Stopping the reply…")
        else:
            prompt.focus()

    def finish(self) -> None:
        """Keep the insight of the open conversation, by rules (called once the app has stopped)."""
        from paa.ai.insights import record_insight

        session = self.session
        if session is not None and session.conversation_id is not None:
            # The session's own contexts: the app has stopped, so self.app (and self.paa) is no longer there.
            with contextlib.suppress(PaaError):
                record_insight(session.contexts, session.conversation_id, None)


def _attached_note(described: str) -> ChatNote:
    return ChatNote(Content("+ attached " + clean(described)), classes="-attached")


def _one_line(exc: PaaError) -> str:
    """A refusal as the one line under the message box: the reason, then what to do."""
    return " — ".join(part for part in (exc.message, exc.hint) if part)


def _who(model: str, online: bool) -> str:
    return f"Claude ({model})" if online else "offline rules (no API key)"
