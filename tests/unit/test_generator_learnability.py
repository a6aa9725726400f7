"""Behaviour of a model trained on the generator's data: learnable, and broken by concept drift."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from threadpoolctl import threadpool_limits

from driftwatch.contracts.features import CATEGORICAL_FEATURES, FEATURE_NAMES, LABEL
from driftwatch.generator import generate
from tests.fixtures.data import drifted_columns


@pytest.fixture(scope="module", autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """OpenMP threads fighting other processes on a shared box make a 1 s fit take 30 s."""
    with threadpool_limits(limits=1):
        yield


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    features = frame[list(FEATURE_NAMES)].copy()
    for column in ("merchant_category", "channel"):
        features[column] = features[column].astype("category")
    return features


@pytest.fixture(scope="module")
def model(baseline_frame: pd.DataFrame) -> HistGradientBoostingClassifier:
    """A small gradient-boosted model on the shared 20k-row baseline."""
    classifier = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=150, learning_rate=0.05, random_state=0
    )
    return classifier.fit(_features(baseline_frame), baseline_frame[LABEL])


def _scores(model: HistGradientBoostingClassifier, frame: pd.DataFrame) -> tuple[float, float]:
    scores = model.predict_proba(_features(frame))[:, 1]
    return roc_auc_score(frame[LABEL], scores), average_precision_score(frame[LABEL], scores)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return generate("baseline", 40_000, 2).frame


def test_baseline_is_learnable_and_passes_the_default_gates(
    model: HistGradientBoostingClassifier, holdout: pd.DataFrame
) -> None:
    auc, ap = _scores(model, holdout)
    assert auc >= 0.88
    assert ap >= 0.25


def test_concept_drift_breaks_the_ranking_while_marginals_pass(
    model: HistGradientBoostingClassifier, holdout: pd.DataFrame
) -> None:
    drifted = generate("concept_drift", 40_000, 3).frame
    full_strength = drifted.iloc[drifted.index >= 8_000]
    baseline_auc, _ = _scores(model, holdout.iloc[8_000:])
    drifted_auc, _ = _scores(model, full_strength)
    assert baseline_auc - drifted_auc >= 0.08
    assert drifted_columns(holdout, drifted, 0.01) == []


def test_a_model_retrained_after_concept_drift_passes_the_gates_again() -> None:
    recent = generate("concept_drift", 40_000, 4).frame.iloc[8_000:]
    train, test = recent.iloc[:20_000], recent.iloc[20_000:]
    classifier = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=150, learning_rate=0.05, random_state=0
    ).fit(_features(train), train[LABEL])
    auc, ap = _scores(classifier, test)
    assert auc >= 0.82
    assert ap >= 0.20


def test_higher_merchant_risk_never_lowers_the_fraud_score_much(
    model: HistGradientBoostingClassifier, holdout: pd.DataFrame
) -> None:
    sample = holdout.iloc[:2_000]
    riskier = sample.assign(merchant_risk_score=(sample["merchant_risk_score"] + 0.3).clip(0, 1))
    before = model.predict_proba(_features(sample))[:, 1]
    after = model.predict_proba(_features(riskier))[:, 1]
    assert (after >= before - 0.02).mean() > 0.97
    assert after.mean() > 1.5 * before.mean()


def test_every_categorical_column_is_listed_in_the_contract() -> None:
    assert set(CATEGORICAL_FEATURES) == {"is_international", "merchant_category", "channel"}
