"""Bootstrap ROC AUC, vectorised: thousands of resamples of a holdout in well under a second.

A resample is a vector of row counts, so the AUC of every resample follows from one sort of the
scores: the weighted Mann-Whitney statistic, exact (ties count one half), equal to
``roc_auc_score`` on the rows the counts describe. Resampling is stratified by class: with rare
fraud, plain resampling sometimes draws almost no positives and inflates the interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_CELLS_PER_CHUNK = 4_000_000
"""Resamples are processed in chunks of at most this many (resample, row) cells (32 MB)."""


def weighted_aucs(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``scores`` under each row of ``weights`` (shape resamples x rows)."""
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    sorted_weights = weights[:, order]
    positive = labels[order] == 1
    pos = np.add.reduceat(np.where(positive, sorted_weights, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(positive, 0.0, sorted_weights), starts, axis=1)
    negatives_below = np.cumsum(neg, axis=1) - neg
    wins = (pos * (negatives_below + 0.5 * neg)).sum(axis=1)
    return wins / (pos.sum(axis=1) * neg.sum(axis=1))


def bootstrap_aucs(
    labels: np.ndarray, score_sets: Sequence[np.ndarray], *, n_boot: int, seed: int
) -> np.ndarray:
    """AUC of each score set on the same ``n_boot`` stratified resamples (paired).

    Args:
        labels: 0/1 labels, both classes present.
        score_sets: One score vector per model, aligned with ``labels``.
        n_boot: Number of resamples.
        seed: Seeds the resampling; equal inputs give equal outputs.

    Returns:
        Array of shape (len(score_sets), n_boot).
    """
    labels = np.asarray(labels, dtype=np.int64)
    positives = np.flatnonzero(labels == 1)
    negatives = np.flatnonzero(labels == 0)
    if positives.size == 0 or negatives.size == 0:
        raise ValueError("bootstrap AUC needs both classes in the labels")
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // labels.size)
    results = np.empty((len(score_sets), n_boot))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        weights = np.zeros((size, labels.size))
        weights[:, positives] = rng.multinomial(
            positives.size, np.full(positives.size, 1 / positives.size), size=size
        )
        weights[:, negatives] = rng.multinomial(
            negatives.size, np.full(negatives.size, 1 / negatives.size), size=size
        )
        for i, scores in enumerate(score_sets):
            results[i, start : start + size] = weighted_aucs(
                labels, np.asarray(scores, dtype=np.float64), weights
            )
    return results
