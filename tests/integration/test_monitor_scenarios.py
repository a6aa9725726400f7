"""Each generator scenario through the whole monitor: bus, registry reference, MLflow run.

A baseline model is trained into the test's MLflow store; one default-size window (2000 rows)
of a scenario, scored by that model, goes through the bus. The summary must carry the severity
the scenario's ground truth implies and name exactly the columns it shifted.
"""

from __future__ import annotations

import pandas as pd
import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import publish
from driftwatch.contracts.features import FEATURE_NAMES, SCORE
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.generator import GeneratedData, generate
from driftwatch.monitor.service import create_app
from driftwatch.monitor.tracking import TAG_WINDOW_ID, experiment_name
from driftwatch.settings import Settings
from driftwatch.training import TrainResult
from tests.integration.test_monitor_service import batches, judged, labels_of, publish_all

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

WINDOW = 2000
POLICY = load_shipped_policy().policy


def window_of(
    model: TrainResult, scenario: str, start: int, seed: int = 7
) -> tuple[pd.DataFrame, GeneratedData]:
    """Rows [start, start + 2000) of ``scenario``, scored by ``model``."""
    data = generate(scenario, start + WINDOW, seed)
    frame = data.frame.iloc[start:].reset_index(drop=True)
    return frame.assign(**{SCORE: model.model.predict_proba(frame)}), data


@pytest.mark.parametrize(
    ("scenario", "start"),
    [("stable", 0), ("feature_drift", 10_000), ("black_friday", 8_000)],
)
async def test_a_scenario_window_names_what_its_ground_truth_shifted(
    scenario: str,
    start: int,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    trained_model: TrainResult,
) -> None:
    frame, data = window_of(trained_model, scenario, start)
    events = [labels_of(frame), *batches(frame, version=production_model, size=500)]
    async with create_app(bus_settings):
        await publish_all(bus_redis, bus_settings, events)
        (summary,) = await judged(bus_redis, bus_settings, 1, f"the {scenario} window")
    shifted = data.ground_truth.shifted_columns
    assert [c.column for c in summary.drifted_columns] == list(shifted)
    for column in summary.drifted_columns:
        assert column.statistic >= column.threshold
    assert summary.drift_share == len(shifted) / len(FEATURE_NAMES)
    assert summary.severity == POLICY.severity_thresholds.level(summary.drift_share)
    assert summary.performance is not None
    assert not summary.performance.degraded  # P(fraud | x) did not change in these windows
    assert summary.labeled_rows == WINDOW
    assert_logged_to_mlflow(bus_settings, summary.window_id)


async def test_concept_drift_shows_as_a_performance_drop_once_labels_arrive(
    bus_redis: Redis, bus_settings: Settings, production_model: str, trained_model: TrainResult
) -> None:
    frame, data = window_of(trained_model, "concept_drift", 8_000)
    assert data.ground_truth.p_fraud_given_x_changed
    async with create_app(bus_settings):
        await publish_all(bus_redis, bus_settings, batches(frame, version=production_model))
        (unlabeled,) = await judged(bus_redis, bus_settings, 1, "revision 0")
        await publish(bus_redis, bus_settings, labels_of(frame))
        _, labeled = await judged(bus_redis, bus_settings, 2, "revision 1")
    assert (unlabeled.severity, unlabeled.performance) == ("none", None)
    assert unlabeled.drifted_columns == []
    assert (labeled.window_id, labeled.revision) == (unlabeled.window_id, 1)
    performance = labeled.performance
    assert performance is not None
    assert performance.degraded
    assert performance.auc_drop_lower is not None
    assert performance.auc_drop_lower >= POLICY.performance_thresholds.medium
    assert labeled.performance_severity in ("medium", "high")
    assert labeled.severity == labeled.performance_severity


def assert_logged_to_mlflow(settings: Settings, window_id: str) -> None:
    from driftwatch.training.store import client_for

    client = client_for(settings)
    experiment = client.get_experiment_by_name(experiment_name(settings.model_name))
    assert experiment is not None
    (run,) = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`{TAG_WINDOW_ID}` = '{window_id}'"
    )
    assert "drift_share" in run.data.metrics
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"drift_report.html", "summary.json", "window.parquet"} <= artifacts
