"""Label-based performance of a window and a seeded bootstrap interval of its AUC drop.

The drop is judged on the lower bound of a two-sided 99 % interval of ``reference AUC - window
AUC``, from independent stratified bootstraps of the reference (the version's holdout) and the
window, so both samples' noise is in the bound. A window is ``degraded`` only when that bound
reaches the policy's smallest performance threshold: a one-sided 0.5 % test (half of a window's
1 % false-alarm budget; the features share the other half, see ``drift``) plus a minimum effect
size. At 95 % the bound alone flagged 0.6 % of stable windows; at 99 %, none of 1000.

The bootstrap never re-sorts: AUC only depends on how many negatives score below each positive,
so positives are resampled over their distinct scores and negatives over the intervals between
those scores (two multinomials per draw). That is the exact stratified bootstrap at a cost that
grows with the number of positives, not rows, and is capped by ``MAX_LEVELS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score

from driftwatch.contracts.events import PerformanceSummary
from driftwatch.contracts.policy import LevelThresholds

CONFIDENCE = 0.99
N_BOOTSTRAP = 2000  # the 0.5 % tail then holds ten draws
REFERENCE_SEED = 20_240_601
MAX_LEVELS = 500
"""Positive score levels the bootstrap resamples over. Past that (windows of ~20k+ rows) runs of
adjacent scores are merged: the interval moves by ~1e-4 AUC, the cost stops growing with rows."""
_CHUNK = 250  # resamples per batch: bounds memory at draws x bins


@dataclass(frozen=True, slots=True)
class ReferencePerformance:
    """The reference's AUC and AP and its bootstrap AUC draws, computed once per version."""

    auc: float
    average_precision: float
    auc_draws: np.ndarray


@dataclass(frozen=True, slots=True)
class _AucBins:
    """Counts that determine the AUC: positives per score level, negatives around the levels.

    A level is one distinct positive score, or, past ``max_levels`` of them, a run of adjacent
    ones: negatives inside a run's range then count one half against its positives, like a tie.
    """

    positives: np.ndarray  # positives at each level, ascending
    negatives: np.ndarray  # interleaved: below level 1, within level 1, ..., within k, above k

    @classmethod
    def of(cls, scores: np.ndarray, labels: np.ndarray, max_levels: int | None = None) -> _AucBins:
        distinct, counts = np.unique(scores[labels], return_counts=True)
        levels = min(len(distinct), max_levels or len(distinct))
        starts = np.arange(levels) * len(distinct) // levels  # first distinct score of each run
        ends = np.append(starts[1:], len(distinct)) - 1
        negatives = np.sort(scores[~labels])
        at_or_below = np.searchsorted(negatives, distinct[ends], "right")
        below = np.searchsorted(negatives, distinct[starts], "left")
        interleaved = np.empty(2 * levels + 1, dtype=np.int64)
        interleaved[0:-1:2] = below - np.concatenate(([0], at_or_below[:-1]))
        interleaved[1::2] = at_or_below - below
        interleaved[-1] = len(negatives) - at_or_below[-1]
        return cls(np.add.reduceat(counts, starts), interleaved)

    def auc(self, positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
        """AUC for (stacks of) resampled counts; ties count one half, as in roc_auc_score."""
        below = np.cumsum(negatives, axis=-1)[..., 0:-1:2]
        credit = below + 0.5 * negatives[..., 1::2]
        pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
        return (positives * credit).sum(axis=-1) / pairs

    def draws(self, n_boot: int, rng: np.random.Generator) -> np.ndarray:
        """AUC of ``n_boot`` stratified bootstrap resamples."""
        n_pos, n_neg = int(self.positives.sum()), int(self.negatives.sum())
        p_pos, p_neg = self.positives / n_pos, self.negatives / n_neg
        out = [
            self.auc(rng.multinomial(n_pos, p_pos, size=size), rng.multinomial(n_neg, p_neg, size))
            for size in _chunks(n_boot)
        ]
        return np.concatenate(out)


def _chunks(total: int) -> list[int]:
    return [min(_CHUNK, total - start) for start in range(0, total, _CHUNK)]


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The exact ROC AUC (every distinct score its own level)."""
    bins = _AucBins.of(scores, labels)
    return float(bins.auc(bins.positives, bins.negatives))


def _draws(scores: np.ndarray, labels: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    return _AucBins.of(scores, labels, MAX_LEVELS).draws(n_boot, np.random.default_rng(seed))


def _both_classes(labels: np.ndarray) -> bool:
    return bool(labels.any() and not labels.all())


def reference_performance(
    scores: np.ndarray, labels: np.ndarray, *, n_boot: int = N_BOOTSTRAP, seed: int = REFERENCE_SEED
) -> ReferencePerformance:
    """Point estimates and bootstrap draws of the reference; it must hold both classes.

    Raises:
        ValueError: when the reference labels hold a single class (no AUC to compare with).
    """
    labels = np.asarray(labels, dtype=bool)
    if not _both_classes(labels):
        raise ValueError("the reference needs both classes to give an AUC")
    scores = np.asarray(scores, dtype=float)
    return ReferencePerformance(
        auc=_auc(scores, labels),
        average_precision=float(average_precision_score(labels, scores)),
        auc_draws=_draws(scores, labels, n_boot, seed),
    )


def window_performance(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    threshold: float,
    reference: ReferencePerformance,
    levels: LevelThresholds,
    seed: int,
) -> PerformanceSummary:
    """Performance of the labeled rows of a window against the reference.

    Args:
        scores: model scores of the labeled rows.
        labels: their labels (truthy = positive class).
        threshold: the model version's decision threshold, for precision and recall.
        reference: the version's reference performance.
        levels: the policy's performance thresholds; ``degraded`` means the bound reached ``low``.
        seed: seeds the bootstrap (as many draws as the reference's), so a redone window gives
            the same bound.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=bool)
    flagged = scores >= threshold
    true_positives = int((flagged & labels).sum())
    precision = true_positives / int(flagged.sum()) if flagged.any() else 0.0
    recall = true_positives / int(labels.sum()) if labels.any() else 0.0
    common = {
        "precision": precision,
        "recall": recall,
        "reference_auc": reference.auc,
        "reference_average_precision": reference.average_precision,
    }
    if not _both_classes(labels):
        ap = float(average_precision_score(labels, scores)) if labels.any() else None
        return PerformanceSummary(
            auc=None,
            average_precision=ap,
            auc_drop=None,
            auc_drop_lower=None,
            degraded=False,
            **common,
        )
    auc = _auc(scores, labels)
    draws = _draws(scores, labels, len(reference.auc_draws), seed)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    drop_lower = float(np.quantile(reference.auc_draws - draws, tail))
    return PerformanceSummary(
        auc=auc,
        auc_ci_low=float(low),
        auc_ci_high=float(high),
        average_precision=float(average_precision_score(labels, scores)),
        auc_drop=reference.auc - auc,
        auc_drop_lower=drop_lower,
        degraded=drop_lower >= levels.low,
        **common,
    )
