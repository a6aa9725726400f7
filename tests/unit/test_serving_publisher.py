"""The batch publisher with no Redis to talk to: rows are counted as dropped, nothing raises."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from driftwatch.bus.publish import connect
from driftwatch.serving.batch_publisher import BUFFER_CAP_BATCHES, BatchPublisher, ModelRef
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.settings import Settings

MODEL = ModelRef("unit-model", "3", 0.5)
ROW = {
    "transaction_amount": 12.5,
    "transaction_hour": 9,
    "customer_age": 40,
    "account_tenure_days": 700,
    "merchant_risk_score": 0.1,
    "geo_distance_km": 2.0,
    "is_international": 0,
    "merchant_category": "grocery",
    "channel": "pos",
    "txn_count_24h": 1,
}


def _records(count: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [{**ROW, "transaction_id": f"tx-{i}", "timestamp": now} for i in range(count)]


@pytest.fixture
async def publisher(tmp_path: Path) -> AsyncIterator[tuple[BatchPublisher, ServingMetrics]]:
    settings = Settings(home=tmp_path, redis_url="redis://127.0.0.1:1/0", publish_batch_rows=10)
    metrics = ServingMetrics()
    redis = connect(settings)
    try:
        yield BatchPublisher(redis, settings, metrics), metrics
    finally:
        await redis.aclose()


def _dropped(metrics: ServingMetrics) -> float:
    return metrics.registry.get_sample_value("driftwatch_prediction_rows_dropped_total") or 0.0


async def test_rows_are_dropped_counted_and_the_outage_logged_once(
    publisher: tuple[BatchPublisher, ServingMetrics], caplog: pytest.LogCaptureFixture
) -> None:
    batches, metrics = publisher
    caplog.set_level(logging.WARNING, logger="driftwatch.serving.batch_publisher")
    for _ in range(2):
        rows = _records(25)
        batches.add(MODEL, rows, [0.1] * 25, [r["transaction_id"] for r in rows])
        await batches.flush()
    assert _dropped(metrics) == 50
    assert batches.buffered_rows == 0
    assert len([r for r in caplog.records if "dropping scored rows" in r.message]) == 1


async def test_rows_past_the_buffer_cap_are_dropped_without_waiting(
    publisher: tuple[BatchPublisher, ServingMetrics],
) -> None:
    batches, metrics = publisher
    cap = BUFFER_CAP_BATCHES * 10
    rows = _records(cap)
    batches.add(MODEL, rows, [0.2] * cap, [r["transaction_id"] for r in rows])
    batches.add(MODEL, rows[:5], [0.2] * 5, [r["transaction_id"] for r in rows[:5]])
    assert batches.buffered_rows == cap
    assert _dropped(metrics) == 5


async def test_a_row_that_breaks_the_contract_is_dropped_not_raised(
    publisher: tuple[BatchPublisher, ServingMetrics], caplog: pytest.LogCaptureFixture
) -> None:
    batches, metrics = publisher
    broken = [{**_records(1)[0], "transaction_hour": 99}]
    batches.add(MODEL, broken, [0.3], ["tx-0"])
    await batches.flush()
    assert _dropped(metrics) == 1
    assert "break the PredictionBatch contract" in caplog.text
