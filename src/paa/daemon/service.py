"""Installing the daemon as a service: a systemd user unit, a launchd agent, or a cron line; with `--with-server`,
`paa serve` beside it (a systemd unit or a launchd agent: a server is not a cron job).

Secrets never go in the unit, plist or cron line (other users can often read those, and `ps` shows a cron line's
variables): the database and Redis URLs go into `daemon.env` in the config folder, 0600, which both services read.
"""

from __future__ import annotations

import importlib.util
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
from paa.errors import ConfigError, InvalidInput, PaaError
from paa.files import make_private_folder, write_private_text

Kind = Literal["systemd", "launchd", "cron"]
KINDS: tuple[Kind, ...] = ("systemd", "launchd", "cron")
UNIT_NAME = "paa-daemon.service"
AGENT_LABEL = "dev.paa.daemon"
PASSED_ON = ("PAA_HOME",)  # where the data is: the service must see what this shell sees
SECRET_ENV = ("PAA_DB_URL",)  # where the data is too, but it may hold a password: written to the environment file
SERVER_SECRET_ENV = ("PAA_DB_URL", "PAA_REDIS_URL")  # the server's shared state may sit behind a password too
ENV_FILE_NAME = "daemon.env"
SERVER_UNIT_NAME = "paa-server.service"
SERVER_AGENT_LABEL = "dev.paa.server"
# systemd's stop timeout: above `paa serve`'s own grace period (paa.cli.serve.GRACEFUL_SECONDS, 30 s) for requests
# and streams in flight, so a stop finishes them instead of killing them.
SERVER_STOP_SECONDS = 45


@dataclass(frozen=True)
class ServicePlan:
    """What `install` writes (or prints) and the commands that switch it on."""

    kind: Kind
    path: Path | None  # None for cron: there is only a line to add
    text: str
    enable: list[list[str]]
    disable: list[list[str]]
    env_file: Path  # KEY=value lines (0600) the service reads: secrets paa passes on, and the person's own
    secrets: dict[str, str]  # what `install` writes into env_file
    # Folders that must exist before the service starts: launchd opens StandardErrorPath itself and does not make
    # its folder, so a missing log folder would stop the agent before paa could make it.
    folders: tuple[Path, ...] = ()


SERVER_PACKAGES = ("fastapi", "uvicorn")  # the `server` extra: what `paa serve` cannot start without


def require_server_extra() -> None:
    """Refuse when the `server` extra is not installed, before serving or installing a unit that would fail at every
    start."""
    missing = [name for name in SERVER_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"paa serve needs the server extra, and {', '.join(missing)} is not installed",
            hint="pip install 'paa[server]' (or pipx inject paa fastapi uvicorn websockets prometheus-client)",
        )


def detect_kind(environ: Mapping[str, str]) -> Kind:
    """launchd on macOS; systemd where it runs; cron anywhere else."""
    if platform.system() == "Darwin":
        return "launchd"
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl", path=environ.get("PATH")):
        return "systemd"
    return "cron"


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "paa.daemon", *args]


def _server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "paa", "serve", *args]


def env_file(paths: Paths) -> Path:
    return paths.config_dir / ENV_FILE_NAME


def _passed_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: environ[name] for name in PASSED_ON if environ.get(name)}


def _secret_env(environ: Mapping[str, str], names: tuple[str, ...] = SECRET_ENV) -> dict[str, str]:
    return {name: environ[name] for name in names if environ.get(name)}


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
        "UMask=0077\n"
        f"ExecStart={shlex.join(_command('run'))}\n"
        f"{env_lines}"
        "# Secrets (PAA_DB_URL, PAA_SMTP_PASSWORD, PAA_NTFY_TOKEN) go in this file (KEY=value lines, mode 600):\n"
        f"EnvironmentFile=-{env_file(paths)}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(paths: Paths, environ: Mapping[str, str]) -> str:
    run = _command("run", "--env-file", str(env_file(paths)))
    return _plist(AGENT_LABEL, run, paths.log_dir / "daemon.stderr.log", environ)


def _plist(label: str, run: list[str], log_path: Path, environ: Mapping[str, str]) -> str:
    arguments = "".join(f"    <string>{escape(arg)}</string>\n" for arg in run)
    env = "".join(
        f"    <key>{escape(k)}</key>\n    <string>{escape(v)}</string>\n" for k, v in _passed_env(environ).items()
    )
    log = escape(str(log_path))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key>\n  <string>{label}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n"
        f"  <key>EnvironmentVariables</key>\n  <dict>\n{env}  </dict>\n"
        "  <key>Umask</key>\n  <integer>63</integer>\n"  # 0077: what it writes is its owner's only
        "  <key>RunAtLoad</key>\n  <true/>\n"
        "  <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n"
        f"  <key>StandardErrorPath</key>\n  <string>{log}</string>\n"
        "</dict>\n</plist>\n"
    )


def server_systemd_unit(paths: Paths, environ: Mapping[str, str]) -> str:
    """`paa serve` as a systemd user unit: secrets from the environment file, a stop that lets streams finish."""
    env_lines = "".join(f'Environment="{k}={v}"\n' for k, v in _passed_env(environ).items())
    return (
        "[Unit]\n"
        "Description=paa server (REST API and WebSocket events: paa serve)\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=simple\n"
        "UMask=0077\n"
        f"ExecStart={shlex.join(_server_command())}\n"
        f"{env_lines}"
        "# Secrets (PAA_DB_URL, PAA_REDIS_URL) go in this file (KEY=value lines, mode 600):\n"
        f"EnvironmentFile=-{env_file(paths)}\n"
        "KillSignal=SIGTERM\n"
        f"TimeoutStopSec={SERVER_STOP_SECONDS}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def server_launchd_plist(paths: Paths, environ: Mapping[str, str]) -> str:
    """`paa serve` as a launchd agent; launchd has no environment file, so `paa serve --env-file` reads it."""
    run = _server_command("--env-file", str(env_file(paths)))
    return _plist(SERVER_AGENT_LABEL, run, paths.log_dir / "server.stderr.log", environ)


def cron_line(paths: Paths, environ: Mapping[str, str]) -> str:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _passed_env(environ).items())
    command = shlex.join(_command("run-due", "--env-file", str(env_file(paths))))
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
            env_file=env_file(paths), secrets=_secret_env(environ),
        )  # fmt: skip
    if kind == "launchd":
        path = _home(environ) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        return ServicePlan(
            kind, path, launchd_plist(paths, environ),
            enable=[["launchctl", "load", "-w", str(path)]],
            disable=[["launchctl", "unload", "-w", str(path)]],
            env_file=env_file(paths), secrets=_secret_env(environ), folders=(paths.log_dir,),
        )  # fmt: skip
    if kind == "cron":
        return ServicePlan(kind, None, cron_line(paths, environ) + "\n", enable=[], disable=[],
                           env_file=env_file(paths), secrets=_secret_env(environ))  # fmt: skip
    raise InvalidInput(f"unknown service kind {kind!r}", hint=f"choose from {', '.join(KINDS)}")


def server_plan(kind: Kind, paths: Paths, environ: Mapping[str, str]) -> ServicePlan:
    """The service file that runs `paa serve`; refused for cron, which starts jobs, not servers."""
    secrets = _secret_env(environ, SERVER_SECRET_ENV)
    if kind == "systemd":
        base = Path(environ.get("XDG_CONFIG_HOME") or _home(environ) / ".config")
        path = base / "systemd" / "user" / SERVER_UNIT_NAME
        user = ["systemctl", "--user"]
        return ServicePlan(
            kind, path, server_systemd_unit(paths, environ),
            enable=[[*user, "daemon-reload"], [*user, "enable", "--now", SERVER_UNIT_NAME]],
            disable=[[*user, "disable", "--now", SERVER_UNIT_NAME], [*user, "daemon-reload"]],
            env_file=env_file(paths), secrets=secrets,
        )  # fmt: skip
    if kind == "launchd":
        path = _home(environ) / "Library" / "LaunchAgents" / f"{SERVER_AGENT_LABEL}.plist"
        return ServicePlan(
            kind, path, server_launchd_plist(paths, environ),
            enable=[["launchctl", "load", "-w", str(path)]],
            disable=[["launchctl", "unload", "-w", str(path)]],
            env_file=env_file(paths), secrets=secrets, folders=(paths.log_dir,),
        )  # fmt: skip
    if kind == "cron":
        raise InvalidInput(
            "a server is not a cron job: cron starts commands that end, and paa serve runs until stopped",
            hint="use --kind systemd or --kind launchd, or run `paa serve` under a supervisor of your own",
            field="kind",
        )
    raise InvalidInput(f"unknown service kind {kind!r}", hint=f"choose from {', '.join(KINDS)}")


def install(service: ServicePlan, *, enable: bool) -> list[str]:
    """Write the service file (and its secrets to the environment file) and, with `enable`, run the commands that
    start it; return what was done."""
    done: list[str] = []
    if service.secrets:
        write_env_file(service.env_file, service.secrets)
        done.append(f"wrote {', '.join(service.secrets)} to {service.env_file}")
    for folder in service.folders:
        make_private_folder(folder)
    if service.path is not None:
        write_private_text(service.path, service.text)
        done.append(f"wrote {service.path}")
    if enable:
        done += _run_all(service.enable)
    return done


def write_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in the environment file (0600 in a 0700 folder), keeping the other lines as they are."""
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name = line.strip().removeprefix("export ").partition("=")[0].strip()
            if name not in values:
                kept.append(line)
    lines = kept + [f"{name}={shlex.quote(value)}" for name, value in values.items()]
    make_private_folder(path.parent)
    write_private_text(path, "\n".join(lines) + "\n")


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=value lines of an environment file (systemd's format: # comments, optional quotes); {} if missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        name, equals, raw = stripped.removeprefix("export ").partition("=")
        if not equals or not name.strip():
            continue
        try:
            words = shlex.split(raw, comments=False)
        except ValueError:
            words = [raw.strip()]
        values[name.strip()] = " ".join(words)
    return values


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
