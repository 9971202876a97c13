"""The slash commands both chat interfaces share: parsing, the help list, /usage's sentences and /model."""

from __future__ import annotations

import pytest

from paa.ai import slash
from paa.ai.chat import ChatSession
from paa.ai.providers.offline import OfflineProvider
from paa.errors import InvalidInput
from tests.support.fake_anthropic import FakeAnthropic, reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/usage", slash.Slash("/usage", "")),
        ("  /MODEL   claude-haiku-5-5  ", slash.Slash("/model", "claude-haiku-5-5")),
        ("/model a b", slash.Slash("/model", "a b")),
        ("/", slash.Slash("/", "")),
        ("hello /usage", None),
        ("", None),
    ],
)
def test_parse(text: str, expected: slash.Slash | None) -> None:
    assert slash.parse(text) == expected


def test_typed_is_the_command_as_written_tidied() -> None:
    assert slash.Slash("/model", "claude-haiku-5-5").typed == "/model claude-haiku-5-5"
    assert slash.Slash("/usage", "").typed == "/usage"


def test_help_text_aligns_shared_and_own_commands() -> None:
    assert slash.help_text(["/help", ("/exit", "leave"), "/model [NAME]"]).splitlines() == [
        "/help              this list",
        "/exit              leave",
        "/model [NAME]      show or change the model (stored as your `ai.model` setting)",
    ]


def test_usage_lines_with_and_without_a_conversation() -> None:
    conversation = {"calls": 2, "input_tokens": 900, "output_tokens": 40, "cache_creation_input_tokens": 100,
                    "cache_read_input_tokens": 300}  # fmt: skip
    session = {"input_tokens": 950, "output_tokens": 45, "cache_creation_input_tokens": 110,
               "cache_read_input_tokens": 310}  # fmt: skip
    assert slash.usage_lines({"conversation": conversation, "session": session}) == [
        "This conversation: 2 model calls, 900 input tokens (300 read from cache, 100 written to it), "
        "40 output tokens.",
        "This session: 950 input (+310 cached, +110 cache writes) and 45 output tokens.",
    ]
    assert slash.usage_lines({"conversation": None, "session": session}) == [
        "This session: 950 input (+310 cached, +110 cache writes) and 45 output tokens."
    ]


def test_usage_lines_count_offline_replies_apart_and_agree_in_number() -> None:
    session = {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0,
               "cache_read_input_tokens": 0}  # fmt: skip
    mixed = {"calls": 1, "input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": 0, "offline_replies": 1}  # fmt: skip
    assert slash.usage_lines({"conversation": mixed, "session": session})[0] == (
        "This conversation: 1 model call, 1 input token (0 read from cache, 0 written to it), 1 output token; "
        "1 reply by the offline rules (no model, no tokens)."
    )
    offline = {**mixed, "calls": 0, "input_tokens": 0, "output_tokens": 0, "offline_replies": 15}
    assert slash.usage_lines({"conversation": offline, "session": session})[0] == (
        "This conversation: 15 replies by the offline rules (no model, no tokens)."
    )


def test_usage_lines_read_what_the_session_reports(contexts, claude, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Hi.", usage=(900, 40), cache=(100, 300)))
    session = ChatSession(contexts, claude)
    assert slash.usage_lines(session.usage()) == [
        "This session: 0 input (+0 cached, +0 cache writes) and 0 output tokens."
    ]
    list(session.send("hello"))
    assert slash.usage_lines(session.usage()) == [
        "This conversation: 1 model call, 900 input tokens (300 read from cache, 100 written to it), 40 output tokens.",
        "This session: 900 input (+300 cached, +100 cache writes) and 40 output tokens.",
    ]


@pytest.mark.parametrize("name", ["claude-haiku-5-5", "  claude-opus-5  ", "x" * 100])
def test_check_model_accepts_a_name_and_strips_it(name: str) -> None:
    assert slash.check_model(name) == name.strip()


@pytest.mark.parametrize("name", ["", "   ", "claude haiku", "x" * 101, "tab\tin"])
def test_check_model_refuses_what_cannot_be_a_model(name: str) -> None:
    with pytest.raises(InvalidInput, match="is not a model name") as raised:
        slash.check_model(name)
    assert raised.value.hint == "e.g. claude-sonnet-5-5"


def test_switch_model_is_stored_and_used_by_the_next_reply(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import settings

    fake_anthropic.push(reply("Hi."))
    session = ChatSession(contexts, claude)
    session.model_override = "claude-opus-5"  # as `paa chat --model` leaves it
    assert slash.show_model(session) == "Model: claude-opus-5"
    said = slash.switch_model(session, " claude-haiku-5-5 ")
    assert said == "Model set to claude-haiku-5-5 (kept for later sessions)."
    assert session.model_override is None
    assert slash.show_model(session) == "Model: claude-haiku-5-5"
    with make_ctx() as ctx:
        assert settings.setting(ctx, "ai_model") == "claude-haiku-5-5"
    list(session.send("hello"))
    assert fake_anthropic.wait_for_requests(1)[0].body["model"] == "claude-haiku-5-5"


def test_switch_model_under_an_environment_override_says_so_and_holds_for_the_session(
    claude, fake_anthropic: FakeAnthropic, make_ctx, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paa.ai import settings
    from tests.support.runtime import runtime_for

    monkeypatch.setenv("PAA_AI_MODEL", "claude-opus-5")
    runtime = runtime_for(clock=clock)
    try:
        session = ChatSession(runtime.context, claude)
        assert slash.show_model(session) == "Model: claude-opus-5"
        said = slash.switch_model(session, "claude-haiku-5-5")
        assert said == ("Model set to claude-haiku-5-5 for this session, and kept; PAA_AI_MODEL=claude-opus-5 "
                        "chooses it in new sessions while it is set.")  # fmt: skip
        assert slash.show_model(session) == "Model: claude-haiku-5-5"
        fake_anthropic.push(reply("Hi."))
        list(session.send("hello"))
        assert fake_anthropic.wait_for_requests(1)[0].body["model"] == "claude-haiku-5-5"
    finally:
        runtime.close()
    monkeypatch.delenv("PAA_AI_MODEL")
    with make_ctx() as ctx:
        assert settings.setting(ctx, "ai_model") == "claude-haiku-5-5"


def test_a_bad_model_name_changes_nothing(contexts, claude, make_ctx) -> None:
    from paa.ai import settings

    session = ChatSession(contexts, claude)
    with pytest.raises(InvalidInput):
        slash.switch_model(session, "two words")
    with make_ctx() as ctx:
        assert settings.setting(ctx, "ai_model") == "claude-sonnet-5-5"


def test_show_model_offline_says_the_rules_answer(contexts) -> None:
    session = ChatSession(contexts, OfflineProvider())
    assert slash.show_model(session) == "Model: claude-sonnet-5-5 (offline: the rules answer, not a model)"


def test_unknown() -> None:
    assert slash.unknown("/bogus") == (
        "Unknown command /bogus; /help lists them (start with // to send a line that begins with /)."
    )


def test_a_doubled_slash_starts_a_message_with_a_slash() -> None:
    assert slash.parse("//etc/hosts is broken") is None
    assert slash.message(" //etc/hosts is broken ") == "/etc/hosts is broken"
    assert slash.message("hello") == "hello"
    assert slash.parse("/etc/hosts") == slash.Slash("/etc/hosts", "")
