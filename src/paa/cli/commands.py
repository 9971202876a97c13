"""The top-level commands of `paa` and the modules that build them, read by the entry point and the Typer app."""

from __future__ import annotations

# Only the module of the command being run is imported, so start-up time stays flat as paa grows;
# help and unknown commands build them all.
COMMANDS: dict[str, str] = {
    "habit": "paa.cli.habit",
    "tui": "paa.cli.tui_cmd",
    "checkin": "paa.cli.checkin",
    "analytics": "paa.cli.analytics",
    "remind": "paa.cli.remind",
    "daemon": "paa.cli.daemon_cmd",
    "memory": "paa.cli.memory",
    "config": "paa.cli.config_cmd",
    "doctor": "paa.cli.doctor",
    "chat": "paa.cli.chat",
    "auth": "paa.cli.auth",
    "users": "paa.cli.users",
    "serve": "paa.cli.serve",
    "worker": "paa.cli.worker",
    "warm": "paa.cli.warm",
    "backup": "paa.cli.backup",
    "restore": "paa.cli.restore",
    "export": "paa.cli.export_cmd",
    "import": "paa.cli.import_cmd",
}
