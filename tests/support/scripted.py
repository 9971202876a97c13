"""A provider fed from a script, plugged in through the real provider interface (for tests that need no HTTP)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from paa.ai.providers.base import CancelToken, Completion, Done, ProviderEvent, Request, TextDelta, ToolCall, Usage


@dataclass
class Turn:
    """One scripted model call: text (streamed in pieces), tool calls, usage; or an exception to raise."""

    text: str = ""
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(100, 20))
    raises: BaseException | None = None
    pieces: int = 3
    before_piece: Callable[[int], None] | None = None  # called before each text piece (to cancel mid-way)


class ScriptedProvider:
    """Answers each `stream` call with the next Turn and records the Request it got."""

    name = "scripted"

    def __init__(self, *turns: Turn, online: bool = True, completions: list[str] | None = None) -> None:
        self.turns = deque(turns)
        self.requests: list[Request] = []
        self.online = online
        self.model = "scripted-model"
        self.background_model = "scripted-background"
        self.completions = deque(completions or [])
        self.completion_prompts: list[tuple[str, str]] = []

    def warm_up(self) -> None:
        return None

    def stream(self, request: Request, cancel: CancelToken | None = None) -> Iterator[ProviderEvent]:
        self.requests.append(request)
        if not self.turns:
            raise AssertionError("the scripted provider ran out of turns")
        turn = self.turns.popleft()
        if turn.raises is not None:
            raise turn.raises
        if turn.text:
            size = max(1, -(-len(turn.text) // turn.pieces))
            for number, start in enumerate(range(0, len(turn.text), size)):
                if turn.before_piece is not None:
                    turn.before_piece(number)
                if cancel is not None and cancel.cancelled:
                    yield turn.usage
                    yield Done("interrupted", request.model)
                    return
                yield TextDelta(turn.text[start : start + size])
        for number, (name, arguments) in enumerate(turn.tools):
            yield ToolCall(f"call_{len(self.requests)}_{number}", name, arguments)
        yield turn.usage
        yield Done("tool_use" if turn.tools else "end_turn", request.model)

    def complete(self, system: str, prompt: str, *, model: str | None = None, max_tokens: int = 400) -> Completion:
        self.completion_prompts.append((system, prompt))
        if not self.completions:
            raise AssertionError("the scripted provider has no completion left")
        return Completion(self.completions.popleft(), Usage(50, 10), model or self.background_model)
