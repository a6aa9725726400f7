"""The monitor's Prometheus gauges follow the latest summary of each model version."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from driftwatch.contracts.events import ColumnDrift, MonitoringSummary, VolumeProfile
from driftwatch.monitor.metrics import monitor_metrics


def test_a_summary_sets_the_gauges_of_its_version() -> None:
    registry = CollectorRegistry()
    now = datetime(2026, 11, 27, tzinfo=UTC)
    amount = ColumnDrift(
        column="transaction_amount",
        kind="numerical",
        test="wasserstein",
        statistic=0.3,
        threshold=0.1,
        drifted=True,
    )
    summary = MonitoringSummary(
        window_id="w1",
        revision=0,
        window_start=now,
        window_end=now,
        model_name="fraud-detector",
        model_version="2",
        n_reference=5000,
        n_current=2000,
        columns=[amount],
        drift_share=1.0,
        volume=VolumeProfile(
            rows_per_hour=110.0,
            reference_rows_per_hour=100.0,
            ratio=1.1,
            hourly_share=[1 / 24] * 24,
            reference_hourly_share=[1 / 24] * 24,
            peak_ratio=2.6,
            peak_hour=now,
            surge_hours=4,
        ),
        severity="high",
    )
    monitor_metrics(registry).record(summary)
    value = registry.get_sample_value
    assert value("driftwatch_monitor_drift_share", {"model_version": "2"}) == 1.0
    assert value("driftwatch_monitor_window_rows", {"model_version": "2"}) == 2000
    assert value("driftwatch_monitor_severity", {"model_version": "2"}) == 3
    feature = {"model_version": "2", "feature": "transaction_amount"}
    assert value("driftwatch_monitor_feature_drift", feature) == 0.3
    assert value("driftwatch_monitor_feature_drifted", feature) == 1
    window = {"model_version": "2", "measure": "window"}
    assert value("driftwatch_monitor_volume_ratio", window) == 1.1
    peak = {"model_version": "2", "measure": "peak_hour"}
    assert value("driftwatch_monitor_volume_ratio", peak) == 2.6
    kind = {"model_version": "2", "kind": "window"}
    assert value("driftwatch_monitor_summaries_total", kind) == 1
