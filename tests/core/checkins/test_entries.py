"""Check-ins in core: prompts, answers, one per day, append/replace/edit, sentiment, reflection, history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from paa.core.checkins.entries import (
    ANSWER_MAX_CHARS,
    DEFAULT_PROMPTS,
    INPUT_MAX_BYTES,
    MAX_ANSWERS,
    MAX_PROMPTS,
    UNSET,
    Answer,
    add_prompt,
    answers_from_input,
    edit_checkin,
    find_checkin,
    get_checkin,
    list_checkins,
    list_prompts,
    move_prompt,
    pair_answers,
    parse_scale,
    prompts_for,
    reflect,
    remove_prompt,
    reorder_prompts,
    save_checkin,
    scale,
)
from paa.core.checkins.sentiment import Sentiment
from paa.core.context import Context
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit
from paa.db.models import DailyCheckin, User
from paa.errors import Conflict, InvalidInput, NotFound

TODAY = date(2026, 11, 26)  # the fixed clock's day (a Thursday)

pytestmark = pytest.mark.usefixtures("migrated_home")  # a ready database (tests/conftest.py)


def texts(ctx: Context) -> list[str]:
    return [prompt.text for prompt in list_prompts(ctx)]


def answers(*pairs: str) -> list[Answer]:
    """answers("q1", "a1", "q2", "a2") -> [Answer("q1", "a1"), Answer("q2", "a2")]."""
    return [Answer(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]


def stored_row(ctx: Context, day: date) -> dict[str, object] | None:
    """The raw row, as analytics reads it."""
    row = ctx.session.execute(
        text("SELECT * FROM daily_checkins WHERE user_id = :user AND day = :day"),
        {"user": ctx.user_id, "day": day.isoformat()},
    ).first()
    return dict(row._mapping) if row else None


# ---- prompts ------------------------------------------------------------------------------------


def test_defaults_until_the_list_is_changed(make_ctx) -> None:
    with make_ctx() as ctx:
        assert texts(ctx) == list(DEFAULT_PROMPTS)
        assert [p.to_json() for p in list_prompts(ctx)] == [
            {"position": 1, "text": "How was your day?"},
            {"position": 2, "text": "Any wins today?"},
        ]


def test_add_remove_and_reorder_persist(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        added = add_prompt(ctx, "  What drained you?  ")
        assert (added.position, added.text) == (3, "What drained you?")
        first = add_prompt(ctx, "Grateful for?", at=1)
        assert first.position == 1
    with make_ctx(write=True) as ctx:
        assert texts(ctx) == ["Grateful for?", *DEFAULT_PROMPTS, "What drained you?"]
        removed = remove_prompt(ctx, "any")  # a unique start of the text, case-insensitive
        assert (removed.position, removed.text) == (3, "Any wins today?")
        order = reorder_prompts(ctx, [3, 1])
        assert [p.text for p in order] == ["What drained you?", "Grateful for?", "How was your day?"]
    with make_ctx(write=True) as ctx:
        assert texts(ctx) == ["What drained you?", "Grateful for?", "How was your day?"]
        assert [p.position for p in list_prompts(ctx)] == [1, 2, 3]
        remove_prompt(ctx, "2")
        assert texts(ctx) == ["What drained you?", "How was your day?"]


def test_prompt_mistakes_are_refused(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        with pytest.raises(Conflict):
            add_prompt(ctx, "how was your DAY?")
        with pytest.raises(InvalidInput, match="cannot be empty"):
            add_prompt(ctx, "   ")
        with pytest.raises(InvalidInput, match="too long"):
            add_prompt(ctx, "x" * 201)
        with pytest.raises(InvalidInput, match="control"):
            add_prompt(ctx, "two\nlines")
        with pytest.raises(InvalidInput, match="position must be from 1 to 3"):
            add_prompt(ctx, "Where?", at=4)
        with pytest.raises(NotFound):
            remove_prompt(ctx, "7")
        with pytest.raises(NotFound):
            remove_prompt(ctx, "zebra")
        add_prompt(ctx, "Any regrets?")
        with pytest.raises(Conflict, match="several"):
            remove_prompt(ctx, "any")
        with pytest.raises(InvalidInput, match="no prompt number 9"):
            reorder_prompts(ctx, [9])
        with pytest.raises(InvalidInput, match="twice"):
            reorder_prompts(ctx, [1, 1])
        with pytest.raises(InvalidInput):
            reorder_prompts(ctx, [])


def test_a_prompt_moves_by_its_text_and_a_repeated_move_changes_nothing(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_prompt(ctx, "Grateful for?")
        moved = move_prompt(ctx, "grateful FOR?", 1)  # its text, case aside
        assert [p.text for p in moved] == ["Grateful for?", *DEFAULT_PROMPTS]
        assert [p.position for p in moved] == [1, 2, 3]
        assert move_prompt(ctx, "Grateful for?", 1) == moved
        assert [p.text for p in move_prompt(ctx, "Grateful for?", 3)] == [*DEFAULT_PROMPTS, "Grateful for?"]
    with make_ctx(write=True) as ctx:
        assert texts(ctx) == [*DEFAULT_PROMPTS, "Grateful for?"]
        with pytest.raises(NotFound) as unknown:
            move_prompt(ctx, "Grateful", 1)  # a start of the text is not a name: the request must say which
        assert unknown.value.field == "text"
        with pytest.raises(InvalidInput, match="position must be from 1 to 3") as far:
            move_prompt(ctx, "Grateful for?", 4)
        assert far.value.field == "position"
        assert texts(ctx) == [*DEFAULT_PROMPTS, "Grateful for?"]


def test_the_last_prompt_cannot_be_removed(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        remove_prompt(ctx, "1")
        with pytest.raises(InvalidInput, match="at least one prompt"):
            remove_prompt(ctx, "1")
        assert texts(ctx) == ["Any wins today?"]


def test_at_most_max_prompts(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        for i in range(MAX_PROMPTS - len(DEFAULT_PROMPTS)):
            add_prompt(ctx, f"Question {i}?")
        with pytest.raises(InvalidInput, match=f"at most {MAX_PROMPTS}"):
            add_prompt(ctx, "One too many?")


# ---- input checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 6, 9, -1, True])
def test_ratings_outside_1_to_5_are_refused(value: int) -> None:
    with pytest.raises(InvalidInput, match="mood must be a whole number from 1 to 5"):
        scale(value, "mood")


def test_typed_ratings() -> None:
    assert parse_scale(" 4 ", "mood") == 4
    assert parse_scale("", "energy") is None
    for bad in ("four", "4.5", "0", "10", "-3", "٣", "²", "x" * 1000):
        with pytest.raises(InvalidInput):
            parse_scale(bad, "mood")


def test_answers_pair_with_prompts_in_order_and_none_skips() -> None:
    paired = pair_answers(["A?", "B?", "C?"], ["  one  ", None, "three\nwith a second line"])
    assert paired == [Answer("A?", "one"), Answer("C?", "three\nwith a second line")]


def test_bad_answers_are_refused() -> None:
    with pytest.raises(InvalidInput, match="the answer to 'B\\?' cannot be empty"):
        pair_answers(["A?", "B?"], ["fine", "  "])
    with pytest.raises(InvalidInput, match="no answers given"):
        pair_answers(["A?", "B?"], [None, None])
    with pytest.raises(InvalidInput, match="3 answers for 2 prompts"):
        pair_answers(["A?", "B?"], ["1", "2", "3"])
    with pytest.raises(InvalidInput, match=f"too long \\(1000000 characters; the limit is {ANSWER_MAX_CHARS}\\)"):
        pair_answers(["A?"], ["x" * 1_000_000])
    with pytest.raises(InvalidInput, match="control"):
        pair_answers(["A?"], ["bell\x07"])


def test_answers_from_input_lines() -> None:
    data = "\ufeffFirst answer\r\n\r\n  third  \n\n\n".encode()
    assert answers_from_input(data) == ["First answer", None, "  third  "]
    assert answers_from_input(b"") == []
    assert answers_from_input("héllo ✓\n".encode()) == ["héllo ✓"]


def test_answers_from_input_refuses_bad_bytes_and_huge_input() -> None:
    with pytest.raises(InvalidInput, match=r"not valid UTF-8 \(byte 0xe9 at offset 3\)"):
        answers_from_input(b"caf\xe9\n")
    with pytest.raises(InvalidInput, match="too large"):
        answers_from_input(b"x" * (INPUT_MAX_BYTES + 1))


# ---- saving -------------------------------------------------------------------------------------


def test_a_new_checkin_is_stored_as_analytics_reads_it(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        result = save_checkin(
            ctx, TODAY, answers("How was your day?", "Wonderful, I loved it", "Any wins today?", "Ran 5 km"),
            mood=4, energy=3,
        )  # fmt: skip
        assert result.outcome == "created"
    with make_ctx() as ctx:
        row = stored_row(ctx, TODAY)
        stored = ctx.session.exec(select(DailyCheckin).where(DailyCheckin.day == TODAY)).one()
    assert row is not None
    assert (row["mood"], row["energy"], row["sentiment_label"], row["sentiment_source"]) == (4, 3, "positive", "vader")
    assert 0.05 <= float(row["sentiment_score"]) <= 1  # type: ignore[arg-type]
    # The answers and the reflection are sealed at rest (analytics never reads them); paa reads them back.
    assert str(row["answers"]).startswith("enc:v1:") and str(row["reflection"]).startswith("enc:v1:")
    assert json.loads(stored.answers) == [
        {"prompt": "How was your day?", "answer": "Wonderful, I loved it"},
        {"prompt": "Any wins today?", "answer": "Ran 5 km"},
    ]
    assert stored.reflection == result.reflection.text


def test_checkin_json_schema(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        result = save_checkin(ctx, TODAY, answers("How was your day?", "Okay"), mood=3)
    data = result.to_json()
    assert set(data) == {"outcome", "checkin", "reflection"}
    assert data["checkin"] == {
        "day": "2026-11-26",
        "mood": 3,
        "energy": None,
        "answers": [{"prompt": "How was your day?", "answer": "Okay"}],
        "sentiment": {"score": data["checkin"]["sentiment"]["score"], "label": "positive", "source": "vader"},
        "reflection": data["reflection"]["text"],
        "created_at": "2026-11-26T12:00:00+00:00",
        "updated_at": "2026-11-26T12:00:00+00:00",
    }
    assert data["reflection"] == {
        "day": "2026-11-26",
        "mood": 3,
        "week": {"from": "2026-11-19", "to": "2026-11-25", "checkins": 0, "mood_average": None},
        "mood_vs_week": None,
        "open_habits": [],
        "text": "Mood 3/5: the first check-in in the past week, so nothing to compare with yet.",
    }


def test_one_checkin_per_day(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "first"), mood=3)
    with pytest.raises(Conflict, match="already a check-in for 2026-11-26") as refused, make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "second"), mood=5)
    assert "`append`" in (refused.value.hint or "") and "`replace`" in (refused.value.hint or "")  # fields, not flags
    with make_ctx() as ctx:
        kept = get_checkin(ctx, TODAY)
    assert (kept.mood, [a.answer for a in kept.answers]) == (3, ["first"])


def test_append_adds_answers_and_keeps_mood_unless_given(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "Terrible morning"), mood=2, energy=2)
    with make_ctx(write=True) as ctx:
        before = get_checkin(ctx, TODAY).sentiment
        result = save_checkin(ctx, TODAY, answers("B?", "Wonderful, joyful evening"), mode="append")
        assert result.outcome == "appended"
    with make_ctx(write=True) as ctx:
        found = get_checkin(ctx, TODAY)
        assert [a.to_json() for a in found.answers] == [
            {"prompt": "A?", "answer": "Terrible morning"},
            {"prompt": "B?", "answer": "Wonderful, joyful evening"},
        ]
        assert (found.mood, found.energy) == (2, 2)
        assert before is not None and found.sentiment is not None
        assert found.sentiment.score > before.score  # recomputed over all answers
        save_checkin(ctx, TODAY, answers("C?", "ok"), mood=4, mode="append")
        assert get_checkin(ctx, TODAY).mood == 4


def test_replace_swaps_the_answers(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "one", "B?", "two"), mood=2, energy=5)
        result = save_checkin(ctx, TODAY, answers("A?", "fresh start"), mood=3, mode="replace")
        assert result.outcome == "replaced"
        found = get_checkin(ctx, TODAY)
    assert [a.answer for a in found.answers] == ["fresh start"]
    assert (found.mood, found.energy) == (3, 5)


def test_append_or_replace_on_an_empty_day_creates(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        assert save_checkin(ctx, TODAY, answers("A?", "x"), mood=3, mode="append").outcome == "created"
        yesterday = TODAY - timedelta(days=1)
        assert save_checkin(ctx, yesterday, answers("A?", "x"), mood=3, mode="replace").outcome == "created"


def test_a_new_checkin_needs_a_mood_and_an_answer(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        with pytest.raises(InvalidInput, match="needs a mood"):
            save_checkin(ctx, TODAY, answers("A?", "fine"))
        with pytest.raises(InvalidInput, match="no answers"):
            save_checkin(ctx, TODAY, [], mood=3)
        with pytest.raises(InvalidInput, match="mood must be"):
            save_checkin(ctx, TODAY, answers("A?", "fine"), mood=9)
        with pytest.raises(InvalidInput, match="energy must be"):
            save_checkin(ctx, TODAY, answers("A?", "fine"), mood=3, energy=0)
        assert find_checkin(ctx, TODAY) is None


def test_future_days_are_refused_and_backfill_works(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        with pytest.raises(InvalidInput, match="2026-11-27 is in the future"):
            save_checkin(ctx, TODAY + timedelta(days=1), answers("A?", "x"), mood=3)
        save_checkin(ctx, date(2026, 1, 2), answers("A?", "long ago"), mood=3)
        assert get_checkin(ctx, date(2026, 1, 2)).answers[0].answer == "long ago"


def test_a_failed_save_leaves_nothing_half_written(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers(*["Q?", "a"] * (MAX_ANSWERS - 1)), mood=2)
    with pytest.raises(InvalidInput, match=f"at most {MAX_ANSWERS} answers"), make_ctx(write=True) as ctx:
        # The mood is applied before the answer count is checked; the transaction must undo it.
        save_checkin(ctx, TODAY, answers("Q?", "b", "Q?", "c"), mood=5, mode="append")
    with make_ctx() as ctx:
        found = get_checkin(ctx, TODAY)
    assert (found.mood, len(found.answers)) == (2, MAX_ANSWERS - 1)


def test_a_refiner_adjusts_the_stored_sentiment(make_ctx) -> None:
    class Sarcasm:
        def refine(self, texts: Sequence[str], local: Sentiment) -> Sentiment | None:
            return Sentiment(-0.6, "negative", "test-model")

    with make_ctx(write=True) as ctx:
        result = save_checkin(ctx, TODAY, answers("A?", "Oh great, more rain"), mood=2, refiner=Sarcasm())
        assert result.checkin.sentiment == Sentiment(-0.6, "negative", "test-model")
        row = stored_row(ctx, TODAY)
    assert row is not None
    assert (row["sentiment_score"], row["sentiment_label"], row["sentiment_source"]) == (-0.6, "negative", "test-model")


# ---- editing ------------------------------------------------------------------------------------


def test_edit_changes_only_what_is_given(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "meh"), mood=2, energy=4)
    with make_ctx(write=True) as ctx:
        result = edit_checkin(ctx, TODAY, mood=5)
        assert result.outcome == "edited"
        assert (result.checkin.mood, result.checkin.energy, result.checkin.answers) == (5, 4, (Answer("A?", "meh"),))
        assert "Mood 5/5" in (result.checkin.reflection or "")
        edit_checkin(ctx, TODAY, energy=None)
        edit_checkin(ctx, TODAY, answers=answers("A?", "A lovely day after all"))
    with make_ctx() as ctx:
        found = get_checkin(ctx, TODAY)
    assert (found.mood, found.energy) == (5, None)
    assert found.answers == (Answer("A?", "A lovely day after all"),)
    assert found.sentiment is not None and found.sentiment.label == "positive"
    assert found.created_at < found.updated_at or found.created_at == found.updated_at


def test_edit_mistakes(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        with pytest.raises(NotFound, match="no check-in on 2026-11-20"):
            edit_checkin(ctx, date(2026, 11, 20), mood=3)
        save_checkin(ctx, TODAY, answers("A?", "x"), mood=3)
        with pytest.raises(InvalidInput, match="nothing to change"):
            edit_checkin(ctx, TODAY)
        with pytest.raises(InvalidInput, match="needs a mood"):
            edit_checkin(ctx, TODAY, mood=None)
        with pytest.raises(InvalidInput, match="at least one answer"):
            edit_checkin(ctx, TODAY, answers=[])
        with pytest.raises(InvalidInput):
            edit_checkin(ctx, TODAY, mood=0)
        assert edit_checkin(ctx, TODAY, mood=UNSET, energy=2).checkin.energy == 2


def test_prompts_for_editing_lists_the_days_answers_then_unanswered_prompts(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("Any wins today?", "a", "Old prompt?", "b"), mood=3)
        assert prompts_for(ctx, get_checkin(ctx, TODAY)) == ["Any wins today?", "Old prompt?", "How was your day?"]
        assert prompts_for(ctx, None) == list(DEFAULT_PROMPTS)


# ---- reflection ---------------------------------------------------------------------------------


def _past(ctx: Context, moods: dict[int, int]) -> None:
    for days_ago, mood in moods.items():
        save_checkin(ctx, TODAY - timedelta(days=days_ago), answers("A?", "x"), mood=mood)


@pytest.mark.parametrize(
    ("mood", "versus", "wording"),
    [(4, "higher", "higher than"), (2, "lower", "lower than"), (3, "same", "about the same as")],
)
def test_mood_is_compared_with_the_past_week(make_ctx, mood: int, versus: str, wording: str) -> None:
    with make_ctx(write=True) as ctx:
        _past(ctx, {1: 3, 2: 3, 7: 3, 8: 1})  # day 8 is outside the week and must not count
        reflection = save_checkin(ctx, TODAY, answers("A?", "x"), mood=mood).reflection
    assert (reflection.week_checkins, reflection.week_mood_average, reflection.mood_vs_week) == (3, 3.0, versus)
    assert reflection.text.startswith(f"Mood {mood}/5: {wording} your average of 3 over the past week (3 check-ins).")


def test_reflection_lists_habits_still_open_today(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        water = add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8))
        run = add_habit(ctx, HabitFields(name="Run"))
        add_habit(ctx, HabitFields(name="Swim", days="mon"))  # not due on a Thursday
        log_habit(ctx, water, TODAY, value=3)
        reflection = reflect(ctx, TODAY, 4)
        assert [h.to_json() for h in reflection.open_habits or ()] == [
            {"id": water.id, "name": "Drink water", "state": "partial", "value": 3.0, "target": 8.0, "unit": "glasses"},
            {"id": run.id, "name": "Run", "state": "due", "value": None, "target": None, "unit": None},
        ]
        assert reflection.text.endswith("Still open today: Drink water (3/8 glasses), Run.")
        log_habit(ctx, water, TODAY, value=5)
        log_habit(ctx, run, TODAY)
        done = reflect(ctx, TODAY, 4)
        assert done.open_habits == ()
        assert done.text.endswith("Every habit due today is done.")
        backfilled = reflect(ctx, TODAY - timedelta(days=1), 4)
        assert backfilled.open_habits is None
        assert "open" not in backfilled.text and "habit" not in backfilled.text


# ---- reading ------------------------------------------------------------------------------------


def test_history_is_newest_first_within_the_range(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        _past(ctx, {0: 5, 1: 4, 3: 2, 10: 1})
    with make_ctx() as ctx:
        everything = list_checkins(ctx)
        ranged = list_checkins(ctx, TODAY - timedelta(days=3), TODAY - timedelta(days=1))
        with pytest.raises(InvalidInput, match="after"):
            list_checkins(ctx, TODAY, TODAY - timedelta(days=1))
    assert [c.day.day for c in everything.checkins] == [26, 25, 23, 16]
    assert everything.mood_average == 3.0
    data = ranged.to_json()
    assert (data["from"], data["to"], data["count"], data["mood_average"]) == ("2026-11-23", "2026-11-25", 2, 3.0)
    assert [c["day"] for c in data["checkins"]] == ["2026-11-25", "2026-11-23"]


def test_missing_day_is_not_found(make_ctx) -> None:
    with make_ctx() as ctx:
        assert find_checkin(ctx, TODAY) is None
        with pytest.raises(NotFound, match="no check-in on 2026-11-26"):
            get_checkin(ctx, TODAY)


def test_rows_written_elsewhere_are_read_tolerantly(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        ctx.session.execute(
            text(
                "INSERT INTO daily_checkins (user_id, day, mood, answers, sentiment_score, created_at, updated_at)"
                " VALUES (:user, '2026-11-20', NULL, 'not json', 0.5, '2026-11-20', '2026-11-20')"
            ),
            {"user": ctx.user_id},
        )
    with make_ctx() as ctx:
        found = get_checkin(ctx, date(2026, 11, 20))
    assert found.answers == ()
    assert found.sentiment == Sentiment(0.5, "positive", "unknown")
    assert found.mood is None
    with make_ctx() as ctx:
        assert list_checkins(ctx).mood_average is None


def test_users_never_see_each_others_checkins_or_prompts(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        save_checkin(ctx, TODAY, answers("A?", "mine"), mood=4)
        add_prompt(ctx, "Mine only?")
        other = User(username="other", created_at=ctx.now())
        ctx.session.add(other)
        ctx.session.flush()
        as_other = Context(ctx.session, other, ctx.clock, ctx.loaded, ctx.paths, ctx.prefs)
        assert find_checkin(as_other, TODAY) is None
        assert list_checkins(as_other).checkins == []
        assert texts(as_other) == list(DEFAULT_PROMPTS)
        save_checkin(as_other, TODAY, answers("A?", "theirs"), mood=1)  # the same day is free for another user
        remove_prompt(as_other, "1")
        assert get_checkin(ctx, TODAY).answers[0].answer == "mine"
        assert "Mine only?" in texts(ctx) and "How was your day?" in texts(ctx)
        with pytest.raises(NotFound):
            edit_checkin(as_other, TODAY - timedelta(days=1), mood=2)
