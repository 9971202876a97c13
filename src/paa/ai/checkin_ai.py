"""Check-ins with a model: after a check-in is saved, refine its sentiment, keep a two-sentence summary as a memory,
and perhaps ask one follow-up question.

The model is called after the check-in is committed, never inside its transaction; the refined sentiment is then
written through core's `SentimentRefiner` hook in a second short transaction. Without a provider nothing happens,
and a model failure leaves the local (VADER) result in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from paa.ai.background import call, parse_json
from paa.ai.providers.base import Provider
from paa.ai.store import Contexts
from paa.core.checkins.sentiment import LOCAL_SOURCE, Sentiment, label_for
from paa.core.context import Acting, Context
from paa.core.runtime import Runtime
from paa.errors import PaaError

CHECKIN_SYSTEM = """\
You read a person's daily check-in for their assistant, paa. Answer with one JSON object and nothing else:
{"sentiment_score": number from -1 (very negative) to 1 (very positive),
 "sentiment_label": "positive" | "neutral" | "negative",
 "summary": two sentences in the second person about how the day went and what stood out,
 "follow_up": one short caring question if the answers call for one (a worry, a low mood, something \
unfinished), else null}
The local analyser's score is given; correct it when the words mean something it missed (irony, context)."""


@dataclass(frozen=True)
class CheckinInsight:
    """What the model made of a check-in."""

    day: date
    sentiment: Sentiment | None
    summary: str | None
    follow_up: str | None
    memory_id: int | None
    model: str | None = None  # the model that read it (not in the JSON: `sentiment.source` says it)

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "sentiment": self.sentiment.to_json() if self.sentiment else None,
            "summary": self.summary,
            "follow_up": self.follow_up,
            "memory_id": self.memory_id,
        }


class FixedRefiner:
    """A `SentimentRefiner` that hands core a sentiment already computed (outside the transaction)."""

    def __init__(self, sentiment: Sentiment) -> None:
        self.sentiment = sentiment

    def refine(self, texts: Sequence[str], local: Sentiment) -> Sentiment | None:
        return self.sentiment


def _prompt(checkin: Any) -> str:
    lines = [f"Day: {checkin.day.isoformat()}", f"Mood: {checkin.mood}/5" if checkin.mood else "Mood: not given"]
    if checkin.energy:
        lines.append(f"Energy: {checkin.energy}/5")
    if checkin.sentiment:
        lines.append(f"Local analyser: {checkin.sentiment.score:+.2f} ({checkin.sentiment.label})")
    for answer in checkin.answers:
        lines.append(f"Q: {answer.prompt}\nA: {answer.answer}")
    return "\n".join(lines)


def _sentiment(data: dict[str, Any], model: str) -> Sentiment | None:
    try:
        score = max(-1.0, min(1.0, float(data["sentiment_score"])))
    except (KeyError, TypeError, ValueError):
        return None
    label = data.get("sentiment_label")
    if label not in ("positive", "neutral", "negative"):
        label = label_for(score)
    return Sentiment(round(score, 4), label, model[:32])


def after_checkin(contexts: Contexts, provider: Provider | None, day: date) -> CheckinInsight | None:
    """Refine a saved check-in with the model and store its summary as a memory; for today's, perhaps a question.

    None when there is no model, or when the check-in changed while the model read it (nothing is written then).
    """
    from sqlmodel import select

    from paa.ai import checkins, recall, settings
    from paa.core.checkins.entries import find_checkin, get_checkin
    from paa.db.models import DailyCheckin

    if provider is None or not provider.online:
        return None
    with contexts() as ctx:
        checkin = get_checkin(ctx, day)
        model = str(settings.setting(ctx, "ai_background_model"))
        today = ctx.today()
    prompt = _prompt(checkin)
    try:
        done = call(contexts, provider, CHECKIN_SYSTEM, prompt, purpose="checkin", model=model)
    except PaaError:
        return None
    data = parse_json(done.text) or {}
    sentiment = _sentiment(data, done.model)
    summary = " ".join(str(data.get("summary") or "").split()) or None
    # The question asks how the person is now: it follows today's check-in, not one filled in for a past day.
    follow_up = (" ".join(str(data.get("follow_up") or "").split()) or None) if day == today else None
    memory_id = None
    with contexts(write=True) as ctx:
        current = find_checkin(ctx, day)
        if current is None or _prompt(current) != prompt:
            # Changed (an answer appended in the browser, say) or deleted while the model read it: this reading is
            # of words no longer there, and writing it would put the old answers back over the new ones. The
            # change's own reading follows (the one who saved it asks for it), on the words as they are now.
            return None
        if sentiment is not None:
            checkins.edit(ctx, day, answers=list(checkin.answers), refiner=FixedRefiner(sentiment))
        if summary:
            row = ctx.session.exec(
                select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id, DailyCheckin.day == day)
            ).first()
            memory = recall.remember(ctx, f"Check-in {day.isoformat()}: {summary}", kind="checkin",
                                     source_id=row.id if row else None)  # fmt: skip
            memory_id = memory.id
    return CheckinInsight(day, sentiment, summary, follow_up, memory_id, done.model)


def keep_follow_up(
    contexts: Contexts, insight: CheckinInsight | None, conversation_id: int | None = None
) -> int | None:
    """Keep a check-in's follow-up question as the assistant's turn of a new conversation (or of `conversation_id`),
    so `paa chat --continue` answers it; returns the conversation's id (None without a question).

    The person's turn before it is their check-in as the model read it: the API needs a conversation to start with
    the person, and the assistant then knows what it asked about.
    """
    from paa.ai.store import add_message, create_conversation
    from paa.core.checkins.entries import get_checkin

    if insight is None or not insight.follow_up:
        return None
    with contexts(write=True) as ctx:
        checkin = get_checkin(ctx, insight.day)
        opening = f"My check-in for {insight.day.strftime('%A %d %B %Y')}:\n{_prompt(checkin)}"
        if conversation_id is None:
            conversation_id = create_conversation(ctx, f"Check-in {insight.day.isoformat()}").id
        assert conversation_id is not None
        add_message(ctx, conversation_id, "user", opening)
        add_message(ctx, conversation_id, "assistant", insight.follow_up, model=insight.model)
        return conversation_id


def read_saved_checkin(runtime: Runtime, acting: Acting, day: date) -> None:
    """After a server (the API, the browser app) saved or changed a check-in: have the model read it, in a
    `paa worker` when the job queue is on (the job carries the user and the day, never the answers), else here, and
    here too when Redis cannot take the job. Both ways go through `read_unread_checkin`."""
    from paa.ai import queue

    jobs = queue.attached(runtime)
    user_id = acting.user.id
    if jobs is not None and user_id is not None and jobs.try_enqueue(queue.READ_CHECKIN, user_id=user_id,
                                                                       day=day.isoformat()):  # fmt: skip
        return
    read_unread_checkin(runtime, acting, day)


def read_unread_checkin(runtime: Runtime, acting: Acting, day: date) -> int | None:
    """With an API key, have the model read the user's check-in of `day` unless a model read it since it last
    changed, and keep its follow-up question; the conversation's id. The queue's job, and the server's own reading.

    Every change but the model's own puts the local sentiment back (core scores the answers again), so a sentiment
    from a model means "read since the last change": a retried or repeated job reads it once, and a check-in
    appended to is read again. The person's words never travel in a job: they are read here, from the database.
    """
    from sqlmodel import select

    from paa.ai import settings
    from paa.ai.providers.select import choose
    from paa.core.accounts.secrets import get_secret
    from paa.db.models import DailyCheckin

    if get_secret(runtime.paths, "anthropic", runtime.environ) is None:
        return None  # offline: the local sentiment stands

    def contexts(*, write: bool = False) -> AbstractContextManager[Context]:
        return runtime.context(write=write, acting=acting)

    with contexts() as ctx:
        row = ctx.session.exec(
            select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id, DailyCheckin.day == day)
        ).first()
        if row is None or row.sentiment_source not in (None, LOCAL_SOURCE):
            return None  # deleted since, or read by a model since it last changed
        provider = choose(runtime.paths, settings.load(ctx), runtime.environ)
    return keep_follow_up(contexts, after_checkin(contexts, provider, day))
