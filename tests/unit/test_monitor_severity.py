"""Severity levels compare with ``>=`` against the policy; performance needs a bound."""

from __future__ import annotations

import pytest

from driftwatch.contracts.events import PerformanceSummary
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.monitor.severity import drift_severity, performance_severity

POLICY = load_shipped_policy().policy  # drift 0.1 / 0.3 / 0.5, AUC drop 0.01 / 0.03 / 0.08


def performance(lower: float | None) -> PerformanceSummary:
    return PerformanceSummary(
        auc=None if lower is None else 0.8,
        average_precision=0.3,
        precision=0.5,
        recall=0.5,
        reference_auc=0.9,
        reference_average_precision=0.4,
        auc_drop=None if lower is None else 0.1,
        auc_drop_lower=lower,
        degraded=lower is not None and lower >= 0.01,
    )


@pytest.mark.parametrize(
    ("share", "level"),
    [(0.0, "none"), (0.09, "none"), (0.1, "low"), (0.3, "medium"), (0.49, "medium"), (0.5, "high")],
)
def test_drift_share_levels(share: float, level: str) -> None:
    assert drift_severity(share, POLICY) == level


@pytest.mark.parametrize(
    ("lower", "level"),
    [
        (None, "none"),
        (-0.05, "none"),
        (0.0099, "none"),
        (0.01, "low"),
        (0.03, "medium"),
        (0.08, "high"),
    ],
)
def test_performance_levels_use_the_lower_bound(lower: float | None, level: str) -> None:
    assert performance_severity(performance(lower), POLICY) == level


def test_no_labels_no_performance_level() -> None:
    assert performance_severity(None, POLICY) == "none"
