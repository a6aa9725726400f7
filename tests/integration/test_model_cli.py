"""`driftwatch train`, `promote`, `rollback` and `models` as a person calls them.

Each test runs the command in-process against its own SQLite store and stream prefix; a promote
or rollback must leave a ``ReleaseDecided`` with a null plan id on the releases stream.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import redis
from typer.testing import CliRunner, Result

from driftwatch.bus.wire import entry_payload
from driftwatch.cli import app
from driftwatch.contracts.events import ReleaseDecided, parse_event
from driftwatch.contracts.features import LABEL
from driftwatch.settings import Settings
from driftwatch.training import PREVIOUS_PRODUCTION, PRODUCTION, aliases, train_and_register
from tests.fixtures.services import settings_env

pytestmark = pytest.mark.integration


def _run(settings: Settings, *args: str) -> Result:
    env = {**settings_env(settings), "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def _releases(settings: Settings) -> list[ReleaseDecided]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        entries = client.xrange(settings.stream("releases"))
    finally:
        client.close()
    events = [parse_event(entry_payload(fields)) for _, fields in entries]
    assert all(isinstance(event, ReleaseDecided) for event in events)
    return events  # type: ignore[return-value]


def test_train_prints_metrics_registers_and_promotes(
    mlflow_store: Settings, baseline_parquet: Path
) -> None:
    result = _run(mlflow_store, "train", "--data", str(baseline_parquet), "--promote", "production")
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output
    assert "recall @ 1% FPR" in result.output
    assert "registered fraud-detector version 1" in result.output
    assert aliases(mlflow_store) == {PRODUCTION: "1"}
    (release,) = _releases(mlflow_store)
    assert (release.plan_id, release.decision, release.alias) == (None, "promoted", PRODUCTION)
    assert (release.candidate_version, release.previous_version) == ("1", None)
    assert release.producer.startswith("cli@")


def test_promote_and_rollback_move_aliases_and_announce_it(
    mlflow_store: Settings, production_model: str, baseline_frame: pd.DataFrame
) -> None:
    train_and_register(baseline_frame.iloc[:8000], mlflow_store, seed=1)

    promoted = _run(mlflow_store, "promote", "2", "--alias", "production")
    assert promoted.exit_code == 0, promoted.output
    assert aliases(mlflow_store) == {PRODUCTION: "2", PREVIOUS_PRODUCTION: production_model}
    again = _run(mlflow_store, "promote", "2", "--alias", "production")
    assert "nothing to do" in again.output

    rolled = _run(mlflow_store, "rollback")
    assert rolled.exit_code == 0, rolled.output
    assert "production 2 -> 1" in rolled.output
    assert aliases(mlflow_store) == {PRODUCTION: "1"}
    moves = [(e.decision, e.candidate_version, e.previous_version) for e in _releases(mlflow_store)]
    assert moves == [("promoted", "2", "1"), ("rolled_back", "1", "2")]

    second = _run(mlflow_store, "rollback")
    assert second.exit_code == 1
    assert "no previous-production version to roll back to" in second.output


def test_models_json_lists_versions_aliases_metrics_and_tags(
    mlflow_store: Settings, production_model: str
) -> None:
    result = _run(mlflow_store, "models", "--json")
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.stdout)
    assert listed["version"] == production_model
    assert listed["aliases"] == [PRODUCTION]
    assert listed["metrics"]["auc"] > 0.8
    assert listed["tags"]["driftwatch.plan_id"] == ""
    table = _run(mlflow_store, "models")
    assert "production" in table.output
    assert "manual" in table.output


def test_a_registry_change_survives_redis_being_down(
    mlflow_store: Settings, production_model: str
) -> None:
    offline = mlflow_store.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    result = _run(offline, "promote", production_model, "--alias", "staging")
    assert result.exit_code == 0, result.output
    assert "Redis did not answer" in result.output
    assert "periodic registry check" in result.output
    assert aliases(mlflow_store)["staging"] == production_model


def test_missing_file_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    result = _run(settings, "train", "--data", str(tmp_path / "nope.parquet"))
    assert result.exit_code == 1
    assert "nope.parquet does not exist" in result.output


def test_frame_without_the_label_is_a_clear_error(
    settings: Settings, baseline_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "unlabeled.parquet"
    baseline_frame.head(500).drop(columns=LABEL).to_parquet(path)
    result = _run(settings, "train", "--data", str(path))
    assert result.exit_code == 1
    assert "no label column 'is_fraud'" in result.output


def test_frame_with_missing_columns_is_a_clear_error(
    settings: Settings, baseline_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "partial.csv"
    baseline_frame.head(500).drop(columns=["geo_distance_km"]).to_csv(path, index=False)
    result = _run(settings, "train", "--data", str(path))
    assert result.exit_code == 1
    assert "lacks feature columns: geo_distance_km" in result.output


def test_unknown_version_is_a_clear_error(mlflow_store: Settings) -> None:
    result = _run(mlflow_store, "promote", "7", "--alias", "production")
    assert result.exit_code == 1
    assert "has no version 7" in result.output


def test_rollback_without_previous_production_is_a_clear_error(
    mlflow_store: Settings, production_model: str
) -> None:
    result = _run(mlflow_store, "rollback")
    assert result.exit_code == 1
    assert "no previous-production version to roll back to (production is 1)" in result.output
    assert aliases(mlflow_store) == {PRODUCTION: production_model}
    assert _releases(mlflow_store) == []
