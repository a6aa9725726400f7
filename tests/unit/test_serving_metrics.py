"""The API's Prometheus metrics: what a swap exports before any traffic arrives."""

from __future__ import annotations

from driftwatch.serving.metrics import ServingMetrics


def test_a_served_version_exports_its_counters_at_zero_before_traffic() -> None:
    """So the first burst of traffic has an earlier sample to rate against."""
    metrics = ServingMetrics()

    metrics.serve_model("fraud-detector", "3", previous="2")

    text = metrics.exposition().decode()
    assert 'driftwatch_prediction_rows_total{model_version="3"} 0.0' in text
    assert 'driftwatch_fraud_flags_total{model_version="3"} 0.0' in text
    assert 'driftwatch_model_version_info{model_name="fraud-detector",version="3"} 1.0' in text
    assert 'driftwatch_model_version_info{model_name="fraud-detector",version="2"} 0.0' in text
