"""The provider interface: a request in, a stream of events out (text delta, tool call, usage, done).

Messages use the Anthropic content-block shape as paa's common format: `{"role": "user" | "assistant",
"content": [blocks]}` with `text`, `tool_use` and `tool_result` blocks. Every provider reads that shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply's text, in order."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The model asks paa to run a tool; `input` is the parsed JSON arguments."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Tokens of one model call; `input_tokens` excludes the cached parts, which are counted apart."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


@dataclass(frozen=True)
class Done:
    """The call ended; `stop_reason` is `end_turn`, `tool_use`, `max_tokens`, ... or `interrupted`."""

    stop_reason: str | None
    model: str


ProviderEvent = TextDelta | ToolCall | Usage | Done


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it."""

    name: str
    description: str
    input_schema: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


@dataclass(frozen=True)
class Request:
    """One model call: the stable system prompt (cached), the per-turn context, history, and tools.

    `known_habits` lets a provider without a model (offline) match words to habits; a model gets them in the
    context text instead. `attachments` names the files of the person's newest message (their content blocks are in
    `messages` for a model; the offline rules get only the names, to say plainly that they cannot read them).
    """

    model: str
    system: str
    context: str
    messages: list[dict[str, Any]]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 2048
    known_habits: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()


class CancelToken:
    """Set when the person stops a reply; a provider registers how to close its stream at once.

    `cancel()` may run inside a signal handler (the CLI's Ctrl-C), on top of whatever frame the main thread was in,
    even this token's own `on_cancel`. So it takes no lock (a lock held by the interrupted frame would never be
    released) and changes state only by steps the interpreter makes atomic: a flag assignment and list
    append/pop/remove. Each closer runs once, and a closer registered during or after `cancel()` still runs.
    """

    def __init__(self) -> None:
        self._cancelled = False
        self._closers: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def on_cancel(self, closer: Callable[[], None]) -> Callable[[], None]:
        """Run `closer` when cancelled (now, if already); returns a function that unregisters it."""
        self._closers.append(closer)
        if self._cancelled:  # cancelled before or while it was added: `cancel()` may have missed it
            self._run_closers()
        return lambda: self._forget(closer)

    def _forget(self, closer: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):  # already run, or forgotten
            self._closers.remove(closer)

    def cancel(self) -> None:
        self._cancelled = True
        self._run_closers()

    def _run_closers(self) -> None:
        while True:
            try:
                closer = self._closers.pop()  # atomic: two callers never run the same closer
            except IndexError:
                return
            with contextlib.suppress(Exception):  # closing a stream that already ended is fine
                closer()


class Provider(Protocol):
    """Something that answers: `stream` for the conversation, `complete` for short background jobs."""

    name: str
    online: bool

    def stream(self, request: Request, cancel: CancelToken | None = None) -> Iterator[ProviderEvent]: ...

    def complete(self, system: str, prompt: str, *, model: str | None = None, max_tokens: int = 400) -> Completion: ...

    def warm_up(self) -> None: ...


@dataclass(frozen=True)
class Completion:
    """The text of a short non-streamed call and what it cost."""

    text: str
    usage: Usage
    model: str
