"""Claude provider: the real `anthropic` SDK against the fake API (streaming, tools, usage, caching, errors)."""

from __future__ import annotations

import os
import socket

import pytest

from paa.ai import errors
from paa.ai.providers.base import CancelToken, Done, Request, TextDelta, ToolCall, ToolSpec, Usage
from paa.ai.providers.claude import ClaudeProvider
from tests.support.fake_anthropic import API_KEY, FakeAnthropic, cut, error, hang, mid_stream_error, reply

TOOL = ToolSpec("log_habit", "Log a habit.", {"type": "object", "properties": {"habit": {"type": "string"}}})


def _provider(fake: FakeAnthropic, **options: object) -> ClaudeProvider:
    defaults: dict[str, object] = {"model": "claude-sonnet-5-5", "background_model": "claude-haiku-5-5"}
    return ClaudeProvider(API_KEY, base_url=fake.url, **{**defaults, **options})  # type: ignore[arg-type]


def _request(**changes: object) -> Request:
    base: dict[str, object] = {
        "model": "claude-sonnet-5-5",
        "system": "You are paa.",
        "context": "# Context\nNow: Thursday",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
        "tools": [TOOL],
    }
    return Request(**{**base, **changes})  # type: ignore[arg-type]


def test_streams_text_usage_and_done_and_sends_a_cached_system_prompt(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Hello there, friend.", usage=(321, 12), cache=(200, 0)))
    events = list(_provider(fake_anthropic).stream(_request()))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello there, friend."
    assert len([e for e in events if isinstance(e, TextDelta)]) == 3  # streamed, not buffered
    assert Usage(321, 12, 200, 0) in events
    assert events[-1] == Done("end_turn", "claude-sonnet-5-5")
    sent = fake_anthropic.requests[0]
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.body["stream"] is True
    assert sent.body["system"][0] == {"type": "text", "text": "You are paa.", "cache_control": {"type": "ephemeral"}}
    assert sent.body["system"][1] == {"type": "text", "text": "# Context\nNow: Thursday"}
    assert sent.body["tools"][0]["name"] == "log_habit"


def test_tool_use_blocks_become_tool_calls_with_their_parsed_input(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Logging.", tools=[("log_habit", {"habit": "water", "value": 2})]))
    events = list(_provider(fake_anthropic).stream(_request()))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.input) for c in calls] == [("log_habit", {"habit": "water", "value": 2})]
    assert calls[0].id.startswith("toolu_")
    assert events[-1].stop_reason == "tool_use"  # type: ignore[union-attr]


def test_background_completion_uses_the_background_model(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("A short summary."))
    done = _provider(fake_anthropic).complete("Summarise.", "text to summarise")
    assert done.text == "A short summary."
    body = fake_anthropic.requests[0].body
    assert body["model"] == "claude-haiku-5-5"
    assert "stream" not in body


def test_a_refused_key_is_a_bad_key_error_without_retries(fake_anthropic: FakeAnthropic) -> None:
    provider = ClaudeProvider("sk-wrong", model="m", background_model="b", base_url=fake_anthropic.url)
    with pytest.raises(errors.BadApiKey) as caught:
        list(provider.stream(_request()))
    assert "401" in caught.value.message and "paa auth key set anthropic" in (caught.value.hint or "")
    assert "sk-wrong" not in caught.value.message + (caught.value.hint or "")
    assert len(fake_anthropic.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [(429, "rate_limit_error", errors.RateLimited), (529, "overloaded_error", errors.Overloaded)],
)
def test_rate_limit_and_overload_fail_after_the_sdk_retries(
    fake_anthropic: FakeAnthropic, status: int, kind: str, expected: type[Exception]
) -> None:
    fake_anthropic.push(error(status, kind, repeat=3))
    with pytest.raises(expected) as caught:
        list(_provider(fake_anthropic).stream(_request()))
    assert len(fake_anthropic.requests) == 3  # the first try and the SDK's two retries
    assert str(status) in caught.value.message  # type: ignore[attr-defined]
    assert "--continue" in caught.value.hint  # type: ignore[attr-defined]


def test_a_retry_that_succeeds_is_invisible(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(error(529, "overloaded_error"), reply("Fine now."))
    events = list(_provider(fake_anthropic).stream(_request()))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Fine now."


def test_a_cut_stream_raises_stream_cut_after_the_text_that_arrived(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(cut("One two three four five six seven", after_events=4))
    seen: list[str] = []
    with pytest.raises(errors.StreamCut):
        for event in _provider(fake_anthropic).stream(_request()):
            if isinstance(event, TextDelta):
                seen.append(event.text)
    assert seen and "".join(seen) != "One two three four five six seven"


def test_an_error_event_mid_stream_is_an_overload(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(mid_stream_error("Partial answer that stops", after_events=4))
    with pytest.raises(errors.Overloaded) as caught:
        list(_provider(fake_anthropic).stream(_request()))
    assert "mid-reply" in caught.value.message


def test_a_timeout_is_reported_as_such(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(hang())
    provider = _provider(fake_anthropic, timeout=0.3, max_retries=0)
    with pytest.raises(errors.TimedOut):
        list(provider.stream(_request()))


def test_no_network_is_a_connection_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = ClaudeProvider(API_KEY, model="m", background_model="b", base_url=f"http://127.0.0.1:{port}",
                              max_retries=0)  # fmt: skip
    with pytest.raises(errors.NoConnection) as caught:
        list(provider.stream(_request()))
    assert "network" in caught.value.message


def test_cancelling_stops_the_stream_and_ends_interrupted(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("a b c d e f g h i j", chunks=10))
    cancel = CancelToken()
    seen = []
    for event in _provider(fake_anthropic).stream(_request(), cancel):
        seen.append(event)
        if isinstance(event, TextDelta) and len(seen) == 2:
            cancel.cancel()
    assert seen[-1] == Done("interrupted", "claude-sonnet-5-5")
    assert len([e for e in seen if isinstance(e, TextDelta)]) == 2


def test_the_provider_never_shows_its_key(fake_anthropic: FakeAnthropic) -> None:
    assert API_KEY not in repr(_provider(fake_anthropic))


def test_the_fake_server_rejects_an_unanswered_tool_use(fake_anthropic: FakeAnthropic) -> None:
    """The fake checks histories like the API does, so a malformed one from paa would fail a test."""
    broken = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "log_habit", "input": {}}]},
        {"role": "user", "content": [{"type": "text", "text": "and?"}]},
    ]
    with pytest.raises(errors.RequestRefused) as caught:
        list(_provider(fake_anthropic).stream(_request(messages=broken)))
    assert "tool_result" in caught.value.message


def test_ai_timeout_is_the_whole_wait_retries_included(fake_anthropic: FakeAnthropic) -> None:
    from tests.support.fake_anthropic import Reply

    provider = _provider(fake_anthropic, timeout=60.0)
    client = provider.client()
    assert client.max_retries == 2
    # three tries and the SDK's pauses between them (0.5 s, then 1 s) fit in the 60 s of `ai.timeout`
    assert client.timeout * 3 + 0.5 + 1.0 <= 60.0
    assert client.timeout == pytest.approx(19.5)

    fake_anthropic.push(Reply(hang=True, repeat=3))
    hanging = _provider(fake_anthropic, timeout=1.2)
    assert hanging.client().timeout * 3 <= 1.2
    with pytest.raises(errors.TimedOut):
        list(hanging.stream(_request()))
    assert len(fake_anthropic.requests) == 3  # the first try and two retries, each within its share


def test_no_retries_means_one_try_with_the_whole_timeout(fake_anthropic: FakeAnthropic) -> None:
    client = _provider(fake_anthropic, timeout=30.0, max_retries=0).client()
    assert (client.max_retries, client.timeout) == (0, 30.0)


def test_preparing_the_sdk_opens_no_socket_and_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the warm server does before it forks workers: the SDK parses its stand-in replies inside the process."""
    import socket
    import threading

    from paa.ai.providers.claude import prepare_sdk

    def refuse(*_args: object, **_options: object) -> None:
        raise AssertionError("prepare_sdk opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    before = threading.active_count()
    prepare_sdk()
    assert threading.active_count() == before


def _authority() -> bytes:
    """A self-signed certificate authority's certificate, PEM."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paa test authority")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def prepared_tls(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[object]:
    """A trust store of the test's own (SSL_CERT_FILE: one certificate authority made here), and every TLS context
    the SDK's transport makes from here on."""
    import httpcore2

    from paa.ai.providers import claude

    store = tmp_path / "ca.pem"
    store.write_bytes(_authority())
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    monkeypatch.setattr(claude, "_TLS", None)
    made: list[object] = []
    original = httpcore2.default_ssl_context

    def counted(**options: object) -> object:
        made.append(original(**options))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(httpcore2, "default_ssl_context", counted)
    return made


def test_a_prepared_trust_store_is_used_by_the_next_client(
    fake_anthropic: FakeAnthropic, prepared_tls: list[object]
) -> None:
    """A warm server's chat process reads the trust store ahead (`prepare_tls`, ~50 ms a chat): a client made later
    in the same environment uses that context, as strict as the one it would make, and makes none of its own."""
    import ssl

    from paa.ai.providers import claude

    claude.prepare_tls()
    [context] = prepared_tls
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    fake_anthropic.responder = lambda _request: reply("Hello.")
    events = list(_provider(fake_anthropic).stream(_request(tools=[])))
    assert isinstance(events[-1], Done) and len(prepared_tls) == 1  # no second context was made


@pytest.mark.parametrize("change", ["another store named", "the store rewritten"])
def test_a_trust_store_changed_since_it_was_prepared_is_read_again(
    fake_anthropic: FakeAnthropic, prepared_tls: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path, change: str
) -> None:
    import shutil

    from paa.ai.providers import claude

    claude.prepare_tls()
    store = tmp_path / "ca.pem"
    if change == "another store named":
        other = tmp_path / "other.pem"
        shutil.copyfile(store, other)
        monkeypatch.setenv("SSL_CERT_FILE", str(other))
    else:
        store.write_bytes(store.read_bytes() + b"\n")  # (a certificate added or removed, as far as paa can tell)
        os.utime(store, ns=(1, 1))
    assert claude.prepared_tls() is None
    fake_anthropic.responder = lambda _request: reply("Hello.")
    events = list(_provider(fake_anthropic).stream(_request(tools=[])))
    assert isinstance(events[-1], Done) and len(prepared_tls) == 2  # the client made its own, from the new store
