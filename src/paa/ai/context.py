"""What the model is told: a stable system prompt (cached), the per-turn context within a token budget, and the
conversation history in API form."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from paa.ai.recall import Hit
from paa.core.context import Context
from paa.core.words import plural
from paa.db.models import Message

SYSTEM_PROMPT = """\
You are paa, a personal assistant that lives in the user's terminal. You help them keep their habits, reflect \
in daily check-ins, and understand their progress. You know their habits, recent check-ins, mood and what they \
told you before: it is given below under "Context", refreshed on every message.

How to work:
- Act through the tools; never claim you logged, changed or remembered something unless a tool result says so.
- When the user reports doing habits ("I drank 2 glasses of water and ran 5 km"), call log_habit once per habit, \
with the value in the habit's unit when it is measurable, then say briefly what was logged.
- For questions about progress, call habit_analytics or overall_analytics and answer from the figures; do not guess.
- Destructive tools (delete_habit, unlog_habit, forget) ask the user to confirm; if they decline, accept it.
- If a tool returns an error, explain it in plain words and suggest what to do; do not retry blindly.
- Remember lasting facts the user shares about themselves (remember); do not store trivia.
- Dates: "today" is the user's habit day given in the context. Times are in the user's time zone.
- Be brief: a terminal is small. Use short paragraphs or lists; Markdown is rendered.
- Match the tone the user asked for; use their name when it is known.
"""
CHARS_PER_TOKEN = 4
MEMORY_LIMIT = 8
CHECKIN_DAYS = 7
ANSWER_CHARS = 160


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters a token), good enough for budgeting."""
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class Section:
    title: str
    lines: list[str]
    share: float  # fraction of the budget this section may use when space is short

    def render(self, budget: int) -> str:
        kept: list[str] = []
        used = estimate_tokens(self.title)
        for line in self.lines:
            cost = estimate_tokens(line)
            if used + cost > budget:
                kept.append(f"({len(self.lines) - len(kept)} more not shown)")
                break
            kept.append(line)
            used += cost
        return "\n".join([f"## {self.title}", *kept]) if kept else ""


@dataclass(frozen=True)
class TurnContext:
    """The context text for one turn, and what went into it."""

    text: str
    habit_names: tuple[str, ...]
    memory_ids: tuple[int, ...] = field(default_factory=tuple)
    hits: tuple[Hit, ...] = field(default_factory=tuple)


def _profile(ctx: Context, tone: str) -> list[str]:
    name = ctx.user.display_name
    return [
        f"- Name: {name}" if name else "- Name: not given (ask only if it matters)",
        f"- Preferred tone: {tone}",
        f"- Time zone: {ctx.prefs.timezone}; the day starts at {ctx.prefs.day_start_hour:02d}:00; "
        f"check-in time {ctx.prefs.checkin_time}",
    ]


def _habit_lines(ctx: Context) -> tuple[list[str], tuple[str, ...]]:
    from paa.core.habits.manage import list_habits, schedule_of
    from paa.core.habits.overview import statuses

    habits = list_habits(ctx, include_archived=True)
    active = [h for h in habits if not h.archived]
    lines = []
    for status in statuses(ctx, active, best=False):  # the current streak only: recent logs suffice
        habit = status.habit
        state = status.state.replace("_", " ")
        if habit.kind == "measurable":
            value = status.entry.value if status.entry and status.entry.value is not None else 0
            state += f", {value:g}/{habit.target:g} {habit.unit or ''}".rstrip()
            if habit.target_type == "at_most":
                state += " (at most)"
        schedule = schedule_of(habit).describe()
        current = status.current_streak
        streak = f", streak {plural(current.length, 'day')}" if current else ""
        lines.append(f"- {habit.name} (#{habit.id}): {state}{streak}; {schedule}")
    archived = [h.name for h in habits if h.archived]
    if archived:
        lines.append(f"- Archived: {', '.join(archived)}")
    return lines, tuple(h.name for h in habits)


def _checkin_lines(ctx: Context) -> list[str]:
    from paa.core.checkins.entries import list_checkins

    today = ctx.today()
    recent = list_checkins(ctx, today - timedelta(days=CHECKIN_DAYS * 2 - 1), today).checkins
    this_week = [c for c in recent if c.day > today - timedelta(days=CHECKIN_DAYS)]
    before = [c for c in recent if c.day <= today - timedelta(days=CHECKIN_DAYS)]
    lines = []
    for checkin in this_week:
        parts = [f"mood {checkin.mood}/5" if checkin.mood else "no mood"]
        if checkin.energy:
            parts.append(f"energy {checkin.energy}/5")
        if checkin.sentiment:
            parts.append(f"sentiment {checkin.sentiment.label}")
        said = " / ".join(a.answer for a in checkin.answers)
        if len(said) > ANSWER_CHARS:
            said = said[: ANSWER_CHARS - 1] + "…"
        lines.append(f"- {checkin.day.isoformat()} ({checkin.day.strftime('%a')}): {', '.join(parts)}: {said!r}")
    if not lines:
        return ["- No check-ins in the past week."]
    moods = [c.mood for c in this_week if c.mood]
    earlier = [c.mood for c in before if c.mood]
    if moods:
        trend = f"- Mood average this week: {sum(moods) / len(moods):.1f}/5"
        if earlier:
            trend += f" (the week before: {sum(earlier) / len(earlier):.1f}/5)"
        lines.insert(0, trend)
    return lines


def _memory_lines(hits: Iterable[Hit]) -> list[str]:
    lines = []
    for hit in hits:
        content = " ".join(hit.content.split())
        if len(content) > 300:
            content = content[:299] + "…"
        lines.append(f"- [memory #{hit.memory_id}, {hit.kind}, {hit.created_at.date().isoformat()}] {content}")
    return lines


def build_turn_context(
    ctx: Context,
    user_text: str,
    *,
    tone: str,
    budget_tokens: int,
    exclude_sources: set[int] | None = None,
    summary: str | None = None,
    hits: Sequence[Hit] | None = None,
) -> TurnContext:
    """The per-turn context: now, profile, today's habits, check-ins and mood, relevant memories, within budget."""
    from paa.ai import recall

    now = ctx.now().astimezone(ctx.prefs.zone)
    head = [
        "# Context",
        f"Now: {now.strftime('%A %Y-%m-%d %H:%M')} in {ctx.prefs.timezone}; today's habit day is "
        f"{ctx.today().isoformat()}.",
    ]
    habit_lines, names = _habit_lines(ctx)
    if hits is None:
        # A turn never waits for the embedding model: a one-shot `paa chat` answers from words; a long-lived process
        # (the REPL, the TUI, the server) loads the model in the background and adds meaning once it is in.
        hits = recall.search(ctx, user_text, limit=MEMORY_LIMIT, wait_for_model=False)
    hits = [h for h in hits if not (h.kind == "message" and exclude_sources and h.source_id in exclude_sources)]
    sections = [
        Section("Profile", _profile(ctx, tone), 0.15),
        Section("Today's habits", habit_lines or ["- No habits yet."], 0.35),
        Section("Recent check-ins", _checkin_lines(ctx), 0.25),
        Section("Relevant memories", _memory_lines(hits) or ["- Nothing stored matches this message."], 0.25),
    ]
    if summary:
        sections.append(Section("Earlier in this conversation (summary)", [summary], 1.0))
    fixed = estimate_tokens("\n".join(head))
    remaining = max(budget_tokens - fixed, 200)
    wanted = {s.title: sum(estimate_tokens(line) for line in s.lines) + estimate_tokens(s.title) for s in sections}
    total = sum(wanted.values())
    rendered = []
    for section in sections:
        if section.title.startswith("Earlier"):
            limit = wanted[section.title]  # the summary stands in for dropped turns: it is never cut
        elif total <= remaining:
            limit = wanted[section.title]
        else:
            limit = max(int(remaining * section.share), 40)
        text = section.render(limit)
        if text:
            rendered.append(text)
    memory_ids = tuple(hit.memory_id for hit in hits)
    return TurnContext("\n\n".join(["\n".join(head), *rendered]), names, memory_ids, tuple(hits))


# ---- history -------------------------------------------------------------------------------------------------


def _tool_calls(row: Message) -> Any:
    if not row.tool_calls:
        return None
    try:
        return json.loads(row.tool_calls)
    except ValueError:
        return None


def message_tokens(row: Message) -> int:
    return estimate_tokens(row.content) + (estimate_tokens(row.tool_calls) if row.tool_calls else 0) + 4


def to_api_messages(
    rows: Sequence[Message], attachments: Mapping[int, list[dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """Stored messages as a valid Messages API history: alternating roles, each tool_use answered by its result.

    An interrupted reply keeps its text (marked) but not its unanswered tool calls; consecutive messages of one
    role are merged, so a question that never got its answer is still sent with the next one. `attachments` holds
    the content blocks of a person's files by message id (paa.ai.attachments): they go before the words.
    """
    raw: list[dict[str, Any]] = []
    for row in rows:
        if row.role == "user":
            blocks: list[dict[str, Any]] = list((attachments or {}).get(row.id or 0, []))
            if row.content.strip() or not blocks:
                blocks.append({"type": "text", "text": row.content})
            raw.append({"role": "user", "content": blocks})
        elif row.role == "assistant":
            blocks = []
            text = row.content + ("\n\n[reply interrupted]" if row.interrupted else "")
            if text.strip():
                blocks.append({"type": "text", "text": text})
            calls = _tool_calls(row)
            if isinstance(calls, list) and not row.interrupted:
                for call in calls:
                    if isinstance(call, dict) and call.get("id") and call.get("name"):
                        blocks.append(
                            {
                                "type": "tool_use",
                                "id": call["id"],
                                "name": call["name"],
                                "input": call.get("input") or {},
                            }
                        )
            if blocks:
                raw.append({"role": "assistant", "content": blocks})
        elif row.role == "other":  # another person, in an imported conversation: on the user's side, named
            text = f"[{row.speaker or 'Someone else'}] {row.content}"
            raw.append({"role": "user", "content": [{"type": "text", "text": text}]})
        elif row.role == "tool":
            meta = _tool_calls(row) or {}
            if isinstance(meta, dict) and meta.get("tool_use_id"):
                block = {"type": "tool_result", "tool_use_id": meta["tool_use_id"], "content": row.content}
                if meta.get("is_error"):
                    block["is_error"] = True
                raw.append({"role": "user", "content": [block]})
    return _well_formed(_merged(raw))


def _merged(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {"role": message["role"], "content": merged[-1]["content"] + message["content"]}
        else:
            merged.append(message)
    return merged


def _well_formed(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop tool_use blocks whose result is missing and results whose call is missing; keep roles alternating."""
    fixed: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        content = list(message["content"])
        if message["role"] == "assistant":
            following = messages[index + 1]["content"] if index + 1 < len(messages) else []
            answered = {b.get("tool_use_id") for b in following if b.get("type") == "tool_result"}
            content = [b for b in content if b.get("type") != "tool_use" or b.get("id") in answered]
        else:
            previous = fixed[-1]["content"] if fixed and fixed[-1]["role"] == "assistant" else []
            asked = {b.get("id") for b in previous if b.get("type") == "tool_use"}
            content = [b for b in content if b.get("type") != "tool_result" or b.get("tool_use_id") in asked]
            # tool results must come first in their message
            content.sort(key=lambda b: 0 if b.get("type") == "tool_result" else 1)
        if content:
            if fixed and fixed[-1]["role"] == message["role"]:
                fixed[-1]["content"].extend(content)
            else:
                fixed.append({"role": message["role"], "content": content})
    while fixed and fixed[0]["role"] != "user":
        fixed.pop(0)
    return fixed


def split_for_budget(rows: Sequence[Message], budget_tokens: int) -> tuple[list[Message], list[Message]]:
    """(older, recent): the newest turns that fit the budget, cut where a person's message starts a turn."""
    used = 0
    cut = len(rows)
    for index in range(len(rows) - 1, -1, -1):
        used += message_tokens(rows[index])
        if used > budget_tokens and cut < len(rows):
            break
        if rows[index].role == "user":
            cut = index
    if used <= budget_tokens:
        cut = 0
    return list(rows[:cut]), list(rows[cut:])


def condensed(rows: Sequence[Message], previous: str | None = None, limit_chars: int = 2400) -> str:
    """A summary made without a model: the start of each message of the older turns, newest kept when long."""
    lines = [previous] if previous else []
    for row in rows:
        if row.role not in ("user", "assistant") or not row.content.strip():
            continue
        text = " ".join(row.content.split())
        lines.append(f"{'User' if row.role == 'user' else 'You'}: {text[:160]}{'…' if len(text) > 160 else ''}")
    text = "\n".join(lines)
    return text if len(text) <= limit_chars else "…" + text[-limit_chars:]
