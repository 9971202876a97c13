"""The daemon: APScheduler jobs derived from the database, a tick worker, a watcher for changes and clock jumps."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    from paa.files import write_private_json

    write_private_json(path, data)


class Daemon:
    """Runs until SIGTERM/SIGINT; SIGHUP (or any change to the database or config.toml) reloads the jobs."""

    def __init__(self, runtime: Runtime, *, notifier: Notifier | None = None) -> None:
        self.runtime = runtime
        self.paths = runtime.paths
        self.files = DaemonFiles.of(self.paths)
        self.hub = EventHub()
        self.dispatcher = Dispatcher(self.hub, runtime=runtime, notifier=notifier)
        self.stopping = threading.Event()
        self._tick_wanted = threading.Event()
        self._reload_wanted = threading.Event()
        self._errors: deque[dict[str, Any]] = deque(maxlen=20)
        self._rules: dict[str, Rule] = {}
        self._titles: dict[str, str] = {}
        self._where: Zone | None = None
        self._fingerprint: str | None = None
        self._rows: SourceRows | None = None
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
        while not self.stopping.wait(WATCH_INTERVAL):
            wall, mono = time.time(), time.monotonic()
            if not self.loaded:
                if mono - last_load > LOAD_RETRY:
                    last_load = mono
                    self._load()
                continue
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

    # --- jobs --------------------------------------------------------------------------------

    def reload(self, *, force: bool = False) -> None:
        """Re-read the reminders; replace the jobs whose rule changed (all of them when the zone changed)."""
        self.runtime.reload()  # config.toml may have changed: that is one reason to reload
        with self.runtime.context() as ctx:
            rows = source_rows(ctx)  # plain rows: comparing them is cheap, building the rules is not
            sources = load_sources(ctx, rows) if force or rows != self._rows else None
            settings = ctx.loaded.settings
            if self._watched is None:
                bind: Any = ctx.session.get_bind()
                database = bind.url.database
                is_file = bind.dialect.name == "sqlite" and database not in (None, "", ":memory:")
                self._watched = (
                    [Path(database), Path(database + "-wal"), ctx.paths.config_file] if is_file and database else []
                )
                self._files_changed()
        problems = configuration_problems(settings)
        for problem in problems:
            if problem not in self._problems:
                self._error(problem)
                LOG.warning(problem)
        self._problems = problems
        if sources is None:
            return
        self._rows = rows
        fingerprint = sources.fingerprint()
        if not force and fingerprint == self._fingerprint:
            return
        from paa.daemon.triggers import ReminderTrigger

        rules = {f"{rule.kind}:{rule.ref_id}": rule for rule in sources.rules}
        for job_id in set(self._rules) - set(rules):
            self.scheduler.remove_job(job_id)
        changed = 0
        for job_id, rule in rules.items():
            if force or sources.where != self._where or self._rules.get(job_id) != rule:
                title = sources.habits[rule.ref_id].name if rule.kind == "habit" else None
                title = title or (sources.customs.get(rule.ref_id) if rule.kind == "custom" else "Daily check-in")
                self._titles[job_id] = title or job_id
                self.scheduler.add_job(self._fired, ReminderTrigger(rule, sources.where), id=job_id,
                                       name=self._titles[job_id], replace_existing=True)  # fmt: skip
                changed += 1
        self._rules, self._where, self._fingerprint = rules, sources.where, fingerprint
        LOG.info("loaded %d reminder job(s), %d new or changed", len(rules), changed)
        self.request_tick()  # a new reminder may already be due, within its grace period

    def _fired(self) -> None:
        self.request_tick()

    def request_tick(self) -> None:
        self._tick_wanted.set()

    def _work(self) -> None:
        """Ticks whenever asked; many jobs firing at once make one tick."""
        while True:
            self._tick_wanted.wait()
            if self.stopping.is_set():
                return
            self._tick_wanted.clear()
            try:
                report = self.dispatcher.tick()
            except Exception as exc:
                self._failed("tick failed", exc)
            else:
                self.last_scan_at = report.now
                if report.events or report.retried or report.missed or report.interrupted:
                    LOG.info(report.summary())
                for error in report.errors:
                    self._error(error, user_id=report.user_id)
                self._schedule_retry(report.next_retry)
            self._write_status(running=True)

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
