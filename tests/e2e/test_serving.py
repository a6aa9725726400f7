"""``driftwatch serve`` as a real process: two uvicorn workers, an embedded Valkey of its own (so
a test may stop it), a real MLflow store with two registered versions.

The tests share one server; each leaves it serving version 1 with the bus up.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from prometheus_client.parser import text_string_to_metric_families
from schemathesis import GenerationMode

from driftwatch.bus.publish import publish_sync
from driftwatch.bus.server import start_embedded
from driftwatch.contracts.events import LabelFeedback, PredictionBatch, ReleaseDecided, parse_event
from driftwatch.contracts.features import FEATURE_NAMES, TRANSACTION_ID
from driftwatch.generator import generate
from driftwatch.settings import Settings
from driftwatch.training import load_model, promote, train_and_register
from tests.fixtures.services import settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]  # setup boots two workers

TOKEN = "e2e-token"
WORKERS = 2
DEADLINE_S = 20.0
POLL_S = 0.05


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


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """``_wait_for`` for async tests: the load keeps running while this polls."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(POLL_S)
    pytest.fail(f"timed out after {DEADLINE_S}s waiting for {what}")


class Valkey:
    """An embedded Valkey on a fixed port that a test can stop and start again."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.server = start_embedded(self.port)

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        self.server = start_embedded(self.port)


@pytest.fixture(scope="module")
def valkey() -> Iterator[Valkey]:
    server = Valkey()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, valkey: Valkey, migrated_mlflow_db: Path
) -> Settings:
    """Settings naming the Valkey and a store where version 1 is production and 2 is not."""
    home = tmp_path_factory.mktemp("serving") / "var"
    home.mkdir()
    shutil.copyfile(migrated_mlflow_db, home / "mlflow.db")
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{valkey.port}/0",
        stream_prefix=f"e2e-{uuid.uuid4().hex[:8]}",
        home=home,
        mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        api_token=TOKEN,
        publish_max_age_s=0.2,
        registry_poll_s=600.0,  # in these tests a release must arrive through the stream
    )
    frame = generate("baseline", rows=4000, seed=1).frame
    for seed in (0, 1):
        train_and_register(frame, settings, seed=seed, threads=1)
    promote(settings, "1", "production")
    return settings


@pytest.fixture(scope="module")
def base_url(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``driftwatch serve --workers 2``, once every worker has loaded the model."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("logs") / "serve.log").open("w")
    env = {**settings_env(stack), "OMP_NUM_THREADS": "1"}
    command = [str(Path(sys.executable).with_name("driftwatch")), "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(WORKERS), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    ready_workers: set[int] = set()

    def all_ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"driftwatch serve exited {process.returncode}: see {log.name}")
        try:
            answer = httpx.get(f"{url}/health/ready", timeout=1)
        except httpx.TransportError:
            return False
        if answer.status_code == 200:
            ready_workers.add(answer.json()["worker"])
        return len(ready_workers) == WORKERS

    _wait_for(all_ready, "every worker to load the model", deadline_s=120)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return generate("stable", rows=200, seed=5).frame


def _payload(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {**{name: row[name] for name in FEATURE_NAMES}, "transaction_id": row[TRANSACTION_ID]}
        for row in frame.astype(object).to_dict("records")
    ]


def _metrics(url: str) -> dict[str, float]:
    """Every sample of ``/metrics`` summed over its labels, by sample name."""
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def _events(settings: Settings, stream: str) -> list[Any]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        entries = client.xrange(settings.stream(stream))
    finally:
        client.close()
    return [parse_event(fields[b"__data__"]) for _, fields in entries]


def test_predictions_equal_the_registered_models(
    base_url: str, stack: Settings, rows: pd.DataFrame
) -> None:
    batch = _payload(rows.head(50))
    batch[3]["merchant_category"] = "spaceships"  # unknown: the pipeline scores it as missing
    answers = httpx.post(f"{base_url}/predict", json=batch, timeout=10).json()
    single = httpx.post(f"{base_url}/predict", json=batch[0], timeout=10).json()
    assert single == answers[0]
    model = load_model(stack, answers[0]["model_version"])
    expected = model.predict_proba(pd.DataFrame(batch))
    got = np.array([answer["fraud_probability"] for answer in answers])
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert [a["is_fraud"] for a in answers] == [bool(p >= model.threshold) for p in expected]
    assert [a["request_id"] for a in answers] == [row["transaction_id"] for row in batch]


def test_scored_rows_reach_the_bus_and_feedback_too(
    base_url: str, stack: Settings, rows: pd.DataFrame
) -> None:
    batch = [{**row, "transaction_id": f"bus-{i}"} for i, row in enumerate(_payload(rows[:30]))]
    del batch[0]["transaction_id"]
    answers = httpx.post(f"{base_url}/predict", json=batch, timeout=10).json()
    sent = {answer["request_id"] for answer in answers}

    def published() -> set[str]:
        events = _events(stack, PredictionBatch.STREAM)
        return sent & {rid for event in events for rid in event.request_ids}

    assert _wait_for(lambda: published() == sent, "the scored rows on the predictions stream")
    labels = {"labels": [{"request_id": "bus-1", "is_fraud": True}]}
    accepted = httpx.post(f"{base_url}/feedback", json=labels, timeout=10)
    assert accepted.status_code == 202
    feedback = [e for e in _events(stack, LabelFeedback.STREAM) if isinstance(e, LabelFeedback)]
    assert [str(e.event_id) for e in feedback] == [accepted.json()["event_id"]]
    assert feedback[0].labels[0].request_id == "bus-1"


def test_metric_names_are_the_documented_ones(base_url: str) -> None:
    httpx.post(f"{base_url}/predict", json={"transaction_amount": -1}, timeout=10)
    names = set(_metrics(base_url))
    for name in (
        "driftwatch_http_requests_total",
        "driftwatch_http_request_duration_seconds_bucket",
        "driftwatch_prediction_rows_total",
        "driftwatch_fraud_flags_total",
        "driftwatch_model_version_info",
        "driftwatch_model_reloads_total",
        "driftwatch_microbatch_rows_count",
        "driftwatch_prediction_batches_published_total",
        "driftwatch_prediction_rows_published_total",
        "driftwatch_prediction_rows_dropped_total",
    ):
        assert name in names, name


def test_reload_requires_the_bearer_token(base_url: str) -> None:
    assert httpx.post(f"{base_url}/admin/reload").status_code == 401
    wrong = httpx.post(f"{base_url}/admin/reload", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    reloaded = httpx.post(
        f"{base_url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert reloaded.status_code == 200
    assert reloaded.json()["model"]["version"] == "1"


Result = tuple[int, str, int]
"""Status, model version (or error text), and how many requests had been sent before it."""
"""(status code, model version or error) of one request of the background load."""


class Load:
    """Concurrent single-row requests until stopped, every answer recorded."""

    def __init__(self, client: httpx.AsyncClient, body: dict[str, Any], connections: int = 8):
        self.results: list[Result] = []
        self.sent = 0
        self._client = client
        self._body = body
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(connections)]

    async def _loop(self) -> None:
        while not self._stop.is_set():
            order = self.sent
            self.sent += 1
            try:
                answer = await self._client.post("/predict", json=self._body)
            except httpx.HTTPError as error:
                self.results.append((0, repr(error), order))
                continue
            ok = answer.status_code == 200
            version = answer.json()["model_version"] if ok else answer.text
            self.results.append((answer.status_code, version, order))

    async def stop(self) -> list[Result]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.results


async def _families(client: httpx.AsyncClient) -> list[Any]:
    return list(text_string_to_metric_families((await client.get("/metrics")).text))


async def _metric(client: httpx.AsyncClient, name: str) -> float:
    return sum(
        sample.value
        for family in await _families(client)
        for sample in family.samples
        if sample.name == name
    )


async def _workers_serving(client: httpx.AsyncClient, version: str) -> set[str]:
    """Pids of the live workers whose version-info gauge is 1 for ``version``."""
    return {
        sample.labels["pid"]
        for family in await _families(client)
        for sample in family.samples
        if sample.name == "driftwatch_model_version_info"
        and sample.labels["version"] == version
        and sample.value == 1
    }


async def _release(client: httpx.AsyncClient, settings: Settings, version: str, old: str) -> float:
    """Promote ``version`` and announce it; seconds until every worker serves it."""
    await asyncio.to_thread(promote, settings, version, "production")
    event = ReleaseDecided(
        decision="promoted",
        model_name=settings.model_name,
        candidate_version=version,
        previous_version=old,
        alias="production",
        reason="e2e promotion",
    )
    started = time.monotonic()
    await asyncio.to_thread(publish_sync, settings, event)

    async def every_worker_swapped() -> bool:
        return len(await _workers_serving(client, version)) == WORKERS

    await _until(every_worker_swapped, f"every worker to serve version {version}")
    return time.monotonic() - started


async def test_a_promotion_swaps_every_worker_under_load_without_failures(
    base_url: str, stack: Settings, rows: pd.DataFrame
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        load = Load(client, _payload(rows.head(1))[0])
        try:
            await _until(lambda: _answered(load, 20), "the load to start")
            swap_s = await _release(client, stack, "2", "1")
            swapped_at = load.sent  # requests in flight now may still be scored by version 1
            answered = len(load.results)
            await _until(lambda: _answered(load, answered + 20), "answers after the swap")
        finally:
            results = await load.stop()
        await _release(client, stack, "1", "2")
    assert [r for r in results if r[0] != 200] == []
    assert {version for _, version, _ in results} == {"1", "2"}
    assert {version for _, version, order in results if order >= swapped_at} == {"2"}
    assert swap_s < 10


async def test_redis_stopped_under_load_fails_no_prediction_and_publishing_resumes(
    base_url: str, stack: Settings, rows: pd.DataFrame, valkey: Valkey
) -> None:
    published = "driftwatch_prediction_batches_published_total"
    dropped = "driftwatch_prediction_rows_dropped_total"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        load = Load(client, _payload(rows.head(1))[0])
        try:
            before = await _metric(client, published)
            await _until(lambda: _grew(client, published, before), "batches to be published")
            valkey.stop()
            dropped_before = await _metric(client, dropped)
            await _until(lambda: _grew(client, dropped, dropped_before), "dropped rows counted")
            answered = len(load.results)
            await _until(lambda: _answered(load, answered + 50), "answers while Redis is down")
            valkey.restart()
            at_restart = await _metric(client, published)
            await _until(lambda: _grew(client, published, at_restart), "publishing to resume")
        finally:
            results = await load.stop()
    assert [r for r in results if r[0] != 200] == []
    assert _events(stack, PredictionBatch.STREAM), "batches reach the restarted server"


async def _answered(load: Load, count: int) -> bool:
    return len(load.results) >= count


async def _grew(client: httpx.AsyncClient, name: str, baseline: float) -> bool:
    return await _metric(client, name) > baseline


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_input_gets_a_server_error(base_url: str, mode: GenerationMode) -> None:
    """Schemathesis against the served OpenAPI schema, every operation, valid and invalid data."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and not len(operation.body):
            continue  # nothing to break in a request without a body

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(timeout=30)

        check()
