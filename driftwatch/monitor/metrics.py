"""Prometheus gauges of the latest judgement per model version (DESIGN.md, Metrics).

They live in prometheus-client's default registry, which the bus's ``/metrics`` endpoint serves
when ``DRIFTWATCH_METRICS_PORT`` is set, so the monitor needs no server of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from driftwatch.contracts.events import MonitoringSummary
from driftwatch.contracts.vocabulary import severity_rank


@dataclass(frozen=True, slots=True)
class MonitorMetrics:
    """Drift share, per-feature drift, window rows, severity, AUC, traffic against the
    reference and summaries published."""

    drift_share: Gauge
    feature_drift: Gauge
    feature_drifted: Gauge
    window_rows: Gauge
    severity: Gauge
    auc: Gauge
    volume_ratio: Gauge
    summaries: Counter

    def record(self, summary: MonitoringSummary) -> None:
        """Set the gauges from a published summary (revisions included)."""
        version = summary.model_version
        self.drift_share.labels(version).set(summary.drift_share)
        self.window_rows.labels(version).set(summary.n_current)
        self.severity.labels(version).set(severity_rank(summary.severity))
        for column in summary.columns:
            self.feature_drift.labels(version, column.column).set(column.statistic)
            self.feature_drifted.labels(version, column.column).set(int(column.drifted))
        if summary.performance is not None and summary.performance.auc is not None:
            self.auc.labels(version).set(summary.performance.auc)
        if summary.volume is not None:
            self.volume_ratio.labels(version, "window").set(summary.volume.ratio)
            self.volume_ratio.labels(version, "peak_hour").set(summary.volume.peak_ratio or 0.0)
        self.summaries.labels(version, "revision" if summary.revision else "window").inc()


@cache
def monitor_metrics(registry: CollectorRegistry = REGISTRY) -> MonitorMetrics:
    """The monitor's metrics in ``registry``, created once per registry."""
    version = ["model_version"]
    feature = ["model_version", "feature"]
    return MonitorMetrics(
        drift_share=Gauge(
            "driftwatch_monitor_drift_share",
            "Share of the model's features drifted in the latest window.",
            version,
            registry=registry,
        ),
        feature_drift=Gauge(
            "driftwatch_monitor_feature_drift",
            "Drift statistic of each feature in the latest window (see its test).",
            feature,
            registry=registry,
        ),
        feature_drifted=Gauge(
            "driftwatch_monitor_feature_drifted",
            "1 when the feature drifted in the latest window.",
            feature,
            registry=registry,
        ),
        window_rows=Gauge(
            "driftwatch_monitor_window_rows",
            "Rows of the latest window.",
            version,
            registry=registry,
        ),
        severity=Gauge(
            "driftwatch_monitor_severity",
            "Severity of the latest window: 0 none, 1 low, 2 medium, 3 high.",
            version,
            registry=registry,
        ),
        auc=Gauge(
            "driftwatch_monitor_auc",
            "ROC AUC of the latest window's labeled rows.",
            version,
            registry=registry,
        ),
        volume_ratio=Gauge(
            "driftwatch_monitor_volume_ratio",
            "Latest window's traffic against the reference: rows per event-time hour over the "
            "reference's in the same hours (measure=window), and its busiest significant hour "
            "over the rate of its hour of day (measure=peak_hour; 0 when no hour surged).",
            ["model_version", "measure"],
            registry=registry,
        ),
        summaries=Counter(
            "driftwatch_monitor_summaries",
            "MonitoringSummary events published, by kind (window or revision).",
            ["model_version", "kind"],
            registry=registry,
        ),
    )
