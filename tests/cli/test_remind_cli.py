"""`paa remind` and `paa daemon` through the real entry point: JSON outputs, errors, run-due against a local
webhook, service files written under a redirected config folder, and start/stop of a real daemon."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from paa.errors import ExitCode
from tests.support.clock import FIXED_NOW
from tests.support.recorders import http_recorder


def _json(result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_add_list_remove_and_their_errors(cli) -> None:
    added = _json(cli("remind", "add", "Call mom", "--at", "sunday 18:00", "--json"))
    assert added["at"] == "2026-11-29T18:00:00+00:00" and added["kind"] == "once" and added["next"] == added["at"]
    weekly = _json(cli("remind", "add", "Weekly review", "--cron", "0 17 * * FRI", "--json"))
    assert weekly["cron"] == "0 17 * * FRI" and weekly["next"] == "2026-11-27T17:00:00+00:00"

    listed = _json(cli("remind", "list", "--json"))
    assert [r["text"] for r in listed["reminders"]] == ["Call mom", "Weekly review"]
    assert listed["checkin"] == {"time": "21:00", "next": "2026-11-26T21:00:00+00:00"}
    assert listed["history"] is None and listed["habits"] == []
    human = cli("remind", "list")
    assert "Call mom" in human.out and "cron 0 17 * * FRI" in human.out

    removed = cli("remind", "remove", str(added["id"]))
    assert removed.code == 0 and "Call mom" in removed.out
    assert cli("remind", "remove", str(added["id"])).code == ExitCode.NOT_FOUND
    both = cli("remind", "add", "x", "--at", "18:00", "--cron", "* * * * *")
    assert both.code == ExitCode.INVALID_INPUT and "either --at or --cron" in both.err
    assert cli("remind", "add", "x", "--cron", "0 25 * * *").code == ExitCode.INVALID_INPUT
    past = cli("remind", "add", "x", "--at", "2020-01-01 10:00")
    assert past.code == ExitCode.INVALID_INPUT and "in the past" in past.err


def test_add_reads_days_times_and_durations_in_the_users_zone(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")  # it is Thursday 13:00 there
    assert _json(cli("remind", "add", "Dentist", "--at", "tomorrow 9am", "--json"))["at"] == "2026-11-27T08:00:00+00:00"
    assert _json(cli("remind", "add", "Bins", "--at", "today 18:00", "--json"))["at"] == "2026-11-26T17:00:00+00:00"
    assert _json(cli("remind", "add", "Gym", "--at", "fri 7:30", "--json"))["at"] == "2026-11-27T06:30:00+00:00"
    assert _json(cli("remind", "add", "Laundry", "--in", "1h30m", "--json"))["at"] == "2026-11-26T13:30:00+00:00"
    tea = cli("remind", "add", "Tea", "--in", "20m")
    assert tea.code == 0 and "next: Thu 26 Nov 2026 13:20" in tea.out
    assert [(r["text"], r["kind"]) for r in _json(cli("remind", "list", "--json"))["reminders"]][-1] == ("Tea", "once")
    bare = cli("remind", "add", "x", "--in", "20")
    assert bare.code == ExitCode.INVALID_INPUT and "cannot read '20' as a duration" in bare.err and "1h30m" in bare.err
    both = cli("remind", "add", "x", "--in", "2h", "--cron", "0 9 * * *")
    assert both.code == ExitCode.INVALID_INPUT and "give either --in or --cron, not both" in both.err


def test_upcoming_days_are_whole_days_in_the_users_zone(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("PAA_NOW", "2026-11-20T12:00:00+00:00")  # the habit exists long before
    assert cli("habit", "add", "Stretch", "--remind", "09:00").code == 0
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())  # Thursday 13:00 in Berlin

    def upcoming(*args: str) -> list[tuple[str, str]]:
        return [(item["local"], item["kind"]) for item in _json(cli("remind", "upcoming", *args, "--json"))]

    assert upcoming() == [("2026-11-26T21:00:00+01:00", "checkin")]  # the rest of today, not 24 hours
    assert upcoming("--days", "2") == [
        ("2026-11-26T21:00:00+01:00", "checkin"),
        ("2026-11-27T09:00:00+01:00", "habit"),
        ("2026-11-27T21:00:00+01:00", "checkin"),  # all of Friday, and nothing of Saturday morning
    ]
    assert upcoming("--days", "3")[-1] == ("2026-11-28T21:00:00+01:00", "checkin")
    shown = cli("remind", "upcoming", "--days", "3")
    assert "Saturday 28 November 2026" in shown.out and "Sunday" not in shown.out
    late = cli("remind", "upcoming", "--from", "2026-11-26T22:00")
    assert late.out.strip() == "Nothing due until the end of Thursday 26 November 2026."


def test_upcoming_json_is_a_pure_computation_through_dst(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "America/New_York")
    monkeypatch.setenv("PAA_NOW", "2026-11-01T12:00:00+00:00")  # the habit exists long before
    assert cli("habit", "add", "Stretch", "--remind", "02:30,07:30").code == 0
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())
    assert cli("config", "set", "checkin.time", "21:30").code == 0
    found = _json(cli("remind", "upcoming", "--from", "2027-03-13T00:00", "--days", "2", "--json"))
    assert [(item["local"], item["kind"], item["day"]) for item in found] == [
        ("2027-03-13T02:30:00-05:00", "habit", "2027-03-13"),
        ("2027-03-13T07:30:00-05:00", "habit", "2027-03-13"),
        ("2027-03-13T21:30:00-05:00", "checkin", "2027-03-13"),
        ("2027-03-14T03:00:00-04:00", "habit", "2027-03-14"),  # 02:30 does not exist that night
        ("2027-03-14T07:30:00-04:00", "habit", "2027-03-14"),
        ("2027-03-14T21:30:00-04:00", "checkin", "2027-03-14"),
    ]
    assert found[3]["due_at"] == "2027-03-14T07:00:00+00:00" and found[3]["type"] == "habit:reminder"
    again = _json(cli("remind", "upcoming", "--from", "2027-03-13T00:00", "--days", "2", "--json"))
    assert again == found  # the same instant gives the same answer, whatever the clock says
    human = cli("remind", "upcoming", "--from", "2027-03-14T00:00")
    assert "Sunday 14 March 2027" in human.out and "03:00  Stretch" in human.out
    assert cli("remind", "upcoming", "--from", "soon").code == ExitCode.INVALID_INPUT


@pytest.mark.e2e
def test_run_due_sends_once_and_history_shows_it(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with http_recorder() as hook:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook")
        monkeypatch.setenv("PAA_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("PAA_NOW", "2026-11-26T11:00:00+00:00")
        assert cli("habit", "add", "Drink water", "--remind", "11:30").code == 0
        monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())  # 12:00: 11:30 is within the hour of grace
        first = _json(cli("remind", "run-due", "--json"))
        assert first["sent"] == 1 and [e["title"] for e in first["events"]] == ["Drink water"]
        assert first["events"][0]["late"] is True and "due at 11:30" in first["events"][0]["body"]
        second = _json(cli("remind", "run-due", "--json"))
        assert second["sent"] == 0 and second["events"] == []
        assert len(hook.wait_for(1)) == 1
    history = _json(cli("remind", "list", "--history", "--json"))["history"]
    assert [(n["title"], n["channel"], n["status"], n["attempts"]) for n in history] == [
        ("Drink water", "webhook", "sent", 1)
    ]
    shown = cli("remind", "list", "--history")
    assert "Latest notifications" in shown.out and "sent" in shown.out


def test_config_takes_notification_settings(cli, paa_home: Path) -> None:
    chosen = cli("config", "set", "notify.channels", "Desktop, ntfy")
    assert chosen.code == 0 and chosen.err.splitlines() == [
        "paa: warning: the ntfy channel is on but ntfy.url is not set: reminders on it will fail until it is set",
        "hint: paa config set ntfy.url https://ntfy.sh/your-topic (or take ntfy off notify.channels)",
    ]
    assert cli("config", "get", "notify.channels").out.strip() == "desktop,ntfy"
    assert cli("config", "set", "reminders.grace_minutes", "15").code == 0
    bad = cli("config", "set", "notify.channels", "pigeon")
    assert bad.code == ExitCode.CONFIG and "unknown channel" in bad.err
    assert cli("config", "set", "webhook.url", "ftp://example.org").code == ExitCode.CONFIG
    text = (paa_home / "config.toml").read_text()
    assert 'channels = "desktop,ntfy"' in text and "grace_minutes = 15" in text and "password" not in text


def test_doctor_flags_a_channel_without_its_url_until_it_is_set(cli) -> None:
    assert cli("config", "set", "notify.channels", "desktop,ntfy").code == 0
    flagged = cli("doctor")
    assert flagged.code == ExitCode.CONFIG
    assert "✗ channel ntfy: the ntfy channel is on but ntfy.url is not set" in flagged.out
    assert "paa config set ntfy.url https://ntfy.sh/your-topic" in flagged.out
    checks = {check["name"]: check for check in json.loads(cli("doctor", "--json").out)}
    assert checks["channel ntfy"]["status"] == "error" and checks["channel ntfy"]["advice"].startswith("paa config")
    fixed = cli("config", "set", "ntfy.url", "https://ntfy.sh/my-topic")
    assert fixed.code == 0 and "warning" not in fixed.err
    assert cli("doctor").code == 0
    unset = cli("config", "unset", "ntfy.url")
    assert unset.code == 0 and "ntfy.url is not set" in unset.err


def test_status_and_logs_when_not_running(cli) -> None:
    status = _json(cli("daemon", "status", "--json"))
    assert status["running"] is False and status["pid"] is None and status["uptime_seconds"] is None
    assert status["next"][0]["kind"] == "checkin" and status["failed_notifications"] == 0
    assert "not running" in cli("daemon", "status").out
    assert "No log yet" in cli("daemon", "logs").out
    assert "not running" in cli("daemon", "stop").out


@pytest.mark.e2e
def test_install_writes_units_under_the_redirected_folders(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paa_home: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    result = cli("daemon", "install", "--kind", "systemd")
    assert result.code == 0, result.err
    unit = tmp_path / "xdg" / "systemd" / "user" / "paa-daemon.service"
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -m paa.daemon run" in text and f"PAA_HOME={paa_home}" in text
    assert "systemctl --user enable --now paa-daemon.service" in result.out  # told, not run
    plist = cli("daemon", "install", "--kind", "launchd")
    assert plist.code == 0
    agent = tmp_path / "home" / "Library" / "LaunchAgents" / "dev.paa.daemon.plist"
    assert "<string>paa.daemon</string>" in agent.read_text()
    cron = cli("daemon", "install", "--kind", "cron")
    assert cron.out.startswith("* * * * * PAA_HOME=") and "-m paa.daemon run-due" in cron.out
    printed = cli("daemon", "install", "--kind", "systemd", "--print")
    assert printed.out == text
    assert cli("daemon", "uninstall", "--kind", "systemd").code == 0
    assert not unit.exists()


def test_start_status_stop_a_real_daemon(run_paa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    real_clock = {"PAA_NOW": ""}
    started = run_paa("daemon", "start", env=real_clock)
    assert started.returncode == 0, started.stderr
    assert "Started the paa daemon" in started.stdout
    try:
        again = run_paa("daemon", "start", env=real_clock)
        assert "already running" in again.stdout
    finally:
        stopped = run_paa("daemon", "stop", env=real_clock)
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.stderr
    logs = run_paa("daemon", "logs", "-n", "5", env=real_clock)
    assert "stopped" in logs.stdout


@pytest.mark.e2e
def test_remind_commands_do_not_load_the_scheduler() -> None:
    code = (
        "import sys; from paa.cli.main import main; "
        "codes = [main(['remind', 'upcoming', '--json']), main(['remind', 'list']), main(['daemon', 'status'])]; "
        "print(codes, sorted(m for m in ('apscheduler', 'desktop_notifier', 'smtplib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[0, 0, 0] []", done.stderr
