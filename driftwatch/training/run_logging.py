"""Record a fitted model in MLflow: one run, one logged model, one registered version.

The run holds what explains the version (params, holdout metrics, the reference sample); the
version carries the ``driftwatch.*`` tags other processes look it up by (DESIGN.md, Model
registry). The version is created last, inside the run: a failure part way leaves a run marked
FAILED and no version.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo
from sklearn.ensemble import HistGradientBoostingClassifier

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, SCORE, TIMESTAMP, TRANSACTION_ID
from driftwatch.settings import Settings
from driftwatch.training.conventions import (
    MODEL_ARTIFACT,
    REFERENCE_ARTIFACT_DIR,
    REFERENCE_FILE,
    TAG_GIT_SHA,
    TAG_PLAN_ID,
    TAG_POLICY_VERSION,
    TAG_REFERENCE_URI,
    TAG_THRESHOLD,
    TAG_TRAINING_DATA_URI,
)
from driftwatch.training.fit import Fitted
from driftwatch.training.store import (
    ALREADY_EXISTS_CODES,
    client_for,
    fluent_tracking,
    training_experiment_id,
)

SKOPS_TRUSTED_TYPES: tuple[str, ...] = (
    # The booster's trees; we wrote the file ourselves, so indexing into it is safe.
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # HistGradientBoosting's internal categorical preprocessor wraps check_array in a partial.
    "functools.partial",
    "sklearn.utils.validation.check_array",
)
"""Types skops may rebuild; the safer format than pickle needs them named (FIELD-NOTES)."""

INPUT_EXAMPLE_ROWS = 5

Progress = Callable[[str], None]
"""Receives a short description as each training step starts (the CLI shows it)."""


@dataclass(frozen=True)
class VersionProvenance:
    """Where a version came from: how it was trained and on whose behalf.

    Attributes:
        seed: Seed of the split and the booster.
        holdout_fraction: Share of its period's traffic the holdout holds; None for a given
            holdout of unknown share.
        plan_id: The Release agent's plan id, "" for a manual training.
        policy_version: Policy version of that plan, "" for a manual training.
        training_data_uri: Where the training frame came from, "" when unknown.
    """

    seed: int
    holdout_fraction: float | None
    plan_id: str
    policy_version: str
    training_data_uri: str


@dataclass(frozen=True)
class Registered:
    """The registry's record of a logged model."""

    version: str
    run_id: str
    model_uri: str
    reference_uri: str


def log_and_register(
    fitted: Fitted,
    settings: Settings,
    provenance: VersionProvenance,
    *,
    progress: Progress,
) -> Registered:
    """Log ``fitted`` as a run of the model's training experiment and register a version.

    Args:
        fitted: The model, its holdout metrics and its scored holdout.
        settings: Names the MLflow store and the registered model.
        provenance: Recorded as params and version tags.
        progress: Called with a short description as each step starts.
    """
    client = client_for(settings)
    experiment_id = training_experiment_id(settings, client)
    classifier = fitted.model.pipeline.named_steps["classify"]
    with (
        fluent_tracking(settings),
        mlflow.start_run(experiment_id=experiment_id, run_name=_run_name(provenance)) as run,
        tempfile.TemporaryDirectory(prefix="driftwatch-train-") as tmp,
    ):
        progress("logging params, metrics and reference sample")
        mlflow.log_params(_params(fitted, provenance, classifier))
        mlflow.log_metrics({**fitted.metrics.as_dict(), "fit_seconds": fitted.fit_seconds})
        reference_path = Path(tmp) / REFERENCE_FILE
        _reference(fitted).to_parquet(reference_path, index=False)
        mlflow.log_artifact(str(reference_path), artifact_path=REFERENCE_ARTIFACT_DIR)
        reference_uri = f"runs:/{run.info.run_id}/{REFERENCE_ARTIFACT_DIR}/{REFERENCE_FILE}"
        progress("logging the model")
        info = _log_model(fitted)
        progress("registering the version")
        _ensure_registered_model(client, settings.model_name)
        mv = client.create_model_version(
            name=settings.model_name,
            source=info.model_uri,
            run_id=run.info.run_id,
            model_id=info.model_id,
            tags={
                TAG_REFERENCE_URI: reference_uri,
                TAG_TRAINING_DATA_URI: provenance.training_data_uri,
                TAG_THRESHOLD: repr(fitted.model.threshold),
                TAG_PLAN_ID: provenance.plan_id,
                TAG_POLICY_VERSION: provenance.policy_version,
                TAG_GIT_SHA: git_sha(),
            },
        )
    version = str(mv.version)
    return Registered(
        version=version,
        run_id=run.info.run_id,
        model_uri=f"models:/{settings.model_name}/{version}",
        reference_uri=reference_uri,
    )


def _run_name(provenance: VersionProvenance) -> str:
    """``plan-<id>`` for the Release agent's retrains, ``manual-<time>`` for a person's."""
    if provenance.plan_id:
        return f"plan-{provenance.plan_id}"
    return f"manual-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


@cache
def git_sha() -> str:
    """Commit of the DriftWatch checkout that trained, or "" when installed without git."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def _params(
    fitted: Fitted, provenance: VersionProvenance, classifier: HistGradientBoostingClassifier
) -> dict[str, str]:
    booster = {
        key: value
        for key, value in classifier.get_params().items()
        if key
        in {
            "learning_rate",
            "max_iter",
            "max_leaf_nodes",
            "min_samples_leaf",
            "l2_regularization",
            "class_weight",
            "early_stopping",
            "validation_fraction",
            "n_iter_no_change",
        }
    }
    return {
        **{f"classifier.{key}": str(value) for key, value in booster.items()},
        "classifier": type(classifier).__name__,
        "classifier.n_iter_fitted": str(classifier.n_iter_),
        "seed": str(provenance.seed),
        "holdout_fraction": "given"
        if provenance.holdout_fraction is None
        else str(provenance.holdout_fraction),
        "train_rows": str(len(fitted.train)),
        "holdout_rows": str(len(fitted.holdout)),
        "training_data_uri": provenance.training_data_uri,
        "plan_id": provenance.plan_id,
        "policy_version": provenance.policy_version,
    }


def _reference(fitted: Fitted) -> pd.DataFrame:
    """The scored, labeled holdout; ids and event times kept for the monitor's volume profile."""
    keep = [c for c in (TRANSACTION_ID, TIMESTAMP) if c in fitted.holdout.columns]
    return fitted.holdout[[*keep, *FEATURE_NAMES, SCORE, LABEL]].reset_index(drop=True)


def _log_model(fitted: Fitted) -> ModelInfo:
    example = fitted.train[list(FEATURE_NAMES)].head(INPUT_EXAMPLE_ROWS).reset_index(drop=True)
    pipeline = fitted.model.pipeline
    with warnings.catch_warnings():
        # The API refuses missing values, so integer columns in the signature are what we mean.
        warnings.filterwarnings("ignore", message=".*integer column", category=UserWarning)
        return mlflow.sklearn.log_model(
            pipeline,
            name=MODEL_ARTIFACT,
            serialization_format="skops",
            skops_trusted_types=list(SKOPS_TRUSTED_TYPES),
            signature=infer_signature(example, pipeline.predict_proba(example)),
            input_example=example,
            pyfunc_predict_fn="predict_proba",
            pip_requirements=_pip_requirements(),
        )


@cache
def _pip_requirements() -> list[str]:
    # Stated, not inferred: inference loads the model in a subprocess and takes seconds.
    return [
        f"{name}=={package_version(name)}" for name in ("scikit-learn", "skops", "numpy", "pandas")
    ]


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.create_registered_model(name, description="DriftWatch fraud detector.")
    except MlflowException as error:
        if error.error_code not in ALREADY_EXISTS_CODES:
            raise
