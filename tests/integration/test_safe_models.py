"""Only skops models of trusted types load: pickles, pyfuncs and untrusted skops files are refused
before anything in them runs, in the registry, in serving's model holder and in the Release agent.

Every refused artifact is a real MLflow model whose unpickling would write a marker file; the first
test shows MLflow's own loader does write it, so the others prove something.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
import skops.io
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from driftwatch.agents.release import Release
from driftwatch.bus.consumer import Consumer
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.serving.model_holder import ModelHolder, ModelRefused
from driftwatch.settings import Settings
from driftwatch.training import (
    PRODUCTION,
    RegistryError,
    TrainResult,
    UnsafeModel,
    load_model,
    promote,
)
from driftwatch.training.run_logging import SKOPS_TRUSTED_TYPES
from driftwatch.training.safe_load import UnsafeArtifact, load_skops_pipeline
from driftwatch.training.store import client_for, download
from tests.fixtures.unsafe_models import (
    HARMLESS_CALL,
    PAYLOAD_TEXT,
    SYSTEM_CALL,
    register_cloudpickle,
    register_pyfunc,
    register_skops_with,
)
from tests.integration.test_agents_release import decision_for, deliver
from tests.integration.test_agents_support import plan_for, summary, write_window

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def refused_counts(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    """(version, reason) -> count of ``driftwatch_model_load_refused_total``."""
    return {
        (sample.labels["version"], sample.labels["reason"]): sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "driftwatch_model_load_refused_total"
    }


def test_mlflow_itself_would_run_the_payload(
    mlflow_store: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    marker = tmp_path / "control"
    version = register_cloudpickle(mlflow_store, marker)
    assert not marker.exists()  # logging and registering did not run it
    source = client_for(mlflow_store).get_model_version_download_uri(
        mlflow_store.model_name, version
    )
    mlflow.sklearn.load_model(str(download(mlflow_store, source, tmp_path / "model")))
    assert marker.read_text() == PAYLOAD_TEXT


def test_a_cloudpickled_sklearn_model_is_refused_unopened(
    mlflow_store: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    version = register_cloudpickle(mlflow_store, marker)
    with pytest.raises(UnsafeModel) as refused:
        load_model(mlflow_store, version)
    assert isinstance(refused.value, RegistryError)
    assert (refused.value.version, refused.value.reason) == (version, "format")
    message = str(refused.value)
    assert f"model version {version} refused" in message
    assert "'cloudpickle'" in message
    assert "allowed: skops" in message
    assert not marker.exists()


def test_a_pyfunc_model_is_refused_by_flavor(mlflow_store: Settings, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    version = register_pyfunc(mlflow_store, marker)
    with pytest.raises(UnsafeModel, match=r"flavors python_function; allowed: sklearn") as refused:
        load_model(mlflow_store, version)
    assert refused.value.reason == "flavor"
    assert not marker.exists()


def test_a_skops_file_with_an_untrusted_type_is_refused_whatever_its_mlmodel_trusts(
    mlflow_store: Settings,
) -> None:
    version = register_skops_with(mlflow_store, SYSTEM_CALL)
    with pytest.raises(UnsafeModel, match=r"outside the trusted list: posix\.system") as refused:
        load_model(mlflow_store, version)
    assert refused.value.reason == "untrusted_types"


def test_the_settings_allow_list_extends_the_trusted_types(mlflow_store: Settings) -> None:
    version = register_skops_with(mlflow_store, HARMLESS_CALL)
    with pytest.raises(UnsafeModel, match=r"math\.sqrt"):
        load_model(mlflow_store, version)
    allowing = mlflow_store.model_copy(update={"model_trusted_types": ("math.sqrt",)})
    loaded = load_model(allowing, version)
    assert loaded.pipeline.named_steps["call"].func is HARMLESS_CALL


def test_the_projects_own_model_loads_with_mlflow_pickle_loading_off(
    settings: Settings,
    trained_model: TrainResult,
    baseline_frame: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")  # as `driftwatch up` runs
    loaded = load_model(settings, trained_model.version)
    rows = baseline_frame.head(200)
    np.testing.assert_array_equal(
        loaded.predict_proba(rows), trained_model.model.predict_proba(rows)
    )
    assert loaded.threshold == trained_model.threshold


def _model_dir(path: Path, mlmodel: str) -> Path:
    """A hand-written model directory: ``MLmodel`` and a skops file holding a plain dict."""
    path.mkdir()
    (path / "MLmodel").write_text(mlmodel, encoding="utf-8")
    skops.io.dump({"not": "a pipeline"}, path / "model.skops")
    return path


SKOPS_FLAVOR = "flavors:\n  sklearn:\n    serialization_format: skops\n    pickled_model: {file}\n"


@pytest.mark.parametrize(
    ("mlmodel", "reason", "says"),
    [
        ("flavors: [unclosed", "malformed", "cannot read its MLmodel"),
        ("just text", "malformed", "declares no flavors"),
        (SKOPS_FLAVOR.format(file="../../etc/passwd"), "malformed", "not in the model directory"),
        (SKOPS_FLAVOR.format(file="model.skops"), "not_a_pipeline", "holds a dict"),
        (
            SKOPS_FLAVOR.format(file="model.skops")
            + "  python_function:\n    loader_module: mlflow.pyfunc.model\n",
            "flavor",
            "loader 'mlflow.pyfunc.model'",
        ),
        (
            SKOPS_FLAVOR.format(file="model.skops") + "    code: code\n",
            "flavor",
            "ships code",
        ),
    ],
)
def test_a_hand_made_model_directory_is_refused_with_its_reason(
    tmp_path: Path, mlmodel: str, reason: str, says: str
) -> None:
    model_dir = _model_dir(tmp_path / "model", mlmodel)
    with pytest.raises(UnsafeArtifact, match=re.escape(says)) as refused:
        load_skops_pipeline(model_dir, SKOPS_TRUSTED_TYPES)
    assert refused.value.reason == reason


async def test_serving_keeps_the_last_good_model_and_counts_the_refusal(
    settings: Settings, production_model: str, tmp_path: Path
) -> None:
    metrics = ServingMetrics()
    holder = ModelHolder(settings, metrics)
    assert (await holder.refresh()).version == production_model
    marker = tmp_path / "marker"
    bad = register_cloudpickle(settings, marker)
    promote(settings, bad, PRODUCTION)

    with pytest.raises(ModelRefused, match=rf"version {bad} refused .*still serving version 1"):
        await holder.refresh()
    again = await holder.refresh()  # remembered: not fetched, counted or logged again

    assert again is not None
    assert again.version == production_model
    assert holder.current is again
    assert refused_counts(metrics.registry) == {(bad, "format"): 1.0}
    assert not marker.exists()


@pytest.fixture
async def release(bus_settings: Settings, bus_redis: Redis) -> AsyncIterator[Consumer]:
    """One Release replica's handling path, without FastStream."""
    consumer = Consumer(bus_settings, "release", Release(bus_settings).handlers(), redis=bus_redis)
    await consumer.open()
    yield consumer
    await consumer.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_release_blocks_a_plan_whose_champion_is_refused(
    release: Consumer,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    tmp_path: Path,
) -> None:
    window = write_window(tmp_path / "w.parquet", "stable", 4000, 3)
    plan = plan_for(summary(production_model, window, labeled_rows=4000), load_shipped_policy())
    marker = tmp_path / "marker"
    bad = register_cloudpickle(bus_settings, marker)
    promote(bus_settings, bad, PRODUCTION)

    await deliver(release, bus_redis, bus_settings, plan)

    decided = await decision_for(bus_redis, bus_settings, plan)
    assert decided.decision == "blocked"
    assert f"model version {bad} refused (format)" in decided.reason
    assert not marker.exists()
