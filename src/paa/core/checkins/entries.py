"""Daily check-ins: one per user and local day, with answers to the user's prompts, a mood, and a reflection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlmodel import col, select

from paa.core import validate
from paa.core.checkins.sentiment import Sentiment, SentimentRefiner, analyse, label_for
from paa.core.context import Context
from paa.db.models import CheckinPrompt, DailyCheckin
from paa.errors import Conflict, InvalidInput, NotFound

DEFAULT_PROMPTS = ("How was your day?", "Any wins today?")
MAX_PROMPTS = 20
PROMPT_MAX_CHARS = 200
ANSWER_MAX_CHARS = 10_000
MAX_ANSWERS = 50
INPUT_MAX_BYTES = 256 * 1024  # answers read from a stream (stdin): plenty for 50 long answers
WEEK_DAYS = 7
SAME_MOOD_MARGIN = 0.5  # a mood within this of the week's average reads as "about the same"

Mode = Literal["new", "append", "replace"]
Outcome = Literal["created", "appended", "replaced", "edited"]
UNSET: Any = object()


@dataclass(frozen=True)
class Answer:
    """One prompt and what the user wrote; stored as {"prompt", "answer"} in `daily_checkins.answers`."""

    prompt: str
    answer: str

    def to_json(self) -> dict[str, str]:
        return {"prompt": self.prompt, "answer": self.answer}


@dataclass(frozen=True)
class Prompt:
    """A prompt as the user sees it: its place (1 first) and its text."""

    position: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "text": self.text}


@dataclass(frozen=True)
class Checkin:
    """A stored check-in, read back."""

    day: date
    mood: int | None
    energy: int | None
    answers: tuple[Answer, ...]
    sentiment: Sentiment | None
    reflection: str | None
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "mood": self.mood,
            "energy": self.energy,
            "answers": [answer.to_json() for answer in self.answers],
            "sentiment": self.sentiment.to_json() if self.sentiment else None,
            "reflection": self.reflection,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class OpenHabit:
    """A habit still left to do on the check-in's day."""

    id: int
    name: str
    state: str  # due | partial
    value: float | None
    target: float | None
    unit: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "state": self.state,
            "value": self.value, "target": self.target, "unit": self.unit,
        }  # fmt: skip


@dataclass(frozen=True)
class Reflection:
    """The short look back a check-in ends with: mood against the past week, and what is still open."""

    day: date
    mood: int | None
    week_from: date
    week_to: date
    week_checkins: int
    week_mood_average: float | None
    mood_vs_week: Literal["higher", "lower", "same"] | None
    open_habits: tuple[OpenHabit, ...] | None  # None when the day is not today: then nothing is "still open"
    habits_due: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "mood": self.mood,
            "week": {
                "from": self.week_from.isoformat(),
                "to": self.week_to.isoformat(),
                "checkins": self.week_checkins,
                "mood_average": self.week_mood_average,
            },
            "mood_vs_week": self.mood_vs_week,
            "open_habits": None if self.open_habits is None else [h.to_json() for h in self.open_habits],
            "text": self.text,
        }


@dataclass(frozen=True)
class SaveResult:
    """What saving a check-in did, the check-in as it is now, and its reflection."""

    outcome: Outcome
    checkin: Checkin
    reflection: Reflection

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "checkin": self.checkin.to_json(), "reflection": self.reflection.to_json()}


@dataclass(frozen=True)
class CheckinHistory:
    """The check-ins between two days (either end open), newest first."""

    start: date | None
    end: date | None
    checkins: list[Checkin]

    @property
    def mood_average(self) -> float | None:
        moods = [c.mood for c in self.checkins if c.mood is not None]
        return round(sum(moods) / len(moods), 2) if moods else None

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "count": len(self.checkins),
            "mood_average": self.mood_average,
            "checkins": [c.to_json() for c in self.checkins],
        }


# ---- input checks -------------------------------------------------------------------------------


def scale(value: int | None, field: str) -> int | None:
    """Check a 1-5 rating (mood, energy); None means not given."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(f"{field} must be a whole number from 1 to 5 (got {value!r})")
    return value


def parse_scale(text: str, field: str) -> int | None:
    """Read a 1-5 rating typed by a person; blank means not given."""
    raw = text.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):  # "²" and "٣" pass isdigit() alone
        raise InvalidInput(f"{field} must be a whole number from 1 to 5 (got {raw[:20]!r})")
    return scale(int(raw), field)


def clean_answer(text: str, prompt: str) -> str:
    """An answer, trimmed and checked; it may span lines, up to ANSWER_MAX_CHARS characters."""
    return validate.clean_text(text, f"the answer to {prompt!r}", ANSWER_MAX_CHARS, multiline=True)


def pair_answers(prompts: Sequence[str], texts: Sequence[str | None]) -> list[Answer]:
    """Pair answers with prompts in order; None skips a prompt, an empty string is an error."""
    if len(texts) > len(prompts):
        raise InvalidInput(
            f"{len(texts)} answers for {len(prompts)} prompt{'s' if len(prompts) != 1 else ''}",
            hint="give one answer per prompt, or add prompts first (`paa checkin prompts add`)",
        )
    pairs = zip(prompts, texts, strict=False)  # fewer answers than prompts: the last prompts go unanswered
    answers = [Answer(prompt, clean_answer(text, prompt)) for prompt, text in pairs if text is not None]
    if not answers:
        raise InvalidInput("no answers given", hint="answer at least one prompt")
    return answers


def answers_from_input(data: bytes) -> list[str | None]:
    """Read answers from a stream: UTF-8, one answer per line in prompt order, a blank line skips a prompt.

    Trailing blank lines are ignored, and so is a byte-order mark.
    """
    if len(data) > INPUT_MAX_BYTES:
        raise InvalidInput(f"the input is too large (more than {INPUT_MAX_BYTES // 1024} KiB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the input is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="save the answers as UTF-8 text",
        ) from None
    lines = text.removeprefix("\ufeff").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return [line if line.strip() else None for line in lines]


def _check_day(ctx: Context, day: date) -> None:
    if day > ctx.today():
        raise InvalidInput(f"{day.isoformat()} is in the future", hint="check in for today or a past day")


# ---- prompts ------------------------------------------------------------------------------------


def _prompt_rows(ctx: Context) -> list[CheckinPrompt]:
    query = select(CheckinPrompt).where(CheckinPrompt.user_id == ctx.user_id)
    return list(ctx.session.exec(query.order_by(col(CheckinPrompt.position), col(CheckinPrompt.id))).all())


def list_prompts(ctx: Context) -> list[Prompt]:
    """The user's prompts in order; the defaults until the user changes the list."""
    rows = _prompt_rows(ctx)
    texts = [row.text for row in rows] if rows else list(DEFAULT_PROMPTS)
    return [Prompt(i, text) for i, text in enumerate(texts, start=1)]


def _editable_rows(ctx: Context) -> list[CheckinPrompt]:
    """The stored prompts; the defaults become rows the first time the list is changed."""
    rows = _prompt_rows(ctx)
    if rows:
        return rows
    now = ctx.now()
    rows = [CheckinPrompt(user_id=ctx.user_id, text=text, position=0, created_at=now) for text in DEFAULT_PROMPTS]
    ctx.session.add_all(rows)
    ctx.session.flush()
    return rows


def _save_order(ctx: Context, rows: list[CheckinPrompt]) -> list[Prompt]:
    for position, row in enumerate(rows, start=1):
        row.position = position
        ctx.session.add(row)
    ctx.session.flush()
    return [Prompt(row.position, row.text) for row in rows]


def _find_prompt(rows: list[CheckinPrompt], ref: str) -> int:
    """The index of the prompt named by position, by text, or by a unique start of its text."""
    text = ref.strip()
    if not text:
        raise InvalidInput("no prompt given", hint="name a prompt by its number; see `paa checkin prompts list`")
    if text.isdigit():
        position = int(text)
        if 1 <= position <= len(rows):
            return position - 1
        raise NotFound(f"no prompt number {position}", hint=f"prompts are numbered 1 to {len(rows)}")
    key = text.casefold()
    exact = [i for i, row in enumerate(rows) if row.text.casefold() == key]
    matches = exact or [i for i, row in enumerate(rows) if row.text.casefold().startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Conflict(f"{text!r} matches several prompts", hint="use the prompt's number")
    raise NotFound(f"no prompt matches {text!r}", hint="see `paa checkin prompts list`")


def add_prompt(ctx: Context, text: str, at: int | None = None) -> Prompt:
    """Add a prompt at the end, or at position `at` (1 = asked first)."""
    cleaned = validate.clean_text(text, "prompt", PROMPT_MAX_CHARS)
    rows = _editable_rows(ctx)
    if any(row.text.casefold() == cleaned.casefold() for row in rows):
        raise Conflict(f"the prompt {cleaned!r} is already in the list")
    if len(rows) >= MAX_PROMPTS:
        raise InvalidInput(f"at most {MAX_PROMPTS} prompts", hint="remove one first")
    if at is not None and not 1 <= at <= len(rows) + 1:
        raise InvalidInput(f"position must be from 1 to {len(rows) + 1} (got {at})")
    row = CheckinPrompt(user_id=ctx.user_id, text=cleaned, position=0, created_at=ctx.now())
    rows.insert(len(rows) if at is None else at - 1, row)
    return _save_order(ctx, rows)[rows.index(row)]


def remove_prompt(ctx: Context, ref: str) -> Prompt:
    """Remove a prompt (named by number or text); past check-ins keep their answers to it."""
    rows = _editable_rows(ctx)
    index = _find_prompt(rows, ref)
    if len(rows) == 1:
        raise InvalidInput("a check-in needs at least one prompt", hint="add another prompt before removing this one")
    removed = rows.pop(index)
    ctx.session.delete(removed)
    _save_order(ctx, rows)
    return Prompt(index + 1, removed.text)


def reorder_prompts(ctx: Context, order: Sequence[int]) -> list[Prompt]:
    """Put the prompts at the given positions first, in that order; the others follow as they were."""
    rows = _editable_rows(ctx)
    if not order:
        raise InvalidInput("give the prompt numbers in their new order", hint="e.g. `reorder 3 1`")
    for position in order:
        if not 1 <= position <= len(rows):
            raise InvalidInput(f"no prompt number {position}", hint=f"prompts are numbered 1 to {len(rows)}")
    if len(set(order)) != len(order):
        raise InvalidInput("a prompt number is given twice")
    first = [rows[p - 1] for p in order]
    rest = [row for i, row in enumerate(rows, start=1) if i not in order]
    return _save_order(ctx, first + rest)


def move_prompt(ctx: Context, text: str, position: int) -> list[Prompt]:
    """Move the prompt with this text to `position` (1 first); answers the prompts in their new order.

    The prompt is named by its text, which is unique in a user's list (case aside) and, unlike a place,
    stays the same while another window adds, removes or moves prompts; moving to the same place again
    changes nothing, so a retried request cannot undo itself.
    """
    rows = _editable_rows(ctx)
    key = text.strip().casefold()
    matches = [i for i, row in enumerate(rows) if row.text.casefold() == key]
    if not key or not matches:
        raise NotFound(f"no prompt {text.strip()!r}", hint="see `paa checkin prompts list`", field="text")
    if not 1 <= position <= len(rows):
        raise InvalidInput(f"position must be from 1 to {len(rows)} (got {position})", field="position")
    row = rows.pop(matches[0])
    rows.insert(position - 1, row)
    return _save_order(ctx, rows)


# ---- reading ------------------------------------------------------------------------------------


def _load_answers(raw: str) -> tuple[Answer, ...]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(
        Answer(str(item.get("prompt") or ""), str(item["answer"]))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("answer"), str)
    )


def _dump_answers(answers: Sequence[Answer]) -> str:
    return json.dumps([answer.to_json() for answer in answers], ensure_ascii=False)


def _view(row: DailyCheckin) -> Checkin:
    sentiment = None
    if row.sentiment_score is not None:
        label = row.sentiment_label if row.sentiment_label in ("positive", "neutral", "negative") else None
        sentiment = Sentiment(
            max(-1.0, min(1.0, row.sentiment_score)),
            label or label_for(row.sentiment_score),  # type: ignore[arg-type]
            row.sentiment_source or "unknown",
        )
    return Checkin(
        day=row.day,
        mood=row.mood,
        energy=row.energy,
        answers=_load_answers(row.answers),
        sentiment=sentiment,
        reflection=row.reflection,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _row(ctx: Context, day: date) -> DailyCheckin | None:
    return ctx.session.exec(
        select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id, DailyCheckin.day == day)
    ).first()


def find_checkin(ctx: Context, day: date) -> Checkin | None:
    row = _row(ctx, day)
    return _view(row) if row else None


def get_checkin(ctx: Context, day: date) -> Checkin:
    """The check-in of a day, or NotFound."""
    found = find_checkin(ctx, day)
    if found is None:
        raise NotFound(f"no check-in on {day.isoformat()}", hint="see `paa checkin history`")
    return found


def list_checkins(
    ctx: Context, start: date | None = None, end: date | None = None, *, limit: int | None = None
) -> CheckinHistory:
    """The check-ins from `start` to `end` (both included, either may be open), newest first; at most `limit`."""
    if start and end and start > end:
        raise InvalidInput(f"`from` {start.isoformat()} is after `to` {end.isoformat()}", field="from")
    if limit is not None and limit < 1:
        raise InvalidInput("`limit` must be at least 1", field="limit")
    query = select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id)
    if start:
        query = query.where(DailyCheckin.day >= start)
    if end:
        query = query.where(DailyCheckin.day <= end)
    query = query.order_by(col(DailyCheckin.day).desc())
    rows = ctx.session.exec(query if limit is None else query.limit(limit)).all()
    return CheckinHistory(start, end, [_view(row) for row in rows])


def prompts_for(ctx: Context, checkin: Checkin | None) -> list[str]:
    """The prompts to walk through when editing: the day's answered ones, then current ones not yet answered."""
    answered = [answer.prompt for answer in checkin.answers] if checkin else []
    seen = {text.casefold() for text in answered}
    return answered + [p.text for p in list_prompts(ctx) if p.text.casefold() not in seen]


# ---- reflection ---------------------------------------------------------------------------------


def _open_habits(ctx: Context, day: date) -> tuple[tuple[OpenHabit, ...], int]:
    from paa.core.habits.manage import list_habits
    from paa.core.habits.overview import statuses
    from paa.core.habits.status import OPEN

    found = statuses(ctx, list_habits(ctx), day, best=False)  # states only: no need to read every log
    due = [s for s in found if s.state != "not_due"]
    still_open = tuple(
        OpenHabit(
            id=s.habit.id or 0,
            name=s.habit.name,
            state=s.state,
            value=s.entry.value if s.entry else None,
            target=s.habit.target,
            unit=s.habit.unit,
        )
        for s in due
        if s.state in OPEN  # an at-most habit with nothing logged keeps its limit: it is not open
    )
    return still_open, len(due)


def _habit_phrase(habit: OpenHabit) -> str:
    if habit.target is None:
        return habit.name
    amount = f"{habit.value or 0:g}/{habit.target:g}"
    return f"{habit.name} ({amount}{' ' + habit.unit if habit.unit else ''})"


def reflect(ctx: Context, day: date, mood: int | None) -> Reflection:
    """Compare the day's mood with the week before it and, for today, list the habits still open."""
    week_from, week_to = day - timedelta(days=WEEK_DAYS), day - timedelta(days=1)
    moods = list(
        ctx.session.exec(
            select(DailyCheckin.mood).where(
                DailyCheckin.user_id == ctx.user_id,
                DailyCheckin.day >= week_from,
                DailyCheckin.day <= week_to,
                col(DailyCheckin.mood).is_not(None),
            )
        ).all()
    )
    average = round(sum(m for m in moods if m is not None) / len(moods), 2) if moods else None
    versus: Literal["higher", "lower", "same"] | None = None
    if mood is None:
        parts = ["No mood recorded."]
    elif average is None:
        parts = [f"Mood {mood}/5: the first check-in in the past week, so nothing to compare with yet."]
    else:
        difference = mood - average
        versus = "same" if abs(difference) < SAME_MOOD_MARGIN else "higher" if difference > 0 else "lower"
        wording = {"same": "about the same as", "higher": "higher than", "lower": "lower than"}[versus]
        count = f"{len(moods)} check-in{'s' if len(moods) != 1 else ''}"
        parts = [f"Mood {mood}/5: {wording} your average of {average:g} over the past week ({count})."]
    open_habits: tuple[OpenHabit, ...] | None = None
    due_count = 0
    if day == ctx.today():
        open_habits, due_count = _open_habits(ctx, day)
        if open_habits:
            parts.append("Still open today: " + ", ".join(_habit_phrase(h) for h in open_habits) + ".")
        elif due_count:
            parts.append("Every habit due today is done.")
    return Reflection(
        day=day, mood=mood, week_from=week_from, week_to=week_to, week_checkins=len(moods),
        week_mood_average=average, mood_vs_week=versus, open_habits=open_habits, habits_due=due_count,
        text=" ".join(parts),
    )  # fmt: skip


# ---- writing ------------------------------------------------------------------------------------


def _finish(
    ctx: Context, row: DailyCheckin, answers: Sequence[Answer], outcome: Outcome, refiner: SentimentRefiner | None
) -> SaveResult:
    """Score the answers, write the reflection, and store the row (flushed, committed by the caller)."""
    if len(answers) > MAX_ANSWERS:
        raise InvalidInput(f"a check-in holds at most {MAX_ANSWERS} answers (this one would have {len(answers)})")
    sentiment = analyse([answer.answer for answer in answers], refiner=refiner)
    row.answers = _dump_answers(answers)
    row.sentiment_score = sentiment.score if sentiment else None
    row.sentiment_label = sentiment.label if sentiment else None
    row.sentiment_source = sentiment.source if sentiment else None
    reflection = reflect(ctx, row.day, row.mood)
    row.reflection = reflection.text
    row.updated_at = ctx.now()
    ctx.session.add(row)
    ctx.session.flush()
    return SaveResult(outcome, _view(row), reflection)


def save_checkin(
    ctx: Context,
    day: date,
    answers: Sequence[Answer],
    *,
    mood: int | None = None,
    energy: int | None = None,
    mode: Mode = "new",
    refiner: SentimentRefiner | None = None,
) -> SaveResult:
    """Record the day's check-in. If one exists, `append` adds answers, `replace` swaps them, `new` refuses.

    Mood and energy replace the stored ones when given and are kept otherwise; a new check-in needs a mood.
    """
    _check_day(ctx, day)
    mood, energy = scale(mood, "mood"), scale(energy, "energy")
    if not answers:
        raise InvalidInput("no answers given", hint="answer at least one prompt")
    row = _row(ctx, day)
    if row is not None and mode == "new":
        raise Conflict(
            f"there is already a check-in for {day.isoformat()}",
            hint=f"add `append` to add to it, `replace` to start it over, or `paa checkin edit {day.isoformat()}`",
        )
    if row is None:
        if mood is None:
            raise InvalidInput("a check-in needs a mood from 1 to 5", hint="e.g. `mood` 4", field="mood")
        now = ctx.now()
        row = DailyCheckin(user_id=ctx.user_id, day=day, mood=mood, energy=energy, created_at=now, updated_at=now)
        return _finish(ctx, row, list(answers), "created", refiner)
    if mood is not None:
        row.mood = mood
    if energy is not None:
        row.energy = energy
    if mode == "append":
        return _finish(ctx, row, [*_load_answers(row.answers), *answers], "appended", refiner)
    return _finish(ctx, row, list(answers), "replaced", refiner)


def edit_checkin(
    ctx: Context,
    day: date,
    *,
    mood: int | None = UNSET,
    energy: int | None = UNSET,
    answers: Sequence[Answer] = UNSET,
    refiner: SentimentRefiner | None = None,
) -> SaveResult:
    """Change a stored check-in; UNSET leaves a field as it is, `energy=None` clears the energy."""
    row = _row(ctx, day)
    if row is None:
        raise NotFound(f"no check-in on {day.isoformat()}", hint="check in first: `paa checkin --date DAY`")
    if mood is UNSET and energy is UNSET and answers is UNSET:
        raise InvalidInput("nothing to change", hint="give `mood`, `energy` or `answer`", field="mood")
    if mood is not UNSET:
        if mood is None:
            raise InvalidInput("a check-in needs a mood from 1 to 5", field="mood")
        row.mood = scale(mood, "mood")
    if energy is not UNSET:
        row.energy = scale(energy, "energy")
    if answers is not UNSET and not answers:
        raise InvalidInput("a check-in needs at least one answer")
    kept = _load_answers(row.answers) if answers is UNSET else list(answers)
    return _finish(ctx, row, kept, "edited", refiner)
