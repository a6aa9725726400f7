"""The monitor on a real Redis: windows from batches, revisions from labels, files, failures.

The reference here is given directly (baseline rows scored by their merchant risk), so these
tests exercise the bus and window plumbing in seconds; test_monitor_scenarios goes through the
registry with a trained model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pandas as pd
import pytest
from redis.asyncio import Redis

from driftwatch.bus.deadletter import DeadLetter
from driftwatch.bus.publish import publish
from driftwatch.bus.wire import entry_fields
from driftwatch.contracts.events import (
    LabelFeedback,
    LabelPair,
    MonitoringSummary,
    PredictionBatch,
)
from driftwatch.contracts.features import FEATURE_NAMES, SCORE, TIMESTAMP, TRANSACTION_ID
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.generator import generate
from driftwatch.monitor.assess import Reference
from driftwatch.monitor.closer import WindowCloser
from driftwatch.monitor.scoring import ScoringContext
from driftwatch.monitor.service import create_app
from driftwatch.monitor.windows import ModelVersion, WindowStore, encode_rows
from driftwatch.settings import Settings
from tests.fixtures.bus import eventually

pytestmark = pytest.mark.integration

VERSION = "1"
JUDGED_S = 120.0
"""Deadline for a summary: the first window imports Evidently, seconds on a busy machine."""


def scored(scenario: str, rows: int, seed: int) -> pd.DataFrame:
    """Generated rows with a stand-in score (the merchant risk) in ``fraud_probability``."""
    frame = generate(scenario, rows, seed).frame
    return frame.assign(**{SCORE: frame["merchant_risk_score"]})


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.build(scored("baseline", 3000, seed=1))


@pytest.fixture
def monitor_settings(bus_settings: Settings) -> Settings:
    """Small windows, no MLflow runs: the plumbing, not the statistics."""
    return bus_settings.model_copy(
        update={
            "window_rows": 200,
            "window_min_rows": 50,
            "window_max_age_s": 3600.0,
            "monitor_mlflow_runs": False,
        }
    )


def batches(
    frame: pd.DataFrame, *, version: str = VERSION, size: int = 50, model: str = "fraud-detector"
) -> list[PredictionBatch]:
    """``frame`` as the API would publish it, ``size`` rows a batch."""
    records = frame[[TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES]].to_dict("records")
    return [
        PredictionBatch(
            model_name=model,
            model_version=version,
            threshold=0.3,
            rows=records[start : start + size],
            scores=frame[SCORE].iloc[start : start + size].tolist(),
            request_ids=frame[TRANSACTION_ID].iloc[start : start + size].tolist(),
        )
        for start in range(0, len(frame), size)
    ]


def labels_of(frame: pd.DataFrame) -> LabelFeedback:
    pairs = zip(frame[TRANSACTION_ID], frame["is_fraud"], strict=True)
    return LabelFeedback(labels=[LabelPair(request_id=i, is_fraud=bool(y)) for i, y in pairs])


async def publish_all(redis: Redis, settings: Settings, events: list) -> None:
    for event in events:
        await publish(redis, settings, event)


async def summaries(redis: Redis, settings: Settings) -> list[MonitoringSummary]:
    entries = await redis.xrange(settings.stream("monitoring"))
    return [MonitoringSummary.model_validate_json(fields[b"__data__"]) for _, fields in entries]


async def judged(
    redis: Redis, settings: Settings, count: int, what: str
) -> list[MonitoringSummary]:
    """Wait until the monitoring stream holds ``count`` summaries; return them."""

    async def probe() -> list[MonitoringSummary]:
        found = await summaries(redis, settings)
        return found if len(found) >= count else []

    return await eventually(probe, what, JUDGED_S)


@asynccontextmanager
async def running(settings: Settings, reference: Reference) -> AsyncIterator[None]:
    async with create_app(settings, references=lambda version: reference):
        yield


async def test_full_windows_become_summaries_with_their_files(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    frame = scored("stable", 450, seed=2)
    async with running(monitor_settings, reference):
        await publish_all(bus_redis, monitor_settings, batches(frame))
        first, second = await judged(bus_redis, monitor_settings, 2, "2 windows")
    assert (first.n_current, second.n_current) == (200, 200)
    assert first.n_reference == len(reference)
    assert first.window_start == frame[TIMESTAMP].iloc[0]
    assert first.window_end == frame[TIMESTAMP].iloc[199]
    assert second.window_start == frame[TIMESTAMP].iloc[200]
    assert first.window_id < second.window_id
    assert (first.revision, first.model_version) == (0, VERSION)
    store = WindowStore(bus_redis, monitor_settings)
    assert await bus_redis.llen(store.open_key(ModelVersion("fraud-detector", VERSION))) == 50

    on_disk = MonitoringSummary.model_validate_json(Path(second.summary_path).read_text())
    assert on_disk == second
    window = pd.read_parquet(second.dataset_uri.removeprefix("file://"))
    assert window["request_id"].tolist() == frame[TRANSACTION_ID].iloc[200:400].tolist()
    assert Path(second.report_path).stat().st_size > 0
    latest = monitor_settings.reports_dir / "monitoring_summary.json"
    assert json.loads(latest.read_text())["window_id"] == second.window_id
    assert (monitor_settings.reports_dir / "drift_report.html").is_file()


async def test_late_labels_publish_a_new_revision_of_the_window(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    frame = scored("stable", 200, seed=3)
    early, late = labels_of(frame.iloc[:80]), labels_of(frame.iloc[80:])
    async with running(monitor_settings, reference):
        await publish(bus_redis, monitor_settings, early)  # before the predictions
        await publish_all(bus_redis, monitor_settings, batches(frame))
        (first,) = await judged(bus_redis, monitor_settings, 1, "revision 0")
        await publish(bus_redis, monitor_settings, late)
        _, revised = await judged(bus_redis, monitor_settings, 2, "revision 1")
    assert (first.labeled_rows, first.label_coverage) == (80, 0.4)
    assert (revised.window_id, revised.revision) == (first.window_id, 1)
    assert (revised.labeled_rows, revised.label_coverage) == (200, 1.0)
    assert revised.performance is not None
    assert revised.causation_id == late.event_id
    assert revised.event_id != first.event_id
    assert revised.columns == first.columns
    on_disk = json.loads(Path(revised.summary_path).read_text())
    assert on_disk["revision"] == 1


async def test_bad_batches_are_deadlettered_and_the_monitor_goes_on(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    frame = scored("stable", 200, seed=4)
    predictions = monitor_settings.stream("predictions")
    good = batches(frame)
    wrong_version = json.loads(good[0].model_dump_json()) | {"schema_version": 9}
    short = json.loads(good[1].model_dump_json())
    short["scores"] = short["scores"][:-1]
    foreign = batches(frame.iloc[:10], model="another-model")[0]
    async with running(monitor_settings, reference):
        await bus_redis.xadd(predictions, {"__data__": "{not json"})
        await bus_redis.xadd(predictions, {"__data__": json.dumps(wrong_version)})
        await bus_redis.xadd(predictions, {"__data__": json.dumps(short)})
        await bus_redis.xadd(predictions, entry_fields(foreign))
        await publish_all(bus_redis, monitor_settings, good)
        (summary,) = await judged(bus_redis, monitor_settings, 1, "a window")

        async def four_dead() -> list[DeadLetter]:
            entries = await bus_redis.xrange(monitor_settings.stream("deadletter"))
            return [DeadLetter.from_fields(f) for _, f in entries] if len(entries) == 4 else []

        dead = await eventually(four_dead, "4 dead letters")
    assert summary.n_current == 200
    assert all(letter.consumer == "monitor" for letter in dead)
    assert "another-model" in dead[-1].error


async def test_a_window_split_across_a_restart_loses_no_rows(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    frame = scored("stable", 200, seed=5)
    parts = batches(frame)
    store = WindowStore(bus_redis, monitor_settings)
    open_rows = store.open_key(ModelVersion("fraud-detector", VERSION))

    async def half_persisted() -> bool:
        return await bus_redis.llen(open_rows) == 100

    async with running(monitor_settings, reference):
        await publish_all(bus_redis, monitor_settings, parts[:2])
        await eventually(half_persisted, "100 rows persisted")
    await publish_all(bus_redis, monitor_settings, parts[2:])  # while no monitor runs
    async with running(monitor_settings, reference):
        (summary,) = await judged(bus_redis, monitor_settings, 1, "the window")
    window = pd.read_parquet(summary.dataset_uri.removeprefix("file://"))
    assert summary.n_current == 200
    assert window["request_id"].tolist() == frame[TRANSACTION_ID].tolist()


async def test_a_slow_window_closes_by_age(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    slow = monitor_settings.model_copy(update={"window_max_age_s": 0.5})
    async with running(slow, reference):
        await publish_all(bus_redis, slow, batches(scored("stable", 60, seed=6), size=30))
        (summary,) = await judged(bus_redis, slow, 1, "an aged window")
    assert summary.n_current == 60


async def test_two_closers_publish_each_window_once(
    bus_redis: Redis, monitor_settings: Settings, reference: Reference
) -> None:
    store = WindowStore(bus_redis, monitor_settings)
    mv = ModelVersion("fraud-detector", VERSION)
    rows = [
        row for batch in batches(scored("stable", 200, seed=7)) for row in encode_rows(batch, 0)
    ]
    async with bus_redis.pipeline(transaction=True) as pipe:
        store.queue_rows(pipe, mv, rows)
        await pipe.execute()
    context = ScoringContext.of(monitor_settings, load_shipped_policy())
    closers = [WindowCloser(bus_redis, context, lambda version: reference) for _ in range(2)]
    published = await asyncio.gather(*(closer.step() for closer in closers))
    assert sorted(len(batch) for batch in published) == [0, 1]
    assert len(await summaries(bus_redis, monitor_settings)) == 1
