"""The daemon: APScheduler jobs derived from the database, a tick worker, a watcher for changes and clock jumps."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paa.core.context import Acting
from paa.core.events import EventHub
from paa.core.reminders.rules import Rule, Zone
from paa.core.reminders.sources import SourceRows, load_sources, source_rows
from paa.core.runtime import Runtime
from paa.daemon.channels import Notifier, configuration_problems
from paa.daemon.dispatch import Dispatcher
from paa.daemon.files import DaemonFiles
from paa.daemon.lock import InstanceLock
from paa.daemon.logs import configure_logging
from paa.redact import redact

LOG = logging.getLogger("paa.daemon")
WATCH_INTERVAL = 1.0  # seconds between looks at the database file and the clock: a stat(), no query
CLOCK_JUMP = 5.0  # a wall clock that moved this much more than the monotonic one: sleep or a time change
REMOTE_DB_RELOAD = 10.0  # without a database file to watch, re-read the reminders this often
LOAD_RETRY = 10.0  # after the reminders could not be loaded at all (a damaged database), try again this often
BACKUP_CHECK = 600.0  # seconds between looks at whether the daily backup is due (a listing of backups/)
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    from paa.files import write_private_json

    write_private_json(path, data)


@dataclass(frozen=True)
class _UserJobs:
    """One served user's jobs and what they were built from, to tell when they need rebuilding."""

    rows: SourceRows | None = None
    rules: dict[str, Rule] = field(default_factory=dict)
    where: Zone | None = None
    fingerprint: str | None = None
    prefix: str = ""  # how its job ids begin: "" on a single-person install, "u<id>:" once accounts exist


class Daemon:
    """Runs until SIGTERM/SIGINT; SIGHUP (or any change to the database or config.toml) reloads the jobs."""

    def __init__(self, runtime: Runtime, *, notifier: Notifier | None = None) -> None:
        self.runtime = runtime
        self.paths = runtime.paths
        self.files = DaemonFiles.of(self.paths)
        from paa.ai import queue

        queue.attach(runtime)  # with `queue.enabled`, what is due goes to `paa worker` processes as jobs
        self.hub = EventHub()
        self.dispatcher = Dispatcher(self.hub, runtime=runtime, notifier=notifier)
        self.stopping = threading.Event()
        self._tick_wanted = threading.Event()
        self._wanted_lock = threading.Lock()
        self._wanted_users: set[int] | None = None  # whom the next tick is for; None: everyone
        self._reload_wanted = threading.Event()
        self._errors: deque[dict[str, Any]] = deque(maxlen=20)
        self._rules: dict[str, Rule] = {}  # every user's jobs, by job id
        self._titles: dict[str, str] = {}
        self._users: dict[int, _UserJobs] = {}  # what each served user's jobs were built from
        self._problems: list[str] = []
        self._signature: tuple[Any, ...] | None = None
        self._watched: list[Path] | None = None
        self.started_at = datetime.now(UTC)
        self.last_scan_at: datetime | None = None
        self.scheduler: Any = None
        self.loaded = False  # the jobs were loaded once; until then the watcher keeps trying

    # --- lifecycle ---------------------------------------------------------------------------

    def run(self, *, to_stderr: bool = False) -> int:
        lock = InstanceLock(self.files.lock)
        lock.acquire()
        handler = configure_logging(self.files, to_stderr=to_stderr)
        worker = threading.Thread(target=self._work, name="paa-ticks", daemon=True)
        try:
            self._install_signals()
            from apscheduler.schedulers.background import BackgroundScheduler

            self.scheduler = BackgroundScheduler(
                timezone=UTC,
                executors={"default": {"type": "threadpool", "max_workers": 2}},
                job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            )
            self.scheduler.start()
            LOG.info("started (pid %d, data folder %s)", os.getpid(), self.paths.data_dir)
            worker.start()
            self._load()
            self._watch()
        finally:
            LOG.info("stopping")
            self.stopping.set()
            self._tick_wanted.set()
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
            if worker.is_alive():
                worker.join(timeout=60)
            try:
                self.dispatcher.close()
            except Exception:
                LOG.exception("closing the dispatcher failed")
            self._write_status(running=False)
            LOG.info("stopped")
            for name in ("paa", "apscheduler"):
                logging.getLogger(name).removeHandler(handler)
            handler.close()
            lock.release()
        return 0

    def stop(self) -> None:
        self.stopping.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        signal.signal(signal.SIGINT, lambda *_: self.stop())
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self._reload_wanted.set())

    # --- watching ----------------------------------------------------------------------------

    def _load(self) -> None:
        """Load every job; when that fails (a damaged database, a broken config.toml), say so and keep running.

        A service manager would only restart a daemon that exits into the same failure; this one tries again every
        LOAD_RETRY seconds, and `paa daemon status` shows why it has no jobs meanwhile.
        """
        try:
            self.reload(force=True)
        except Exception as exc:
            self._failed("loading the reminders failed", exc)
            self._write_status(running=True)
        else:
            self.loaded = True

    def _failed(self, what: str, exc: Exception) -> None:
        """Record a failure in the status and the log: one line for a known failure, the traceback for a bug."""
        from paa.db.errors import as_storage_error
        from paa.errors import PaaError, error_text

        known = exc if isinstance(exc, PaaError) else as_storage_error(exc)
        message = f"{what}: {error_text(known)}" if known is not None else f"{what}: {type(exc).__name__}: {exc}"
        self._error(message)
        if known is not None:
            LOG.error(message + (f" ({known.hint})" if known.hint else ""))
        else:
            LOG.exception(what)

    def _watch(self) -> None:
        """Once a second: has the clock jumped (sleep, resume), or has the database or config.toml changed?"""
        last_wall, last_mono = time.time(), time.monotonic()
        last_remote = last_load = last_mono
        last_backup = last_mono - BACKUP_CHECK  # the first look comes at once
        while not self.stopping.wait(WATCH_INTERVAL):
            wall, mono = time.time(), time.monotonic()
            if not self.loaded:
                if mono - last_load > LOAD_RETRY:
                    last_load = mono
                    self._load()
                continue
            if mono - last_backup >= BACKUP_CHECK:
                last_backup = mono
                self.backup_if_due()
            if abs((wall - last_wall) - (mono - last_mono)) > CLOCK_JUMP:
                LOG.info("the clock jumped by %.0f s (sleep or a time change): catching up", wall - last_wall)
                self.scheduler.wakeup()
                self.request_tick()
            last_wall, last_mono = wall, mono
            changed = self._reload_wanted.is_set() or self._files_changed()
            if self._watched == [] and mono - last_remote > REMOTE_DB_RELOAD:
                changed, last_remote = True, mono
            if changed:
                self._reload_wanted.clear()
                try:
                    self.reload()
                except Exception as exc:
                    self._failed("reload failed", exc)

    def _files_changed(self) -> bool:
        if self._watched is None:
            return False
        signature: list[tuple[int, int] | None] = []
        for path in self._watched:
            try:
                stat = path.stat()
            except OSError:
                signature.append(None)
            else:
                signature.append((stat.st_mtime_ns, stat.st_size))
        current = tuple(signature)
        if current == self._signature:
            return False
        self._signature = current
        return True

    # --- the daily backup ----------------------------------------------------------------------

    def backup_if_due(self) -> Path | None:
        """Take a backup when `backup.daily` is on and the newest is a day old; return it (None: not due, or failed)."""
        from paa.core.dataio.backup import backup_database, backup_due

        settings = self.runtime.loaded.settings
        try:
            if not settings.backup_daily:
                return None
            now = self.runtime.clock.now()
            if not backup_due(self.paths, now):
                return None
            result = backup_database(self.runtime.engine, self.paths, now, keep=settings.backup_keep)
        except Exception as exc:
            self._failed("the daily backup failed", exc)
            return None
        LOG.info("daily backup: %s (%d older removed by backup.keep)", result.backup.path.name, len(result.removed))
        return result.backup.path

    # --- jobs --------------------------------------------------------------------------------

    def reload(self, *, force: bool = False) -> None:
        """Re-read every served user's reminders; replace the jobs whose rule changed (all of a user's when their
        zone changed), and drop the jobs of users no longer served (a disabled account)."""
        self.runtime.reload()  # config.toml may have changed: that is one reason to reload
        served = self.dispatcher.recipients()
        keyed = any(acting.accounts_exist for acting, _ in served)  # job ids name the user once accounts exist
        problems = configuration_problems(self.runtime.loaded.settings)
        for problem in problems:
            if problem not in self._problems:
                self._error(problem)
                LOG.warning(problem)
        self._problems = problems
        wanted: dict[str, Rule] = {}
        changed, rebuilt = 0, False
        for acting, _ in served:
            user_id = acting.user.id
            assert user_id is not None
            jobs, count = self._reload_user(acting, force=force, prefix=f"u{user_id}:" if keyed else "")
            self._users[user_id] = jobs
            wanted.update(jobs.rules)
            changed += count or 0
            rebuilt = rebuilt or count is not None
        for job_id in set(self._rules) - set(wanted):
            self.scheduler.remove_job(job_id)
            self._titles.pop(job_id, None)
        for user_id in set(self._users) - {acting.user.id for acting, _ in served}:
            del self._users[user_id]
        before, self._rules = self._rules, wanted
        if rebuilt or force or set(before) != set(wanted):
            LOG.info("loaded %d reminder job(s) for %d user(s), %d new or changed", len(wanted), len(served), changed)
        if rebuilt:
            self.request_tick()  # a new reminder may already be due, within its grace period

    def _reload_user(self, acting: Acting, *, force: bool, prefix: str) -> tuple[_UserJobs, int | None]:
        """One user's jobs: kept when their reminders did not change (None), else rebuilt: how many jobs were added
        or replaced."""
        user_id = acting.user.id
        assert user_id is not None
        old = self._users.get(user_id) or _UserJobs()
        force = force or prefix != old.prefix  # accounts appeared: every job id now names its user
        with self.runtime.context(acting=acting) as ctx:
            rows = source_rows(ctx)  # plain rows: comparing them is cheap, building the rules is not
            sources = load_sources(ctx, rows) if force or rows != old.rows else None
            if self._watched is None:
                bind: Any = ctx.session.get_bind()
                database = bind.url.database
                is_file = bind.dialect.name == "sqlite" and database not in (None, "", ":memory:")
                self._watched = (
                    [Path(database), Path(database + "-wal"), ctx.paths.config_file] if is_file and database else []
                )
                self._files_changed()
        if sources is None:
            return old, None
        fingerprint = sources.fingerprint()
        if not force and fingerprint == old.fingerprint:
            return _UserJobs(rows, old.rules, old.where, fingerprint, prefix), None
        from paa.daemon.triggers import ReminderTrigger

        rules = {f"{prefix}{rule.kind}:{rule.ref_id}": rule for rule in sources.rules}
        changed = 0
        for job_id, rule in rules.items():
            if force or sources.where != old.where or old.rules.get(job_id) != rule:
                title = sources.habits[rule.ref_id].name if rule.kind == "habit" else None
                title = title or (sources.customs.get(rule.ref_id) if rule.kind == "custom" else "Daily check-in")
                self._titles[job_id] = title or job_id
                self.scheduler.add_job(self._fired, ReminderTrigger(rule, sources.where), args=(user_id,), id=job_id,
                                       name=self._titles[job_id], replace_existing=True)  # fmt: skip
                changed += 1
        return _UserJobs(rows, rules, sources.where, fingerprint, prefix), changed

    def _fired(self, user_id: int | None = None) -> None:
        self.request_tick(user_id)

    def request_tick(self, user_id: int | None = None) -> None:
        """Ask for a tick: for the user whose job fired, or for every user (None: a reload, a clock jump, a retry)."""
        with self._wanted_lock:
            if user_id is None:
                self._wanted_users = None
            elif self._wanted_users is not None:
                self._wanted_users.add(user_id)
        self._tick_wanted.set()

    def _work(self) -> None:
        """Ticks whenever asked; many jobs firing at once make one tick."""
        while True:
            self._tick_wanted.wait()
            if self.stopping.is_set():
                return
            self._tick_wanted.clear()
            with self._wanted_lock:
                users, self._wanted_users = self._wanted_users, set()
            try:
                report = self.dispatcher.tick(users)
            except Exception as exc:
                self._failed("tick failed", exc)
            else:
                self.last_scan_at = report.now
                if report.events or report.retried or report.missed or report.interrupted:
                    LOG.info(report.summary())
                for part in report.parts or [report]:
                    for error in part.errors:
                        self._error(error, user_id=part.user_id)
                # the retry job ticks every user: a user not ticked now keeps a retry it had scheduled
                self._schedule_retry(report.next_retry if users is None else self._earlier_retry(report.next_retry))
            self._write_status(running=True)

    def _earlier_retry(self, when: datetime | None) -> datetime | None:
        """After a tick for some users only: the retry already scheduled stays unless this one comes sooner."""
        job = self.scheduler.get_job("retry") if self.scheduler is not None else None
        scheduled = getattr(job, "next_run_time", None) if job is not None else None
        return min((t for t in (when, scheduled) if t is not None), default=None)

    def _schedule_retry(self, when: datetime | None) -> None:
        if self.scheduler is None or self.stopping.is_set():
            return
        if when is None:
            if self.scheduler.get_job("retry") is not None:
                self.scheduler.remove_job("retry")
            return
        from apscheduler.triggers.date import DateTrigger

        self.scheduler.add_job(self._fired, DateTrigger(run_date=when), id="retry", name="retry failed deliveries",
                               replace_existing=True)  # fmt: skip

    # --- status ------------------------------------------------------------------------------

    def _error(self, message: str, *, user_id: int | None = None) -> None:
        """Keep an error for `paa daemon status`, without secrets; one about a user's reminders names the user."""
        entry: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "message": redact(message)}
        if user_id is not None:
            entry["user_id"] = user_id
        self._errors.append(entry)

    def _write_status(self, *, running: bool) -> None:
        jobs = []
        if self.scheduler is not None and running:
            for job in self.scheduler.get_jobs()[:5]:
                when = getattr(job, "next_run_time", None)
                jobs.append({"id": job.id, "name": job.name, "next_run_at": when.isoformat() if when else None})
        data = {
            "pid": os.getpid(),
            "running": running,
            "started_at": self.started_at.isoformat(),
            "jobs": len(self._rules),
            "last_scan_at": self.last_scan_at.isoformat() if self.last_scan_at else None,
            "next_jobs": jobs,
            "last_errors": list(self._errors),
        }
        try:
            _write_json(self.files.status, data)
        except OSError:
            LOG.exception("cannot write %s", self.files.status)
