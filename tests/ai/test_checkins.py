"""Every way of saving a check-in indexes it for memory in the same transaction: search finds it at once."""

from __future__ import annotations

from datetime import timedelta

from paa.ai import checkins
from paa.ai.memory import search
from paa.core.checkins.entries import Answer, get_checkin


def _found(make_ctx, words: str) -> list[str]:
    with make_ctx() as ctx:
        return [hit.content for hit in search(ctx, words, kinds=["checkin"])]


def test_save_append_and_edit_are_searchable_at_once(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        day = ctx.today()
        result = checkins.save(ctx, day, [Answer("How was your day?", "Repotted the fern")], mood=4)
    assert result.outcome == "created"
    assert any("Repotted the fern" in text for text in _found(make_ctx, "fern"))

    with make_ctx(write=True) as ctx:
        checkins.save(ctx, day, [Answer("Notes", "Bought more soil")], mode="append")
    assert any("fern" in text and "soil" in text for text in _found(make_ctx, "soil"))

    with make_ctx(write=True) as ctx:
        checkins.edit(ctx, day, answers=[Answer("How was your day?", "Quiet evening with tea")])
    assert _found(make_ctx, "fern") == []  # the old text is replaced, not kept beside the new
    assert any("Quiet evening" in text for text in _found(make_ctx, "tea"))


def test_a_whole_form_creates_then_replaces_and_clears_the_energy(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        day = ctx.today() - timedelta(days=1)
        checkins.save_whole(ctx, day, [Answer("How was your day?", "Long walk by the canal")], mood=3, energy=4)
        replaced = checkins.save_whole(ctx, day, [Answer("How was your day?", "Rainy canal walk")], mood=2, energy=None)
    assert replaced.outcome == "edited"
    assert (replaced.checkin.mood, replaced.checkin.energy) == (2, None)
    assert [text for text in _found(make_ctx, "canal") if "Rainy" in text]
    assert not [text for text in _found(make_ctx, "canal") if "Long walk" in text]


def test_an_answer_to_the_follow_up_is_added_and_searchable(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        day = ctx.today()
        checkins.save(ctx, day, [Answer("How was your day?", "Tired")], mood=2)
        checkins.answer_follow_up(ctx, day, "What would help?", "An earlier night")
        stored = get_checkin(ctx, day)
    assert [(a.prompt, a.answer) for a in stored.answers][-1] == ("What would help?", "An earlier night")
    assert any("An earlier night" in text for text in _found(make_ctx, "earlier night"))
