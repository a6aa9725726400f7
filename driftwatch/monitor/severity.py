"""The two levels a window's severity is the max of: what drifted, how much performance dropped.

Both levels compare with ``>=`` against the policy's thresholds (``LevelThresholds.level``), so the
policy file alone decides what ``low`` means; nothing here holds a number of its own.
"""

from __future__ import annotations

from driftwatch.contracts.events import PerformanceSummary
from driftwatch.contracts.policy import Policy
from driftwatch.contracts.vocabulary import Severity


def drift_severity(drift_share: float, policy: Policy) -> Severity:
    """Level of the share of the model's features that drifted."""
    return policy.severity_thresholds.level(drift_share)


def performance_severity(performance: PerformanceSummary | None, policy: Policy) -> Severity:
    """Level of the AUC drop's lower confidence bound; ``none`` without an AUC to compare."""
    if performance is None or performance.auc_drop_lower is None:
        return "none"
    return policy.performance_thresholds.level(performance.auc_drop_lower)
