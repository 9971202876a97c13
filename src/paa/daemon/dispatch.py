"""One pass over what is due: claim it in the database, publish each event, deliver it on every channel, record.

Both the daemon and `paa remind run-due` go through `Dispatcher.tick`.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from paa.config import Settings
from paa.core.changes import publish
from paa.core.context import Acting
from paa.core.events import Event, EventHub
from paa.core.reminders.channels import APP_CHANNEL, channel_problems, channels_for
from paa.core.reminders.outbox import (
    QUEUED,
    Claim,
    DeliveryResult,
    claim_due,
    next_retry_at,
    record_results,
    release_claims,
    take_queued,
)
from paa.core.reminders.recipients import Recipient, reminder_recipients
from paa.core.reminders.sources import SourceRows, Sources, load_sources, source_rows
from paa.core.runtime import Runtime
from paa.core.serving import server_in_use
from paa.daemon.channels import AppChannel, Channel, DeliveryError, LoggedInstead, Notifier, build_channels
from paa.daemon.logs import about_user
from paa.errors import ExitCode, NotFound
from paa.redact import redact

LOG = logging.getLogger("paa.daemon")
ChannelFactory = Callable[[Settings, Mapping[str, str]], dict[str, Channel]]


def this_claimer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimer_alive(claimer: str) -> bool:
    """Whether the process named "host:pid" still runs; one on another host is assumed to (its lease decides)."""
    host, _, pid_text = claimer.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class TickReport:
    """What one tick did."""

    now: datetime
    events: list[Event] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    retried: int = 0
    missed: int = 0
    suppressed: int = 0
    interrupted: int = 0
    errors: list[str] = field(default_factory=list)
    next_retry: datetime | None = None
    user_id: int | None = None  # whose reminders these were
    logged: int = 0  # deliveries whose channel could not show them, written to the log instead: not sent
    zone: tzinfo = UTC  # the user's zone, which times are shown in
    unconfigured: list[str] = field(default_factory=list)  # chosen channels without a setting they need
    parts: list[TickReport] = field(default_factory=list)  # one report per user served, when this one sums them
    queued: int = 0  # deliveries put on the job queue for `paa worker` (queue.enabled), sent by a worker

    @classmethod
    def of_users(cls, now: datetime, parts: list[TickReport]) -> TickReport:
        """One report for a tick that served several users: the sums, and each user's own report in `parts`."""
        if len(parts) == 1:
            return parts[0]
        total = cls(now, parts=parts, user_id=None)
        for part in parts:
            total.events += part.events
            total.errors += part.errors
            total.unconfigured += [name for name in part.unconfigured if name not in total.unconfigured]
            for name in ("sent", "failed", "retried", "missed", "suppressed", "interrupted", "logged", "queued"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
        retries = [part.next_retry for part in parts if part.next_retry is not None]
        total.next_retry = min(retries, default=None)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "sent": self.sent,
            "logged": self.logged,
            "failed": self.failed,
            "retried": self.retried,
            "missed": self.missed,
            "suppressed": self.suppressed,
            "interrupted": self.interrupted,
            "next_retry_at": self.next_retry.isoformat() if self.next_retry else None,
            "events": [event.to_json() for event in self.events],
            "errors": self.errors,
        }

    def summary(self) -> str:
        parts = [f"{self.sent} sent", *([f"{self.logged} only written to the log"] if self.logged else []),
                 f"{self.failed} failed"]  # fmt: skip
        if self.queued:
            parts.append(f"{self.queued} queued for the workers")
        parts += [f"{n} {what}" for n, what in ((self.retried, "retried"), (self.missed, "missed"),
                                                (self.suppressed, "already done"), (self.interrupted, "interrupted"))
                  if n]  # fmt: skip
        return f"{len(self.events)} reminder(s) due: " + ", ".join(parts)

    def event_lines(self) -> list[str]:
        """One line per reminder due: when, in the user's zone, what kind, and what it is about."""
        labels = {"habit:reminder": "habit", "checkin:prompt": "check-in", "chat:notification": "reminder"}
        lines = []
        for event in self.events:
            what = str(event.data.get("text") or event.title) if event.type == "chat:notification" else event.title
            local = event.due_at.astimezone(event.zone or self.zone)  # each user's own zone
            lines.append(f"{local:%a %d %b %H:%M}  {labels.get(event.type, event.type)}  {what}")
        return lines

    def exit_code(self) -> ExitCode:
        """For cron: OK when every delivery reached its channel; CONFIG when one failed and a chosen channel lacks a
        setting; UNAVAILABLE when one failed otherwise, or reached only the log."""
        if self.failed and self.unconfigured:
            return ExitCode.CONFIG
        if self.failed or self.logged:
            return ExitCode.UNAVAILABLE
        return ExitCode.OK


class ChannelSink:
    """The hub subscriber that delivers each event's claimed rows on their channels, in a thread pool."""

    def __init__(self, workers: int = 8) -> None:
        self.channels: dict[str, Channel] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._pending: list[Future[DeliveryResult]] = []

    def __call__(self, event: Event) -> None:
        for delivery in event.deliveries:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="paa-send")
            # each send runs in a copy of this context, so what it logs is tagged with the user (paa.daemon.logs)
            run = contextvars.copy_context().run
            self._pending.append(self._pool.submit(run, self.send, event, delivery.notification_id, delivery.channel))

    def send(self, event: Event, notification_id: int, channel_name: str) -> DeliveryResult:
        """Deliver one claimed row on its channel, here and now; every failure is a result, never raised."""
        channel = self.channels.get(channel_name)
        if channel is None:
            return DeliveryResult(notification_id, False, f"channel {channel_name} is no longer configured")
        try:
            note = channel.send(event, notification_id)
            fallback = isinstance(note, LoggedInstead)
        except DeliveryError as exc:
            return DeliveryResult(notification_id, False, redact(str(exc)))
        except Exception as exc:  # a channel bug is recorded on the row like any failure
            LOG.exception("channel %s crashed", channel_name)
            return DeliveryResult(notification_id, False, redact(f"{type(exc).__name__}: {exc}"))
        return DeliveryResult(notification_id, True, note=None if note is None else redact(note), fallback=fallback)

    def drain(self) -> list[DeliveryResult]:
        pending, self._pending = self._pending, []
        return [future.result() for future in pending]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class Dispatcher:
    """Claims, publishes, delivers and records; one tick at a time per process."""

    def __init__(
        self,
        hub: EventHub | None = None,
        *,
        runtime: Runtime,
        channel_factory: ChannelFactory | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.hub = hub or EventHub()
        self.runtime = runtime
        self.claimer = this_claimer()
        self.sink = ChannelSink()
        self.hub.subscribe(self.sink)
        self._factory = channel_factory or (
            lambda settings, env: build_channels(settings, env, notifier, self.to_feed, paths=runtime.paths)
        )
        self._lock = threading.Lock()
        # each user's reminder rows and the rules built from them, rebuilt only when the rows change
        self._sources: dict[int, tuple[SourceRows, Sources]] = {}
        self._install_channels: list[str] = []  # the channels the install owner's reminders go on, this tick
        self._served: set[int] = set()  # users this process has claimed for: their claims are released at close

    def tick(self, users: Collection[int] | None = None) -> TickReport:
        """Claim and deliver what is due for every user served (only `users`, when given), each acted as in turn."""
        with self._lock:
            self.runtime.reload()  # each tick sees the current config.toml and who is logged in, as a new run would
            served = self.recipients(users)
            channels = self._channels(self.runtime.loaded.settings)
            self._install_channels = list(channels)  # the owner's: the same whoever else this tick serves
            if APP_CHANNEL not in channels and any(not owner for _, owner in served):
                channels[APP_CHANNEL] = AppChannel(self.to_feed)  # everyone else's only channel
            self.sink.channels = channels
            parts = []
            for acting, owner in served:
                user_id = acting.user.id
                assert user_id is not None
                with about_user(user_id):  # what the tick logs is about this user's reminders
                    try:
                        report = self._tick(acting, owner)
                    except Exception as exc:
                        if len(served) == 1:
                            raise
                        # one user's broken reminder must not keep the others' from being sent
                        LOG.exception("tick for user %d failed", user_id)
                        report = TickReport(self.runtime.clock.now(), errors=[redact(f"tick failed: {exc}")])
                report.user_id = user_id
                parts.append(report)
            return TickReport.of_users(self.runtime.clock.now(), parts)

    def recipients(self, users: Collection[int] | None = None) -> list[tuple[Acting, bool]]:
        """Whom a tick serves (of `users`, when given), each with whether the install-wide channels carry their
        reminders: every enabled account once accounts exist, else whoever this runtime acts as (the single-person
        install, as always)."""
        from sqlmodel import Session

        with Session(self.runtime.engine) as session:
            found: list[Recipient] | None = reminder_recipients(session)
        if found is None:
            acting = self.runtime.acting()
            return [(acting, True)] if users is None or acting.user.id in users else []
        return [(self.runtime.acting_as(r.user_id), r.owner) for r in found if users is None or r.user_id in users]

    def _tick(self, acting: Acting, owner: bool) -> TickReport:
        from paa.ai import queue

        jobs = queue.attached(self.runtime)
        if jobs is not None:
            return self._tick_queued(acting, owner, jobs)
        claim, report, _user_id = self._claim(acting, owner, self.claimer)
        for event in claim.events:
            LOG.info("due: %s #%d at %s -> %s", event.type, event.ref_id, event.local_due(),
                     ", ".join(d.channel for d in event.deliveries))  # fmt: skip
            for error in self.hub.publish(event):
                report.errors.append(redact(f"subscriber failed on {event.type}: {error}"))
        for event in claim.retries:
            LOG.info("retry: %s #%d due %s", event.type, event.ref_id, event.local_due())
            self.sink(event)
        results = self.sink.drain()
        for result in results:
            if not result.ok:
                report.errors.append(f"notification {result.notification_id}: {result.error}")
                LOG.warning("delivery of notification %d failed: %s", result.notification_id, result.error)
            elif result.note:
                LOG.info("notification %d: %s", result.notification_id, result.note)
        report.logged = sum(r.ok and r.fallback for r in results)
        report.sent = sum(r.ok and not r.fallback for r in results)
        report.failed = sum(not r.ok for r in results)
        if results:
            with self.runtime.context(write=True, acting=acting) as ctx:
                record_results(ctx, results, self.claimer)
                report.next_retry = next_retry_at(ctx)
        return report

    def _claim(self, acting: Acting, owner: bool, claimer: str) -> tuple[Claim, TickReport, int]:
        """Claim what is due for the acting user as `claimer` (their reminder sources read again only when they
        changed): the claim, the tick's report so far (with when the next retry is due) and the user's id."""
        with self.runtime.context(write=True, acting=acting) as ctx:
            user_id = ctx.user_id
            self._served.add(user_id)
            rows = source_rows(ctx)
            cached = self._sources.get(user_id)
            if cached is None or cached[0] != rows:
                cached = self._sources[user_id] = (rows, load_sources(ctx, rows))
            channels = channels_for(self._install_channels, owner=owner)
            claim: Claim = claim_due(ctx, channels, claimer, alive=claimer_alive, sources=cached[1])
            next_retry = next_retry_at(ctx)
            zone = ctx.prefs.zone
            unconfigured = [problem.channel for problem in channel_problems(ctx.loaded.settings)] if owner else []
        report = TickReport(claim.now, list(claim.events), missed=claim.missed, suppressed=claim.suppressed,
                            interrupted=claim.interrupted, retried=len(claim.retries), zone=zone,
                            unconfigured=unconfigured)  # fmt: skip
        report.next_retry = next_retry
        if claim.missed:
            LOG.warning("%d reminder(s) were found after their grace period and marked missed", claim.missed)
        return claim, report, user_id

    def _tick_queued(self, acting: Acting, owner: bool, jobs: Any) -> TickReport:
        """With a job queue: claim what is due as waiting for a worker, and put one job per delivery on the queue.

        A delivery whose job cannot be enqueued (Redis away) is sent here, as without a queue: nothing waits on a
        queue nobody can reach.
        """
        from paa.ai import queue

        claim, report, user_id = self._claim(acting, owner, QUEUED + self.claimer)
        stranded = []
        fresh = {id(event) for event in claim.events}
        for event in (*claim.events, *claim.retries):
            LOG.info("queued: %s #%d due %s -> %s", event.type, event.ref_id, event.local_due(),
                     ", ".join(d.channel for d in event.deliveries))  # fmt: skip
            for delivery in event.deliveries:
                ids = {"user_id": user_id, "notification_id": delivery.notification_id}
                if jobs.try_enqueue(queue.DELIVER_REMINDER, **ids):
                    report.queued += 1
                else:
                    stranded.append(delivery.notification_id)
            if id(event) not in fresh:
                continue  # a retry goes to its channels only, as in the inline tick: the hub saw it when it was due
            # the other subscribers (run-due's printer) see the event; the worker, not this process, delivers it
            for error in self.hub.publish(replace(event, deliveries=())):
                report.errors.append(redact(f"subscriber failed on {event.type}: {error}"))
        for notification_id in stranded:
            result = self.deliver_queued(user_id, notification_id)
            if result is not None:
                report.sent += result.ok and not result.fallback
                report.logged += result.ok and result.fallback
                report.failed += not result.ok
                if not result.ok:
                    report.errors.append(f"notification {notification_id}: {result.error}")
        with self.runtime.context(acting=acting) as ctx:
            report.next_retry = next_retry_at(ctx)
        return report

    def deliver_queued(self, user_id: int, notification_id: int) -> DeliveryResult | None:
        """One delivery that waits on the queue, sent by this process if no other took it first (the worker's job);
        None when there was nothing to send (already taken or done, or the account is gone)."""
        try:
            acting = self.runtime.acting_as(user_id)
        except NotFound:
            return None
        with about_user(user_id):
            with self.runtime.context(write=True, acting=acting) as ctx:
                event = take_queued(ctx, notification_id, self.claimer)
            if event is None:
                return None
            channels = self._channels(self.runtime.loaded.settings)
            if APP_CHANNEL not in channels:
                channels[APP_CHANNEL] = AppChannel(self.to_feed)  # a row on `app` was claimed for the user's clients
            sink = ChannelSink(workers=1)
            sink.channels = channels
            delivery = event.deliveries[0]
            LOG.info("sending: %s #%d due %s -> %s", event.type, event.ref_id, event.local_due(), delivery.channel)
            result = sink.send(event, delivery.notification_id, delivery.channel)
            with self.runtime.context(write=True, acting=acting) as ctx:
                record_results(ctx, [result], self.claimer)
            if not result.ok:
                LOG.warning("delivery of notification %d failed: %s", notification_id, result.error)
            return result

    def _channels(self, settings: Settings) -> dict[str, Channel]:
        """The chosen channels, plus the app channel while a `paa serve` runs here (its clients get every reminder
        without anyone naming `app` in notify.channels)."""
        channels = self._factory(settings, self.runtime.environ)
        if APP_CHANNEL not in channels and server_in_use(self.runtime.paths):
            channels[APP_CHANNEL] = AppChannel(self.to_feed)
        return channels

    def to_feed(self, event: Event, notification_id: int) -> None:
        """The app channel's delivery: the reminder as an event of its type in the user's change feed, which the
        server's WebSocket pushes to the user's clients (docs/api.md)."""
        data = {key: value for key, value in event.to_json().items() if key != "type"}
        acting = None if event.user_id is None else self.runtime.acting_as(event.user_id)  # the event's user alone
        with self.runtime.context(write=True, acting=acting) as ctx:
            publish(ctx.session, ctx.user_id, event.type, {**data, "notification_id": notification_id},
                    self.runtime.security_clock.now())  # fmt: skip

    def close(self) -> None:
        """Finish deliveries in flight and close any claim this process still holds."""
        self.sink.close()
        released = 0
        with self._lock:
            for user_id in sorted(self._served):
                try:
                    acting = self.runtime.acting_as(user_id)
                except NotFound:  # the account was deleted, and its rows with it
                    continue
                with self.runtime.context(write=True, acting=acting) as ctx:
                    released += release_claims(ctx, self.claimer)
        if released:
            LOG.warning("%d claimed notification(s) were left undelivered at shutdown", released)
