"""The batch publisher against a real Redis: flush by size, by age, one event per model version."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import connect
from driftwatch.contracts.events import PredictionBatch, parse_event
from driftwatch.serving.batch_publisher import BatchPublisher, ModelRef
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.settings import Settings

pytestmark = pytest.mark.integration

ROW = {
    "transaction_amount": 80.0,
    "transaction_hour": 22,
    "customer_age": 33,
    "account_tenure_days": 40,
    "merchant_risk_score": 0.7,
    "geo_distance_km": 900.0,
    "is_international": 1,
    "merchant_category": "electronics",
    "channel": "online",
    "txn_count_24h": 6,
}
V1 = ModelRef("fraud-detector", "1", 0.5)
V2 = ModelRef("fraud-detector", "2", 0.6)


def _records(prefix: str, count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [{**ROW, "transaction_id": f"{prefix}-{i}", "timestamp": now} for i in range(count)]


@pytest.fixture
async def publisher_on(
    settings: Settings,
) -> AsyncIterator[Callable[[float], Awaitable[tuple[BatchPublisher, Redis]]]]:
    """Starts a publisher (batches of 10, the given flush age) on the test's streams."""
    started: list[tuple[asyncio.Task[None], Redis]] = []

    async def start(max_age_s: float) -> tuple[BatchPublisher, Redis]:
        tuned = settings.model_copy(
            update={"publish_batch_rows": 10, "publish_max_age_s": max_age_s}
        )
        redis = connect(tuned)
        publisher = BatchPublisher(redis, tuned, ServingMetrics())
        started.append((asyncio.create_task(publisher.run()), redis))
        return publisher, redis

    yield start
    for task, redis in started:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await redis.aclose()


async def _batches(redis: Redis, settings: Settings, count: int) -> list[PredictionBatch]:
    """The first ``count`` events on the predictions stream, polled until they are there."""
    stream = settings.stream(PredictionBatch.STREAM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = await redis.xrange(stream)
        if len(entries) >= count:
            events = [parse_event(fields[b"__data__"]) for _, fields in entries]
            assert all(isinstance(event, PredictionBatch) for event in events)
            return events  # type: ignore[return-value]
        await asyncio.sleep(0.02)
    pytest.fail(f"fewer than {count} PredictionBatch events on {stream} after 10 s")


def _add(publisher: BatchPublisher, model: ModelRef, rows: list[dict[str, Any]]) -> None:
    scores = [i / len(rows) for i in range(len(rows))]
    publisher.add(model, rows, scores, [row["transaction_id"] for row in rows])


async def test_a_full_buffer_goes_out_at_once_in_batches_of_the_flush_size(
    publisher_on: Callable[[float], Awaitable[tuple[BatchPublisher, Redis]]], settings: Settings
) -> None:
    publisher, redis = await publisher_on(60.0)  # the age never triggers within the test
    _add(publisher, V1, _records("size", 25))
    events = await _batches(redis, settings, 3)
    assert [len(event.rows) for event in events] == [10, 10, 5]
    assert [rid for event in events for rid in event.request_ids] == [
        f"size-{i}" for i in range(25)
    ]
    assert [row.transaction_id for row in events[2].rows] == [f"size-{i}" for i in range(20, 25)]
    assert {(e.model_name, e.model_version, e.threshold) for e in events} == {tuple(V1)}
    assert events[0].producer.startswith("serving@")


async def test_a_few_rows_go_out_by_age_one_event_per_model_version(
    publisher_on: Callable[[float], Awaitable[tuple[BatchPublisher, Redis]]], settings: Settings
) -> None:
    publisher, redis = await publisher_on(0.2)
    _add(publisher, V1, _records("old", 2))
    _add(publisher, V2, _records("new", 3))
    events = await _batches(redis, settings, 2)
    assert {(e.model_version, e.threshold): e.request_ids for e in events} == {
        ("1", 0.5): ["old-0", "old-1"],
        ("2", 0.6): ["new-0", "new-1", "new-2"],
    }
    assert publisher.buffered_rows == 0
