"""Claude through the `anthropic` SDK: streaming, tool use, prompt caching on the stable system prompt.

The SDK is imported on first use (`warm_up` does it early, e.g. while a person types), never at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from paa.ai.errors import (
    SAVED,
    BadApiKey,
    NoConnection,
    Overloaded,
    ProviderError,
    RateLimited,
    RequestRefused,
    StreamCut,
    TimedOut,
)
from paa.ai.providers.base import CancelToken, Completion, Done, ProviderEvent, Request, TextDelta, ToolCall, Usage
from paa.errors import error_text

DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2  # the SDK's own default: a 429 or 529 is often gone a moment later


RETRY_PAUSE = 0.5  # the SDK's first pause between tries; each later pause doubles, up to RETRY_PAUSE_MAX
RETRY_PAUSE_MAX = 8.0


def try_timeout(timeout: float, max_retries: int) -> float:
    """Seconds each try may wait, so that every try and the SDK's pauses between them stay within `timeout`."""
    pauses = sum(min(RETRY_PAUSE * 2**n, RETRY_PAUSE_MAX) for n in range(max_retries))
    return max(timeout - pauses, timeout / 2) / (max_retries + 1)


KEY_HINT = "store a valid key with `paa auth key set anthropic`, or set ANTHROPIC_API_KEY"


class ClaudeProvider:
    """Anthropic's Messages API. `base_url` None means the SDK's default (or ANTHROPIC_BASE_URL given here)."""

    name = "anthropic"
    online = True

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        background_model: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
    ) -> None:
        self.model = model
        self.background_model = background_model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout  # the whole wait, retries included (`ai.timeout`)
        self._max_retries = DEFAULT_RETRIES if max_retries is None else max_retries
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"ClaudeProvider(model={self.model!r}, base_url={self._base_url!r})"

    def warm_up(self) -> None:
        """Import the SDK and build the client now, so the first message does not wait for it."""
        self.client()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import anthropic

                # The SDK waits its timeout on every try: split `ai.timeout` between them rather than multiply it.
                options: dict[str, Any] = {
                    "api_key": self._api_key,
                    "timeout": try_timeout(self._timeout, self._max_retries),
                    "max_retries": self._max_retries,
                }
                if self._base_url:
                    options["base_url"] = self._base_url
                verify = prepared_tls()
                if verify is not None:  # the SDK's own HTTP client, with the trust store read ahead
                    options["http_client"] = anthropic.DefaultHttpxClient(verify=verify, timeout=options["timeout"])
                client = anthropic.Anthropic(**options)
                client.messages  # noqa: B018 - builds the resource (and imports it) now rather than mid-request
                self._client = client
            return self._client

    # ---- streaming ---------------------------------------------------------------------------

    def _params(self, request: Request) -> dict[str, Any]:
        system: list[dict[str, Any]] = [
            {"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}},
        ]
        if request.context:
            system.append({"type": "text", "text": request.context})
        params: dict[str, Any] = {
            "model": request.model or self.model,
            "max_tokens": request.max_tokens,
            "system": system,
            "messages": request.messages,
        }
        if request.tools:
            params["tools"] = [tool.to_api() for tool in request.tools]
        return params

    def stream(self, request: Request, cancel: CancelToken | None = None) -> Iterator[ProviderEvent]:
        """Stream one call; raise a ProviderError kind on failure, or end with Done("interrupted") when cancelled."""
        client = self.client()
        params = self._params(request)
        if cancel is not None and cancel.cancelled:  # stopped before the request left: send nothing
            yield Usage()
            yield Done("interrupted", params["model"])
            return
        try:
            stream = client.messages.stream(**params).__enter__()  # sends the request, with the SDK's retries
        except Exception as exc:
            raise translate(exc) from None
        unregister = cancel.on_cancel(stream.close) if cancel is not None else (lambda: None)
        usage = Usage()
        stop_reason: str | None = None
        finished = False
        model = params["model"]
        try:
            for event in stream:
                kind = event.type
                if kind == "message_start":
                    model = event.message.model or model
                    usage = _usage(event.message.usage, usage)
                elif kind == "content_block_delta" and event.delta.type == "text_delta":
                    yield TextDelta(event.delta.text)
                elif kind == "content_block_stop" and event.content_block.type == "tool_use":
                    block = event.content_block
                    yield ToolCall(block.id, block.name, dict(block.input or {}))
                elif kind == "message_delta":
                    stop_reason = event.delta.stop_reason
                    usage = _usage(event.usage, usage)
                elif kind == "message_stop":
                    finished = True
                if cancel is not None and cancel.cancelled:
                    break
        except Exception as exc:
            if cancel is None or not cancel.cancelled:
                raise translate(exc, mid_stream=True) from None
        finally:
            unregister()
            stream.close()
        yield usage
        if cancel is not None and cancel.cancelled:
            yield Done("interrupted", model)
            return
        if not finished:
            raise StreamCut("the reply was cut off before its end (the connection closed)", hint=SAVED)
        yield Done(stop_reason, model)

    # ---- short background calls --------------------------------------------------------------

    def complete(self, system: str, prompt: str, *, model: str | None = None, max_tokens: int = 400) -> Completion:
        """One short non-streamed call (summaries, check-in notes, insights) on the background model."""
        client = self.client()
        chosen = model or self.background_model
        try:
            message = client.messages.create(
                model=chosen,
                max_tokens=max_tokens,
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": prompt}],
            )
        except Exception as exc:
            raise translate(exc) from None
        text = "".join(block.text for block in message.content if block.type == "text")
        return Completion(text, _usage(message.usage, Usage()), message.model or chosen)


def _usage(raw: Any, previous: Usage) -> Usage:
    """Merge a usage object from the API: its counts are cumulative, and absent ones keep the earlier value."""

    def pick(name: str, old: int) -> int:
        value = getattr(raw, name, None)
        return int(value) if value is not None else old

    return Usage(
        pick("input_tokens", previous.input_tokens),
        pick("output_tokens", previous.output_tokens),
        pick("cache_creation_input_tokens", previous.cache_creation_input_tokens),
        pick("cache_read_input_tokens", previous.cache_read_input_tokens),
    )


def _api_detail(exc: Any) -> str:
    detail = getattr(exc, "api_message", None) or ""
    return f": {detail[:120]}" if detail else ""


def translate(exc: BaseException, *, mid_stream: bool = False) -> ProviderError | BadApiKey:
    """One clear error for what the SDK raised (after its own retries)."""
    import anthropic

    if isinstance(exc, ProviderError | BadApiKey):
        return exc
    if isinstance(exc, anthropic.APITimeoutError):
        return TimedOut(
            "Anthropic's API did not answer in time",
            hint=f"try again; if it keeps happening check your connection. {SAVED}",
        )
    if isinstance(exc, anthropic.APIConnectionError):
        if mid_stream:
            return StreamCut("the connection dropped in the middle of the reply", hint=SAVED)
        return NoConnection(
            "cannot reach Anthropic's API (no network?)",
            hint=f"check your connection; without a key paa answers offline. {SAVED}",
        )
    if isinstance(exc, anthropic.APIStatusError):
        status, kind = exc.status_code, getattr(exc, "type", None) or ""
        if status in (401, 403) or kind in ("authentication_error", "permission_error"):
            return BadApiKey(f"the Anthropic API key was refused ({status}{_api_detail(exc)})", hint=KEY_HINT)
        if status == 429 or kind == "rate_limit_error":
            return RateLimited(
                "Anthropic's API is rate limiting this key (429), even after retrying",
                hint=f"wait a minute and try again. {SAVED}",
            )
        if status == 529 or kind == "overloaded_error":
            where = "mid-reply" if status == 200 else "(529)"
            return Overloaded(f"Anthropic's API is overloaded {where}", hint=f"try again in a few minutes. {SAVED}")
        if status >= 500 or kind == "api_error":
            return Overloaded(f"Anthropic's API failed ({status}{_api_detail(exc)})", hint=f"try again later. {SAVED}")
        if status == 404 or kind == "not_found_error":
            return RequestRefused(
                f"the API does not know this model or address ({status}{_api_detail(exc)})",
                hint="choose another model with /model, or check ANTHROPIC_BASE_URL",
            )
        return RequestRefused(f"Anthropic's API refused the request ({status}{_api_detail(exc)})", hint=SAVED)
    if mid_stream or _is_transport_error(exc):
        return StreamCut(f"the reply was cut off ({type(exc).__name__})", hint=SAVED)
    return ProviderError(f"the model call failed: {type(exc).__name__}: {error_text(exc, 120)}", hint=SAVED)


def _is_transport_error(exc: BaseException) -> bool:
    try:
        import httpx2
    except ImportError:  # pragma: no cover - the SDK depends on it
        return False
    return isinstance(exc, httpx2.HTTPError | httpx2.StreamError)


# ---- warming the SDK up in the warm server ---------------------------------------------------------------------

# One streamed reply as the Messages API sends it (a text block, then a tool call), and the same reply not streamed:
# what `prepare_sdk` has the SDK parse. The names and ids are made up; only the shapes matter.
_WARM_UP_MESSAGE: dict[str, Any] = {
    "id": "msg_warm_up", "type": "message", "role": "assistant", "model": "warm-up", "content": [],
    "stop_reason": None, "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
}  # fmt: skip
_WARM_UP_EVENTS: tuple[dict[str, Any], ...] = (
    {"type": "message_start", "message": _WARM_UP_MESSAGE},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Logged."}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1,
     "content_block": {"type": "tool_use", "id": "toolu_warm_up", "name": "warm_up", "input": {}}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"n": 1}'}},
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
)  # fmt: skip


# The TLS context a client of the SDK would make (`prepare_tls`), with what it was read from.
_TLS: tuple[tuple[object, ...], Any] | None = None


def prepare_tls() -> None:
    """Make the TLS context the SDK's HTTP client makes for itself (the trust store: ~50 ms of a chat, reading and
    parsing every CA certificate), for a warm server's chat worker to use (`prepared_tls`)."""
    global _TLS
    import os
    import ssl

    import httpcore2  # the SDK's HTTP client's transport, which makes the context

    defaults = ssl.get_default_verify_paths()
    if not (os.path.isfile(defaults.openssl_cafile) or os.path.isdir(defaults.openssl_capath)):
        return  # it would look further (files `_trust_store` does not watch): each client makes its own
    source = _trust_store()
    _TLS = (source, httpcore2.default_ssl_context())


def prepared_tls() -> Any:
    """The context `prepare_tls` made, if it was read from what this process would read now (the same SSL_CERT_FILE
    and SSL_CERT_DIR, and files unchanged since); else None, and the SDK makes its own."""
    prepared = _TLS
    if prepared is None or prepared[0] != _trust_store():
        return None
    return prepared[1]


def _trust_store() -> tuple[object, ...]:
    """What the SDK's client reads its trust store from (as `httpcore2.default_ssl_context` chooses it), each file
    or folder with its identity and time of change: a certificate added or removed since changes it."""
    import os
    import ssl

    defaults = ssl.get_default_verify_paths()
    places = [os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"), defaults.openssl_cafile]
    places.append(defaults.openssl_capath)
    marks: list[object] = []
    for place in places:
        try:
            status = os.stat(place) if place else None
        except OSError:
            status = None
        marks.append((place, (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns) if status else None))
    return tuple(marks)


def prepare_sdk() -> None:
    """Import Claude's SDK and have it parse one streamed reply and one whole reply, from a stand-in for the API inside
    this process (a MockTransport: no socket is opened and no thread started).

    The SDK builds its parser for each kind of event and content block the first time it meets one (pydantic type
    adapters, ~0.1 s in all); the warm server does this once, so a chat's worker, forked from it, finds them built."""
    import json

    import anthropic
    import httpx2  # the SDK's HTTP client (a fork of httpx), which it insists on

    def answer(request: httpx2.Request) -> httpx2.Response:
        if json.loads(request.content or b"{}").get("stream"):
            body = "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in _WARM_UP_EVENTS)
            return httpx2.Response(200, headers={"content-type": "text/event-stream"}, text=body)
        whole = {**_WARM_UP_MESSAGE, "content": [{"type": "text", "text": "Logged."}], "stop_reason": "end_turn"}
        return httpx2.Response(200, json=whole)

    with httpx2.Client(transport=httpx2.MockTransport(answer)) as http:
        provider = ClaudeProvider(
            "warm-up", model="warm-up", background_model="warm-up", base_url="http://warm-up.invalid", max_retries=0
        )
        provider._client = anthropic.Anthropic(
            api_key="warm-up", base_url="http://warm-up.invalid", http_client=http, max_retries=0
        )
        tool = {"name": "warm_up", "description": "", "input_schema": {"type": "object", "properties": {}}}
        request = Request(model="warm-up", system="", context="warm up", messages=[{"role": "user", "content": "hi"}])
        params = provider._params(request) | {"tools": [tool]}
        with provider._client.messages.stream(**params) as stream:
            for _event in stream:
                pass
        provider.complete("", "hi")
