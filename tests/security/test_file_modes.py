"""Issue #14, item 6: files paa wrote outside its data folder were world-readable under umask 022.

config.toml (webhook tokens, ntfy credentials, database.url) was 0644 in a 0755 folder, the daemon's log and status
0644, `analytics export -o` 0644, and the service files held PAA_DB_URL with its password. Now everything paa writes
is 0600 in 0700 folders, and the database password goes into a 0600 environment file, not the unit, plist or cron
line. Each test runs under umask 022, with the platform's folders (no PAA_HOME) like a real install.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from paa.config import resolve_paths
from paa.daemon.files import DaemonFiles

DB_PASSWORD = "pg-Sup3rSecret"
DB_URL = f"postgresql+psycopg://paa:{DB_PASSWORD}@db.example.org:5432/paa"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _umask_022_and_platform_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """umask 022, as most systems have; paa's folders where the platform puts them (under a temporary HOME)."""
    monkeypatch.delenv("PAA_HOME")
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "xdg" / name.lower()))
    previous = os.umask(0o022)
    handlers = {name: list(logging.getLogger(name).handlers) for name in ("paa", "apscheduler")}
    try:
        yield
    finally:
        os.umask(previous)
        for name, kept in handlers.items():
            logger = logging.getLogger(name)
            for handler in [h for h in logger.handlers if h not in kept]:
                logger.removeHandler(handler)
                handler.close()


def test_config_toml_and_its_folder_are_private(cli) -> None:
    paths = resolve_paths(os.environ)
    paths.config_dir.mkdir(parents=True, mode=0o755)  # as an older paa, or the person, left it
    os.chmod(paths.config_dir, 0o755)

    done = cli("config", "set", "webhook.url", "https://hooks.example.org/T0/B0/abcDEF123ghiJKL456mno")

    assert done.code == 0, done.err
    assert _mode(paths.config_file) == 0o600
    assert _mode(paths.config_dir) == 0o700


def test_the_daemon_log_and_status_are_private(cli, capsys: pytest.CaptureFixture[str]) -> None:
    from paa.daemon.__main__ import main
    from paa.daemon.runner import Daemon
    from tests.support.runtime import runtime_for

    assert main(["run-due"]) == 0
    files = DaemonFiles.of(resolve_paths(os.environ))
    assert _mode(files.log) == 0o600
    assert _mode(files.log.parent) == 0o700

    with runtime_for() as runtime:
        Daemon(runtime)._write_status(running=False)
    assert _mode(files.status) == 0o600
    assert _mode(files.status.parent) == 0o700


def test_an_old_world_readable_log_is_narrowed_when_the_daemon_writes_to_it(cli) -> None:
    from paa.daemon.__main__ import main

    files = DaemonFiles.of(resolve_paths(os.environ))
    files.log.parent.mkdir(parents=True)
    files.log.write_text("2026-01-01 00:00:00,000 INFO paa.daemon: an old line\n", encoding="utf-8")
    os.chmod(files.log, 0o644)

    assert main(["run-due"]) == 0

    assert _mode(files.log) == 0o600 and _mode(files.log.parent) == 0o700


def test_an_analytics_export_is_private(cli, tmp_path: Path) -> None:
    assert cli("habit", "add", "Read").code == 0
    target = tmp_path / "exports" / "habits.csv"
    target.parent.mkdir()

    done = cli("analytics", "export", "-o", str(target))

    assert done.code == 0, done.err
    assert target.read_text(encoding="utf-8").startswith("day,")
    assert _mode(target) == 0o600


@pytest.mark.parametrize("kind", ["systemd", "launchd"])
def test_the_service_file_holds_no_database_password(
    kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from paa.daemon.__main__ import main

    monkeypatch.setenv("PAA_DB_URL", DB_URL)
    assert main(["install", "--kind", kind]) == 0
    written = capsys.readouterr().out
    [unit] = [Path(line.removeprefix("wrote ")) for line in written.splitlines() if line.startswith("wrote ")
              and not line.endswith(".env")]  # fmt: skip
    env_file = resolve_paths(os.environ).config_dir / "daemon.env"

    assert DB_PASSWORD not in unit.read_text(encoding="utf-8")
    assert _mode(unit) == 0o600
    assert str(env_file) in unit.read_text(encoding="utf-8")  # the service reads it from there
    assert f"PAA_DB_URL={DB_URL}" in env_file.read_text(encoding="utf-8").replace("'", "")
    assert _mode(env_file) == 0o600 and _mode(env_file.parent) == 0o700


def test_the_cron_line_holds_no_database_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from paa.daemon.__main__ import main

    monkeypatch.setenv("PAA_DB_URL", DB_URL)
    assert main(["install", "--kind", "cron"]) == 0
    line = capsys.readouterr().out
    env_file = resolve_paths(os.environ).config_dir / "daemon.env"

    assert DB_PASSWORD not in line
    assert "--env-file" in line and str(env_file) in line
    assert DB_PASSWORD in env_file.read_text(encoding="utf-8") and _mode(env_file) == 0o600
    assert main(["install", "--kind", "cron", "--print"]) == 0
    assert DB_PASSWORD not in capsys.readouterr().out


def test_the_daemon_reads_its_environment_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from paa.daemon.__main__ import environ_with

    env_file = tmp_path / "daemon.env"
    env_file.write_text(f"# secrets\nPAA_DB_URL='{DB_URL}'\nPAA_SMTP_PASSWORD=hunter2\n", encoding="utf-8")
    os.chmod(env_file, 0o600)

    merged = environ_with({"PAA_HOME": "/x", "PAA_SMTP_PASSWORD": "old"}, env_file)

    assert merged["PAA_DB_URL"] == DB_URL and merged["PAA_SMTP_PASSWORD"] == "hunter2" and merged["PAA_HOME"] == "/x"


@pytest.mark.parametrize("kind", ["systemd", "launchd"])
def test_the_server_service_holds_no_secret(
    kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`install --with-server`: the database and Redis passwords only in the 0600 environment file, never a unit."""
    from paa.daemon.__main__ import main

    redis_password = "r3dis-Sup3rSecret"
    monkeypatch.setenv("PAA_DB_URL", DB_URL)
    monkeypatch.setenv("PAA_REDIS_URL", f"redis://:{redis_password}@cache.example.org:6379/0")
    assert main(["install", "--kind", kind, "--with-server"]) == 0
    written = [Path(line.removeprefix("wrote ")) for line in capsys.readouterr().out.splitlines()
               if line.startswith("wrote ") and not line.endswith(".env")]  # fmt: skip
    env_file = resolve_paths(os.environ).config_dir / "daemon.env"

    assert len(written) == 2 and any("server" in path.name for path in written)
    for unit in written:
        text = unit.read_text(encoding="utf-8")
        assert DB_PASSWORD not in text and redis_password not in text
        assert str(env_file) in text and _mode(unit) == 0o600
    secrets = env_file.read_text(encoding="utf-8")
    assert DB_PASSWORD in secrets and redis_password in secrets
    assert _mode(env_file) == 0o600 and _mode(env_file.parent) == 0o700


def test_the_launchd_agents_log_folder_is_made_private_before_they_start(capsys: pytest.CaptureFixture[str]) -> None:
    """launchd opens StandardErrorPath itself and makes no folder: install makes the log folder (0700) first."""
    from paa.daemon.__main__ import main

    log_dir = resolve_paths(os.environ).log_dir
    assert not log_dir.exists()
    assert main(["install", "--kind", "launchd", "--with-server"]) == 0
    plists = [Path(line.removeprefix("wrote ")) for line in capsys.readouterr().out.splitlines()
              if line.startswith("wrote ") and line.endswith(".plist")]  # fmt: skip
    assert len(plists) == 2
    for plist in plists:
        assert f"<string>{log_dir}/" in plist.read_text(encoding="utf-8")
    assert _mode(log_dir) == 0o700
