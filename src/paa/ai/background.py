"""Short model calls the person does not watch: summaries of older turns, check-in notes, conversation insights.

Each runs on the background model, outside any write transaction, and its usage is stored like a reply's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from paa.ai.providers.base import Completion, Provider
from paa.ai.store import USAGE_EVENT, Contexts, record_event
from paa.db.models import Message

SUMMARY_SYSTEM = """\
You condense the older part of a conversation between a person and their assistant, paa, so the assistant can \
continue it without the full text. Keep what matters later: facts about the person, decisions, what was logged \
or changed, open questions, promises. Write plain sentences, at most 150 words, no preamble."""
_JSON_BLOCK = re.compile(r"\{.*\}", re.S)


def call(
    contexts: Contexts,
    provider: Provider,
    system: str,
    prompt: str,
    *,
    purpose: str,
    conversation_id: int | None = None,
    model: str | None = None,
    max_tokens: int = 400,
) -> Completion:
    """One background call; its usage is stored as a `chat_usage` event with its purpose."""
    done = provider.complete(system, prompt, model=model, max_tokens=max_tokens)
    with contexts(write=True) as ctx:
        record_event(
            ctx, USAGE_EVENT, {"conversation_id": conversation_id, "purpose": purpose, "model": done.model,
                               **done.usage.to_json()},
        )  # fmt: skip
    return done


def parse_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model's answer (models sometimes wrap it in prose or a code fence)."""
    match = _JSON_BLOCK.search(text)
    if match is None:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def transcript(rows: Sequence[Message], limit_chars: int = 24_000) -> str:
    lines = []
    for row in rows:
        if row.role == "user":
            lines.append(f"Person: {row.content}")
        elif row.role == "assistant" and row.content.strip():
            lines.append(f"paa: {row.content}{' [interrupted]' if row.interrupted else ''}")
        elif row.role == "tool":
            lines.append(f"(tool result: {row.content[:300]})")
    text = "\n".join(lines)
    return text if len(text) <= limit_chars else "…" + text[-limit_chars:]


def summarise(
    contexts: Contexts,
    provider: Provider,
    previous: str | None,
    rows: Sequence[Message],
    *,
    conversation_id: int,
    model: str | None = None,
) -> str:
    """A new summary covering the previous one and `rows`."""
    prompt = (f"Summary so far:\n{previous}\n\n" if previous else "") + "Conversation to add:\n" + transcript(rows)
    done = call(
        contexts, provider, SUMMARY_SYSTEM, prompt, purpose="summary", conversation_id=conversation_id, model=model
    )
    text = done.text.strip()
    if not text:
        raise ValueError("the model returned an empty summary")
    return text
