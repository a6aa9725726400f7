"""Behaviour of the trained fraud model, in memory: gates, drift, direction, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, SCORE
from driftwatch.contracts.policy import QualityGates
from driftwatch.generator import generate
from driftwatch.training import Fitted, compare_models, evaluate_model, fit_and_evaluate
from tests.fixtures.registry import passes_gates


@pytest.fixture(scope="module")
def baseline_fit(baseline_frame: pd.DataFrame) -> Fitted:
    return fit_and_evaluate(baseline_frame, seed=0)


def test_baseline_passes_the_default_gates(
    baseline_fit: Fitted, default_gates: QualityGates
) -> None:
    metrics = baseline_fit.metrics
    assert passes_gates(metrics, default_gates), metrics
    assert metrics.rows == len(baseline_fit.holdout) == 5000
    assert 0 < metrics.threshold < 1
    assert metrics.brier < 0.05  # square-root class weights keep scores near calibrated


def test_concept_drift_fails_the_default_gates(
    baseline_fit: Fitted, default_gates: QualityGates
) -> None:
    # Rows 8000+ of the scenario are past its ramp: fraud has moved to the night.
    drifted = generate("concept_drift", rows=12_000, seed=2).frame.iloc[8000:]
    metrics = evaluate_model(baseline_fit.model, drifted)
    assert not passes_gates(metrics, default_gates), metrics
    assert metrics.average_precision < baseline_fit.metrics.average_precision / 2


def test_same_seed_same_scores_whatever_the_thread_count(baseline_frame: pd.DataFrame) -> None:
    frame = baseline_frame.iloc[:5000]
    one = fit_and_evaluate(frame, seed=5, threads=1)
    two = fit_and_evaluate(frame, seed=5, threads=2)
    np.testing.assert_array_equal(one.holdout[SCORE], two.holdout[SCORE])
    assert one.metrics == two.metrics


def test_higher_merchant_risk_never_lowers_the_score_much(baseline_fit: Fitted) -> None:
    holdout = baseline_fit.holdout
    riskier = holdout.assign(merchant_risk_score=(holdout.merchant_risk_score + 0.2).clip(upper=1))
    change = baseline_fit.model.predict_proba(riskier) - baseline_fit.model.predict_proba(holdout)
    assert change.mean() > 0.01
    assert (change < -0.05).mean() <= 0.01


def test_unknown_categories_and_extra_columns_are_scored(baseline_fit: Fitted) -> None:
    rows = baseline_fit.holdout.head(200)
    features_only = rows[list(reversed(FEATURE_NAMES))]
    np.testing.assert_array_equal(
        baseline_fit.model.predict_proba(rows), baseline_fit.model.predict_proba(features_only)
    )
    novel = rows.assign(merchant_category="crypto_atm", channel="smart_watch")
    scores = baseline_fit.model.predict_proba(novel)
    assert np.isfinite(scores).all()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_given_holdout_is_the_one_scored(baseline_frame: pd.DataFrame) -> None:
    train, holdout = baseline_frame.iloc[:8000], baseline_frame.iloc[8000:12_000]
    fitted = fit_and_evaluate(train, holdout=holdout)
    assert fitted.holdout.index.equals(holdout.index)
    assert len(fitted.train) == len(train)
    assert fitted.metrics.positives == int(holdout[LABEL].sum())


def test_paired_bootstrap_sees_a_worse_challenger(
    baseline_fit: Fitted, baseline_frame: pd.DataFrame
) -> None:
    shuffled = baseline_frame.assign(
        **{LABEL: np.random.default_rng(0).permutation(baseline_frame[LABEL].to_numpy())}
    )
    noise = fit_and_evaluate(shuffled, seed=0)
    holdout = baseline_fit.holdout
    worse = compare_models(baseline_fit.model, noise.model, holdout, n_boot=500, seed=0)
    assert worse.high < 0
    assert worse.low <= worse.auc_diff <= worse.high
    same = compare_models(baseline_fit.model, baseline_fit.model, holdout, n_boot=100, seed=0)
    assert (same.auc_diff, same.low, same.high) == (0.0, 0.0, 0.0)
