"""Installing the daemon as a service: a systemd user unit, a launchd agent, or a cron line."""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from paa.config import Paths
from paa.errors import InvalidInput, PaaError
from paa.files import write_private_text

Kind = Literal["systemd", "launchd", "cron"]
KINDS: tuple[Kind, ...] = ("systemd", "launchd", "cron")
UNIT_NAME = "paa-daemon.service"
AGENT_LABEL = "dev.paa.daemon"
PASSED_ON = ("PAA_HOME", "PAA_DB_URL")  # where the data is: the service must see what this shell sees


@dataclass(frozen=True)
class ServicePlan:
    """What `install` writes (or prints) and the commands that switch it on."""

    kind: Kind
    path: Path | None  # None for cron: there is only a line to add
    text: str
    enable: list[list[str]]
    disable: list[list[str]]


def detect_kind(environ: Mapping[str, str]) -> Kind:
    """launchd on macOS; systemd where it runs; cron anywhere else."""
    if platform.system() == "Darwin":
        return "launchd"
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl", path=environ.get("PATH")):
        return "systemd"
    return "cron"


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "paa.daemon", *args]


def _passed_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in PASSED_ON if environ.get(name)}


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def systemd_unit(paths: Paths, environ: Mapping[str, str]) -> str:
    env_lines = "".join(f'Environment="{k}={v}"\n' for k, v in _passed_env(environ).items())
    return (
        "[Unit]\n"
        "Description=paa reminder daemon (habits, check-ins, custom reminders)\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={shlex.join(_command('run'))}\n"
        f"{env_lines}"
        "# Secrets such as PAA_SMTP_PASSWORD or PAA_NTFY_TOKEN go in this file (KEY=value lines, mode 600):\n"
        f"EnvironmentFile=-{paths.config_dir / 'daemon.env'}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(paths: Paths, environ: Mapping[str, str]) -> str:
    arguments = "".join(f"    <string>{escape(arg)}</string>\n" for arg in _command("run"))
    env = "".join(
        f"    <key>{escape(k)}</key>\n    <string>{escape(v)}</string>\n" for k, v in _passed_env(environ).items()
    )
    log = escape(str(paths.log_dir / "daemon.stderr.log"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key>\n  <string>{AGENT_LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n"
        f"  <key>EnvironmentVariables</key>\n  <dict>\n{env}  </dict>\n"
        "  <key>RunAtLoad</key>\n  <true/>\n"
        "  <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n"
        f"  <key>StandardErrorPath</key>\n  <string>{log}</string>\n"
        "</dict>\n</plist>\n"
    )


def cron_line(environ: Mapping[str, str]) -> str:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _passed_env(environ).items())
    command = shlex.join(_command("run-due"))
    return f"* * * * * {env + ' ' if env else ''}{command} >/dev/null 2>&1"


def plan(kind: Kind, paths: Paths, environ: Mapping[str, str]) -> ServicePlan:
    """The service file (or cron line) for this machine, honouring XDG_CONFIG_HOME and HOME."""
    if kind == "systemd":
        base = Path(environ.get("XDG_CONFIG_HOME") or _home(environ) / ".config")
        path = base / "systemd" / "user" / UNIT_NAME
        user = ["systemctl", "--user"]
        return ServicePlan(
            kind, path, systemd_unit(paths, environ),
            enable=[[*user, "daemon-reload"], [*user, "enable", "--now", UNIT_NAME]],
            disable=[[*user, "disable", "--now", UNIT_NAME], [*user, "daemon-reload"]],
        )  # fmt: skip
    if kind == "launchd":
        path = _home(environ) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        return ServicePlan(
            kind, path, launchd_plist(paths, environ),
            enable=[["launchctl", "load", "-w", str(path)]],
            disable=[["launchctl", "unload", "-w", str(path)]],
        )  # fmt: skip
    if kind == "cron":
        return ServicePlan(kind, None, cron_line(environ) + "\n", enable=[], disable=[])
    raise InvalidInput(f"unknown service kind {kind!r}", hint=f"choose from {', '.join(KINDS)}")


def install(service: ServicePlan, *, enable: bool) -> list[str]:
    """Write the service file and, with `enable`, run the commands that start it; return what was done."""
    done: list[str] = []
    if service.path is not None:
        write_private_text(service.path, service.text)
        done.append(f"wrote {service.path}")
    if enable:
        done += _run_all(service.enable)
    return done


def uninstall(service: ServicePlan, *, disable: bool) -> list[str]:
    done: list[str] = []
    if disable:
        done += _run_all(service.disable, check=False)
    if service.path is not None and service.path.exists():
        service.path.unlink()
        done.append(f"removed {service.path}")
    return done


def _run_all(commands: list[list[str]], *, check: bool = True) -> list[str]:
    done = []
    for command in commands:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except OSError as exc:
            raise PaaError(f"cannot run {command[0]}: {exc.strerror}") from None
        if result.returncode != 0 and check:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise PaaError(f"`{shlex.join(command)}` failed: {message[-1] if message else result.returncode}")
        done.append(f"ran {shlex.join(command)}")
    return done
