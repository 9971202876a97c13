"""Health checks for `paa doctor`: what is set up, what is missing, and what to do about it."""

from __future__ import annotations

import platform
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from paa import __version__
from paa.config import Paths, load_settings, resolve_paths
from paa.config_sources import read_secret_files
from paa.errors import PaaError
from paa.redact import redact, redact_url

if TYPE_CHECKING:
    from paa.core.runtime import Runtime

Status = Literal["ok", "info", "warn", "error"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    advice: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "advice": self.advice}


def run_checks(runtime: Runtime, embeddings: Check) -> list[Check]:
    """Every check, in the order shown; a broken part is reported, never raised.

    `embeddings` is the line `paa.ai.embeddings.doctor_check` gives: core does not look for the embedder itself.
    """
    checks = [
        Check("version", "info", f"paa {__version__}, Python {platform.python_version()} on {sys.platform}"),
    ]
    paths = runtime.paths
    checks.append(Check("paths", "info", _paths_text(paths)))
    checks.extend(_database_checks(runtime))
    checks.append(_encryption_check(runtime))
    checks.append(_api_key_check(paths, runtime.environ))
    checks.append(embeddings)
    checks.append(_notifications_check(runtime.environ))
    checks.extend(_channel_checks(runtime))
    return [_redacted(check) for check in checks]


def _redacted(check: Check) -> Check:
    """The check with every credential taken out of what it shows: a driver's error may quote a URL or a token."""
    return replace(check, detail=redact(check.detail), advice=redact(check.advice) if check.advice else None)


def _paths_text(paths: Paths) -> str:
    return f"data {paths.data_dir}; config {paths.config_file}; cache {paths.cache_dir}; logs {paths.log_dir}"


def _database_checks(runtime: Runtime) -> list[Check]:
    """The database (opens, is current, takes a write) and the timezone read from it; a failure is one ✗ line."""
    from sqlalchemy import text

    from paa.core.storage import database_url
    from paa.db.errors import is_storage_failure, storage_failure
    from paa.db.revisions import HEAD

    try:
        with runtime.context() as ctx:
            url = database_url(ctx.paths, ctx.loaded)
            revision = ctx.session.exec(text("SELECT version_num FROM alembic_version")).scalar_one()  # type: ignore[call-overload]
            engine = _engine_name(ctx.session)
            journal = ""
            if url.startswith("sqlite"):
                mode = ctx.session.exec(text("PRAGMA journal_mode")).scalar_one()  # type: ignore[call-overload]
                journal = f", journal {mode}"
            prefs = ctx.prefs
            zone_advice = "if UTC is not your zone: paa config set timezone Europe/Berlin"
            zone_text = (
                f"{prefs.timezone}, day starts at {prefs.day_start_hour:02d}:00, weeks start on {prefs.week_start}"
            )
            timezone = Check("timezone", "ok", zone_text, zone_advice if prefs.timezone in ("UTC", "Etc/UTC") else None)
        _try_a_write(runtime)
    except PaaError as exc:
        return [Check("database", "error", exc.message, exc.hint)]
    except Exception as exc:
        if not is_storage_failure(exc):
            raise
        failure = storage_failure(exc, "cannot use the database")
        return [Check("database", "error", failure.message, failure.hint)]
    detail = f"{engine} answers: {redact_url(url)} at schema {revision} (latest {HEAD}{journal})"
    return [Check("database", "ok", detail), timezone]


def _engine_name(session: Any) -> str:
    """The engine in use and its version, as its server reports it ("SQLite 3.40.1", "PostgreSQL 15.18")."""
    from sqlalchemy import text

    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return f"SQLite {session.execute(text('SELECT sqlite_version()')).scalar_one()}"
    if dialect == "postgresql":
        return f"PostgreSQL {str(session.execute(text('SHOW server_version')).scalar_one()).split()[0]}"
    return str(dialect)


def _try_a_write(runtime: Runtime) -> None:
    """Change a row and roll it back: a read-only file, folder or server fails here, not in the user's next command."""
    from sqlalchemy import text

    from paa.db.engine import writer

    with writer(runtime.engine).connect() as conn, conn.begin() as transaction:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        transaction.rollback()


def _encryption_check(runtime: Runtime) -> Check:
    """Whether sensitive text is sealed at rest and where the data key lives (never the key itself)."""
    from paa.core.encryption import key_status

    backup = "back it up with the database: a copy of the database is unreadable without it (docs/security.md)"
    try:
        status = key_status(runtime.paths, runtime.environ, runtime.engine)
    except PaaError as exc:
        return Check("encryption", "error", exc.message, exc.hint)
    if status.where is None:
        return Check("encryption", "info", f"on (AES-256-GCM); {status.detail}")
    where = "the OS keyring" if status.where == "keyring" else "a file readable only by you"
    return Check("encryption", "ok", f"on (AES-256-GCM), data key {status.current} in {where}: {status.detail}", backup)


def _api_key_check(paths: Paths, environ: Mapping[str, str]) -> Check:
    """Where the Anthropic key comes from (never the key itself)."""
    from paa.core.accounts.secrets import list_secrets

    try:
        found = [info for info in list_secrets(paths, environ) if info.name == "anthropic"]
    except PaaError:
        found = []
    if found:
        where = "; ".join(f"{info.where}: {info.detail}" for info in found)
        return Check("api key", "ok", f"Anthropic key set ({where}); chat uses Claude")
    return Check(
        "api key", "warn", "no Anthropic API key, so chat runs offline",
        "paa auth key set anthropic (or set ANTHROPIC_API_KEY in the environment) to talk to Claude",
    )  # fmt: skip


def _notifications_check(environ: Mapping[str, str]) -> Check:
    """Whether the desktop channel can reach a desktop: a session bus (Linux) or osascript (macOS)."""
    if shutil.which("osascript") or environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return Check("notifications", "ok", "desktop notifications available")
    return Check(
        "notifications", "warn", "no desktop session found: desktop reminders go to the log",
        "paa config set notify.channels ntfy (or webhook, email) and set its URL; see docs/reminders.md",
    )  # fmt: skip


def _channel_checks(runtime: Runtime) -> list[Check]:
    """A ✗ for each channel on `notify.channels` that lacks a setting it needs: every reminder on it would fail."""
    from paa.core.reminders.channels import channel_problems

    return [
        Check(f"channel {problem.channel}", "error", problem.message, problem.hint)
        for problem in channel_problems(runtime.loaded.settings)
    ]


def settings_problem(environ: Mapping[str, str]) -> Check | None:
    """A configuration error, reported as a check rather than raised."""
    try:
        values = read_secret_files(environ)  # a secret file (PAA_DB_URL_FILE, ...) that cannot be read is one too
        load_settings(resolve_paths(values), values)
    except PaaError as exc:
        return _redacted(Check("config", "error", exc.message, exc.hint))
    return None
