"""Fit, evaluate, log and register: the one path to a new model version.

The CLI and the Release agent both call ``train_and_register``, so a manual retrain and an
autonomous one produce versions that look the same in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from driftwatch.settings import Settings
from driftwatch.training.evaluate import Metrics
from driftwatch.training.fit import fit_and_evaluate
from driftwatch.training.pipeline import FraudModel
from driftwatch.training.run_logging import Progress, VersionProvenance, log_and_register


def _silent(_: str) -> None:
    return None


@dataclass(frozen=True)
class TrainResult:
    """A trained and registered version.

    Attributes:
        name: Registered model name.
        version: The new version number.
        run_id: The MLflow run holding params, metrics, model and reference sample.
        model_uri: ``models:/NAME/VERSION``.
        metrics: Holdout metrics at the chosen threshold.
        threshold: The decision threshold, also in tag ``driftwatch.threshold``.
        reference_uri: URI of the reference sample, also in tag ``driftwatch.reference_uri``.
        model: The in-memory model that was registered.
        train_rows: Rows fitted on.
        holdout_rows: Rows judged on.
        fit_seconds: Wall time of the fit alone.
    """

    name: str
    version: str
    run_id: str
    model_uri: str
    metrics: Metrics
    threshold: float
    reference_uri: str
    model: FraudModel
    train_rows: int
    holdout_rows: int
    fit_seconds: float


def train_and_register(
    frame: pd.DataFrame,
    settings: Settings,
    *,
    seed: int = 0,
    holdout_fraction: float = 0.25,
    holdout: pd.DataFrame | None = None,
    holdout_share: float | None = None,
    plan_id: str | None = None,
    policy_version: int | None = None,
    training_data_uri: str | None = None,
    threads: int | None = 1,
    progress: Progress | None = None,
) -> TrainResult:
    """Fit, evaluate, log to MLflow and register a new version of the settings' model.

    Args:
        frame: Labeled transactions to fit on (the contract's features and ``is_fraud``).
        settings: Names the MLflow store and the registered model.
        seed: Seeds the holdout split and the booster: equal inputs give equal scores.
        holdout_fraction: Share of ``frame`` held out when ``holdout`` is not given.
        holdout: Labeled rows to evaluate on and keep as the reference, instead of a split.
        holdout_share: Share of its period's traffic a given ``holdout`` holds (the Release
            agent's half of a window: 0.5), so the monitor compares traffic volume with it
            correctly; None records it as unknown, read as the whole period.
        plan_id: The Release agent's plan, tagged so a redelivered plan finds this version.
        policy_version: The policy version the plan was made under.
        training_data_uri: Where ``frame`` came from, for lineage.
        threads: OpenMP threads for the fit (None: every core); scores do not depend on it.
        progress: Called with a short description as each step starts.

    Raises:
        TrainingDataError: a frame lacks features or the label, or has too few rows of a class.
    """
    report = progress or _silent
    report(f"fitting on {len(frame):,} rows")
    fitted = fit_and_evaluate(
        frame, seed=seed, holdout_fraction=holdout_fraction, holdout=holdout, threads=threads
    )
    provenance = VersionProvenance(
        seed=seed,
        holdout_fraction=holdout_share if holdout is not None else holdout_fraction,
        plan_id=plan_id or "",
        policy_version="" if policy_version is None else str(policy_version),
        training_data_uri=training_data_uri or "",
    )
    registered = log_and_register(fitted, settings, provenance, progress=report)
    return TrainResult(
        name=settings.model_name,
        version=registered.version,
        run_id=registered.run_id,
        model_uri=registered.model_uri,
        metrics=fitted.metrics,
        threshold=fitted.model.threshold,
        reference_uri=registered.reference_uri,
        model=fitted.model,
        train_rows=len(fitted.train),
        holdout_rows=len(fitted.holdout),
        fit_seconds=fitted.fit_seconds,
    )
