"""The model registry as DriftWatch uses it: aliases, version lookups, loading a model to serve.

Aliases, never the deprecated stages: ``production`` is what serving loads, ``staging`` where
gated candidates land, ``previous-production`` remembers the production version before the last
move, so a rollback is one alias move. Moving an alias to where it already points changes
nothing, which makes a redelivered release decision harmless.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from sklearn.pipeline import Pipeline

from driftwatch.settings import Settings
from driftwatch.training.conventions import (
    PREVIOUS_PRODUCTION,
    PRODUCTION,
    PROMOTABLE_ALIASES,
    TAG_REFERENCE_URI,
    TAG_THRESHOLD,
)
from driftwatch.training.evaluate import Metrics, evaluate_model
from driftwatch.training.pipeline import FraudModel
from driftwatch.training.run_logging import SKOPS_TRUSTED_TYPES
from driftwatch.training.safe_load import RefusalReason, UnsafeArtifact, load_skops_pipeline
from driftwatch.training.store import NOT_FOUND_CODES, client_for, download


class RegistryError(RuntimeError):
    """A registry operation that cannot be done as asked; the message says why."""


class ModelNotFound(RegistryError, LookupError):
    """The registered model, version or alias does not exist (yet)."""


class NoPreviousProduction(RegistryError):
    """Rollback was asked for but no version was in production before the current one."""


class UnsafeModel(RegistryError):
    """A registered version that is not an sklearn model in the skops format of trusted types.

    Nothing of it was deserialized. Redelivering the event that named it cannot help: a version's
    artifacts do not change.

    Attributes:
        version: The version refused.
        reason: ``malformed``, ``flavor``, ``format``, ``untrusted_types`` or ``not_a_pipeline``.
    """

    def __init__(self, version: str, reason: RefusalReason, detail: str) -> None:
        super().__init__(f"model version {version} refused ({reason}): {detail}")
        self.version = version
        self.reason: RefusalReason = reason


@dataclass(frozen=True)
class AliasMove:
    """The outcome of moving an alias.

    Attributes:
        alias: The alias moved.
        version: The version it points to now.
        previous: The version it pointed to before, or None.
        changed: False when it already pointed to ``version`` (nothing was written).
    """

    alias: str
    version: str
    previous: str | None
    changed: bool


@dataclass(frozen=True)
class VersionInfo:
    """One registered version: its aliases, its run's metrics and its tags."""

    version: str
    aliases: list[str]
    metrics: dict[str, float]
    tags: dict[str, str]
    run_id: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class LoadedModel(FraudModel):
    """A registered version loaded for scoring, with what serving and the monitor need.

    Attributes:
        version: The registered version number.
        metrics: Its holdout metrics (the monitor's reference AUC and AP).
        name: The registered model name.
    """

    version: str
    metrics: dict[str, float]
    name: str


def aliases(settings: Settings) -> dict[str, str]:
    """Alias -> version of the settings' model; empty when nothing is registered yet."""
    return _aliases(client_for(settings), settings.model_name)


def list_versions(settings: Settings) -> list[VersionInfo]:
    """Every version of the settings' model, oldest first, with aliases, metrics and tags."""
    client = client_for(settings)
    by_version: dict[str, list[str]] = {}
    for alias, version in _aliases(client, settings.model_name).items():
        by_version.setdefault(version, []).append(alias)
    versions = client.search_model_versions(f"name = '{settings.model_name}'")
    infos = [
        VersionInfo(
            version=str(mv.version),
            aliases=sorted(by_version.get(str(mv.version), [])),
            metrics=dict(client.get_run(mv.run_id).data.metrics) if mv.run_id else {},
            tags=dict(mv.tags),
            run_id=mv.run_id or "",
            created_at=datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC),
        )
        for mv in versions
    ]
    return sorted(infos, key=lambda info: int(info.version))


def find_version_by_tag(settings: Settings, key: str, value: str) -> str | None:
    """The newest version whose tag ``key`` equals ``value``, or None.

    The Release agent tags a candidate with its plan id and calls this on redelivery, so a
    retried plan reuses its candidate instead of training another.
    """
    versions = client_for(settings).search_model_versions(f"name = '{settings.model_name}'")
    matches = [int(mv.version) for mv in versions if mv.tags.get(key) == value]
    return str(max(matches)) if matches else None


def promote(
    settings: Settings, version: str, alias: str, *, fresh_start: bool = False
) -> AliasMove:
    """Point ``alias`` at ``version``; moving production first saves it as previous-production.

    Args:
        settings: The registry and model name.
        version: The version to point at.
        alias: ``production`` or ``staging``.
        fresh_start: Production starts over at ``version`` (a demo's baseline): no version is
            left to roll back to, so previous-production is cleared rather than set, and the
            move reports no previous version.

    Raises:
        RegistryError: ``alias`` is not one a release may move.
        ModelNotFound: ``version`` does not exist.
    """
    if alias not in PROMOTABLE_ALIASES:
        raise RegistryError(f"alias must be one of {', '.join(PROMOTABLE_ALIASES)}, got {alias!r}")
    client = client_for(settings)
    name = settings.model_name
    version = str(_get_version(client, name, version).version)
    current_aliases = _aliases(client, name)
    current = current_aliases.get(alias)
    if alias == PRODUCTION and fresh_start:
        if PREVIOUS_PRODUCTION in current_aliases:
            client.delete_registered_model_alias(name, PREVIOUS_PRODUCTION)
        client.set_registered_model_alias(name, alias, version)
        return AliasMove(alias=alias, version=version, previous=None, changed=current != version)
    if current == version:
        return AliasMove(alias=alias, version=version, previous=current, changed=False)
    if alias == PRODUCTION and current is not None:
        client.set_registered_model_alias(name, PREVIOUS_PRODUCTION, current)
    client.set_registered_model_alias(name, alias, version)
    return AliasMove(alias=alias, version=version, previous=current, changed=True)


def rollback(settings: Settings) -> AliasMove:
    """Point production back at previous-production, and clear previous-production.

    Clearing it means a second rollback fails loudly instead of flipping back to the version just
    rolled away from.

    Raises:
        NoPreviousProduction: production never moved, or was already rolled back.
    """
    client = client_for(settings)
    name = settings.model_name
    current_aliases = _aliases(client, name)
    target = current_aliases.get(PREVIOUS_PRODUCTION)
    if target is None:
        raise NoPreviousProduction(
            f"model {name!r} has no {PREVIOUS_PRODUCTION} version to roll back to "
            f"(production is {current_aliases.get(PRODUCTION, 'unset')})"
        )
    current = current_aliases.get(PRODUCTION)
    client.set_registered_model_alias(name, PRODUCTION, target)
    client.delete_registered_model_alias(name, PREVIOUS_PRODUCTION)
    return AliasMove(alias=PRODUCTION, version=target, previous=current, changed=current != target)


def load_model(settings: Settings, alias_or_version: str = PRODUCTION) -> LoadedModel:
    """Load a registered version (by alias, or by number) as a scikit-learn pipeline.

    Only through skops, never an MLflow loader: those unpickle whatever the version's MLmodel
    declares. The pipeline is read directly, not through pyfunc: serving scores a handful of rows
    per call, and pyfunc's schema enforcement costs more than the prediction.

    Raises:
        ModelNotFound: the alias or version does not exist; serving stays not-ready on this.
        UnsafeModel: the version is not an sklearn model in the skops format of the project's
            trusted types and ``settings.model_trusted_types``.
        RegistryError: the version was not registered by DriftWatch (no threshold tag).
    """
    client = client_for(settings)
    mv = _resolve(client, settings.model_name, alias_or_version)
    if TAG_THRESHOLD not in mv.tags:
        raise RegistryError(f"version {mv.version} has no {TAG_THRESHOLD} tag")
    with tempfile.TemporaryDirectory(prefix="driftwatch-model-") as tmp:
        # The download URI comes from our client: a models:/ URI would be resolved against the
        # process-wide registry, not the settings' one.
        source = client.get_model_version_download_uri(settings.model_name, mv.version)
        local = download(settings, source, Path(tmp))
        pipeline = _load_pipeline(local, str(mv.version), settings)
    return LoadedModel(
        pipeline=pipeline,
        threshold=float(mv.tags[TAG_THRESHOLD]),
        version=str(mv.version),
        metrics=dict(client.get_run(mv.run_id).data.metrics) if mv.run_id else {},
        name=settings.model_name,
    )


def evaluate_version(settings: Settings, version: str, frame: pd.DataFrame) -> Metrics:
    """Metrics of a registered version (number or alias) on a labeled frame, at its threshold."""
    return evaluate_model(load_model(settings, version), frame)


def reference_frame(settings: Settings, version: str) -> pd.DataFrame:
    """The version's reference sample: its scored, labeled holdout (the monitor's baseline).

    Raises:
        ModelNotFound: no such version.
        RegistryError: the version carries no reference URI.
    """
    mv = _resolve(client_for(settings), settings.model_name, version)
    uri = mv.tags.get(TAG_REFERENCE_URI)
    if not uri:
        raise RegistryError(f"version {mv.version} has no {TAG_REFERENCE_URI} tag")
    with tempfile.TemporaryDirectory(prefix="driftwatch-reference-") as tmp:
        return pd.read_parquet(download(settings, uri, Path(tmp)))


def _load_pipeline(local: Path, version: str, settings: Settings) -> Pipeline:
    """The version's pipeline from its downloaded model directory, or ``UnsafeModel``."""
    trusted = (*SKOPS_TRUSTED_TYPES, *settings.model_trusted_types)
    try:
        return load_skops_pipeline(local, trusted)
    except UnsafeArtifact as refused:
        raise UnsafeModel(version, refused.reason, refused.detail) from None


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    try:
        model = client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code in NOT_FOUND_CODES:
            return {}
        raise
    return {alias: str(version) for alias, version in model.aliases.items()}


def _resolve(client: MlflowClient, name: str, alias_or_version: str) -> ModelVersion:
    if alias_or_version.isdigit():
        return _get_version(client, name, alias_or_version)
    version = _aliases(client, name).get(alias_or_version)
    if version is None:
        raise ModelNotFound(f"model {name!r} has no version with alias {alias_or_version!r}")
    return _get_version(client, name, version)


def _get_version(client: MlflowClient, name: str, version: str) -> ModelVersion:
    if not str(version).isdigit():
        raise ModelNotFound(f"{version!r} is not a version number of model {name!r}")
    try:
        return client.get_model_version(name, str(version))
    except MlflowException as error:
        if error.error_code in NOT_FOUND_CODES:
            raise ModelNotFound(f"model {name!r} has no version {version}") from None
        raise
