"""The assistant without a model: common requests by rules, through the same tools; the rest it declines plainly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from paa.ai.intents import Intent, parse
from paa.ai.providers.base import CancelToken, Completion, Done, ProviderEvent, Request, TextDelta, ToolCall, Usage

MODEL = "offline"
LIMITS = (
    "I'm running offline (no Anthropic API key), so I only understand simple requests: logging or skipping "
    'habits ("I drank 2 glasses of water and ran 5 km"), progress questions ("how am I doing with running?"), '
    'listing habits, reminders ("remind me to stretch at 21:00 on weekdays"), "remember that ...", and '
    "check-ins (/checkin). Open questions, advice and summaries need Claude: `paa auth key set anthropic`."
)
CAN_DO = (
    "I'm running offline (no Anthropic API key), so I answer simple requests by rules: log or skip a habit (\"I ran "
    '5 km"), "how am I doing?", "what are my habits?", reminders, "remember that ..." and /checkin. Say "help" for '
    "more."
)
SMALL_TALK = {
    "greeting": "Hello! " + CAN_DO,
    "thanks": "You're welcome. " + CAN_DO,
    "farewell": "Bye for now.",
}
# Tools that answer a question: offline, the answer is the numbers alone, and it says why.
QUESTION_TOOLS = frozenset({"overall_analytics", "habit_analytics"})
NUMBERS_ONLY = (
    "(Offline, so just the numbers: Claude can tell you what they mean once a key is set with "
    "`paa auth key set anthropic`.)"
)


class OfflineProvider:
    """Answers by rules; a tool round works exactly as with a model."""

    name = "offline"
    online = False
    model = MODEL
    background_model = MODEL

    def warm_up(self) -> None:
        return None

    def stream(self, request: Request, cancel: CancelToken | None = None) -> Iterator[ProviderEvent]:
        last = request.messages[-1] if request.messages else {"role": "user", "content": []}
        results = [b for b in _blocks(last) if b.get("type") == "tool_result"]
        if results:
            text = _describe_results(results, _calls_before(request.messages))
            yield from _say(text, "end_turn")
            return
        question = " ".join(b.get("text", "") for b in _blocks(last) if b.get("type") == "text")
        if request.attachments:
            yield TextDelta(cannot_read(request.attachments) + ("\n\n" if question.strip() else ""))
            if not question.strip():
                yield Usage()
                yield Done("end_turn", MODEL)
                return
        intents = parse(question, request.known_habits)
        calls = [intent for intent in intents if intent.tool]
        if calls:
            for number, intent in enumerate(calls, start=1):
                assert intent.tool is not None
                yield ToolCall(f"offline_{len(request.messages)}_{number}", intent.tool, dict(intent.args))
            yield Usage()
            yield Done("tool_use", MODEL)
            return
        replies = [intent.reply for intent in intents if intent.reply]
        yield from _say(" ".join(replies) if replies else _fallback(intents), "end_turn")

    def complete(self, system: str, prompt: str, *, model: str | None = None, max_tokens: int = 400) -> Completion:
        raise NotImplementedError("the offline provider does no background work")


def cannot_read(names: tuple[str, ...]) -> str:
    """What the offline rules say of attached files: kept, but not read."""
    listed = ", ".join(names)
    return (
        f"I can't read attached files offline ({listed}): reading images, PDFs and documents needs Claude "
        "(`paa auth key set anthropic`). They are kept with your message, so you can ask again once a key is set."
    )


def _say(text: str, stop_reason: str) -> Iterator[ProviderEvent]:
    yield TextDelta(text)
    yield Usage()
    yield Done(stop_reason, MODEL)


def _fallback(intents: list[Intent]) -> str:
    if intents and intents[0].name == "help":
        return LIMITS
    if intents and intents[0].name in SMALL_TALK:
        return SMALL_TALK[intents[0].name]
    return "I can't answer that offline. " + LIMITS


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [block for block in content or [] if isinstance(block, dict)]


def _calls_before(messages: list[dict[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for message in messages:
        for block in _blocks(message):
            if block.get("type") == "tool_use":
                names[str(block.get("id"))] = str(block.get("name"))
    return names


def _describe_results(results: list[dict[str, Any]], names: dict[str, str]) -> str:
    lines = []
    answered_a_question = False
    for block in results:
        raw = block.get("content")
        if isinstance(raw, list):
            raw = " ".join(part.get("text", "") for part in raw if isinstance(part, dict))
        try:
            data = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if data.get("declined"):
            lines.append("OK, I left it as it was.")
        elif block.get("is_error") or "error" in data:
            hint = f" ({data['hint']})" if data.get("hint") else ""
            action = names.get(str(block.get("tool_use_id")), "that").replace("_", " ")
            lines.append(f"I couldn't {action}: {data.get('error', 'it failed')}{hint}.")
        else:
            lines.append(str(data.get("summary") or "Done."))
            answered_a_question |= names.get(str(block.get("tool_use_id"))) in QUESTION_TOOLS
    if answered_a_question:
        lines.append(NUMBERS_ONLY)
    return "\n".join(lines)
