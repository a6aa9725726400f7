"""Micro-batching: many concurrent requests, few predict calls, every caller its own scores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftwatch.contracts.features import FEATURE_NAMES, FEATURES, LABEL, Transaction
from driftwatch.generator import generate
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.serving.microbatch import MicroBatcher, NoModelLoaded, ScoringFailed, rows_to_frame
from driftwatch.serving.model_holder import ModelHolder
from driftwatch.settings import Settings
from driftwatch.training.pipeline import build_pipeline
from driftwatch.training.registry import LoadedModel


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate("baseline", rows=3000, seed=1).frame


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> LoadedModel:
    pipeline = build_pipeline(seed=0).fit(frame[list(FEATURE_NAMES)], frame[LABEL])
    return LoadedModel(
        pipeline=pipeline, threshold=0.5, version="7", metrics={"auc": 0.9}, name="unit-model"
    )


@pytest.fixture
def transactions(frame: pd.DataFrame) -> list[Transaction]:
    records = frame[list(FEATURE_NAMES)].head(60).to_dict("records")
    return [Transaction.model_validate(record) for record in records]


def _holder(tmp_path: Path, metrics: ServingMetrics) -> ModelHolder:
    settings = Settings(home=tmp_path, redis_url="redis://127.0.0.1:1/0")
    return ModelHolder(settings, metrics)


async def _running(batcher: MicroBatcher) -> AsyncIterator[MicroBatcher]:
    task = asyncio.create_task(batcher.run())
    try:
        yield batcher
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        batcher.close()


def _predict_calls(metrics: ServingMetrics) -> tuple[float, float]:
    """(predict calls, calls of at most 8 rows) from the batch-size histogram."""
    samples = {
        (s.name, s.labels.get("le")): s.value for s in metrics.microbatch_rows.collect()[0].samples
    }
    return samples[("driftwatch_microbatch_rows_count", None)], samples[
        ("driftwatch_microbatch_rows_bucket", "8.0")
    ]


def test_frame_has_the_contract_columns_and_dtypes(transactions: list[Transaction]) -> None:
    built = rows_to_frame(transactions[:3])
    assert list(built.columns) == list(FEATURE_NAMES)
    assert {name: str(dtype) for name, dtype in built.dtypes.items()} == {
        spec.name: spec.dtype for spec in FEATURES
    }


async def test_concurrent_requests_share_predict_calls_and_get_their_own_scores(
    tmp_path: Path, model: LoadedModel, transactions: list[Transaction]
) -> None:
    metrics = ServingMetrics()
    holder = _holder(tmp_path, metrics)
    holder.swap(model)
    batcher = MicroBatcher(holder, metrics, wait_s=0.005, max_rows=512)
    async for running in _running(batcher):
        results = await asyncio.gather(*(running.score([row]) for row in transactions))
    expected = model.predict_proba(rows_to_frame(transactions))
    got = np.concatenate([result.probabilities for result in results])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert {result.served.version for result in results} == {"7"}
    calls, _ = _predict_calls(metrics)
    assert calls < len(transactions) / 4


async def test_a_batch_never_exceeds_max_rows(
    tmp_path: Path, model: LoadedModel, transactions: list[Transaction]
) -> None:
    metrics = ServingMetrics()
    holder = _holder(tmp_path, metrics)
    holder.swap(model)
    batcher = MicroBatcher(holder, metrics, wait_s=0.005, max_rows=8)
    async for running in _running(batcher):
        await asyncio.gather(*(running.score(transactions[i : i + 3]) for i in range(0, 60, 3)))
    calls, small_calls = _predict_calls(metrics)
    assert calls >= 60 / 8
    assert small_calls == calls


async def test_no_model_is_refused_at_once(tmp_path: Path, transactions: list[Transaction]) -> None:
    metrics = ServingMetrics()
    batcher = MicroBatcher(_holder(tmp_path, metrics), metrics, wait_s=0.0, max_rows=8)
    async for running in _running(batcher):
        with pytest.raises(NoModelLoaded, match="production"):
            await running.score(transactions[:1])


async def test_a_request_the_model_refuses_fails_alone(
    tmp_path: Path, model: LoadedModel, transactions: list[Transaction]
) -> None:
    metrics = ServingMetrics()
    holder = _holder(tmp_path, metrics)
    holder.swap(model)
    # Skips validation on purpose: a value no numeric column can hold reaches the model.
    broken = transactions[0].model_construct(
        **{**transactions[0].model_dump(), "transaction_amount": "lots"}
    )
    batcher = MicroBatcher(holder, metrics, wait_s=0.01, max_rows=512)
    async for running in _running(batcher):
        good, bad = await asyncio.gather(
            running.score(transactions[1:5]), running.score([broken]), return_exceptions=True
        )
    assert isinstance(bad, ScoringFailed)
    assert not isinstance(good, BaseException)
    np.testing.assert_allclose(
        good.probabilities, model.predict_proba(rows_to_frame(transactions[1:5]))
    )
