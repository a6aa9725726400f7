"""How good a fraud model is on a labeled frame, and whether a challenger beats a champion.

The Release agent's gates read these numbers, so each one is defined once here: ROC AUC and
average precision rank the scores; precision and recall judge the decision threshold; recall at
1 % false-positive rate is what an analyst queue of fixed size catches; Brier scores calibration.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from driftwatch.training.bootstrap import bootstrap_aucs
from driftwatch.training.data import check_labeled, labels_of
from driftwatch.training.pipeline import FraudModel

MAX_FPR = 0.01
"""False-positive rate at which ``recall_at_1pct_fpr`` is read."""


@dataclass(frozen=True)
class Metrics:
    """A model's scores against labels; the names are the MLflow metric keys.

    Attributes:
        auc: ROC AUC.
        average_precision: Area under the precision-recall curve (step-wise).
        precision: Precision at ``threshold``.
        recall: Recall at ``threshold``.
        recall_at_1pct_fpr: Highest recall whose false-positive rate is at most 1 %.
        brier: Mean squared error of the probabilities (lower is better).
        threshold: The decision threshold the precision and recall were taken at.
        rows: Labeled rows evaluated.
        positives: Fraud rows among them.
    """

    auc: float
    average_precision: float
    precision: float
    recall: float
    recall_at_1pct_fpr: float
    brier: float
    threshold: float
    rows: int
    positives: int

    def as_dict(self) -> dict[str, float]:
        """Every metric by name, as floats (the form MLflow logs)."""
        return {name: float(value) for name, value in asdict(self).items()}


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold with the best F1 on these labels.

    F1 weighs missed fraud and false alarms equally; a team with a fixed review capacity would
    read ``recall_at_1pct_fpr`` instead, which is reported alongside.
    """
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    # The last (precision, recall) pair has no threshold: it is the "predict nothing" point.
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(
            precision[:-1] + recall[:-1] > 0,
            2 * precision[:-1] * recall[:-1] / (precision[:-1] + recall[:-1]),
            0.0,
        )
    return float(thresholds[int(np.argmax(f1))])


def recall_at_fpr(labels: np.ndarray, scores: np.ndarray, max_fpr: float = MAX_FPR) -> float:
    """The highest true-positive rate reachable at a false-positive rate of at most ``max_fpr``."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(tpr[fpr <= max_fpr].max())


def compute_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> Metrics:
    """All metrics of ``scores`` against 0/1 ``labels`` (both classes needed)."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = (scores >= threshold).astype(np.int64)
    return Metrics(
        auc=float(roc_auc_score(labels, scores)),
        average_precision=float(average_precision_score(labels, scores)),
        precision=float(precision_score(labels, predicted, zero_division=0)),
        recall=float(recall_score(labels, predicted, zero_division=0)),
        recall_at_1pct_fpr=recall_at_fpr(labels, scores),
        brier=float(brier_score_loss(labels, scores)),
        threshold=float(threshold),
        rows=int(labels.size),
        positives=int(labels.sum()),
    )


def evaluate_model(model: FraudModel, frame: pd.DataFrame) -> Metrics:
    """Metrics of ``model`` on the labeled ``frame``, at the model's own threshold.

    Raises:
        TrainingDataError: the frame lacks features or the label, or holds one class only.
    """
    check_labeled(frame, min_per_class=1)
    return compute_metrics(labels_of(frame).to_numpy(), model.predict_proba(frame), model.threshold)


@dataclass(frozen=True)
class Comparison:
    """Challenger minus champion ROC AUC on one holdout, with a paired bootstrap interval.

    Attributes:
        auc_diff: Challenger AUC minus champion AUC on the whole holdout.
        low: Lower bound of the interval of the difference.
        high: Upper bound of the interval of the difference.
        champion_auc: Champion AUC on the whole holdout.
        challenger_auc: Challenger AUC on the whole holdout.
        confidence: Coverage of [low, high], e.g. 0.95.
        n_boot: Resamples drawn.
    """

    auc_diff: float
    low: float
    high: float
    champion_auc: float
    challenger_auc: float
    confidence: float
    n_boot: int


def compare_models(
    champion: FraudModel,
    challenger: FraudModel,
    holdout: pd.DataFrame,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Comparison:
    """Paired bootstrap of the AUC difference of two models scored on the same rows.

    Pairing (both models scored on each resample) cancels the holdout's own sampling noise, so
    the interval is much narrower than comparing two independent intervals. A no-regression gate
    passes when ``-low`` is at most the allowed regression.

    Raises:
        TrainingDataError: the holdout lacks features or the label, or holds one class only.
    """
    check_labeled(holdout, min_per_class=1)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    labels = labels_of(holdout).to_numpy()
    champion_scores = champion.predict_proba(holdout)
    challenger_scores = challenger.predict_proba(holdout)
    champion_boot, challenger_boot = bootstrap_aucs(
        labels, [champion_scores, challenger_scores], n_boot=n_boot, seed=seed
    )
    tail = (1 - confidence) / 2
    low, high = np.quantile(challenger_boot - champion_boot, [tail, 1 - tail])
    champion_auc = float(roc_auc_score(labels, champion_scores))
    challenger_auc = float(roc_auc_score(labels, challenger_scores))
    return Comparison(
        auc_diff=challenger_auc - champion_auc,
        low=float(low),
        high=float(high),
        champion_auc=champion_auc,
        challenger_auc=challenger_auc,
        confidence=confidence,
        n_boot=n_boot,
    )
