"""Conversation insights for analytics: the topics and intents of each conversation, stored as an analytics event
(`conversation_insight`, one per conversation, updated as it grows).

Local rules always give a first reading (tools used, recognised requests, topic words); a model, when there is
one, replaces it with its own reading of the transcript.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from paa.ai.background import call, parse_json, transcript
from paa.ai.intents import parse, stem
from paa.ai.providers.base import Provider
from paa.ai.store import INSIGHT_EVENT, Contexts, conversation_events, messages_of, payload_json, record_event
from paa.core.context import Context
from paa.errors import PaaError

INSIGHT_SYSTEM = """\
You label a conversation between a person and their habit assistant, paa, for the person's own analytics. \
Answer with one JSON object and nothing else: {"topics": up to 5 short lowercase topics (e.g. "sleep", "running", \
"work stress"), "intents": up to 5 of "log_habit", "skip_habit", "progress", "checkin", "plan", "advice", \
"reminder", "memory", "manage_habits", "chat"}."""
TOOL_INTENTS = {
    "log_habit": "log_habit", "skip_habit": "skip_habit", "unlog_habit": "log_habit",
    "habit_analytics": "progress", "overall_analytics": "progress", "record_checkin": "checkin",
    "add_reminder": "reminder", "list_reminders": "reminder", "remember": "memory", "forget": "memory",
    "search_memory": "memory", "create_habit": "manage_habits", "edit_habit": "manage_habits",
    "archive_habit": "manage_habits", "delete_habit": "manage_habits", "list_habits": "manage_habits",
    "get_preferences": "chat", "set_preference": "chat",
}  # fmt: skip
INTENT_NAMES = {
    "log": "log_habit", "skip": "skip_habit", "unlog": "log_habit", "habit_progress": "progress",
    "progress": "progress", "checkin": "checkin", "record_checkin": "checkin", "add_reminder": "reminder",
    "list_reminders": "reminder", "remember": "memory", "forget": "memory", "create_habit": "manage_habits",
    "delete_habit": "manage_habits", "archive_habit": "manage_habits", "list_habits": "manage_habits",
}  # fmt: skip
TOPIC_WORDS = {
    "sleep": "sleep bed tired insomnia nap rest",
    "exercise": "run jog gym workout exercis walk swim bike cycl yoga stretch lift train sport",
    "food": "eat food diet meal cook breakfast lunch dinner snack sugar",
    "hydration": "water drink hydrat",
    "work": "work job meet deadlin project boss office colleagu",
    "stress": "stress anxious anxiety worri overwhelm pressur",
    "mood": "mood happy sad down upset feel emotion",
    "health": "health pain knee back sick ill doctor injur",
    "mindfulness": "meditat mindful breath calm journal",
    "learning": "read book study learn cours practic",
    "social": "friend family partner kid parent social call",
    "habits": "habit streak routin goal",
}
TOPICS_MAX = 8
TOPIC_STEMS = {topic: {stem(word) for word in words.split()} for topic, words in TOPIC_WORDS.items()}


@dataclass(frozen=True)
class ConversationInsight:
    conversation_id: int
    topics: list[str]
    intents: list[str]
    source: str
    messages: int

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "topics": self.topics,
            "intents": self.intents,
            "source": self.source,
            "messages": self.messages,
        }


def local_insight(ctx: Context, conversation_id: int) -> ConversationInsight:
    """Topics and intents by rules: the tools that ran, the requests recognised, and topic words."""
    from paa.core.habits.manage import list_habits

    rows = messages_of(ctx, conversation_id)
    habits = [h.name for h in list_habits(ctx, include_archived=True)]
    intents: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for row in rows:
        if row.role == "assistant" and row.tool_calls:
            try:
                calls = json.loads(row.tool_calls)
            except ValueError:
                calls = []
            for item in calls if isinstance(calls, list) else []:
                if isinstance(item, dict) and item.get("name") in TOOL_INTENTS:
                    intents[TOOL_INTENTS[item["name"]]] += 1
        if row.role != "user":
            continue
        recognised = [INTENT_NAMES.get(i.name) for i in parse(row.content, habits)]
        intents.update(name for name in recognised if name)
        if not recognised:
            intents["chat"] += 1
        words = {stem(w) for w in re.findall(r"[\w']+", row.content)}
        for topic, stems in TOPIC_STEMS.items():
            if words & stems:
                topics[topic] += 1
        for habit in habits:
            if {stem(w) for w in re.findall(r"[\w']+", habit)} & words:
                topics[habit.lower()] += 1
    return ConversationInsight(
        conversation_id,
        [name for name, _ in topics.most_common(TOPICS_MAX)],
        [name for name, _ in intents.most_common(5)],
        "local",
        len(rows),
    )


def stored_insight(ctx: Context, conversation_id: int) -> ConversationInsight | None:
    """The insight stored for a conversation (its latest reading), or None before one was recorded."""
    found = conversation_events(ctx, INSIGHT_EVENT, conversation_id)
    if not found:
        return None
    payload = found[-1][1]
    return ConversationInsight(
        conversation_id, [str(t) for t in payload.get("topics") or []], [str(i) for i in payload.get("intents") or []],
        str(payload.get("source") or ""), int(payload.get("messages") or 0),
    )  # fmt: skip


def _clean_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    items = [" ".join(str(item).lower().split())[:40] for item in value if str(item).strip()]
    return list(dict.fromkeys(items))[:5]


def record_insight(
    contexts: Contexts, conversation_id: int, provider: Provider | None = None
) -> ConversationInsight | None:
    """Compute and store the insight of a conversation (by model when one is given and online, else by rules)."""
    from paa.ai import settings

    with contexts() as ctx:
        rows = messages_of(ctx, conversation_id)
        if not any(row.role == "user" for row in rows):
            return None
        existing = conversation_events(ctx, INSIGHT_EVENT, conversation_id)
        if existing and existing[-1][1].get("messages") == len(rows):
            payload = existing[-1][1]
            return ConversationInsight(
                conversation_id, payload.get("topics", []), payload.get("intents", []), payload.get("source", ""),
                len(rows),
            )  # fmt: skip
        insight = local_insight(ctx, conversation_id)
        model = str(settings.setting(ctx, "ai_background_model"))
    if provider is not None and provider.online:
        try:
            done = call(
                contexts, provider, INSIGHT_SYSTEM, transcript(rows, 12_000), purpose="insight",
                conversation_id=conversation_id, model=model, max_tokens=200,
            )  # fmt: skip
            data = parse_json(done.text) or {}
            topics, intents = _clean_list(data.get("topics")), _clean_list(data.get("intents"))
            if topics or intents:
                insight = ConversationInsight(conversation_id, topics, intents, done.model, len(rows))
        except PaaError:
            pass  # the local reading stands
    with contexts(write=True) as ctx:
        payload = insight.to_json()
        found = conversation_events(ctx, INSIGHT_EVENT, conversation_id)
        if found:
            event = found[-1][0]
            event.payload = payload_json(payload)
            event.created_at = ctx.now()
            ctx.session.add(event)
        else:
            record_event(ctx, INSIGHT_EVENT, payload)
    return insight
