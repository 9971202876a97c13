"""The real daemon in a subprocess, on the real clock: it delivers to a local webhook once the time is due (never
before), refuses a second instance, survives kill -9 without sending anything twice (also with `run-due` running
beside it), picks up a reminder added while it runs, and stops cleanly on SIGTERM.

How late after the due time a delivery lands is a timing, measured by bench/daemon.py, not asserted here: on a
loaded machine it has been seen to take 11 s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.recorders import Recorder, http_recorder
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with http_recorder() as recorder:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook,log")
        monkeypatch.setenv("PAA_WEBHOOK_URL", recorder.url)
        yield recorder


def _start() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paa.daemon", "run"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip


def _status(paa_home: Path) -> dict[str, object]:
    try:
        return json.loads((paa_home / "daemon.json").read_text())
    except (OSError, ValueError):
        return {}


def _wait_ready(process: subprocess.Popen[str], paa_home: Path, after: datetime) -> None:
    """Ready once it has written its status after a first scan (the start-up catch-up)."""

    def ready() -> bool:
        assert process.poll() is None, process.communicate()[1]
        status = _status(paa_home)
        scanned = status.get("last_scan_at")
        return status.get("pid") == process.pid and isinstance(scanned, str) and datetime.fromisoformat(scanned) > after

    wait_until(ready, what="the daemon's first scan")


def _add_reminder(text: str, due: datetime) -> int:
    from paa.core.reminders.custom import add_reminder
    from tests.support.runtime import open_context

    with open_context(write=True) as ctx:
        view = add_reminder(ctx, text, at=due.isoformat())
    return view.id


def _text(body: str) -> str:
    """A custom reminder's own text: the first paragraph of its body (the snooze and done commands follow)."""
    return body.split("\n\n")[0]


def _sent_texts(hook: Recorder) -> list[str]:
    return [_text(r.json()["body"]) for r in hook.received]


def test_daemon_delivers_on_time_survives_kill_9_and_never_sends_twice(hook: Recorder, paa_home: Path) -> None:
    from paa.daemon.files import daemon_status
    from tests.support.runtime import open_context

    with open_context(write=True):
        pass  # create the database before the daemon and the test race to
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    _add_reminder("first", due)
    daemon = _start()
    try:
        _wait_ready(daemon, paa_home, due - timedelta(seconds=3))

        second = _start()  # one instance per data folder
        _, err = second.communicate(timeout=GIVE_UP_SECONDS)
        assert second.returncode == 5 and "already running" in err and str(daemon.pid) in err

        [first] = hook.wait_for(1)
        assert _text(first.json()["body"]) == "first" and first.json()["type"] == "chat:notification"
        assert first.at >= due.timestamp()

        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=GIVE_UP_SECONDS)
        restarted_at = datetime.now(UTC)
        daemon = _start()
        _wait_ready(daemon, paa_home, restarted_at)
        assert _sent_texts(hook) == ["first"]  # the catch-up scan after the crash sent nothing again

        # a reminder added while it runs is picked up; run-due racing it around the due time changes nothing
        due2 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        _add_reminder("second", due2)
        racers = []
        for lead in (1.0, 0.6, 0.2):  # a run-due takes about a second to start: these claim around the due time
            time.sleep(max(0.0, due2.timestamp() - lead - time.time()))
            racers.append(subprocess.Popen([sys.executable, "-m", "paa.daemon", "run-due"], env=dict(os.environ),
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))  # fmt: skip
        for racer in racers:
            assert racer.wait(timeout=GIVE_UP_SECONDS) == 0, racer.communicate()[1]
        hook.wait_for(2)
        [second_post] = [r for r in hook.received if _text(r.json()["body"]) == "second"]
        assert second_post.at >= due2.timestamp()
        wait_until(lambda: str(_status(paa_home).get("last_scan_at", "")) >= due2.isoformat(), what="a scan after due2")
        assert sorted(_sent_texts(hook)) == ["first", "second"]

        with open_context() as ctx:
            data = daemon_status(ctx).to_json()
        assert data["running"] is True and data["pid"] == daemon.pid and data["uptime_seconds"] >= 0
        assert data["jobs"] == 3  # the check-in and two reminders

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=GIVE_UP_SECONDS) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    from paa.config import resolve_paths
    from paa.core.reminders.outbox import INTERRUPTED
    from paa.daemon.files import DaemonFiles, running_daemon

    files = DaemonFiles.of(resolve_paths(os.environ))
    assert running_daemon(files) is None
    log = files.log.read_text()
    assert "stopped" in log and "Reminder: first" in log
    rows = _history_rows()
    assert sorted((_text(body), channel) for body, channel, _, _ in rows) == [
        ("first", "log"), ("first", "webhook"), ("second", "log"), ("second", "webhook"),
    ]  # fmt: skip
    for body, channel, status, error in rows:
        delivered = "logged" if channel == "log" else "sent"
        if _text(body) == "second":
            assert status == delivered
        else:  # killed right after sending: recorded as delivered, or closed as interrupted by the restarted daemon
            assert status == delivered or (status == "failed" and error == INTERRUPTED)


def _history_rows() -> list[tuple[str, str, str, str | None]]:
    from paa.core.reminders.outbox import notification_history
    from tests.support.runtime import open_context

    with open_context() as ctx:
        return [(n.body, n.channel, n.status, n.error) for n in notification_history(ctx)]
