"""``driftwatch serve`` (two real uvicorn workers) when production is moved to a pickled model.

The pickle's payload would write a marker file. MLflow's own pickle flag is left at its default
(allowed) in the server's environment, so the guard shown here is DriftWatch's loader alone.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from driftwatch.contracts.features import FEATURE_NAMES, TRANSACTION_ID
from driftwatch.generator import generate
from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, promote
from tests.fixtures.services import settings_env
from tests.fixtures.unsafe_models import register_cloudpickle

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

WORKERS = 2
DEADLINE_S = 30.0
POLL_S = 0.1
REGISTRY_POLL_S = 0.5
"""Each worker re-checks production this often: the refused version is found without an event."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition: Callable[[], Any], what: str, deadline_s: float = DEADLINE_S) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(POLL_S)
    pytest.fail(f"timed out after {deadline_s}s waiting for {what}")


def _refused(url: str) -> dict[tuple[str, str], float]:
    """(version, reason) -> ``driftwatch_model_load_refused_total``, summed over workers."""
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=5).text):
        for sample in family.samples:
            if sample.name == "driftwatch_model_load_refused_total":
                key = (sample.labels["version"], sample.labels["reason"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


@pytest.fixture
def served(settings: Settings, production_model: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, log file) of ``driftwatch serve`` once every worker serves ``production_model``."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    polling = settings.model_copy(update={"registry_poll_s": REGISTRY_POLL_S})
    env = {
        **settings_env(polling),
        "OMP_NUM_THREADS": "1",
        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
    }
    command = [str(Path(sys.executable).with_name("driftwatch")), "serve", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(WORKERS), "--log-level", "warning"],
            env=env,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    ready: set[int] = set()

    def all_ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"driftwatch serve exited {process.returncode}: see {log_path}")
        try:
            answer = httpx.get(f"{url}/health/ready", timeout=1)
        except httpx.TransportError:
            return False
        if answer.status_code == 200 and answer.json()["model_version"] == production_model:
            ready.add(answer.json()["worker"])
        return len(ready) == WORKERS

    try:
        _wait_for(all_ready, "every worker to load the model", deadline_s=120)
        yield url, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _payload(rows: int) -> list[dict[str, Any]]:
    frame = generate("stable", rows=rows, seed=5).frame
    return [
        {**{name: row[name] for name in FEATURE_NAMES}, "transaction_id": row[TRANSACTION_ID]}
        for row in frame.astype(object).to_dict("records")
    ]


def test_a_pickled_production_model_is_refused_and_the_last_good_one_keeps_serving(
    served: tuple[str, Path], settings: Settings, production_model: str, tmp_path: Path
) -> None:
    url, log_path = served
    marker = tmp_path / "pwned"
    bad = register_cloudpickle(settings, marker)
    promote(settings, bad, PRODUCTION)

    def refused_by_every_worker() -> dict[tuple[str, str], float] | None:
        counts = _refused(url)
        return counts if counts.get((bad, "format")) == WORKERS else None

    counted = _wait_for(refused_by_every_worker, f"every worker to refuse version {bad}")

    batch = _payload(20)
    for row in batch:  # single requests spread over both workers
        answer = httpx.post(f"{url}/predict", json=row, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["model_version"] == production_model
    for _ in range(2 * WORKERS):
        ready = httpx.get(f"{url}/health/ready", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["model_version"] == production_model
    assert counted == {(bad, "format"): WORKERS}
    assert _refused(url) == counted  # later registry checks do not fetch it again
    assert not marker.exists()
    log = log_path.read_text()
    assert f"model version {bad} refused (format)" in log
    assert f"still serving version {production_model}" in log
