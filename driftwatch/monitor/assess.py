"""Judge one window against its version's reference: the in-process core every caller shares.

The stream monitor, ``driftwatch monitor check``, the benches and other parts' tests all go
through ``judge_window``. Late labels only change the label half of a judgement, so a revision
calls ``judge_labels`` alone and keeps the drift half of the first judgement: Evidently runs once
per window, however many label batches follow.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from driftwatch.contracts.events import PerformanceSummary, VolumeProfile
from driftwatch.contracts.policy import Policy
from driftwatch.contracts.vocabulary import Severity, max_severity
from driftwatch.monitor.columns import ColumnMapping
from driftwatch.monitor.drift import DriftResult, DriftTests, compute_drift
from driftwatch.monitor.performance import (
    ReferencePerformance,
    reference_performance,
    window_performance,
)
from driftwatch.monitor.severity import drift_severity, performance_severity
from driftwatch.monitor.timematch import matched_reference
from driftwatch.monitor.volume import volume_profile

if TYPE_CHECKING:
    from evidently.core.report import Snapshot


@dataclass(frozen=True)
class Reference:
    """A version's reference sample, prepared once and reused for every window of the version.

    Attributes:
        frame: the sample (features, score, label, event time where present).
        mapping: its column roles, narrowed to what the sample holds.
        performance: AUC/AP and bootstrap draws; None without both classes of labels and scores.
        traffic_share: share of its period's traffic the sample holds (a random holdout's
            fraction), so its rows per hour can be scaled back to the traffic's.
    """

    frame: pd.DataFrame
    mapping: ColumnMapping
    performance: ReferencePerformance | None
    traffic_share: float = 1.0

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        mapping: ColumnMapping | None = None,
        *,
        traffic_share: float = 1.0,
    ) -> Reference:
        """Validate ``frame`` against ``mapping`` (default: the fraud schema) and prepare it.

        Raises:
            ColumnMappingError: the frame lacks a feature or has an empty one.
        """
        mapping = (mapping or ColumnMapping.default()).present(frame)
        mapping.validate(frame, "reference")
        performance = None
        if mapping.target is not None and mapping.prediction is not None:
            labeled = frame[frame[mapping.target].notna()]
            labels = labeled[mapping.target].astype(bool).to_numpy()
            if labels.any() and not labels.all():
                scores = labeled[mapping.prediction].to_numpy(dtype=float)
                performance = reference_performance(scores, labels)
        return cls(frame, mapping, performance, traffic_share)

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True, slots=True)
class LabelJudgement:
    """What the labels that have arrived say about a window."""

    performance: PerformanceSummary | None
    labeled_rows: int
    label_coverage: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class WindowJudgement:
    """Drift, volume and performance of a window, with both severity levels."""

    drift: DriftResult
    volume: VolumeProfile | None
    drift_severity: Severity
    labels: LabelJudgement

    @property
    def severity(self) -> Severity:
        return max_severity(self.drift_severity, self.labels.severity)

    @property
    def snapshot(self) -> Snapshot:
        return self.drift.snapshot

    def summary_fields(self) -> dict[str, Any]:
        """The judgement as ``MonitoringSummary`` fields (identity, bounds and paths excluded)."""
        return {
            "columns": self.drift.columns,
            "drift_share": self.drift.drift_share,
            "prediction_drift": self.drift.prediction,
            "volume": self.volume,
            "drift_severity": self.drift_severity,
            **label_fields(self.labels, self.drift_severity),
        }


def label_fields(labels: LabelJudgement, drift_level: Severity) -> dict[str, Any]:
    """The ``MonitoringSummary`` fields a revision for late labels replaces."""
    return {
        "performance": labels.performance,
        "labeled_rows": labels.labeled_rows,
        "label_coverage": labels.label_coverage,
        "performance_severity": labels.severity,
        "severity": max_severity(drift_level, labels.severity),
    }


def window_seed(window_id: str) -> int:
    """The bootstrap seed of a window: a redone or re-scored window repeats its draws."""
    return zlib.crc32(window_id.encode())


def judge_labels(
    reference: Reference, window: pd.DataFrame, *, threshold: float, policy: Policy, seed: int
) -> LabelJudgement:
    """Performance of the window's labeled rows (target not null) against the reference."""
    target, score = reference.mapping.target, reference.mapping.prediction
    if target is None or score is None or target not in window or score not in window:
        return LabelJudgement(None, 0, 0.0, "none")
    labeled = window[window[target].notna()]
    performance = None
    if len(labeled) and reference.performance is not None:
        performance = window_performance(
            labeled[score].to_numpy(dtype=float),
            labeled[target].astype(bool).to_numpy(),
            threshold=threshold,
            reference=reference.performance,
            levels=policy.performance_thresholds,
            seed=seed,
        )
    coverage = len(labeled) / len(window) if len(window) else 0.0
    return LabelJudgement(
        performance, len(labeled), coverage, performance_severity(performance, policy)
    )


def judge_window(
    reference: Reference,
    window: pd.DataFrame,
    *,
    tests: DriftTests,
    policy: Policy,
    threshold: float,
    seed: int,
) -> WindowJudgement:
    """Judge ``window`` (features, score, labels so far, event time) against ``reference``.

    Args:
        reference: the version's prepared reference.
        window: the window's rows; labels not yet known are null.
        tests: the drift test and threshold per column kind.
        policy: the thresholds that turn drift share and AUC drop into levels.
        threshold: the version's decision threshold, for precision and recall.
        seed: seeds the bootstrap and the reference's time matching (``window_seed``).

    Raises:
        ColumnMappingError: the window lacks a feature of the reference's mapping.
    """
    mapping = reference.mapping
    mapping.validate(window, "window")
    time = mapping.timestamp
    timed = time is not None and time in window
    compared = reference.frame
    volume = None
    if timed:
        compared = matched_reference(reference.frame, window[time], time, seed)
        volume = volume_profile(
            window[time], reference.frame[time], reference_share=reference.traffic_share
        )
    drift = compute_drift(compared, window, mapping, tests)
    labels = judge_labels(reference, window, threshold=threshold, policy=policy, seed=seed)
    return WindowJudgement(drift, volume, drift_severity(drift.drift_share, policy), labels)
