"""The naive baseline a user would otherwise script, on the same windows as DriftWatch.

Evidently's ``DataDriftPreset`` with every default (the test and threshold Evidently picks for
the column type and size, dataset drift when at least half the features drifted) compares each
window with the serving model's reference. A flagged window is retrained on as soon as its labels
arrive, with the same recipe as the Release agent (half of the window's labeled rows plus the
serving model's reference to fit, the other half held out), and the candidate is promoted when
its holdout AUC reaches 0.82: no regression check against production, no cooldown, no incident
state. The features are typed explicitly for Evidently (as DriftWatch does), so only the decision
logic differs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from decision_runs import ServedWindow, SystemRun
from decision_scoring import WindowVerdict
from decision_world import LABEL_DELAY, Timeline

from driftwatch.contracts.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    LABEL,
    NUMERICAL_FEATURES,
    SCORE,
)
from driftwatch.training import Fitted, FraudModel, TrainingDataError, fit_and_evaluate
from driftwatch.training.data import split_holdout

SYSTEM = "naive"
DATASET_DRIFT_SHARE = 0.5
"""Evidently's default: the data set drifted when this share of its columns did."""
MIN_AUC = 0.82
"""The baseline's only gate: the candidate's holdout AUC."""
HOLDOUT_FRACTION = 0.5
"""As the Release agent's retrain: half of the window's labeled rows are held out."""


def dataset_drift(reference: pd.DataFrame, window: pd.DataFrame) -> bool:
    """Evidently's default dataset-drift flag of ``window`` against ``reference``."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=list(NUMERICAL_FEATURES), categorical_columns=list(CATEGORICAL_FEATURES)
    )
    columns = list(FEATURE_NAMES)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # Evidently's plots warn about time zones, not verdicts
        snapshot = Report([DataDriftPreset(drift_share=DATASET_DRIFT_SHARE)]).run(
            Dataset.from_pandas(window[columns], data_definition=definition),
            Dataset.from_pandas(reference[columns], data_definition=definition),
        )
    (count,) = [
        metric["value"]
        for metric in snapshot.dict()["metrics"]
        if metric["config"]["type"].endswith("DriftedColumnsCount")
    ]
    return float(count["share"]) >= DATASET_DRIFT_SHARE


def run_naive(
    timeline: Timeline, model: FraudModel, reference: pd.DataFrame, seed: int
) -> SystemRun:
    """Run the baseline over ``timeline``, starting from the same ``model`` and ``reference`` as
    DriftWatch's initial production version, with the same label delay."""
    key = "initial"
    run = SystemRun(system=SYSTEM, initial_model=key, models={key: model})
    flagged: dict[int, bool] = {}
    for step in range(timeline.windows + LABEL_DELAY):
        if step < timeline.windows:
            window = timeline.window(step)
            run.served.append(
                ServedWindow(step, key, window.assign(**{SCORE: model.predict_proba(window)}))
            )
            flagged[step] = dataset_drift(reference, window)
            if flagged[step]:
                run.detection_steps.append(step)
            run.verdicts.append(
                WindowVerdict(
                    index=step,
                    strength=float(timeline.strengths[step]),
                    flagged=flagged[step],
                    initial_model=key == run.initial_model,
                )
            )
        labeled = step - LABEL_DELAY
        if labeled < 0 or not flagged[labeled]:
            continue
        run.incidents.append("dataset drift -> retrain")
        candidate = _retrain(timeline.window(labeled), reference, seed + labeled)
        if candidate is None or candidate[0].metrics.auc < MIN_AUC:
            run.releases.append("blocked")
            auc = "too few fraud rows" if candidate is None else f"{candidate[0].metrics.auc:.3f}"
            run.notes.append(f"window {step}: blocked: holdout AUC {auc} < {MIN_AUC}")
            continue
        fitted, holdout = candidate
        key = f"naive-{labeled}"
        model, reference = fitted.model, holdout
        run.models[key] = model
        run.releases.append("promoted")
        run.notes.append(f"window {step}: promoted: holdout AUC {fitted.metrics.auc:.3f}")
        run.promotions.append((step, f"window {labeled}"))
    return run


def _retrain(
    window: pd.DataFrame, reference: pd.DataFrame, seed: int
) -> tuple[Fitted, pd.DataFrame] | None:
    """Fit on half the window plus the reference; None when a class is too rare to judge."""
    columns = [*FEATURE_NAMES, LABEL]
    try:
        recent, holdout = split_holdout(window[columns], HOLDOUT_FRACTION, seed)
        train = pd.concat([recent, reference[columns]], ignore_index=True)
        return fit_and_evaluate(train, seed=seed, holdout=holdout, threads=1), holdout
    except TrainingDataError:
        return None
