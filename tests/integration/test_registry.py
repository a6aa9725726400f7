"""Train, register, promote, load and roll back against a real SQLite MLflow store in tmp."""

from __future__ import annotations

from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, SCORE, TIMESTAMP, TRANSACTION_ID
from driftwatch.contracts.policy import QualityGates
from driftwatch.generator import generate
from driftwatch.settings import Settings
from driftwatch.training import (
    PREVIOUS_PRODUCTION,
    PRODUCTION,
    STAGING,
    AliasMove,
    ModelNotFound,
    NoPreviousProduction,
    RegistryError,
    TrainResult,
    aliases,
    compare_models,
    evaluate_version,
    find_version_by_tag,
    list_versions,
    load_model,
    promote,
    reference_frame,
    rollback,
    train_and_register,
)
from driftwatch.training.store import fluent_tracking
from tests.fixtures.registry import passes_gates

pytestmark = pytest.mark.integration


def test_production_alias_serves_the_model_that_was_trained(
    settings: Settings, trained_model: TrainResult, baseline_frame: pd.DataFrame
) -> None:
    promote(settings, trained_model.version, PRODUCTION)
    rows = baseline_frame.head(500)
    expected = trained_model.model.predict_proba(rows)
    with fluent_tracking(settings):
        by_uri = mlflow.sklearn.load_model(f"models:/{settings.model_name}@production")
    np.testing.assert_array_equal(by_uri.predict_proba(rows[list(FEATURE_NAMES)])[:, 1], expected)
    loaded = load_model(settings)
    np.testing.assert_array_equal(loaded.predict_proba(rows), expected)
    assert loaded.version == trained_model.version
    assert loaded.threshold == trained_model.threshold
    assert loaded.metrics["auc"] == pytest.approx(trained_model.metrics.auc)


def test_version_carries_the_design_tags_and_its_reference(
    settings: Settings, trained_model: TrainResult
) -> None:
    (info,) = list_versions(settings)
    assert info.tags == {
        "driftwatch.reference_uri": trained_model.reference_uri,
        "driftwatch.training_data_uri": "",
        "driftwatch.threshold": repr(trained_model.threshold),
        "driftwatch.plan_id": "",
        "driftwatch.policy_version": "",
        "driftwatch.git_sha": info.tags["driftwatch.git_sha"],
    }
    assert info.metrics["average_precision"] == trained_model.metrics.average_precision
    reference = reference_frame(settings, trained_model.version)
    assert list(reference.columns) == [TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES, SCORE, LABEL]
    assert len(reference) == trained_model.holdout_rows
    np.testing.assert_allclose(reference[SCORE], trained_model.model.predict_proba(reference))


def test_artifacts_stay_under_home_and_the_process_uri_is_untouched(
    mlflow_store: Settings,
    baseline_frame: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    was_set = mlflow.tracking.is_tracking_uri_set()
    train_and_register(baseline_frame.iloc[:6000], mlflow_store)
    load_model(mlflow_store, "1")
    assert mlflow.tracking.is_tracking_uri_set() == was_set
    assert not (tmp_path / "mlruns").exists()
    assert not (tmp_path / "mlflow.db").exists()
    assert any(mlflow_store.artifacts_dir.rglob("MLmodel"))


def test_promote_keeps_previous_production_and_rollback_moves_it_back(
    settings: Settings, trained_model: TrainResult, baseline_frame: pd.DataFrame
) -> None:
    second = train_and_register(baseline_frame, settings, seed=1)
    first_move = promote(settings, trained_model.version, PRODUCTION)
    assert first_move == AliasMove(PRODUCTION, "1", previous=None, changed=True)
    assert promote(settings, second.version, PRODUCTION) == AliasMove(
        PRODUCTION, "2", previous="1", changed=True
    )
    assert aliases(settings) == {PRODUCTION: "2", PREVIOUS_PRODUCTION: "1"}
    assert promote(settings, "2", PRODUCTION).changed is False  # redelivery is a no-op
    promote(settings, "2", STAGING)
    assert [(v.version, v.aliases) for v in list_versions(settings)] == [
        ("1", [PREVIOUS_PRODUCTION]),
        ("2", [PRODUCTION, STAGING]),
    ]

    assert rollback(settings) == AliasMove(PRODUCTION, "1", previous="2", changed=True)
    assert aliases(settings) == {PRODUCTION: "1", STAGING: "2"}
    assert load_model(settings).version == "1"
    with pytest.raises(NoPreviousProduction, match="no previous-production"):
        rollback(settings)


def test_a_fresh_start_leaves_nothing_to_roll_back_to(
    settings: Settings, trained_model: TrainResult, baseline_frame: pd.DataFrame
) -> None:
    second = train_and_register(baseline_frame, settings, seed=1)
    promote(settings, trained_model.version, PRODUCTION)
    promote(settings, second.version, PRODUCTION)  # previous-production: 1

    move = promote(settings, trained_model.version, PRODUCTION, fresh_start=True)

    assert move == AliasMove(PRODUCTION, "1", previous=None, changed=True)
    assert aliases(settings) == {PRODUCTION: "1"}
    with pytest.raises(NoPreviousProduction):
        rollback(settings)


def test_missing_models_versions_and_aliases_raise_clear_errors(mlflow_store: Settings) -> None:
    settings = mlflow_store
    assert aliases(settings) == {}
    assert list_versions(settings) == []
    with pytest.raises(ModelNotFound, match="no version with alias 'production'"):
        load_model(settings)
    with pytest.raises(ModelNotFound, match="has no version 7"):
        promote(settings, "7", PRODUCTION)
    with pytest.raises(ModelNotFound, match="'latest' is not a version number"):
        promote(settings, "latest", PRODUCTION)
    with pytest.raises(RegistryError, match="alias must be one of production, staging"):
        promote(settings, "1", PREVIOUS_PRODUCTION)
    with pytest.raises(NoPreviousProduction):
        rollback(settings)


def test_plan_tag_finds_the_candidate_on_redelivery(
    settings: Settings, trained_model: TrainResult, baseline_frame: pd.DataFrame
) -> None:
    plan_id = "5f0c8a9e-8f1c-4d55-9a53-0d6a3bba8e11"
    holdout = generate("baseline", rows=4000, seed=9).frame
    candidate = train_and_register(
        baseline_frame,
        settings,
        seed=2,
        holdout=holdout,
        plan_id=plan_id,
        policy_version=3,
        training_data_uri="file:///windows/w-17.parquet",
    )
    assert find_version_by_tag(settings, "driftwatch.plan_id", plan_id) == candidate.version
    assert find_version_by_tag(settings, "driftwatch.plan_id", "another-plan") is None
    tags = list_versions(settings)[-1].tags
    assert tags["driftwatch.policy_version"] == "3"
    assert tags["driftwatch.training_data_uri"] == "file:///windows/w-17.parquet"
    assert reference_frame(settings, candidate.version)[TRANSACTION_ID].tolist() == (
        holdout[TRANSACTION_ID].tolist()
    )


def test_registered_versions_are_judged_on_any_labeled_frame(
    settings: Settings, production_model: str, default_gates: QualityGates
) -> None:
    fresh = generate("baseline", rows=8000, seed=4).frame
    drifted = generate("concept_drift", rows=12_000, seed=2).frame.iloc[8000:]
    assert passes_gates(evaluate_version(settings, production_model, fresh), default_gates)
    assert not passes_gates(evaluate_version(settings, PRODUCTION, drifted), default_gates)
    champion = load_model(settings)
    comparison = compare_models(champion, champion, fresh, n_boot=200, seed=0)
    assert comparison.auc_diff == 0.0
