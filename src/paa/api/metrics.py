"""Prometheus metrics at `/metrics`: requests and their latency by route template and status, open WebSocket
connections, reminder deliveries, and the reminder daemons' queue, failures and lateness.

Routes are labelled by their template (`/api/v1/habits/{habit_id}`), never the path a client typed, so the label
set stays small and holds no ids. Each app has its own registry (tests build many apps in one process). Reminder
deliveries are counted from the outbox table at each scrape, so what the daemon or `paa remind run-due` sent in
another process is counted too. With several workers each one answers with its own request figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope

if TYPE_CHECKING:
    from paa.core.runtime import Runtime

UNMATCHED = "<unmatched>"  # a path no route has: one label for all of them
ANSWERED_BY = "paa.answered_by"  # the label of a request a layer answered before routing ("<rate-limited>", ...)
router = APIRouter(tags=["operations"])


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/v1/habits/{habit_id}`), the layer that answered before any
    route did (`<rate-limited>`, `<too-large>`, `<cors-preflight>`), or UNMATCHED."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return str(scope.get(ANSWERED_BY, UNMATCHED))
    # The route may know only its path inside its router (`/habits/{habit_id}`): what the client's path has
    # before that route's own part is the prefixes it was included under.
    try:
        own = str(route.url_path_for(route.name, **scope.get("path_params", {})))  # type: ignore[union-attr]
    except Exception:  # a route that cannot be rendered back: its own template is still a fine label
        return template
    path: str = scope.get("path", "")
    return path.removesuffix(own) + template if path.endswith(own) else template


class _Deliveries(Collector):
    """Reminder deliveries per channel, read from the database at each scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[CounterMetricFamily]:
        from sqlmodel import Session

        from paa.core.reminders.stats import delivered_by_channel

        family = CounterMetricFamily(
            "paa_reminder_deliveries", "Reminder deliveries that reached their channel", labels=["channel"]
        )
        try:
            with Session(self.runtime.engine) as session:
                counts = delivered_by_channel(session)
        except Exception:  # a scrape must answer even while the database does not; /readyz reports that
            counts = {}
        for channel, count in sorted(counts.items()):
            family.add_metric([channel], count)
        yield family

    def describe(self) -> list[Any]:
        return []  # no scrape at registration: the database is read only when asked


# Buckets of the reminder delivery lateness, in seconds: from "at once" to the hour a reminder may still be sent late.
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class _Outbox(Collector):
    """The reminder daemons' state, read from the outbox at each scrape: every daemon and `paa remind run-due`
    writes there, so one scrape of any API worker sees them all, and a daemon needs no port of its own."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
        from sqlmodel import Session

        from paa.core.reminders.stats import LATENESS_WINDOW, outbox_figures

        try:
            with Session(self.runtime.engine) as session:
                figures = outbox_figures(session, self.runtime.clock.now())
        except Exception:  # a scrape must answer even while the database does not; /readyz reports that
            return
        yield GaugeMetricFamily(
            "paa_reminder_queue_depth",
            "Reminder deliveries under way, or due (again) now and not yet taken by a daemon",
            value=figures.queue_depth,
        )
        yield GaugeMetricFamily(
            "paa_reminder_oldest_waiting_seconds",
            "How long the longest-waiting reminder delivery in the queue has waited",
            value=figures.oldest_waiting_seconds,
        )
        failed = GaugeMetricFamily(
            "paa_reminder_failed_deliveries",
            "Reminder deliveries whose last attempt failed (waiting for a retry, or given up)",
            labels=["channel"],
        )
        for channel, count in sorted(figures.failed_by_channel.items()):
            failed.add_metric([channel], count)
        yield failed
        window = int(LATENESS_WINDOW.total_seconds())
        buckets = [
            (str(bound), sum(1 for late in figures.lateness_seconds if late <= bound)) for bound in LATENESS_BUCKETS
        ]
        yield GaugeHistogramMetricFamily(
            "paa_reminder_delivery_lateness_seconds",
            f"Seconds from a reminder's due time to its delivery, for the deliveries of the last {window} s",
            buckets=[*buckets, ("+Inf", len(figures.lateness_seconds))],
            gsum_value=sum(figures.lateness_seconds),
        )

    def describe(self) -> list[Any]:
        return []  # no scrape at registration: the database is read only when asked


class _Jobs(Collector):
    """The job queue's backlog in Redis (queue.enabled), read at each scrape: how far the workers are behind."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from paa.ai import queue

        jobs = queue.attached(self.runtime)
        if jobs is None:
            return
        try:
            depth = jobs.depth()
        except Exception:  # a scrape must answer while Redis does not
            return
        yield GaugeMetricFamily("paa_job_queue_depth", "Jobs waiting in the queue for a paa worker", value=depth)

    def describe(self) -> list[Any]:
        return []  # no scrape at registration: Redis is asked only when a scrape asks


class Metrics:
    """One app's registry and instruments."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter("paa_http_requests", "HTTP requests answered", labels, registry=self.registry)
        self.latency = Histogram(
            "paa_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer",
            labels,
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )
        self.websockets = Gauge("paa_websocket_connections", "WebSocket connections open now", registry=self.registry)
        self.registry.register(_Deliveries(runtime))
        self.registry.register(_Outbox(runtime))
        self.registry.register(_Jobs(runtime))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)


def metrics_of(app: Any) -> Metrics | None:
    """The app's metrics (None when it was built without them)."""
    found = getattr(app.state, "metrics", None)
    return found if isinstance(found, Metrics) else None


@contextmanager
def websocket_connection(app: Any) -> Iterator[None]:
    """Count one open WebSocket for as long as the block runs: `with websocket_connection(websocket.app): ...`
    around an accepted connection's life."""
    metrics = metrics_of(app)
    if metrics is not None:
        metrics.websockets.inc()
    try:
        yield
    finally:
        if metrics is not None:
            metrics.websockets.dec()


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics_endpoint(request: Request) -> Response:
    metrics = metrics_of(request.app)
    body = generate_latest(metrics.registry) if metrics is not None else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)
