"""Window performance: exact bootstrap AUC, a seeded bound, and when a drop counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from driftwatch.contracts.policy import LevelThresholds
from driftwatch.monitor.performance import reference_performance, window_performance

LEVELS = LevelThresholds(low=0.01, medium=0.03, high=0.08)


def scored(n: int, separation: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rounded scores (so ties occur) of ``n`` rows, 5 % positives shifted by ``separation``."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.05
    scores = np.round(1 / (1 + np.exp(-rng.normal(labels * separation, 1.0))), 2)
    return scores, labels


def test_the_auc_is_exact_with_ties() -> None:
    scores, labels = scored(3000, 1.5, seed=1)
    assert reference_performance(scores, labels).auc == pytest.approx(roc_auc_score(labels, scores))


def test_the_bound_is_seeded() -> None:
    reference = reference_performance(*scored(5000, 2.0, seed=3))
    window = scored(2000, 1.5, seed=2)

    def bound(seed: int) -> float | None:
        return window_performance(
            *window, threshold=0.5, reference=reference, levels=LEVELS, seed=seed
        ).auc_drop_lower

    assert bound(7) == bound(7)
    assert bound(7) != bound(8)


def test_a_window_like_the_reference_is_not_degraded() -> None:
    reference = reference_performance(*scored(5000, 2.0, seed=3))
    summary = window_performance(
        *scored(2000, 2.0, seed=4), threshold=0.5, reference=reference, levels=LEVELS, seed=1
    )
    assert summary.auc is not None
    assert summary.auc_drop_lower is not None
    assert summary.auc_ci_low <= summary.auc <= summary.auc_ci_high
    assert summary.auc_drop_lower < LEVELS.low
    assert not summary.degraded


def test_a_weaker_model_is_degraded_with_a_positive_bound() -> None:
    reference = reference_performance(*scored(5000, 2.0, seed=3))
    summary = window_performance(
        *scored(4000, 0.5, seed=5), threshold=0.5, reference=reference, levels=LEVELS, seed=1
    )
    assert summary.auc_drop is not None
    assert summary.auc_drop > 0.15
    assert summary.auc_drop_lower is not None
    assert 0.08 < summary.auc_drop_lower < summary.auc_drop
    assert summary.degraded


def test_one_class_of_labels_has_no_auc_but_precision_and_recall() -> None:
    reference = reference_performance(*scored(5000, 2.0, seed=3))
    scores = np.array([0.9, 0.2, 0.7])
    summary = window_performance(
        scores, np.zeros(3, bool), threshold=0.5, reference=reference, levels=LEVELS, seed=1
    )
    assert summary.auc is None
    assert summary.average_precision is None
    assert summary.auc_drop_lower is None
    assert not summary.degraded
    assert (summary.precision, summary.recall) == (0.0, 0.0)


def test_precision_and_recall_use_the_threshold() -> None:
    reference = reference_performance(*scored(5000, 2.0, seed=3))
    scores = np.array([0.9, 0.8, 0.6, 0.4, 0.1])
    labels = np.array([True, False, True, True, False])
    summary = window_performance(
        scores, labels, threshold=0.7, reference=reference, levels=LEVELS, seed=1
    )
    assert summary.precision == pytest.approx(1 / 2)
    assert summary.recall == pytest.approx(1 / 3)


def test_a_reference_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        reference_performance(np.array([0.1, 0.2]), np.array([False, False]))
