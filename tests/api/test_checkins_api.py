"""`/api/v1/checkins` over the real app: one check-in a day, with the CLI's rules and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import create_app
from paa.clock import FixedClock
from tests.api.conftest import Account, register
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.jobs import RecordingQueue
from tests.support.runtime import runtime_for


def test_check_in_then_read_it_back(alice: Account) -> None:
    prompts = alice.get("/api/v1/checkins/prompts").json()
    assert [p["position"] for p in prompts] == [1, 2]

    saved = alice.post("/api/v1/checkins/daily", json={"mood": 4, "energy": 3, "answers": ["Calm", "Shipped it"]})
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["outcome"] == "created"
    assert (body["checkin"]["day"], body["checkin"]["mood"], body["checkin"]["energy"]) == ("2026-11-26", 4, 3)
    assert [a["answer"] for a in body["checkin"]["answers"]] == ["Calm", "Shipped it"]
    assert body["reflection"]["text"]

    shown = alice.get("/api/v1/checkins/today").json()
    assert shown == alice.get("/api/v1/checkins/2026-11-26").json()
    assert shown["mood"] == 4


def test_one_check_in_a_day_append_and_replace(alice: Account) -> None:
    alice.post("/api/v1/checkins/daily", json={"mood": 3, "answers": ["First"]})
    again = alice.post("/api/v1/checkins/daily", json={"mood": 5, "answers": ["Second"]})
    assert again.status_code == 409
    assert alice.get("/api/v1/checkins/today").json()["mood"] == 3

    appended = alice.post("/api/v1/checkins/daily", json={"answers": ["More"], "mode": "append"}).json()
    assert appended["outcome"] == "appended"
    assert [a["answer"] for a in appended["checkin"]["answers"]] == ["First", "More"]
    assert appended["checkin"]["mood"] == 3

    replaced = alice.post("/api/v1/checkins/daily", json={"answers": [None, "Only"], "mode": "replace", "mood": 2})
    assert replaced.json()["outcome"] == "replaced"
    assert [a["answer"] for a in replaced.json()["checkin"]["answers"]] == ["Only"]
    assert replaced.json()["checkin"]["mood"] == 2


def test_a_new_check_in_needs_a_mood_and_answers(alice: Account) -> None:
    for body, field in (
        ({"answers": ["Fine"]}, "mood"),
        ({"mood": 9, "answers": ["Fine"]}, "mood"),
        ({"mood": 3, "answers": ["Fine"], "date": "tomorrow"}, "date"),
        ({"mood": 3, "answers": ["Fine"], "date": "someday"}, "date"),
    ):
        answer = alice.post("/api/v1/checkins/daily", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field, answer.json()
    assert alice.post("/api/v1/checkins/daily", json={"mood": 3, "answers": [None, None]}).status_code == 422
    too_many = alice.post("/api/v1/checkins/daily", json={"mood": 3, "answers": ["a", "b", "c"]})
    assert too_many.status_code == 422
    assert alice.get("/api/v1/checkins/history").json()["count"] == 0


def test_edit_changes_only_what_is_sent(alice: Account) -> None:
    alice.post("/api/v1/checkins/daily", json={"mood": 3, "energy": 4, "answers": ["Fine"], "date": "yesterday"})
    edited = alice.patch("/api/v1/checkins/yesterday", json={"mood": 5})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["outcome"], edited.json()["checkin"]["mood"]) == ("edited", 5)
    assert edited.json()["checkin"]["energy"] == 4

    cleared = alice.patch("/api/v1/checkins/2026-11-25", json={"energy": None, "answers": ["Better"]}).json()
    assert cleared["checkin"]["energy"] is None
    assert [a["answer"] for a in cleared["checkin"]["answers"]] == ["Better"]
    assert alice.patch("/api/v1/checkins/2026-11-25", json={}).status_code == 422
    assert alice.patch("/api/v1/checkins/2026-11-25", json={"mood": None}).status_code == 422
    assert alice.patch("/api/v1/checkins/today", json={"mood": 2}).status_code == 404


def test_history_range_and_limit(alice: Account) -> None:
    for day, mood in (("2026-11-20", 2), ("2026-11-22", 4), ("2026-11-24", 5)):
        assert alice.post("/api/v1/checkins/daily", json={"mood": mood, "answers": ["x"], "date": day}).is_success
    everything = alice.get("/api/v1/checkins/history").json()
    assert [c["day"] for c in everything["checkins"]] == ["2026-11-24", "2026-11-22", "2026-11-20"]
    ranged = alice.get("/api/v1/checkins/history", params={"from": "2026-11-21", "to": "2026-11-23"}).json()
    assert ([c["day"] for c in ranged["checkins"]], ranged["from"], ranged["to"]) == (
        ["2026-11-22"], "2026-11-21", "2026-11-23",
    )  # fmt: skip
    newest = alice.get("/api/v1/checkins/history", params={"limit": 2}).json()
    assert [c["day"] for c in newest["checkins"]] == ["2026-11-24", "2026-11-22"]
    backwards = alice.get("/api/v1/checkins/history", params={"from": "2026-11-23", "to": "2026-11-21"})
    assert (backwards.status_code, backwards.json()["field"]) == (422, "from")


def test_another_users_check_in_is_not_found(alice: Account, bob: Account) -> None:
    alice.post("/api/v1/checkins/daily", json={"mood": 4, "answers": ["Mine"]})
    assert bob.get("/api/v1/checkins/today").status_code == 404
    assert bob.patch("/api/v1/checkins/today", json={"mood": 1}).status_code == 404
    assert bob.get("/api/v1/checkins/history").json()["count"] == 0
    bobs = bob.post("/api/v1/checkins/daily", json={"mood": 2, "answers": ["His"]})
    assert bobs.json()["outcome"] == "created"
    assert alice.get("/api/v1/checkins/today").json()["mood"] == 4


@pytest.fixture
def with_model(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[Account]:
    """Alice on an app whose server has an Anthropic key (the fake server's, set before the runtime is built)."""
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        yield register(client, "alice")


def test_the_model_reads_the_check_in_after_it_is_saved(with_model: Account, fake_anthropic: FakeAnthropic) -> None:
    alice = with_model
    answer = {
        "sentiment_score": -0.3, "sentiment_label": "negative",
        "summary": "A tiring day at work; the run helped a little.",
        "follow_up": "What would make tomorrow lighter?",
    }  # fmt: skip
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    saved = alice.post("/api/v1/checkins/daily", json={"mood": 2, "answers": ["Long meetings, then a short run"]})
    assert saved.status_code == 201, saved.text
    assert saved.json()["checkin"]["sentiment"]["source"] == "vader"  # the answer does not wait for the model
    assert "Long meetings" in fake_anthropic.requests[0].body["messages"][0]["content"]

    read = alice.get("/api/v1/checkins/today").json()
    assert (read["sentiment"]["label"], read["sentiment"]["source"]) == ("negative", "claude-haiku-5-5")
    memories = alice.get("/api/v1/memory", params={"kind": "checkin"}).json()
    assert any("tiring day" in memory["content"] for memory in memories)
    conversations = alice.get("/api/v1/chat/history").json()
    assert len(conversations) == 1


def test_a_failing_model_keeps_the_check_in(with_model: Account, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("not json at all"))
    saved = with_model.post("/api/v1/checkins/daily", json={"mood": 4, "answers": ["Good day"]})
    assert saved.status_code == 201, saved.text
    assert len(fake_anthropic.requests) == 1
    assert with_model.get("/api/v1/checkins/today").json()["sentiment"]["source"] == "vader"


def test_prompts_are_added_and_removed(alice: Account, bob: Account) -> None:
    before = [item["text"] for item in alice.get("/api/v1/checkins/prompts").json()]
    added = alice.post("/api/v1/checkins/prompts", json={"text": "What are you grateful for?", "position": 1})
    assert added.status_code == 201, added.text
    assert added.json() == {"position": 1, "text": "What are you grateful for?"}
    assert [item["text"] for item in alice.get("/api/v1/checkins/prompts").json()] == [
        "What are you grateful for?", *before,
    ]  # fmt: skip
    assert [item["text"] for item in bob.get("/api/v1/checkins/prompts").json()] == before  # Bob's are his own

    again = alice.post("/api/v1/checkins/prompts", json={"text": "what are you GRATEFUL for?"})
    assert again.status_code == 409
    removed = alice.delete("/api/v1/checkins/prompts", params={"position": 1})
    assert removed.status_code == 200, removed.text
    assert [item["text"] for item in removed.json()] == before
    missing = alice.delete("/api/v1/checkins/prompts", params={"position": 99})
    assert missing.status_code == 404
    documented = alice.http.get("/api/v1/openapi.json").json()["paths"]["/api/v1/checkins/prompts"]["delete"]
    assert "404" in documented["responses"]  # the fuzzer found it answered but not documented


@pytest.fixture(params=["inline", "queued"])
def reader(request: pytest.FixtureRequest, clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[Reader]:
    """Alice on an app with a model key, the check-in's reading done by the server itself (inline) or by jobs on
    the queue, which `Reader.work` runs as a `paa worker` would."""
    from paa.ai.queue import JobQueue

    queued = RecordingQueue() if request.param == "queued" else None
    with runtime_for(clock=clock, serves_callers=True) as runtime:
        if queued is not None:
            runtime.service(JobQueue, lambda: queued)
        with TestClient(create_app(runtime)) as client:
            yield Reader(register(client, "alice"), runtime, queued)


class Reader:
    def __init__(self, alice: Account, runtime: Any, queued: RecordingQueue | None) -> None:
        self.alice, self.runtime, self.queued, self.taken = alice, runtime, queued, 0

    def work(self, *, again: bool = False) -> None:
        """Run the check-in jobs queued since the last call (none inline: the server read it already); `again` runs
        the last call's jobs once more, as a retry would."""
        from paa.ai.queue import READ_CHECKIN
        from paa.daemon.worker import Jobs

        if self.queued is None:
            return
        jobs = Jobs(self.runtime)
        if again:
            waiting = [job for job in self.queued.jobs[: self.taken] if job[0] == READ_CHECKIN][-1:]
        else:
            waiting, self.taken = self.queued.jobs[self.taken :], len(self.queued.jobs)
        for job, ids in waiting:
            if job == READ_CHECKIN:
                assert set(ids) == {"user_id", "day"}  # ids only, never the answers
                jobs.read_checkin(**ids)


def _reading(summary: str, score: float) -> Any:
    answer = {"sentiment_score": score, "sentiment_label": "neutral", "summary": summary, "follow_up": None}
    return reply(json.dumps(answer), model="claude-haiku-5-5")


def test_a_check_in_appended_to_is_read_by_the_model_again(reader: Reader, fake_anthropic: FakeAnthropic) -> None:
    alice = reader.alice
    fake_anthropic.push(_reading("A long day of meetings.", -0.2))
    assert alice.post("/api/v1/checkins/daily", json={"mood": 2, "answers": ["Long meetings"]}).status_code == 201
    reader.work()
    assert alice.get("/api/v1/checkins/today").json()["sentiment"]["score"] == -0.2
    fake_anthropic.push(_reading("Meetings, then a warm dinner with friends.", 0.4))
    appended = alice.post("/api/v1/checkins/daily", json={"answers": ["Dinner with friends"], "mode": "append"})
    assert appended.status_code == 201 and appended.json()["checkin"]["sentiment"]["source"] == "vader"
    reader.work()
    assert len(fake_anthropic.requests) == 2  # read again since it changed
    second = fake_anthropic.requests[1].body["messages"][0]["content"]
    assert "Long meetings" in second and "Dinner with friends" in second
    today = alice.get("/api/v1/checkins/today").json()
    assert (today["sentiment"]["score"], today["sentiment"]["source"]) == (0.4, "claude-haiku-5-5")
    reader.work(again=True)  # a job run twice (a retry) reads nothing more: read since the last change
    assert len(fake_anthropic.requests) == 2
