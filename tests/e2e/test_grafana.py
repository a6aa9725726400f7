"""Prometheus and the Grafana dashboard against a real run of the local stack.

There is no Grafana here, so the dashboard is checked the way Grafana would use it: every
panel's PromQL is run as a range query against a real Prometheus (Debian's package, started by
``driftwatch up --prometheus``) that scraped the stack while a demo ran, and must return data.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import ReleaseDecided, parse_event
from tests.fixtures.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "infra" / "grafana" / "dashboards" / "driftwatch.json"
DEADLINE_S = 60.0
STEADY_TRAFFIC = ("publish", "scenario", "stable", "--rows", "3000", "--rate", "250", "--no-labels")
"""Twelve seconds of traffic: two scrape intervals and more."""


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def test_promtool_accepts_the_compose_and_the_local_configs(local_stack: LocalStack) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: make test installs it (scripts/test-tools.sh)"
    for config in (
        REPO / "infra/prometheus/prometheus.yml",
        local_stack.home / "run/prometheus.yml",
    ):
        checked = subprocess.run(
            [promtool, "check", "config", str(config)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_dashboard_query_returns_data_after_a_demo(local_stack: LocalStack) -> None:
    prometheus = local_stack.plan.prometheus_url
    assert prometheus, "no Prometheus in the stack: make test installs it (scripts/test-tools.sh)"
    if not _a_plan_was_released(local_stack):
        demo = local_stack.driftwatch("demo", "feature-drift", timeout=600)
        assert "incident timeline" in demo.stdout, demo.stdout[-4000:] + demo.stderr
    # A demo's traffic is a burst of a few seconds, shorter than a scrape interval; a dashboard
    # describes steady traffic, so some is sent over several scrapes before the panels are read.
    steady = local_stack.driftwatch(*STEADY_TRAFFIC, timeout=120)
    assert steady.returncode == 0, steady.stdout[-2000:] + steady.stderr
    _wait_for(lambda: _all_targets_up(prometheus), "every scrape target to be up")
    start = local_stack.run_dir.plan_file.stat().st_mtime

    missing: dict[str, str] = {}
    for title, expr in dashboard_queries():
        if not _eventually_has_data(prometheus, expr, start):
            missing[title] = expr
    assert not missing, f"panels whose queries return no data: {missing}"


def _a_plan_was_released(stack: LocalStack) -> bool:
    plan = stack.plan
    client = redis.Redis.from_url(plan.redis_url)
    try:
        entries = client.xrange(f"{plan.stream_prefix}.releases")
    finally:
        client.close()
    events = [parse_event(entry_payload(fields)) for _, fields in entries]
    return any(isinstance(e, ReleaseDecided) and e.gates for e in events)


def _all_targets_up(prometheus: str) -> bool:
    targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]
    active = targets["activeTargets"]
    return bool(active) and all(t["health"] == "up" for t in active)


def _eventually_has_data(prometheus: str, expr: str, start: float) -> bool:
    """A range query over the stack's life returns at least one finite sample, within a
    deadline (the last scrape may still be on its way)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        if _has_data(_range_query(prometheus, expr, start)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(1)


def _range_query(prometheus: str, expr: str, start: float) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{prometheus}/api/v1/query_range",
        params={"query": expr, "start": start, "end": time.time(), "step": "5s"},
        timeout=10,
    )
    body = answer.json()
    assert body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


def _has_data(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(value)) for series in result for _, value in series["values"])


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {DEADLINE_S:.0f} s waiting for {what}")
        time.sleep(0.5)
