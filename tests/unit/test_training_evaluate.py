"""Evaluation code: metric definitions, threshold choice and the vectorised paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from driftwatch.training.bootstrap import bootstrap_aucs, weighted_aucs
from driftwatch.training.evaluate import choose_threshold, compute_metrics, recall_at_fpr


def test_weighted_auc_equals_sklearn_on_the_resampled_rows() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random(400) < 0.1).astype(np.int64)
    scores = np.round(rng.random(400) + labels * 0.3, 2)  # rounding makes ties
    counts = rng.multinomial(400, np.full(400, 1 / 400), size=5).astype(np.float64)
    expected = [
        roc_auc_score(np.repeat(labels, row.astype(int)), np.repeat(scores, row.astype(int)))
        for row in counts
    ]
    np.testing.assert_allclose(weighted_aucs(labels, scores, counts), expected, rtol=1e-12)


def test_bootstrap_is_paired_seeded_and_stratified() -> None:
    rng = np.random.default_rng(1)
    labels = (rng.random(2000) < 0.02).astype(np.int64)
    scores = rng.random(2000) + labels * 0.5
    first = bootstrap_aucs(labels, [scores, scores], n_boot=300, seed=7)
    second = bootstrap_aucs(labels, [scores, scores], n_boot=300, seed=7)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[1])  # same resamples for both models
    assert np.isfinite(first).all()  # stratified: every resample holds both classes
    with pytest.raises(ValueError, match="both classes"):
        bootstrap_aucs(np.zeros(10), [scores[:10]], n_boot=5, seed=0)


def test_threshold_maximises_f1_and_metrics_read_at_it() -> None:
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 0, 1])
    scores = np.array([0.1, 0.2, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    threshold = choose_threshold(labels, scores)
    assert threshold == pytest.approx(0.6)  # 3 of 4 called fraud are fraud, all fraud caught
    metrics = compute_metrics(labels, scores, threshold)
    assert metrics.precision == pytest.approx(0.75)
    assert metrics.recall == pytest.approx(1.0)
    assert (metrics.rows, metrics.positives) == (10, 3)
    assert metrics.brier == pytest.approx(np.mean((scores - labels) ** 2))


def test_recall_at_one_percent_fpr_counts_only_what_fits_under_the_budget() -> None:
    negatives = np.linspace(0, 0.9, 200)  # 200 negatives: 1 % FPR allows two above threshold
    positives = np.array([0.95, 0.92, 0.85, 0.5])
    labels = np.r_[np.zeros(200), np.ones(4)]
    scores = np.r_[negatives, positives]
    # Above 0.9 (the top negative) two positives; 0.85 would admit 0.855..0.9 negatives (> 2).
    assert recall_at_fpr(labels, scores) == pytest.approx(0.5)
