"""paa.core.idempotency on both engines: a key makes a write happen once, in the write's own transaction."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from paa.clock import FixedClock
from paa.core.habits.manage import HabitFields, add_habit, list_habits
from paa.core.idempotency import KEEP_FOR, check_key, once
from paa.errors import InvalidInput
from tests.support.runtime import runtime_for


def _adding(ctx: Any, name: str) -> Any:
    return lambda: {"id": add_habit(ctx, HabitFields(name=name)).id, "name": name}


def test_without_a_key_every_call_writes(make_ctx) -> None:
    for n in range(2):
        with make_ctx(write=True) as ctx:
            assert once(ctx, None, "habit.add", {"name": "Run"}, _adding(ctx, f"Run {n}")).replayed is False
    with make_ctx() as ctx:
        assert len(list_habits(ctx)) == 2


def test_a_key_writes_once_and_gives_the_first_answer_again(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        first = once(ctx, "k-1", "habit.add", {"name": "Run"}, _adding(ctx, "Run"))
    with make_ctx(write=True) as ctx:
        again = once(ctx, "k-1", "habit.add", {"name": "Run"}, _adding(ctx, "Run"))
    assert (first.replayed, again.replayed) == (False, True) and again.result == first.result
    with make_ctx() as ctx:
        assert [habit.name for habit in list_habits(ctx)] == ["Run"]


def test_a_rolled_back_write_keeps_no_key(make_ctx) -> None:
    """The key is stored in the write's transaction: a write that fails leaves the key free for a real retry."""

    def failing() -> dict[str, Any]:
        raise InvalidInput("no")

    with pytest.raises(InvalidInput), make_ctx(write=True) as ctx:
        once(ctx, "k-2", "habit.add", {"name": "Run"}, failing)
    with make_ctx(write=True) as ctx:
        assert once(ctx, "k-2", "habit.add", {"name": "Run"}, _adding(ctx, "Run")).replayed is False


def test_the_key_with_another_request_is_refused(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        once(ctx, "k-3", "habit.add", {"name": "Run"}, _adding(ctx, "Run"))
    for operation, request in (("habit.add", {"name": "Swim"}), ("habit.log", {"name": "Run"})):
        with pytest.raises(InvalidInput) as refused, make_ctx(write=True) as ctx:
            once(ctx, "k-3", operation, request, _adding(ctx, "Swim"))
        assert refused.value.field == "Idempotency-Key"


@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 101, "tab\there"])
def test_a_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidInput):
        check_key(key)


def test_an_expired_key_is_a_new_write(make_ctx, clock: FixedClock) -> None:
    with make_ctx(write=True) as ctx:
        once(ctx, "k-4", "habit.add", {"name": "Run"}, _adding(ctx, "Run"))
    clock.advance(KEEP_FOR + timedelta(days=1))
    with make_ctx(write=True) as ctx:
        assert once(ctx, "k-4", "habit.add", {"name": "Run"}, _adding(ctx, "Run 2")).replayed is False


def test_two_writers_with_one_key_at_once_write_once(clock: FixedClock) -> None:
    start = threading.Barrier(2)
    outcomes: list[Any] = []
    with runtime_for(clock=clock) as runtime:

        def write() -> None:
            start.wait()
            with runtime.context(write=True) as ctx:
                outcomes.append(once(ctx, "k-5", "habit.add", {"name": "Run"}, _adding(ctx, "Run")))

        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with runtime.context() as ctx:
            assert [habit.name for habit in list_habits(ctx)] == ["Run"]
    assert sorted(outcome.replayed for outcome in outcomes) == [False, True]
    assert outcomes[0].result == outcomes[1].result
