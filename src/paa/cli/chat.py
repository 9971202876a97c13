"""`paa chat`: talk with the assistant (a REPL, or one answer), and look through past conversations."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from paa import terminal_text
from paa.cli.output import confirm, emit_json, say

if TYPE_CHECKING:
    from paa.ai.chat import ChatSession
    from paa.ai.providers.base import CancelToken, Provider
    from paa.ai.slash import Slash
    from paa.core.attachments import Draft
    from paa.core.runtime import Runtime

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/chat.md).")]
IdArg = Annotated[int, typer.Argument(help="Conversation id (see `paa chat history`).", show_default=False)]
STDIN_MAX_BYTES = 200 * 1024
STDIN_WORD = "-"  # `paa chat - "summarise"`: read stdin, as with --stdin
PROMPT_META = "paa_chat_prompt"

CHAT_HELP = """Talk with your assistant: a conversation in the terminal, or one answer and exit.

With no prompt on a terminal it opens a conversation (/help lists its commands). With a prompt it answers \
once. Files attached with -a (images, PDFs, text and code) go with the message. \
Text piped in is added to the prompt when it is already there (--stdin waits for it; docs/chat.md has the \
rule). The assistant logs habits, answers from your analytics, sets reminders and remembers what you tell it. \
Without an API key it runs offline and understands simple requests.

Examples:

  paa chat

  paa chat "how did my week go?"

  git log --since=yesterday | paa chat "summarise what I did"

  paa chat --continue

  paa chat -a photo.jpg -a report.pdf "what stands out?"

  paa chat --voice
"""


class ChatGroup(typer.core.TyperGroup):
    """A group whose first word is a subcommand when it names one, and otherwise starts the prompt."""

    def _split(self, ctx: Any, args: list[str]) -> tuple[list[str], list[str]]:
        takes_value: set[str] = set()
        for param in self.get_params(ctx):
            if getattr(param, "is_flag", True) or getattr(param, "count", False):
                continue
            takes_value.update(getattr(param, "opts", []))
        words: list[str] = []
        options: list[str] = []
        index = 0
        while index < len(args):
            token = args[index]
            if token == "--":
                words.extend(args[index + 1 :])
                break
            if token.startswith("-") and token != "-":
                options.append(token)
                if token in takes_value and index + 1 < len(args):
                    options.append(args[index + 1])
                    index += 1
            else:
                words.append(token)
            index += 1
        return words, options

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        words, options = self._split(ctx, args)
        if words and words[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx.meta[PROMPT_META] = words
        return super().parse_args(ctx, options)


def create() -> typer.Typer:
    app = typer.Typer(
        cls=ChatGroup,
        help=CHAT_HELP,
        no_args_is_help=False,
        subcommand_metavar="[PROMPT]... | COMMAND [ARGS]...",
    )
    app.callback(invoke_without_command=True)(chat)
    for name, function in (("history", history), ("show", show), ("search", search), ("delete", delete)):
        app.command(name)(function)
    from paa.cli.history_cmd import import_history

    app.command("import")(import_history)  # the same command as `paa memory import`
    return app


# ---- the conversation -------------------------------------------------------------------------------------


def chat(
    ctx: typer.Context,
    continue_: Annotated[bool, typer.Option("--continue", "-c", help="Continue the last conversation.")] = False,
    resume: Annotated[int | None, typer.Option("--resume", "-r", help="Continue conversation ID.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model for this run, e.g. claude-haiku-5-5.")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Answer by rules only; send nothing anywhere.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Let the assistant delete or forget without asking (scripts).")
    ] = False,
    stdin: Annotated[
        bool | None,
        typer.Option(
            "--stdin/--no-stdin",
            help="Add stdin to the prompt, waiting for it to end (like a - word); or never read stdin.",
            show_default=False,
        ),
    ] = None,
    voice: Annotated[
        bool, typer.Option("--voice", help="Say the message: record until Enter, edit the transcript, send it.")
    ] = False,
    keep_audio: Annotated[
        Path | None,
        typer.Option("--keep-audio", help="With --voice, also save the recording to this WAV file.", dir_okay=False),
    ] = None,
    attach: Annotated[
        list[str] | None,
        typer.Option(
            "--attach",
            "-a",
            metavar="FILE",
            help="Attach a file to the message: an image, a PDF, or a text or code file (repeat for more).",
            show_default=False,
        ),
    ] = None,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from paa.errors import InvalidInput

    words = list(ctx.meta.get(PROMPT_META) or [])
    if STDIN_WORD in words:
        words = [word for word in words if word != STDIN_WORD]
        stdin = True if stdin is None else stdin
    prompt = " ".join(words).strip()
    if continue_ and resume is not None:
        raise InvalidInput("--continue and --resume cannot be used together")
    if voice:
        prompt = _spoken(prompt, keep_audio)
    elif keep_audio is not None:
        raise InvalidInput("--keep-audio goes with --voice", hint="paa chat --voice --keep-audio said.wav")
    elif _reads_stdin(prompt_given=bool(prompt), forced=stdin):
        prompt = _with_stdin(prompt, _read_stdin())
    files = _attached(attach or [])
    if not prompt and not files and (stdin or not _stdin_is_terminal()):
        raise InvalidInput("nothing to ask", hint='give a prompt: paa chat "…", or pipe text in')
    from paa.cli.runtime import current

    runtime = current()  # closed, with the memory indexer the conversation starts, when the command ends
    provider = _provider(runtime, model, offline)
    if prompt and provider.online:  # import the SDK while the conversation and context are read
        threading.Thread(target=_quietly, args=(provider.warm_up,), name="paa-sdk-import", daemon=True).start()
    conversation_id = _conversation_to_open(runtime, continue_, resume)
    if prompt or (files and not _stdin_is_terminal()):
        _one_shot(runtime, provider, prompt, conversation_id, yes=yes, model=model, files=files)
    else:
        _repl(runtime, provider, conversation_id, yes=yes, model=model, files=files)


def _attached(paths: list[str]) -> list[Draft]:
    """The files of `-a`, read and checked before anything is sent (a refused one stops the command)."""
    if not paths:
        return []
    from paa.ai.slash import attachment_paths
    from paa.core.attachments import check_message, read_file

    drafts = [read_file(path) for given in paths for path in attachment_paths(given, split=False)]
    check_message(drafts)
    return drafts


def _spoken(prompt: str, keep_audio: Path | None) -> str:
    """The message said aloud (`--voice`), as the person edited its transcript."""
    from paa.errors import InvalidInput

    if prompt:
        raise InvalidInput("--voice takes no typed prompt: the message is what you say")
    if not _stdin_is_terminal():
        raise InvalidInput("--voice needs a terminal: it records until you press Enter")
    from paa.cli.chat_voice import dictate

    return dictate(keep_audio)


def _quietly(work: Any) -> None:
    """Run a warm-up step; a failure shows up, clearly, when the real call makes the same step."""
    with contextlib.suppress(Exception):
        work()


def _stdin_is_terminal() -> bool:
    """Whether a person is typing (tests replace this)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _reads_stdin(*, prompt_given: bool, forced: bool | None) -> bool:
    """Whether stdin belongs to the prompt (the rule docs/chat.md states).

    `--stdin` / `--no-stdin` decide when given. A terminal is never read. With no prompt, stdin is the prompt and is
    read to its end. With a prompt, stdin is added only when it already holds input: a file, or a pipe with data (or
    closed) at this instant; an idle pipe (`sleep 20 | paa chat "…"`), /dev/null or another device is left alone,
    so the command never waits for input nobody is sending.
    """
    if forced is not None:
        return forced
    if _stdin_is_terminal():
        return False
    return not prompt_given or _stdin_has_input()


def _stdin_has_input() -> bool:
    """Whether stdin holds input for paa now, without waiting: a regular file no one has begun to read, a pipe or
    socket that is readable, or an in-memory stream (paa embedded in another program)."""
    stream = sys.stdin
    if stream is None:
        return False
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no descriptor: an in-memory stream, read like a file
        return True
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError:
        return False
    if stat.S_ISREG(mode):  # a file part-read already belongs to whoever reads it: `while read ...; done < file`
        with contextlib.suppress(OSError):
            return os.lseek(descriptor, 0, os.SEEK_CUR) == 0
        return True
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return False
    return _readable_now(descriptor)


def _readable_now(descriptor: int) -> bool:
    """Whether a pipe or socket can be read without waiting: it holds data, or its writer has gone (end of input)."""
    import select

    if hasattr(select, "poll"):
        # Not select(): it cannot watch a descriptor past FD_SETSIZE (1024) and raises instead, and a process that
        # has opened many files (paa embedded in a long-lived program) can get its stdin up there.
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        with contextlib.suppress(OSError):
            return any(events & (select.POLLIN | select.POLLHUP) for _, events in poller.poll(0))
        return False
    try:
        readable, _, _ = select.select([descriptor], [], [], 0)
    except (OSError, ValueError):  # a pipe select cannot watch (Windows): leave it alone
        return False
    return bool(readable)


def _read_stdin() -> str:
    from paa.errors import InvalidInput

    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read(STDIN_MAX_BYTES + 1) if stream is not None else sys.stdin.read().encode()
    if len(data) > STDIN_MAX_BYTES:
        raise InvalidInput(f"the piped input is too large (more than {STDIN_MAX_BYTES // 1024} KiB)")
    return data.decode("utf-8", errors="replace")


def _with_stdin(prompt: str, piped: str) -> str:
    """The prompt followed by the piped text, fenced so the model can tell them apart."""
    text = piped.strip("\n")
    if not text.strip():
        return prompt
    if not prompt:
        return text
    return f"{prompt}\n\n```\n{text}\n```"


def _conversation_to_open(runtime: Runtime, continue_: bool, resume: int | None) -> int | None:
    from paa.ai.store import get_conversation, latest_conversation_id

    with runtime.context() as ctx:
        if resume is not None:
            return get_conversation(ctx, resume).id
        if continue_:
            found = latest_conversation_id(ctx)
            if found is None:
                say("[dim](no earlier conversation: starting a new one)[/]")
            return found
    return None


def _provider(runtime: Runtime, model: str | None, offline: bool) -> Provider:
    from paa.ai import settings
    from paa.ai.providers.select import choose
    from paa.ai.slash import check_model

    with runtime.context() as ctx:
        ai = settings.load(ctx)
    if model:
        check_model(model)
        ai = settings.AiSettings(**{**ai.__dict__, "model": model})
    return choose(runtime.paths, ai, runtime.environ, offline=offline)


def _session(
    runtime: Runtime, provider: Provider, conversation_id: int | None, confirm_: Any, model: str | None
) -> ChatSession:
    from paa.ai.chat import ChatSession

    session = ChatSession(runtime.context, provider, conversation_id=conversation_id, confirm=confirm_)
    if model:
        session.model_override = model
    return session


def _run_turn(session: ChatSession, text: str, *, rich: bool, files: list[Draft] | None = None) -> None:
    """Send one message and render its events; Ctrl-C at any moment of the turn stops the reply and keeps what came."""
    from paa.ai.providers.base import CancelToken
    from paa.cli.chat_views import ReplyView

    cancel = CancelToken()
    view = ReplyView(rich=rich, tool_lines=session.provider.online)  # offline, the reply itself says what was done
    with _ctrl_c_cancels(cancel):
        events = session.send(text, cancel, attachments=files or ())
        try:
            while True:
                try:
                    event = next(events)
                    view.handle(event)
                except StopIteration:
                    break
                except KeyboardInterrupt:  # no handler could be installed (not the main thread): the same, late
                    cancel.cancel()
        finally:
            view.close()


@contextlib.contextmanager
def _ctrl_c_cancels(cancel: CancelToken) -> Iterator[None]:
    """During a turn, Ctrl-C cancels the turn's token instead of raising KeyboardInterrupt wherever the main thread is.

    A KeyboardInterrupt raised at a random point (inside the live Markdown display while it draws, inside the stream
    as it closes, in an import) could leave the display, the turn or the interpreter half done: one that lands in
    importlib's bookkeeping leaves the import lock taken, and the REPL hangs at its next import. Under load the
    signal lands anywhere. The handler only flags the token and closes the stream, then the loop ends the turn as
    usual; a request still on its way is closed as soon as its answer begins. The previous handler is back after
    the turn.
    """

    def on_sigint(signum: int, frame: Any) -> None:
        cancel.cancel()

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread (paa embedded in a program): the loop catches KeyboardInterrupt
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


@contextlib.contextmanager
def _ctrl_c_raises() -> Iterator[None]:
    """Python's own Ctrl-C (KeyboardInterrupt) for a while, e.g. at a question asked inside a turn."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: the handler was never changed
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _one_shot(
    runtime: Runtime, provider: Provider, prompt: str, conversation_id: int | None, *, yes: bool,
    model: str | None, files: list[Draft] | None = None,
) -> None:  # fmt: skip
    from paa.ai.insights import record_insight

    def decide(question: str) -> bool:
        if yes:
            return True
        if _stdin_is_terminal():
            return _ask_yes_no(question)
        shown = terminal_text.clean(question)
        sys.stderr.write(f"paa: not confirmed (no terminal to ask): {shown} Pass --yes to allow it.\n")
        return False

    rich = _stdout_is_terminal()
    session = _session(runtime, provider, conversation_id, decide, model)
    _run_turn(session, prompt, rich=rich, files=files)
    if session.conversation_id is not None:
        record_insight(runtime.context, session.conversation_id, None)  # rules only: no second model call per answer


def _offline_note(rich: bool) -> None:
    text = "offline: no Anthropic API key, so simple requests only (paa auth key set anthropic)"
    if rich:
        say(f"[dim]({text})[/]")
    else:
        sys.stderr.write(f"({text})\n")


def _ask_yes_no(question: str) -> bool:
    try:
        with _ctrl_c_raises():  # asked during a turn: Ctrl-C answers no, as at any prompt
            answer = input(f"{terminal_text.clean(question)} [y/N] ")
    except (EOFError, KeyboardInterrupt):
        sys.stdout.write("\n")
        return False
    return answer.strip().lower() in ("y", "yes")


# ---- the REPL ------------------------------------------------------------------------------------------------


def _setup_readline(runtime: Runtime) -> Any:
    """Line editing and a history file in the data folder (0600); None where readline is missing."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: input() still works, without history
        return None
    path = runtime.paths.data_dir / "chat_history"
    readline.set_history_length(1000)
    try:
        if path.exists():
            readline.read_history_file(str(path))
        else:
            path.touch(mode=0o600)
        os.chmod(path, 0o600)
    except OSError:
        return None
    return lambda: _save_history(readline, str(path))


def _save_history(readline: Any, path: str) -> None:
    with contextlib.suppress(OSError):
        readline.write_history_file(path)


def _warm_up(runtime: Runtime, provider: Provider) -> threading.Thread:
    """Import the SDK and load memory search while the person types; then keep new memories embedded."""
    from paa.ai import recall

    return recall.warm_up_in_background(runtime, provider=provider, keep_indexing=True)


def _who_prompt(runtime: Runtime) -> str:
    """The acting user's name before the prompt, once accounts exist: the person sees whom they write as."""
    acting = runtime.acting()
    return f"{acting.user.username} " if acting.accounts_exist else ""


def _repl(
    runtime: Runtime, provider: Provider, conversation_id: int | None, *, yes: bool, model: str | None,
    files: list[Draft] | None = None,
) -> None:  # fmt: skip
    from paa.ai.slash import is_leave_word, parse
    from paa.ai.slash import message as slash_message
    from paa.cli.output import print_error
    from paa.errors import PaaError

    rich = _stdout_is_terminal()
    session = _session(runtime, provider, conversation_id, (lambda q: True) if yes else _ask_yes_no, model)
    save_history = _setup_readline(runtime)
    _warm_up(runtime, provider)
    who = f"Claude ({getattr(provider, 'model', '')})" if provider.online else "offline rules"
    say(f"[bold]paa chat[/] with {who}. /help for commands, Ctrl-D to leave.")
    if conversation_id is not None:
        say(f"[dim](continuing conversation #{conversation_id})[/]")
    if not provider.online:
        _offline_note(rich)
    prompt = "› " if (sys.stdout.encoding or "").lower().replace("-", "") == "utf8" else "> "
    prompt = _who_prompt(runtime) + prompt
    pending: list[Draft] = list(files or [])  # files for the next message (`-a`, /attach)
    if pending:
        _say_pending(pending)
    try:
        while True:
            try:
                line = input(prompt)
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                continue
            except EOFError:
                sys.stdout.write("\n")
                break
            if save_history is not None:
                save_history()
            text = line.strip()
            if not text:
                continue
            if is_leave_word(text):  # "exit" or "quit" typed without the slash leaves, as in a shell
                break
            command = parse(text)
            if command is not None:
                if command.name == "/attach":
                    _attach(command.argument, pending)
                    continue
                if _slash(command, session, runtime) == "exit":
                    break
                continue
            try:
                _run_turn(session, slash_message(text), rich=rich, files=pending)
                pending.clear()  # sent (a refused file raised before anything was stored, and stays listed)
            except PaaError as exc:
                print_error(exc.message, exc.hint)
            except KeyboardInterrupt:  # a Ctrl-C just before the turn took Ctrl-C over: the REPL goes on
                sys.stdout.write("\n")
    finally:
        with contextlib.suppress(Exception):  # leaving must not fail because an insight could not be stored
            session.finish()


def _say_pending(pending: list[Draft]) -> None:
    from rich.markup import escape

    from paa.core.attachments import human_size

    listed = ", ".join(f"{draft.name} ({draft.kind}, {human_size(draft.size)})" for draft in pending)
    say(f"[dim](attached for your next message: {escape(listed)})[/]")


def _attach(argument: str, pending: list[Draft]) -> None:
    """`/attach PATH...`: read and check files for the next message; `/attach` alone lists them, `/attach clear`
    drops them."""
    from paa.ai.slash import attachment_paths
    from paa.cli.output import print_error
    from paa.core.attachments import check_message, read_file
    from paa.errors import PaaError

    if not argument:
        if pending:
            _say_pending(pending)
        else:
            say("[dim](nothing attached; /attach PATH adds a file to your next message)[/]")
        return
    if argument.lower() == "clear":
        pending.clear()
        say("[dim](attachments dropped)[/]")
        return
    try:
        drafts = [read_file(path) for path in attachment_paths(argument)]
        check_message([*pending, *drafts])
    except PaaError as exc:
        print_error(exc.message, exc.hint)
        return
    pending.extend(drafts)
    _say_pending(pending)


def _slash(parsed: Slash, session: ChatSession, runtime: Runtime) -> str | None:
    from paa.ai import slash
    from paa.cli.chat_views import SLASH_HELP, render_conversations, render_usage
    from paa.cli.output import print_error
    from paa.errors import PaaError

    command, rest = parsed.name, parsed.argument
    try:
        if command in ("/exit", "/quit", "/q"):
            return "exit"
        if command == "/help":
            say(SLASH_HELP)
        elif command == "/new":
            session.new_conversation()
            say("[dim](new conversation)[/]")
        elif command == "/history":
            from paa.ai.store import list_conversations

            with runtime.context() as ctx:
                render_conversations(list_conversations(ctx, 10))
        elif command == "/habits":
            from paa.cli.habit_views import render_list
            from paa.core.habits.manage import list_habits
            from paa.core.habits.overview import statuses

            with runtime.context() as ctx:
                render_list(statuses(ctx, list_habits(ctx)))
        elif command == "/usage":
            render_usage(session.usage())
        elif command == "/model":
            say(slash.switch_model(session, rest) if rest else slash.show_model(session))
        elif command == "/checkin":
            _checkin(session, runtime)
        else:
            say(slash.unknown(command))
    except PaaError as exc:
        print_error(exc.message, exc.hint)
    except (KeyboardInterrupt, EOFError):
        sys.stdout.write("\n")
    return None


def _checkin(session: ChatSession, runtime: Runtime) -> None:
    """A check-in inside the chat: the usual questions, then the model's summary and perhaps a question back."""
    from paa.ai import checkins
    from paa.ai.checkin_ai import after_checkin
    from paa.cli import checkin_views as views
    from paa.core.checkins.entries import find_checkin, list_prompts, pair_answers

    with runtime.context() as ctx:
        day = ctx.today()
        prompts = [prompt.text for prompt in list_prompts(ctx)]
        existing = find_checkin(ctx, day)
    views.intro(day, appending=existing is not None)
    answers = pair_answers(prompts, views.ask_answers(prompts))
    mood = views.ask_scale("Mood", current=existing.mood if existing else None, required=True)
    energy = views.ask_scale("Energy", current=existing.energy if existing else None)
    with runtime.context(write=True) as ctx:
        result = checkins.save(ctx, day, answers, mood=mood, energy=energy, mode="append" if existing else "new")
    views.report_saved(result, False)
    if session.background is not None:
        insight = after_checkin(runtime.context, session.background, day)
        session.keep_follow_up(insight)  # the question becomes the chat's last turn: the next line answers it
        views.report_insight(insight)


# ---- looking back ----------------------------------------------------------------------------------------------


def history(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many conversations.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List recent conversations with their message counts and tokens."""
    from paa.ai.store import list_conversations
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        found = list_conversations(ctx, limit)
    if as_json:
        emit_json([item.to_json() for item in found])
        return
    from paa.cli.chat_views import render_conversations

    render_conversations(found)


def show(conversation: IdArg, as_json: JsonOpt = False) -> None:
    """Show a conversation's messages, with tool calls and token usage."""
    from paa.ai.insights import stored_insight
    from paa.ai.store import conversation_detail
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        found, messages = conversation_detail(ctx, conversation)
        insight = stored_insight(ctx, conversation)
    if as_json:
        emit_json({
            **found.to_json(), "messages": [m.to_json() for m in messages],
            "insight": insight.to_json() if insight else None,
        })  # fmt: skip
        return
    from paa.cli.chat_views import render_conversation

    render_conversation(found, messages, insight)


def search(
    query: Annotated[str, typer.Argument(help='Words to find, e.g. "knee pain".', show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="Most messages to show.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Find messages in past conversations: every word, then by meaning."""
    from paa.ai.memory import SEARCH_EMBED_BUDGET, embed_pending
    from paa.ai.store import search_messages
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        embed_pending(ctx, limit=SEARCH_EMBED_BUDGET)  # messages of a one-shot chat become findable by meaning too
        hits = search_messages(ctx, query, limit=limit)
    if as_json:
        emit_json({"query": query, "hits": [hit.to_json() for hit in hits]})
        return
    from paa.cli.chat_views import render_search

    render_search(query, hits)


def delete(
    conversation: IdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a conversation, its messages and what memory kept of them."""
    from paa.ai.store import delete_conversation, get_conversation
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        title = get_conversation(ctx, conversation).title or "(untitled)"
    confirm(f"Delete conversation #{conversation} ({title[:40]}) and its messages?", assume_yes=yes)
    with runtime.current().context(write=True) as ctx:
        removed = delete_conversation(ctx, conversation)
    say(f"Deleted conversation #{conversation} and {removed} messages.")
