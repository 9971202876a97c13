"""The reminder daemons' metrics at /metrics (queue depth, the longest wait, failed deliveries, delivery lateness),
read from the outbox that every daemon and `paa remind run-due` write, over every user."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from paa.db.models import Notification
from tests.api.conftest import Account
from tests.support.clock import FIXED_NOW


def _samples(http: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = http.get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _add(http: TestClient, user_id: int, rows: list[dict[str, object]]) -> None:
    with Session(http.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        for number, row in enumerate(rows):
            values = {"kind": "custom", "ref_id": number, "channel": "ntfy", "created_at": FIXED_NOW, **row}
            session.add(Notification(user_id=user_id, **values))  # type: ignore[arg-type]
        session.commit()


def test_an_empty_outbox_says_nothing_waits(http: TestClient) -> None:
    samples = _samples(http)

    assert samples[("paa_reminder_queue_depth", ())] == 0
    assert samples[("paa_reminder_oldest_waiting_seconds", ())] == 0
    assert samples[("paa_reminder_delivery_lateness_seconds_gcount", ())] == 0
    assert samples[("paa_reminder_delivery_lateness_seconds_bucket", (("le", "+Inf"),))] == 0


def test_the_queue_counts_what_is_under_way_or_due_again(http: TestClient, alice: Account, bob: Account) -> None:
    minute = timedelta(minutes=1)
    _add(http, alice.user_id, [
        {"status": "sending", "due_at": FIXED_NOW - 3 * minute},  # under way for 3 minutes
        {"status": "failed", "due_at": FIXED_NOW - 30 * minute, "next_attempt_at": FIXED_NOW - minute},  # retry due
        {"status": "failed", "due_at": FIXED_NOW - minute, "next_attempt_at": FIXED_NOW + 5 * minute},  # later
        {"status": "failed", "due_at": FIXED_NOW - minute, "channel": "webhook"},  # given up
        {"status": "snoozed", "due_at": FIXED_NOW - 60 * minute, "next_attempt_at": FIXED_NOW + minute},  # later
    ])  # fmt: skip
    _add(http, bob.user_id, [{"status": "sending", "due_at": FIXED_NOW - 2 * minute, "channel": "app"}])

    samples = _samples(http)

    assert samples[("paa_reminder_queue_depth", ())] == 3  # both users' deliveries, in one figure, no user label
    assert samples[("paa_reminder_oldest_waiting_seconds", ())] == 180
    assert samples[("paa_reminder_failed_deliveries", (("channel", "ntfy"),))] == 2
    assert samples[("paa_reminder_failed_deliveries", (("channel", "webhook"),))] == 1


def test_lateness_covers_the_last_hour_of_deliveries(http: TestClient, alice: Account) -> None:
    due = FIXED_NOW - timedelta(minutes=20)
    _add(http, alice.user_id, [
        {"status": "sent", "due_at": due, "sent_at": due},  # on time
        {"status": "sent", "due_at": due, "sent_at": due + timedelta(seconds=10)},
        {"status": "logged", "due_at": due, "sent_at": due + timedelta(minutes=4)},
        {"status": "sent", "due_at": due - timedelta(hours=3), "sent_at": FIXED_NOW - timedelta(hours=2)},  # too old
        {"status": "failed", "due_at": due},  # not delivered
    ])  # fmt: skip

    samples = _samples(http)

    def bucket(bound: str) -> float:
        return samples[("paa_reminder_delivery_lateness_seconds_bucket", (("le", bound),))]

    assert samples[("paa_reminder_delivery_lateness_seconds_gcount", ())] == 3
    assert samples[("paa_reminder_delivery_lateness_seconds_gsum", ())] == 250
    assert bucket("1.0") == 1 and bucket("15.0") == 2 and bucket("300.0") == 3 and bucket("+Inf") == 3
