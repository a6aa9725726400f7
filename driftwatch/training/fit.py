"""Fit a fraud model and judge it on a holdout, without MLflow: the model-only half of training.

Benchmarks and tests of the model call this directly; ``train_and_register`` adds the registry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from driftwatch.contracts.features import SCORE
from driftwatch.training.data import check_labeled, labels_of, split_holdout
from driftwatch.training.evaluate import Metrics, choose_threshold, compute_metrics
from driftwatch.training.pipeline import (
    FraudModel,
    build_pipeline,
    fraud_class_weight,
    openmp_threads,
)


@dataclass(frozen=True)
class Fitted:
    """A model fitted on ``train`` and scored on ``holdout``, before anything is logged.

    Attributes:
        model: The pipeline and the threshold chosen on the holdout.
        metrics: Holdout metrics at that threshold.
        train: The rows the model was fitted on.
        holdout: The rows it was judged on, with a ``fraud_probability`` column added.
        fit_seconds: Wall time of the fit alone.
    """

    model: FraudModel
    metrics: Metrics
    train: pd.DataFrame
    holdout: pd.DataFrame
    fit_seconds: float


def fit_and_evaluate(
    frame: pd.DataFrame,
    *,
    seed: int = 0,
    holdout_fraction: float = 0.25,
    holdout: pd.DataFrame | None = None,
    threads: int | None = 1,
) -> Fitted:
    """Fit on ``frame`` and evaluate on a stratified holdout of it, or on ``holdout`` if given.

    A retrain passes the recent labeled window as ``holdout`` so the threshold and metrics
    describe the traffic the model will meet, not the past it learned from. ``threads`` caps the
    booster's OpenMP threads for the fit (None: every core); the result does not depend on it.
    One is the default because DriftWatch shares its host (serving, monitor, agents): on two
    busy cores, OpenMP threads spin waiting for each other and a 50k-row fit takes 2-3x longer.

    Raises:
        TrainingDataError: a frame lacks features or the label, or has too few rows of a class.
    """
    check_labeled(frame)
    if holdout is None:
        train, holdout = split_holdout(frame, holdout_fraction, seed)
    else:
        check_labeled(holdout)
        train = frame
    labels = labels_of(train)
    pipeline = build_pipeline(seed, class_weight=fraud_class_weight(labels))
    started = time.perf_counter()
    with openmp_threads(threads):
        pipeline.fit(train, labels)
    fit_seconds = time.perf_counter() - started
    scores = FraudModel(pipeline, threshold=0.5).predict_proba(holdout)
    holdout_labels = labels_of(holdout).to_numpy()
    threshold = choose_threshold(holdout_labels, scores)
    return Fitted(
        model=FraudModel(pipeline, threshold),
        metrics=compute_metrics(holdout_labels, scores, threshold),
        train=train,
        holdout=holdout.assign(**{SCORE: scores}),
        fit_seconds=fit_seconds,
    )
