"""Reaching the MLflow store a ``Settings`` names, without touching process-wide state for long.

Every call builds its client from settings, so two tests (or a test and a running stack) in one
process never write to each other's store. MLflow's model logging reads the process-wide tracking
URI; ``fluent_tracking`` sets it only for the block that logs and restores it afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import mlflow.artifacts
import mlflow.tracking
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from driftwatch.settings import Settings
from driftwatch.training.conventions import experiment_name

_REMOTE_SCHEMES = frozenset({"http", "https", "databricks", "databricks-uc", "uc"})
_FLUENT_LOCK = threading.RLock()

NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"})
ALREADY_EXISTS_CODES = frozenset({"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"})


def client_for(settings: Settings) -> MlflowClient:
    """A client bound to the settings' tracking store, which also holds the registry."""
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


@contextmanager
def fluent_tracking(settings: Settings) -> Iterator[None]:
    """Point MLflow's fluent API at the settings' store for the duration of the block.

    A lock keeps two threads of one process from interleaving their URIs.
    """
    with _FLUENT_LOCK:
        previous = mlflow.get_tracking_uri() if mlflow.tracking.is_tracking_uri_set() else None
        mlflow.set_tracking_uri(settings.tracking_uri)
        try:
            yield
        finally:
            mlflow.set_tracking_uri(previous)  # type: ignore[arg-type]  # None unsets it


def is_remote(tracking_uri: str) -> bool:
    """True for a tracking server, which decides where artifacts go (``--serve-artifacts``)."""
    return urlparse(tracking_uri).scheme in _REMOTE_SCHEMES


def training_experiment_id(settings: Settings, client: MlflowClient) -> str:
    """Id of the model's training experiment, created on first use."""
    return experiment_id(settings, client, experiment_name(settings.model_name))


def experiment_id(settings: Settings, client: MlflowClient, name: str) -> str:
    """Id of the experiment ``name``, created on first use (a racing creator is fine).

    A local store (SQLite, file) would otherwise put artifacts in ``./mlruns`` of whatever
    directory the process runs in; here they go under ``DRIFTWATCH_HOME``.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None if is_remote(settings.tracking_uri) else settings.artifacts_dir.as_uri()
    try:
        return client.create_experiment(name, artifact_location=location)
    except MlflowException as error:  # another process created it first
        if error.error_code not in ALREADY_EXISTS_CODES:
            raise
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def download(settings: Settings, artifact_uri: str, destination: Path) -> Path:
    """Download ``artifact_uri`` (``runs:/``, ``models:/``, ``mlflow-artifacts:/``, ...) locally."""
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri,
        dst_path=str(destination),
        tracking_uri=settings.tracking_uri,
        registry_uri=settings.tracking_uri,
    )
    return Path(local)
