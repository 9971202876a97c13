"""The assistant's settings are paa settings: `paa config`, PAA_* variables and config.toml set them per user."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.support.fake_anthropic import FakeAnthropic, reply


@pytest.fixture(autouse=True)
def _empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """`paa chat "..."` adds piped input to the prompt: here stdin is a pipe with nothing in it."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def _shown(cli) -> dict[str, dict]:
    return {row["key"]: row for row in json.loads(cli("config", "show", "--json").out)}


def test_the_defaults_are_listed_with_the_other_settings(cli) -> None:
    rows = _shown(cli)
    assert rows["ai.model"]["value"] == "claude-sonnet-5-5" and rows["ai.model"]["source"] == "default"
    assert rows["ai.tone"]["scope"] == "user" and rows["ai.timeout"]["value"] == 60.0
    assert "summaries" in rows["ai.background_model"]["description"]


def test_config_set_chooses_the_model_of_the_next_chat(cli, fake_anthropic: FakeAnthropic) -> None:
    assert cli("config", "set", "ai.model", "claude-haiku-5-5").code == 0
    assert cli("config", "set", "ai.max_tokens", "500").code == 0
    fake_anthropic.push(reply("Hi."))
    assert cli("chat", "hi").code == 0
    body = fake_anthropic.requests[0].body
    assert (body["model"], body["max_tokens"]) == ("claude-haiku-5-5", 500)
    assert _shown(cli)["ai.model"]["source"] == "stored"


def test_config_toml_is_the_default_and_the_environment_wins(
    cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch, fake_anthropic: FakeAnthropic
) -> None:
    paa_home.mkdir(parents=True, exist_ok=True)
    (paa_home / "config.toml").write_text('[ai]\nmodel = "claude-opus-5"\ntone = "dry"\n')
    assert _shown(cli)["ai.model"] | {"description": ""} == {
        "key": "ai.model", "value": "claude-opus-5", "source": "file", "scope": "user", "description": "",
    }  # fmt: skip
    monkeypatch.setenv("PAA_AI_MODEL", "claude-haiku-5-5")
    fake_anthropic.push(reply("Hi."))
    assert cli("chat", "hi").code == 0
    assert fake_anthropic.requests[0].body["model"] == "claude-haiku-5-5"
    assert "dry" in json.dumps(fake_anthropic.requests[0].body["system"])


def test_a_stored_value_wins_over_config_toml_and_paa_ai_tone_over_both(
    cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paa_home.mkdir(parents=True, exist_ok=True)
    (paa_home / "config.toml").write_text('[ai]\ntone = "dry"\n')
    assert cli("config", "set", "ai.tone", "cheerful").code == 0
    assert _shown(cli)["ai.tone"]["value"] == "cheerful" and _shown(cli)["ai.tone"]["source"] == "stored"
    monkeypatch.setenv("PAA_AI_TONE", "terse")
    assert _shown(cli)["ai.tone"]["value"] == "terse" and _shown(cli)["ai.tone"]["source"] == "env"


def test_what_chat_slash_model_stores_is_the_same_setting(cli, make_ctx) -> None:
    from paa.ai import settings

    with make_ctx(write=True) as ctx:
        settings.store_setting(ctx, "ai_model", "claude-haiku-5-5")  # as /model does
    assert cli("config", "get", "ai.model").out.strip() == "claude-haiku-5-5"
    assert cli("config", "unset", "ai.model").code == 0
    with make_ctx() as ctx:
        assert settings.load(ctx).model == "claude-sonnet-5-5"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ai.model", "claude sonnet", "must be a model's name"),
        ("ai.model", "", "must be a model's name"),
        ("ai.timeout", "0", "ai.timeout"),
        ("ai.max_tokens", "lots", "ai.max_tokens"),
        ("ai.tone", "x" * 201, "1 to 200 printable characters"),
        ("ai.tone", "bell\x07", "printable"),
    ],
)
def test_bad_values_are_refused_in_one_line(cli, key: str, value: str, message: str) -> None:
    result = cli("config", "set", key, value)
    assert result.code == 7
    assert message in result.err and "Traceback" not in result.err
    assert _shown(cli)[key]["source"] == "default"
