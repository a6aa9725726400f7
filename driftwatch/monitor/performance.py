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
grows with the number of positives, not rows.
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
_CHUNK = 250  # resamples per batch: bounds memory at draws x bins


@dataclass(frozen=True, slots=True)
class ReferencePerformance:
    """The reference's AUC and AP and its bootstrap AUC draws, computed once per version."""

    auc: float
    average_precision: float
    auc_draws: np.ndarray


@dataclass(frozen=True, slots=True)
class _AucBins:
    """Counts that determine the AUC: positives per distinct score, negatives between them."""

    positives: np.ndarray  # positives at each distinct positive score, ascending
    negatives: np.ndarray  # interleaved: below score 1, at score 1, ..., at score k, above k

    @classmethod
    def of(cls, scores: np.ndarray, labels: np.ndarray) -> _AucBins:
        distinct, positives = np.unique(scores[labels], return_counts=True)
        negatives = np.sort(scores[~labels])
        at_or_below = np.searchsorted(negatives, distinct, "right")
        below = np.searchsorted(negatives, distinct, "left")
        interleaved = np.empty(2 * len(distinct) + 1, dtype=np.int64)
        interleaved[0:-1:2] = below - np.concatenate(([0], at_or_below[:-1]))
        interleaved[1::2] = at_or_below - below
        interleaved[-1] = len(negatives) - (at_or_below[-1] if len(distinct) else 0)
        return cls(positives, interleaved)

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
    bins = _AucBins.of(scores, labels)
    draws = bins.draws(n_boot, np.random.default_rng(seed))
    return ReferencePerformance(
        auc=float(bins.auc(bins.positives, bins.negatives)),
        average_precision=float(average_precision_score(labels, scores)),
        auc_draws=draws,
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
    bins = _AucBins.of(scores, labels)
    auc = float(bins.auc(bins.positives, bins.negatives))
    draws = bins.draws(len(reference.auc_draws), np.random.default_rng(seed))
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
