"""Prometheus metrics of the prediction service (names fixed by DESIGN.md, prefix ``driftwatch_``).

Each app owns its metrics in its own ``CollectorRegistry``, so two apps in one test process never
collide. With ``--workers N`` the CLI sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker imports
prometheus-client: every worker then writes its values to files there, and ``/metrics`` in any
worker answers with the sum over all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MICROBATCH_BUCKETS_ROWS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServingMetrics:
    """Every metric the API exports; one instance per app, built in ``create_app``."""

    def __init__(self, multiproc_dir: Path | None = None) -> None:
        """Create the metrics.

        Args:
            multiproc_dir: prometheus-client's multiprocess directory when several workers share
                one port, else None. It must be the ``PROMETHEUS_MULTIPROC_DIR`` this process
                started with: prometheus-client picks its value store at import time.
        """
        self.multiproc_dir = multiproc_dir
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "driftwatch_http_requests",
            "HTTP requests answered, by route template, method and status code.",
            ["endpoint", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "driftwatch_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self.rows_scored = Counter(
            "driftwatch_prediction_rows",
            "Transactions scored, by model version.",
            ["model_version"],
            registry=registry,
        )
        self.fraud_flags = Counter(
            "driftwatch_fraud_flags",
            "Transactions flagged as fraud (score at or above the model's threshold); divide "
            "its rate by driftwatch_prediction_rows_total's for the flag rate.",
            ["model_version"],
            registry=registry,
        )
        self.model_info = Gauge(
            "driftwatch_model_version_info",
            "1 for the model version being served, 0 for versions served before (one series "
            "per live worker under --workers N).",
            ["model_name", "version"],
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.model_reloads = Counter(
            "driftwatch_model_reloads",
            "Registry checks that loaded a new version (loaded) or failed (failed).",
            ["outcome"],
            registry=registry,
        )
        self.model_load_refused = Counter(
            "driftwatch_model_load_refused",
            "Registered versions refused at load, by version and reason (malformed, flavor, "
            "format, untrusted_types, not_a_pipeline): not an sklearn model in the skops format "
            "of trusted types. The version served before keeps serving.",
            ["version", "reason"],
            registry=registry,
        )
        self.microbatch_rows = Histogram(
            "driftwatch_microbatch_rows",
            "Rows per predict call after micro-batching concurrent requests.",
            buckets=MICROBATCH_BUCKETS_ROWS,
            registry=registry,
        )
        self.batches_published = Counter(
            "driftwatch_prediction_batches_published",
            "PredictionBatch events written to the bus.",
            registry=registry,
        )
        self.rows_published = Counter(
            "driftwatch_prediction_rows_published",
            "Scored rows written to the bus inside PredictionBatch events.",
            registry=registry,
        )
        self.rows_dropped = Counter(
            "driftwatch_prediction_rows_dropped",
            "Scored rows that could not be published (bus down or buffer full).",
            registry=registry,
        )

    def serve_model(self, name: str, version: str, previous: str | None) -> None:
        """Point the version-info gauge at ``version`` after a swap, and start its counters.

        A labelled counter exists from its first increment; one born already at N has no
        earlier sample, so ``rate()`` shows no traffic for a burst that fell between two
        scrapes. Creating the version's children here exports them at 0 first.
        """
        if previous is not None and previous != version:
            self.model_info.labels(model_name=name, version=previous).set(0)
        self.model_info.labels(model_name=name, version=version).set(1)
        self.rows_scored.labels(version)
        self.fraud_flags.labels(version)

    def exposition(self) -> bytes:
        """The text exposition format for ``GET /metrics``: every worker's values when several."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        collecting = CollectorRegistry()
        multiprocess.MultiProcessCollector(collecting, path=str(self.multiproc_dir))
        return generate_latest(collecting)

    def close(self) -> None:
        """Retire this worker's live gauges so a stopped worker's model version stops counting."""
        if self.multiproc_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), path=str(self.multiproc_dir))
