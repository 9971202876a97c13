"""`paa daemon install --with-server`: `paa serve` as a user service beside the reminder daemon (a systemd unit or a
launchd agent, never a cron line), its secrets in the environment file; `paa serve --env-file` reads that file.
No test runs systemctl or launchctl: the units are written under a temporary XDG_CONFIG_HOME and HOME."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from paa.cli import serve
from paa.config import resolve_paths
from paa.errors import ExitCode

REDIS_URL = "redis://:r3dis-Secret@cache.example.org:6379/0"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paa_home: Path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def _daemon(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from paa.daemon.__main__ import main

    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_systemd_installs_both_units_and_uninstalls_both(
    xdg: Path, paa_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", REDIS_URL)
    code, out, err = _daemon(capsys, "install", "--kind", "systemd", "--with-server")
    assert code == 0, err
    units = xdg / "systemd" / "user"
    server = (units / "paa-server.service").read_text(encoding="utf-8")
    env_file = resolve_paths({"PAA_HOME": str(paa_home)}).config_dir / "daemon.env"

    assert f"ExecStart={sys.executable} -m paa serve\n" in server
    for line in (
        "UMask=0077",
        "Restart=on-failure",
        f"EnvironmentFile=-{env_file}",
        f'Environment="PAA_HOME={paa_home}"',
    ):
        assert line in server.splitlines()
    assert (units / "paa-daemon.service").exists()
    assert "r3dis-Secret" not in server and "r3dis-Secret" in env_file.read_text(encoding="utf-8")
    # told, not run: both units, one daemon-reload
    assert "systemctl --user enable --now paa-server.service" in out
    assert "systemctl --user enable --now paa-daemon.service" in out
    assert out.count("systemctl --user daemon-reload") == 1

    code, out, err = _daemon(capsys, "uninstall", "--kind", "systemd", "--with-server")
    assert code == 0, err
    assert not (units / "paa-server.service").exists() and not (units / "paa-daemon.service").exists()
    assert f"removed {units / 'paa-server.service'}" in out


def test_without_the_flag_only_the_daemon_is_installed(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _daemon(capsys, "install", "--kind", "systemd")
    assert code == 0, err
    assert (xdg / "systemd" / "user" / "paa-daemon.service").exists()
    assert not (xdg / "systemd" / "user" / "paa-server.service").exists()


def test_launchd_agent_reads_the_environment_file_through_paa_serve(
    xdg: Path, tmp_path: Path, paa_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _daemon(capsys, "install", "--kind", "launchd", "--with-server")
    assert code == 0, err
    agent = tmp_path / "home" / "Library" / "LaunchAgents" / "dev.paa.server.plist"
    text = agent.read_text(encoding="utf-8")
    env_file = resolve_paths({"PAA_HOME": str(paa_home)}).config_dir / "daemon.env"
    arguments = [sys.executable, "-m", "paa", "serve", "--env-file", str(env_file)]

    assert "".join(f"    <string>{argument}</string>\n" for argument in arguments) in text
    assert "<string>dev.paa.server</string>" in text and "<integer>63</integer>" in text  # umask 0077
    assert f"launchctl load -w {agent}" in out
    assert (agent.parent / "dev.paa.daemon.plist").exists()


def test_cron_refuses_a_server_and_writes_nothing(
    xdg: Path, paa_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _daemon(capsys, "install", "--kind", "cron", "--with-server")
    assert code == ExitCode.INVALID_INPUT
    assert err.splitlines()[0].startswith("paa: error: a server is not a cron job")
    assert "--kind systemd or --kind launchd" in err and "supervisor" in err
    assert out == "" and not (resolve_paths({"PAA_HOME": str(paa_home)}).config_dir / "daemon.env").exists()


def test_print_shows_both_files_and_writes_nothing(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _daemon(capsys, "install", "--kind", "systemd", "--with-server", "--print")
    assert code == 0
    units = xdg / "systemd" / "user"
    headers = [line for line in out.splitlines() if line.startswith("==> ")]
    assert headers == [f"==> {units / 'paa-daemon.service'} <==", f"==> {units / 'paa-server.service'} <=="]
    assert f"ExecStart={sys.executable} -m paa serve" in out and f"ExecStart={sys.executable} -m paa.daemon run" in out
    assert not units.exists()


def test_uninstall_under_cron_says_which_line_to_remove(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _daemon(capsys, "uninstall", "--kind", "cron", "--with-server")
    assert code == 0, err
    assert "-m paa.daemon run-due" in out and "remove this line with `crontab -e`" in out
    assert "cron runs no server" in err


@pytest.mark.e2e
def test_the_cli_hands_the_flag_over(cli: Callable[..., Any], xdg: Path) -> None:
    done = cli("daemon", "install", "--kind", "systemd", "--with-server")
    assert done.code == 0, done.err
    assert (xdg / "systemd" / "user" / "paa-server.service").exists()
    refused = cli("daemon", "install", "--kind", "cron", "--with-server")
    assert refused.code == ExitCode.INVALID_INPUT and "a server is not a cron job" in refused.err
    assert cli("daemon", "uninstall", "--kind", "systemd", "--with-server").code == 0
    assert not (xdg / "systemd" / "user" / "paa-server.service").exists()


def test_serve_takes_its_secrets_from_the_env_file(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several workers need PAA_REDIS_URL: given only in the environment file, it is seen (and the database too)."""
    from paa.cli import runtime as command_runtime

    database = tmp_path / "elsewhere.db"
    env_file = tmp_path / "daemon.env"
    env_file.write_text(f"# the service's secrets\nPAA_DB_URL=sqlite:///{database}\nPAA_REDIS_URL='{REDIS_URL}'\n")
    seen: list[dict[str, str]] = []
    monkeypatch.setattr(serve, "_run", lambda *args: seen.append(dict(command_runtime.environ())))

    done = cli("serve", "--workers", "2", "--env-file", str(env_file))

    assert done.code == 0, done.err
    assert seen[0]["PAA_REDIS_URL"] == REDIS_URL and seen[0]["PAA_DB_URL"] == f"sqlite:///{database}"
    missing = cli("serve", "--env-file", str(tmp_path / "none.env"))  # as EnvironmentFile=-: nothing added
    assert missing.code == 0 and len(seen) == 2 and "PAA_REDIS_URL" not in seen[1]


def test_without_the_server_extra_nothing_is_installed(
    xdg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A unit whose `paa serve` could never start is refused: the extra is named instead."""
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if `paa[server]` were not installed
    code, out, err = _daemon(capsys, "install", "--kind", "systemd", "--with-server")
    assert code == ExitCode.CONFIG
    assert err.splitlines()[0] == "paa: error: paa serve needs the server extra, and fastapi is not installed"
    assert "pip install 'paa[server]'" in err
    assert out == "" and not (xdg / "systemd").exists()
    assert _daemon(capsys, "uninstall", "--kind", "systemd", "--with-server")[0] == 0  # removing needs no extra


def test_serve_without_the_server_extra_is_a_one_line_error(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    done = cli("serve")
    assert done.code == ExitCode.CONFIG
    assert done.err.splitlines()[0] == "paa: error: paa serve needs the server extra, and uvicorn is not installed"
    assert "Traceback" not in done.err
