"""deploy/grafana/paa.json: a Grafana dashboard whose every query asks a series paa's /metrics exports."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.ai.queue import JobQueue
from paa.api.app import ServerOptions, create_app
from paa.clock import FixedClock
from tests.deploy import checks
from tests.support.jobs import RecordingQueue
from tests.support.runtime import runtime_for


class WaitingJobs(RecordingQueue):
    """A job queue whose Redis answers that nothing waits."""

    def depth(self) -> int:
        return 0


@pytest.fixture
def exposition(clock: FixedClock) -> Iterator[str]:
    """What a fresh `paa serve` answers at /metrics, with the job queue on (its depth is exported only then)."""
    with runtime_for(clock=clock, serves_callers=True) as runtime:
        runtime.service(JobQueue, WaitingJobs)
        with TestClient(create_app(runtime, ServerOptions())) as client:
            answer = client.get("/metrics")
    assert answer.status_code == 200 and "paa_job_queue_depth 0.0" in answer.text
    yield answer.text


@pytest.fixture
def series(exposition: str) -> set[str]:
    return checks.scraped_series(exposition)


@pytest.fixture
def dashboard() -> dict[str, Any]:
    loaded = json.loads(checks.GRAFANA_DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_dashboard_asks_only_series_paa_exports_and_all_of_them(
    dashboard: dict[str, Any], series: set[str], exposition: str
) -> None:
    assert checks.dashboard_problems(dashboard, series) == []
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in checks.METRIC_NAME.findall(target["expr"])
    }
    families = {name for name in checks.scraped_families(exposition) if name.startswith("paa_")}
    # The text format carries a gauge histogram's count and sum as gauges of their own: part of its family.
    families = {name for name in families if name.removesuffix("_gcount").removesuffix("_gsum") == name or
                name.removesuffix("_gcount").removesuffix("_gsum") not in families}  # fmt: skip
    assert "paa_reminder_delivery_lateness_seconds" in families and "paa_http_requests" in families
    assert {family for family in families if not any(name.startswith(family) for name in asked)} == set()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["panels"][1]["targets"][0].update(expr="rate(paa_http_request_total[5m])"), "exports no series"),
        (lambda d: d["panels"][1]["targets"][0].update(expr="sum(rate(up[5m])"), "asks no paa series"),
        (lambda d: d["panels"][1]["targets"][0].update(expr="sum(rate(paa_http_requests_total[5m])"), "unbalanced"),
        (lambda d: d["panels"][1].pop("gridPos"), "no gridPos"),
        (lambda d: d["panels"][1]["targets"][0].update(datasource={"uid": "prom-1"}), "datasource"),
        (lambda d: d["templating"].update(list=[]), "no datasource variable"),
        (lambda d: d["panels"][2].update(id=d["panels"][1]["id"]), "share an id"),
    ],
    ids=["unknown-series", "no-paa-series", "unbalanced", "no-place", "fixed-datasource", "no-variable", "same-id"],
)
def test_the_dashboard_checker_rejects_a_broken_dashboard(
    dashboard: dict[str, Any], series: set[str], change: Any, words: str
) -> None:
    broken = copy.deepcopy(dashboard)
    change(broken)

    problems = checks.dashboard_problems(broken, series)

    assert problems and any(words in problem for problem in problems), problems
