"""The Release agent's retraining: a candidate from the incident window, judged beside production.

Blocking (pandas, scikit-learn, MLflow): the Release handler runs these functions in a worker
thread, under ``ctx.keep_alive()``, so the consumer loop keeps serving and no claimer takes the
plan. The recipe (issue 7):

* the incident window's labeled rows (the plan's ``dataset_uri``, written by the monitor) are
  split, stratified, into a recent training part and a recent holdout;
* the candidate fits on the recent training part plus the reference sample of the version the
  incident is about (its holdout from the data it was trained on), so it learns the new traffic
  without forgetting the old; after a ``concept_drift`` incident it fits on the recent part
  alone, because the old labels then describe a relation between features and fraud that no
  longer holds (``P(fraud | x)`` changed) and would teach the candidate the retired pattern;
* the candidate and production are scored on the same recent holdout: absolute metrics for the
  gates, and a paired bootstrap of the AUC difference for the regression gate.

A candidate is tagged ``driftwatch.plan_id``; a plan redone after a crash finds it and evaluates
it again instead of training another, so a plan never leaves two versions.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import UUID

import pandas as pd

from driftwatch.agents.release_gates import CandidateMetrics, ChampionComparison
from driftwatch.contracts.events import PlanCreated
from driftwatch.contracts.features import FEATURE_NAMES, LABEL, TIMESTAMP, TRANSACTION_ID
from driftwatch.settings import Settings
from driftwatch.training import (
    TrainingDataError,
    compare_models,
    evaluate_model,
    find_version_by_tag,
    load_model,
    reference_frame,
    train_and_register,
)
from driftwatch.training.conventions import TAG_PLAN_ID
from driftwatch.training.data import split_holdout
from driftwatch.training.store import download

logger = logging.getLogger(__name__)

HOLDOUT_FRACTION = 0.5
"""Share of the window's labeled rows held out. Fraud is rare (~1.5 %), so the holdout needs as
many positives as the window can spare for the AUC interval to mean anything."""
N_BOOT = 500
"""Paired bootstrap resamples of the AUC difference: a stable 95 % bound in well under a second."""
CONCEPT_CHANGED = frozenset({"concept_drift"})
"""Incident types whose old labels mislead: the candidate learns from recent rows only."""
TRAIN_THREADS = 1
"""OpenMP threads of the fit: the agent's event loop and the served model need the other cores."""


@dataclass(frozen=True)
class Evaluation:
    """A candidate and how it compares with production on the recent holdout.

    Attributes:
        version: The candidate's registered version.
        reused: True when an earlier attempt of the plan had registered it.
        candidate: Its AUC and average precision on the holdout.
        champion: Candidate vs production on the holdout; None when nothing is in production.
        train_rows: Rows it was (or would have been) fitted on.
        holdout_rows: Recent rows it was judged on.
    """

    version: str
    reused: bool
    candidate: CandidateMetrics
    champion: ChampionComparison | None
    train_rows: int
    holdout_rows: int


def window_seed(window: pd.DataFrame, plan_id: UUID) -> int:
    """A seed fixed by the rows the plan acts on (by the plan when they carry no ids).

    A redone plan splits and fits exactly as its first try, and the same traffic replayed
    through a new stack (a demo, a benchmark) reaches the same candidate and the same verdict.
    """
    if TRANSACTION_ID not in window.columns or window.empty:
        return plan_id.int % 2**32
    ids = "\n".join(window[TRANSACTION_ID].astype(str))
    return int.from_bytes(hashlib.sha256(ids.encode()).digest()[:4], "big")


@dataclass(frozen=True)
class LabeledWindow:
    """The labeled rows of an incident window, and the share of its traffic they are.

    Attributes:
        rows: The labeled rows (ids, event times, features, label).
        labeled_share: Labeled rows over all the window's rows in the event-time span they
            cover: the candidate's reference holds ``HOLDOUT_FRACTION`` of that, which the
            monitor needs to compare traffic volume with it.
    """

    rows: pd.DataFrame
    labeled_share: float = 1.0


def read_labeled_window(settings: Settings, dataset_uri: str | None) -> LabeledWindow:
    """The labeled rows of an incident window (none when the plan names no dataset).

    Raises:
        FileNotFoundError: the dataset is gone.
        TrainingDataError: it lacks the label column.
    """
    if dataset_uri is None:
        return LabeledWindow(pd.DataFrame(columns=[*FEATURE_NAMES, LABEL]))
    frame = _read_parquet(settings, dataset_uri)
    if LABEL not in frame.columns:
        raise TrainingDataError(f"window dataset {dataset_uri} has no {LABEL!r} column")
    labeled = frame[frame[LABEL].notna()]
    keep = [c for c in (TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES) if c in labeled.columns]
    rows = labeled[keep].assign(**{LABEL: labeled[LABEL].astype("int64")}).reset_index(drop=True)
    return LabeledWindow(rows, _labeled_share(frame, labeled))


def _labeled_share(frame: pd.DataFrame, labeled: pd.DataFrame) -> float:
    if labeled.empty:
        return 1.0
    if TIMESTAMP not in frame.columns:
        return len(labeled) / len(frame)
    times = frame[TIMESTAMP]
    span = times.between(labeled[TIMESTAMP].min(), labeled[TIMESTAMP].max())
    return len(labeled) / max(int(span.sum()), len(labeled))


def evaluate_candidate(
    settings: Settings, plan: PlanCreated, labeled: LabeledWindow, champion_version: str | None
) -> Evaluation:
    """Train (or find) the plan's candidate and judge it beside ``champion_version``.

    Args:
        settings: The registry and model name.
        plan: The plan being executed (its id tags the candidate; its version gives the
            reference sample).
        labeled: ``read_labeled_window`` of the plan's dataset.
        champion_version: The production version to compare with, None when there is none.

    Raises:
        TrainingDataError: too few rows of a class to fit or judge.
        RegistryError: the incident's version has no reference sample (when one is needed).
    """
    window = labeled.rows
    if TRANSACTION_ID in window.columns:
        window = window.sort_values(TRANSACTION_ID, kind="stable", ignore_index=True)
    seed = window_seed(window, plan.plan_id)
    recent_train, holdout = split_holdout(window, HOLDOUT_FRACTION, seed)
    columns = [*FEATURE_NAMES, LABEL]
    train = recent_train[columns].reset_index(drop=True)
    if plan.incident_type not in CONCEPT_CHANGED:
        reference = reference_frame(settings, plan.model_version)[columns]
        train = pd.concat([train, reference], ignore_index=True)
    found = find_version_by_tag(settings, TAG_PLAN_ID, str(plan.plan_id))
    if found is not None:
        logger.info("plan %s: reusing candidate version %s", plan.plan_id, found)
        version, model = found, load_model(settings, found)
    else:
        result = train_and_register(
            train,
            settings,
            seed=seed,
            holdout=holdout,
            holdout_share=HOLDOUT_FRACTION * labeled.labeled_share,
            plan_id=str(plan.plan_id),
            policy_version=plan.policy_version,
            training_data_uri=plan.dataset_uri,
            threads=TRAIN_THREADS,
            progress=lambda step: logger.info("plan %s: %s", plan.plan_id, step),
        )
        version, model = result.version, result.model
    metrics = evaluate_model(model, holdout)
    champion = None
    if champion_version is not None:
        compared = compare_models(
            load_model(settings, champion_version), model, holdout, n_boot=N_BOOT, seed=seed
        )
        champion = ChampionComparison(
            champion_version=champion_version,
            auc_diff=compared.auc_diff,
            auc_diff_low=compared.low,
            auc_diff_high=compared.high,
        )
    return Evaluation(
        version=version,
        reused=found is not None,
        candidate=CandidateMetrics(auc=metrics.auc, average_precision=metrics.average_precision),
        champion=champion,
        train_rows=len(train),
        holdout_rows=len(holdout),
    )


def _read_parquet(settings: Settings, uri: str) -> pd.DataFrame:
    """A local path or ``file:`` URI directly; anything else through MLflow's artifact resolver."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return pd.read_parquet(Path(unquote(parsed.path)) if parsed.scheme else Path(uri))
    with tempfile.TemporaryDirectory(prefix="driftwatch-window-") as tmp:
        return pd.read_parquet(download(settings, uri, Path(tmp)))
