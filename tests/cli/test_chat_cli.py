"""`paa chat`: one-shot answers, the REPL and its slash commands, history/show/search/delete, and failures."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from paa.ai import embeddings
from paa.db.models import Conversation, Message
from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic, error, reply
from tests.support.terminal import person_typing
from tests.support.waiting import readable_within, wait_until


def insight():
    """The answer to the background call made when a conversation ends (its topics and intents)."""
    return reply('{"topics": ["chat"], "intents": ["chat"]}')


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OS keyring, and stdin is a pipe with nothing in it unless a test says otherwise."""
    monkeypatch.setenv("PAA_KEYRING", "off")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


@pytest.fixture
def water(make_ctx) -> None:
    from paa.core.habits.manage import HabitFields, add_habit

    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8))
        add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri"))


def _messages(make_ctx) -> list[Message]:
    with make_ctx() as ctx:
        return list(ctx.session.exec(select(Message).order_by(col(Message.id))).all())


# ---- one answer -------------------------------------------------------------------------------------------


def test_one_shot_prints_plain_text_and_tools_on_stderr(cli, water, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    fake_anthropic.push(
        reply(tools=[("log_habit", {"habit": "water", "value": 2})]),
        reply("Logged **2 glasses**; 6 to go."),
    )
    result = cli("chat", "I drank 2 glasses of water")
    assert result.code == 0, result.err
    assert result.out == "Logged **2 glasses**; 6 to go.\n"  # raw text: a pipe gets no Markdown rendering
    assert "· Logged Drink water for 2026-11-26: 2 of 8 glasses." in result.err
    assert [m.role for m in _messages(make_ctx)] == ["user", "assistant", "tool", "assistant"]


def test_piped_input_is_added_to_the_prompt(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"abc123 Fix the parser\ndef456 Add tests\n")))
    fake_anthropic.push(reply("You fixed the parser and added tests."))
    result = cli("chat", "summarise", "what I did")
    assert result.code == 0, result.err
    sent = fake_anthropic.requests[0].texts()
    assert sent == ["summarise what I did\n\n```\nabc123 Fix the parser\ndef456 Add tests\n```"]


def test_piped_input_alone_is_the_prompt(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"hello from a pipe\n")))
    fake_anthropic.push(reply("Hello!"))
    assert cli("chat").out == "Hello!\n"
    assert fake_anthropic.requests[0].texts() == ["hello from a pipe"]


def test_continue_resumes_the_last_conversation(cli, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Noted: blue."), reply("Blue."))
    cli("chat", "my favourite colour is blue")
    result = cli("chat", "--continue", "what is my favourite colour?")
    assert result.code == 0, result.err
    assert fake_anthropic.requests[1].texts() == ["my favourite colour is blue", "what is my favourite colour?"]


def test_model_option_and_offline_option(cli, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Hi."))
    assert cli("chat", "--model", "claude-haiku-5-5", "hi").code == 0
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-5-5"
    offline = cli("chat", "--offline", "write a poem")
    assert offline.code == 0 and offline.out.startswith("I can't answer that offline.")
    assert len(fake_anthropic.requests) == 1  # --offline sent nothing


def test_without_a_key_the_assistant_runs_offline(cli, water, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = cli("chat", "I drank 3 glasses of water")
    assert result.code == 0, result.err
    assert result.out == "Logged Drink water for 2026-11-26: 3 of 8 glasses.\n"


def test_a_destructive_request_from_a_script_needs_yes(cli, water, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    fake_anthropic.push(reply(tools=[("delete_habit", {"habit": "Run"})]), reply("Not deleted."))
    result = cli("chat", "delete my Run habit")
    assert "not confirmed (no terminal to ask)" in result.err and "--yes" in result.err
    fake_anthropic.push(reply(tools=[("delete_habit", {"habit": "Run"})]), reply("Deleted."))
    assert cli("chat", "--yes", "delete my Run habit").code == 0
    from paa.db.models import Habit

    with make_ctx() as ctx:
        assert [h.name for h in ctx.session.exec(select(Habit)).all()] == ["Drink water"]


@pytest.mark.parametrize(
    ("scripted", "code", "line"),
    [
        (error(401, "authentication_error", "invalid x-api-key"), 7,
         "paa: error: the Anthropic API key was refused (401: invalid x-api-key)"),
        (error(429, "rate_limit_error", repeat=3), 1,
         "paa: error: Anthropic's API is rate limiting this key (429), even after retrying"),
        (error(529, "overloaded_error", repeat=3), 1, "paa: error: Anthropic's API is overloaded (529)"),
    ],
    ids=["401", "429", "529"],
)  # fmt: skip
def test_failures_are_one_clear_line_and_the_message_is_kept(
    cli, fake_anthropic: FakeAnthropic, make_ctx, scripted, code: int, line: str
) -> None:
    fake_anthropic.push(scripted)
    result = cli("chat", "hello?")
    from paa.errors import ExitCode

    expected = code if code != 1 else int(getattr(ExitCode, "UNAVAILABLE", ExitCode.INTERNAL))
    assert result.code == expected
    lines = result.err.strip().splitlines()
    assert lines[0] == line and lines[1].startswith("hint: ") and len(lines) == 2
    assert fake_anthropic.api_key not in result.err
    assert [m.content for m in _messages(make_ctx)] == ["hello?"]


def test_no_network_is_one_line(cli, monkeypatch, make_ctx) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    result = cli("chat", "hello?")
    assert result.err.splitlines()[0] == "paa: error: cannot reach Anthropic's API (no network?)"
    assert [m.content for m in _messages(make_ctx)] == ["hello?"]


# ---- the REPL ----------------------------------------------------------------------------------------------


def test_repl_conversation_and_slash_commands(
    cli, water, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx, paa_home
) -> None:
    prompts = person_typing(
        monkeypatch,
        ["/help", "hello there", "", "/usage", "/habits", "/model claude-haiku-5-5", "second message", "/history",
         "/new", "/model", "/bogus", "/exit"],
    )  # fmt: skip
    fake_anthropic.push(
        reply("Hi! *Nice* to see you.", usage=(500, 9), cache=(0, 300)), insight(), reply("Second reply."), insight()
    )
    result = cli("chat")
    assert result.code == 0, result.err
    assert prompts == ["› "] * 12
    out = result.out
    assert "/checkin" in out and "Ctrl-C stops a reply" in out  # /help
    assert "Hi! *Nice* to see you." in out  # plain text: the captured stdout is not a terminal
    assert "This conversation: 1 model call, 500 input tokens (300 read from cache" in out
    assert "Drink water" in out and "Run" in out  # /habits
    assert "Model set to claude-haiku-5-5 (kept for later sessions)." in out
    assert fake_anthropic.requests[2].body["model"] == "claude-haiku-5-5"  # after /new's insight call
    assert "hello there" in out  # /history lists the conversation by its title
    assert "Model: claude-haiku-5-5" in out
    assert "Unknown command /bogus" in out
    history = paa_home / "chat_history"
    assert oct(history.stat().st_mode & 0o777) == "0o600"


def test_repl_ctrl_c_stops_the_reply_and_the_repl_goes_on(
    cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx
) -> None:
    from paa.cli import chat_views

    person_typing(monkeypatch, ["^C", "tell me a long story", "/exit"])
    real = chat_views.ReplyView.delta
    calls = {"n": 0}

    def delta_then_ctrl_c(self, text: str) -> None:
        real(self, text)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(chat_views.ReplyView, "delta", delta_then_ctrl_c)
    fake_anthropic.push(reply("Once upon a time there was a very long story indeed.", chunks=8), insight())
    result = cli("chat")
    assert result.code == 0, result.err
    assert "(interrupted: the reply so far is kept)" in result.err
    last = _messages(make_ctx)[-1]
    assert last.role == "assistant" and last.interrupted
    assert 0 < len(last.content) < len("Once upon a time there was a very long story indeed.")


def _send_ctrl_c() -> None:
    """Ctrl-C as the terminal sends it: SIGINT to this process, handled by the main thread at once."""
    import signal

    os.kill(os.getpid(), signal.SIGINT)


def test_repl_a_real_sigint_while_the_reply_is_drawn_stops_only_the_reply(
    cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx
) -> None:
    import signal

    from paa.cli import chat_views

    person_typing(monkeypatch, ["tell me a long story", "and another", "/exit"])
    real = chat_views.ReplyView.delta
    calls = {"n": 0}

    def delta_then_sigint(self, text: str) -> None:
        real(self, text)
        calls["n"] += 1
        if calls["n"] == 2:  # the signal lands while the reply is being drawn
            _send_ctrl_c()

    monkeypatch.setattr(chat_views.ReplyView, "delta", delta_then_sigint)
    story = "Once upon a time there was a very long story indeed."
    fake_anthropic.push(reply(story, chunks=8), reply("Here is another."), insight())
    # Whatever handler the test process started with (a runner started in the background has SIGINT ignored).
    before = signal.getsignal(signal.SIGINT)
    result = cli("chat")
    assert result.code == 0, result.err
    assert "(interrupted: the reply so far is kept)" in result.err
    assert signal.getsignal(signal.SIGINT) is before  # given back after each turn
    first_reply = next(m for m in _messages(make_ctx) if m.role == "assistant")
    assert first_reply.interrupted and 0 < len(first_reply.content) < len(story)
    assert "Here is another." in result.out  # the REPL went on to the next message


def test_repl_a_sigint_as_the_turn_ends_does_not_end_the_repl(
    cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx
) -> None:
    """Ctrl-C while the finished reply is put away (outside the stream) used to escape the turn and end paa."""
    from paa.cli import chat_views

    person_typing(monkeypatch, ["hello", "again", "/exit"])
    real = chat_views.ReplyView.close
    calls = {"n": 0}

    def close_with_sigint(self) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            _send_ctrl_c()
        real(self)

    monkeypatch.setattr(chat_views.ReplyView, "close", close_with_sigint)
    fake_anthropic.push(reply("Hi."), reply("Hi again."), insight())
    result = cli("chat")
    assert result.code == 0, result.err
    assert "Hi again." in result.out
    assert [m.content for m in _messages(make_ctx) if m.role == "assistant"] == ["Hi.", "Hi again."]


def test_repl_errors_do_not_end_it(cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx) -> None:
    person_typing(monkeypatch, ["first", "second", "/exit"])
    fake_anthropic.push(error(529, "overloaded_error", repeat=3), reply("Got both."), insight())
    result = cli("chat")
    assert result.code == 0
    assert "paa: error: Anthropic's API is overloaded (529)" in result.err
    assert fake_anthropic.requests[-2].texts() == ["first", "second"]
    assert fake_anthropic.requests[-1].body["model"] == "claude-haiku-5-5"  # the insight, on leaving


def test_repl_checkin_then_the_model_notes_and_asks(cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx) -> None:
    person_typing(monkeypatch, ["/checkin", "/exit"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Long day, knee hurts\n\n2\n3\n")))
    noted = {"sentiment_score": -0.3, "sentiment_label": "negative", "summary": "A long day with a sore knee.",
             "follow_up": "Do you want to rest from running tomorrow?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(noted)), insight())
    result = cli("chat")
    assert result.code == 0, result.err
    assert "Noted: A long day with a sore knee." in result.out
    assert "Do you want to rest from running tomorrow?" in result.out
    from paa.db.models import DailyCheckin

    with make_ctx() as ctx:
        row = ctx.session.exec(select(DailyCheckin)).one()
    assert (row.mood, row.energy, row.sentiment_label) == (2, 3, "negative")
    hits = json.loads(cli("memory", "search", "knee", "--json").out)
    assert any("Long day, knee hurts" in hit["content"] for hit in hits)  # searchable, as after `paa checkin`


@pytest.mark.parametrize("before", [[], ["hello"]], ids=["first-thing", "mid-conversation"])
def test_repl_checkin_keeps_the_question_so_the_next_message_answers_it(
    cli, fake_anthropic: FakeAnthropic, monkeypatch, make_ctx, before: list[str]
) -> None:
    person_typing(monkeypatch, [*before, "/checkin", "yes, a walk instead", "/exit"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Long day, knee hurts\n\n2\n3\n")))
    noted = {"sentiment_score": -0.3, "sentiment_label": "negative", "summary": "A long day with a sore knee.",
             "follow_up": "Do you want to rest from running tomorrow?"}  # fmt: skip
    earlier = [reply("Hi.")] if before else []
    fake_anthropic.push(*earlier, reply(json.dumps(noted)), reply("A walk it is."), insight())
    result = cli("chat")
    assert result.code == 0, result.err
    assert "A walk it is." in result.out
    chat = fake_anthropic.requests[len(earlier) + 1]
    assert chat.texts("assistant") == [*(["Hi."] if before else []), "Do you want to rest from running tomorrow?"]
    *said, opening, answer = chat.texts()
    assert said == before
    assert "Long day, knee hurts" in opening and answer == "yes, a walk instead"
    stored = _messages(make_ctx)
    assert len({m.conversation_id for m in stored}) == 1  # one conversation: the check-in's question is its turn
    assert [m.role for m in stored] == ["user", "assistant"] * (len(before) + 2)


def test_repl_checkin_prints_the_model_text_literally(cli, fake_anthropic: FakeAnthropic, monkeypatch) -> None:
    person_typing(monkeypatch, ["/checkin", "/exit"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Fine\n\n4\n\n")))
    noted = {"sentiment_score": 0.2, "sentiment_label": "positive", "summary": "A [bold]fine[/] day.",
             "follow_up": "Is [/] or [red] a bracket?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(noted)), insight())
    result = cli("chat")
    assert result.code == 0, result.err
    assert "Noted: A [bold]fine[/] day." in result.out  # model text is never read as rich markup
    assert "Is [/] or [red] a bracket?" in result.out


# ---- looking back -----------------------------------------------------------------------------------------


@pytest.fixture
def two_conversations(cli, fake_anthropic: FakeAnthropic) -> Iterator[None]:
    fake_anthropic.push(reply("Sorry about your knee pain."), reply("Here is a plan."))
    cli("chat", "my knee pain is back")
    cli("chat", "plan my week")
    yield


def test_history_show_and_search(cli, two_conversations) -> None:
    listed = json.loads(cli("chat", "history", "--json").out)
    assert [c["title"] for c in listed] == ["plan my week", "my knee pain is back"]
    assert listed[1]["messages"] == 2 and listed[1]["input_tokens"] == 120 and listed[1]["output_tokens"] == 30
    shown = json.loads(cli("chat", "show", str(listed[1]["id"]), "--json").out)
    assert [(m["role"], m["content"]) for m in shown["messages"]] == [
        ("user", "my knee pain is back"), ("assistant", "Sorry about your knee pain."),
    ]  # fmt: skip
    assert shown["messages"][1]["model"] == "claude-sonnet-5-5"
    found = json.loads(cli("chat", "search", "KNEE pain", "--json").out)
    assert found["query"] == "KNEE pain"
    assert [(h["role"], h["match"]) for h in found["hits"][:2]] == [("assistant", "text"), ("user", "text")]
    human = cli("chat", "search", "knee")
    assert "my knee pain is back" in human.out
    assert "plan my week" in cli("chat", "history").out
    assert "Sorry about your knee pain." in cli("chat", "show", str(listed[1]["id"])).out


@pytest.mark.skipif(not embeddings.status(None).available, reason="the memory extra or the local model is missing")
def test_search_finds_a_one_shot_chat_by_meaning_at_once(cli, two_conversations) -> None:
    found = json.loads(cli("chat", "search", "my leg hurts", "--json").out)  # no word in common
    knee = {"my knee pain is back", "Sorry about your knee pain."}
    ranked = [(h["content"], h["match"]) for h in found["hits"]]
    # Both turns of the knee conversation are about it; which of the two is a hair closer is the model's business.
    assert ranked[0][0] in knee and ranked[0][1] == "memory"
    contents = [content for content, _ in ranked]
    assert "my knee pain is back" in contents
    assert all(
        contents.index(text) < contents.index(other)
        for text in knee & set(contents)
        for other in contents
        if other not in knee
    )


def test_delete_asks_and_removes_everything(cli, two_conversations, make_ctx) -> None:
    refused = cli("chat", "delete", "1")
    assert refused.code == 11 and "--yes" in refused.err
    assert cli("chat", "delete", "1", "--yes").out.strip() == "Deleted conversation #1 and 2 messages."
    with make_ctx() as ctx:
        assert [c.id for c in ctx.session.exec(select(Conversation)).all()] == [2]
    assert cli("chat", "show", "1").code == 4
    hits = json.loads(cli("chat", "search", "knee", "--json").out)["hits"]
    assert not [hit for hit in hits if "knee" in hit["content"] or hit["conversation_id"] == 1]


def test_a_prompt_word_that_is_not_a_subcommand_is_a_prompt(cli, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Histories are long."))
    assert cli("chat", "historical", "question").code == 0
    assert fake_anthropic.requests[0].texts() == ["historical question"]


# ---- the real executable -------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_ctrl_c_in_a_real_terminal_stops_the_reply_only(fake_anthropic: FakeAnthropic, paa_home) -> None:
    """`paa chat` under a pseudo-terminal: SIGINT mid-reply keeps the partial text and the REPL goes on."""
    import threading

    pty = pytest.importorskip("pty")
    from tests.support.processes import exec_on_a_terminal, paa_executable

    gate = threading.Event()
    slow = reply("First part. And then a second part that never arrives.", chunks=6)
    slow.pace = gate
    fake_anthropic.push(slow)
    env = {**os.environ, "PAA_NOW": FIXED_NOW.isoformat(), "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": "100"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: become paa
        exec_on_a_terminal([paa_executable(), "chat"], env)
    try:
        screen = _Screen(fd)
        screen.wait_for("› ")
        os.write(fd, b"tell me a story\r")
        screen.wait_for("First par")
        os.write(fd, b"\x03")  # Ctrl-C, through the terminal's line discipline: SIGINT
        screen.wait_for("interrupted")
        screen.wait_for("› ")
        os.write(fd, b"/exit\r")
        screen.wait_for_end()  # not a bare waitpid: a paa that hangs fails the test instead of stalling it
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, screen.text
    finally:
        gate.set()
        with __import__("contextlib").suppress(ChildProcessError, ProcessLookupError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    from tests.support.runtime import open_context

    with open_context() as ctx:
        last = ctx.session.exec(select(Message).order_by(col(Message.id).desc())).first()
    assert last is not None and last.interrupted and last.content.startswith("First")
    assert "tell me a story" in (paa_home / "chat_history").read_text()  # readline kept the line


class _Screen:
    """What a pseudo-terminal has shown; `wait_for` reads until a text appears after the last one found."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.raw = b""
        self.cursor = 0

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def _read(self, timeout: float) -> bytes | None:
        """What arrives within `timeout` seconds (b"" if nothing), or None once the terminal has closed."""
        if not readable_within(self.fd, timeout):
            return b""
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child has gone and the terminal closed
            return None
        return chunk or None

    def wait_for_end(self) -> None:
        """Read until the program closes the terminal (it exited)."""

        def ended() -> bool:
            chunk = self._read(0.1)
            if chunk is None:
                return True
            self.raw += chunk
            return False

        wait_until(ended, interval=0, what="paa to leave", describe=lambda: f"the screen:\n{self.text[-2000:]}")

    def wait_for(self, needle: str) -> None:

        wanted = needle.encode()

        def found() -> int:
            """Where `needle` starts (plus one, so 0 means not yet), reading what arrives within 0.1 s."""
            if (at := self.raw.find(wanted, self.cursor)) >= 0:
                return at + 1
            chunk = self._read(0.1)
            if chunk is None:
                raise AssertionError(f"the terminal closed before {needle!r}:\n{self.text[-2000:]}")
            self.raw += chunk
            return 0

        at = wait_until(found, interval=0, what=repr(needle), describe=lambda: f"the screen:\n{self.text[-2000:]}")
        self.cursor = at - 1 + len(wanted)


@pytest.mark.e2e
def test_looking_back_does_not_import_the_sdk(cli, two_conversations) -> None:
    """`paa chat history` and `show` read the database only: no anthropic import (checked on the real executable)."""
    from tests.support.processes import run_with_importtime

    for args in (("chat", "history"), ("chat", "show", "1")):
        done, imported = run_with_importtime(*args)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "sqlalchemy" in imported and "anthropic" not in imported


def test_repl_doubled_slash_sends_a_message_starting_with_a_slash(cli, fake_anthropic: FakeAnthropic, monkeypatch):
    person_typing(monkeypatch, ["//etc/hosts is broken", "/etc/hosts", "/exit"])
    fake_anthropic.push(reply("Check its permissions."))
    result = cli("chat")
    assert result.code == 0, result.err
    assert "Check its permissions." in result.out
    assert "Unknown command /etc/hosts; /help lists them (start with // to send" in result.out
    assert fake_anthropic.message_requests[0].texts()[-1] == "/etc/hosts is broken"
    sent = [request.texts()[-1] for request in fake_anthropic.message_requests if request.texts()]
    assert "/etc/hosts" not in sent  # the unknown command went nowhere (later calls are the insight on leaving)


# ---- offline, and what stdin holds -------------------------------------------------------------------------


def test_offline_one_shot_says_each_action_once(cli, water, make_ctx) -> None:
    result = cli("chat", "--offline", "I drank 3 glasses of water and ran")
    assert result.code == 0, result.err
    assert result.out == "Logged Drink water for 2026-11-26: 3 of 8 glasses.\nLogged Run as done for 2026-11-26.\n"
    assert "Logged" not in result.err  # the reply says it; no second copy on stderr


def test_offline_repl_says_each_action_once_and_leaves_on_exit(cli, water, monkeypatch, make_ctx) -> None:
    prompts = person_typing(monkeypatch, ["I ran", "hello", "/usage", "exit", "never sent"])
    result = cli("chat", "--offline")
    assert result.code == 0, result.err
    assert (result.out + result.err).count("Logged Run as done for 2026-11-26.") == 1
    assert "Hello! I'm running offline" in result.out and "can't answer" not in result.out
    assert "This conversation: 3 replies by the offline rules (no model, no tokens)." in result.out
    assert "model calls" not in result.out
    assert len(prompts) == 4  # "exit" left: the line after it was never asked for
    assert "never sent" not in [m.content for m in _messages(make_ctx)]
    assert "exit" not in [m.content for m in _messages(make_ctx)]


@pytest.mark.parametrize("word", ["quit", "Exit", "bye", "/quit"])
def test_repl_leave_words(cli, monkeypatch, word: str) -> None:
    prompts = person_typing(monkeypatch, [word, "never asked"])
    assert cli("chat", "--offline").code == 0
    assert len(prompts) == 1


def _first_prompt(make_ctx) -> str:
    return _messages(make_ctx)[0].content


class _Writer:
    """The writing end of the pipe on stdin; a safety net sends LATE and closes it if the test has not by the
    give-up limit, so a paa that waited on the pipe fails on LATE in its prompt instead of hanging the run."""

    def __init__(self, descriptor: int) -> None:
        import threading

        from tests.support.waiting import GIVE_UP_SECONDS

        self.descriptor: int | None = descriptor
        self.lock = threading.Lock()
        self.done = threading.Event()
        threading.Thread(target=lambda: self.done.wait(GIVE_UP_SECONDS) or self.close(b"LATE"), daemon=True).start()

    def send(self, data: bytes) -> None:
        assert self.descriptor is not None
        os.write(self.descriptor, data)

    def close(self, last: bytes = b"") -> None:
        with self.lock:
            if self.descriptor is not None:
                if last:
                    os.write(self.descriptor, last)
                os.close(self.descriptor)
                self.descriptor = None


@pytest.fixture
def pipe_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Writer]:
    """stdin is a real pipe whose writer has sent nothing yet and stays open until the test says."""
    read_end, write_end = os.pipe()
    monkeypatch.setattr(sys, "stdin", os.fdopen(read_end, "r", encoding="utf-8"))
    writer = _Writer(write_end)
    yield writer
    writer.done.set()
    writer.close()
    sys.stdin.close()


def test_an_idle_pipe_is_not_waited_for_when_a_prompt_is_given(cli, water, pipe_stdin, make_ctx) -> None:
    result = cli("chat", "--offline", "I ran")
    assert result.code == 0, result.err
    assert _first_prompt(make_ctx) == "I ran"


def test_a_pipe_with_data_is_added_to_the_prompt(cli, water, pipe_stdin: _Writer, make_ctx) -> None:
    pipe_stdin.send(b"and I drank 2 glasses of water\n")
    pipe_stdin.close()
    result = cli("chat", "--offline", "I ran")
    assert result.code == 0, result.err
    assert _first_prompt(make_ctx) == "I ran\n\n```\nand I drank 2 glasses of water\n```"


def test_a_pipe_on_a_descriptor_past_1024_is_read_like_any_other(
    cli, water, monkeypatch, make_ctx, request: pytest.FixtureRequest
) -> None:
    """A process that has opened many files (a test worker late in a run, paa inside a long-lived program) gets
    its stdin pipe past 1024, where select() cannot look: the data must still be seen, not taken for an idle pipe."""
    resource = pytest.importorskip("resource")
    fcntl = pytest.importorskip("fcntl")
    high = 1100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft <= high:
        if hard != resource.RLIM_INFINITY and hard <= high:
            pytest.skip(f"this process may not open descriptor {high} (hard limit {hard})")
        resource.setrlimit(resource.RLIMIT_NOFILE, (high + 100, hard))
        request.addfinalizer(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
    read_end, write_end = os.pipe()
    os.write(write_end, b"and I drank 2 glasses of water\n")
    os.close(write_end)
    moved = fcntl.fcntl(read_end, fcntl.F_DUPFD, high)  # the lowest free descriptor from `high` up
    os.close(read_end)
    assert moved >= high
    with os.fdopen(moved, "r", encoding="utf-8") as piped:
        monkeypatch.setattr(sys, "stdin", piped)
        assert cli("chat", "--offline", "I ran").code == 0
    assert _first_prompt(make_ctx) == "I ran\n\n```\nand I drank 2 glasses of water\n```"


def test_no_stdin_leaves_a_pipe_with_data_alone(cli, water, pipe_stdin: _Writer, make_ctx) -> None:
    pipe_stdin.send(b"rest of a script\n")
    assert cli("chat", "--offline", "--no-stdin", "I ran").code == 0
    assert _first_prompt(make_ctx) == "I ran"
    assert os.read(sys.stdin.fileno(), 100) == b"rest of a script\n"  # still there for whoever owns it


@pytest.mark.parametrize("force", [("--stdin",), ("-",)])
def test_stdin_or_a_dash_waits_for_the_pipe(cli, water, monkeypatch, make_ctx, force: tuple[str, ...]) -> None:
    """The producer writes only once paa has started reading an empty pipe: forced, paa waits for it to end."""
    import threading

    from paa.cli import chat

    read_end, write_end = os.pipe()
    monkeypatch.setattr(sys, "stdin", os.fdopen(read_end, "r", encoding="utf-8"))
    reading = threading.Event()
    real_read = chat._read_stdin

    def read_stdin() -> str:
        reading.set()
        return real_read()

    def producer() -> None:
        reading.wait()
        os.write(write_end, b"slow producer\n")
        os.close(write_end)

    monkeypatch.setattr(chat, "_read_stdin", read_stdin)
    threading.Thread(target=producer, daemon=True).start()
    result = cli("chat", "--offline", *force, "summarise")
    sys.stdin.close()
    assert result.code == 0, result.err
    assert _first_prompt(make_ctx) == "summarise\n\n```\nslow producer\n```"


def test_devnull_with_a_prompt_is_not_read_and_without_one_is_nothing_to_ask(cli, water, monkeypatch, make_ctx):
    monkeypatch.setattr(sys, "stdin", open(os.devnull, encoding="utf-8"))  # noqa: SIM115 (closed by the test's end)
    assert cli("chat", "--offline", "I ran").code == 0
    nothing = cli("chat", "--offline")
    assert nothing.code == 3 and "nothing to ask" in nothing.err
    sys.stdin.close()


def test_a_file_is_read_unless_a_shell_loop_is_part_way_through_it(cli, water, monkeypatch, make_ctx, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("and I drank 2 glasses of water\nsecond line for the loop\n", encoding="utf-8")
    with open(questions, encoding="utf-8") as whole:
        monkeypatch.setattr(sys, "stdin", whole)
        assert cli("chat", "--offline", "I ran").code == 0
    with open(questions, "rb") as looped:
        looped.readline()  # `while read line; do paa chat "$line"; done < questions.txt`: the loop owns the file
        monkeypatch.setattr(sys, "stdin", looped)
        assert cli("chat", "--offline", "--continue", "and drank").code == 0
        assert looped.read() == b"second line for the loop\n"
    sent = [m.content for m in _messages(make_ctx) if m.role == "user"]
    assert sent == ["I ran\n\n```\nand I drank 2 glasses of water\nsecond line for the loop\n```", "and drank"]


def test_show_gives_the_conversation_insight(cli, water, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Sleep first, then water."))
    assert cli("chat", "I slept badly, should I drink more water?").code == 0  # its insight, by rules, on leaving
    shown = json.loads(cli("chat", "show", "1", "--json").out)
    assert shown["insight"] == {
        "conversation_id": 1, "topics": ["sleep", "hydration", "drink water"], "intents": ["chat"], "source": "local",
        "messages": 2,
    }  # fmt: skip
    human = cli("chat", "show", "1").out
    assert "Topics: sleep, hydration, drink water · intents: chat (read by rules)" in human
