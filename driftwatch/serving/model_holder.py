"""The model being served, and the one way it changes: an atomic swap after a registry check.

Requests read ``ModelHolder.current`` once and keep that object for the whole predict call, so a
swap never fails or mixes a request: in-flight batches finish on the old version, the next batch
takes the new one. Loading happens in a worker thread, off the event loop. A version the registry
refuses to load (not a skops model of trusted types) is counted, logged and remembered: the served
model stays, and that version is not fetched again until a forced reload.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from driftwatch.serving.metrics import ServingMetrics
from driftwatch.settings import Settings
from driftwatch.training.conventions import PRODUCTION
from driftwatch.training.registry import (
    LoadedModel,
    ModelNotFound,
    UnsafeModel,
    aliases,
    load_model,
)

logger = logging.getLogger(__name__)


class RegistryUnavailable(RuntimeError):
    """The registry could not be asked, or the version it named could not be loaded."""


class ModelRefused(RegistryUnavailable):
    """The alias names a version that is not safe to deserialize; the served model stays."""


@dataclass(frozen=True, slots=True)
class ServedModel:
    """A loaded model version and where it came from."""

    model: LoadedModel
    alias: str
    loaded_at: datetime

    @property
    def version(self) -> str:
        return str(self.model.version)


class ModelHolder:
    """Holds the served model; ``refresh`` follows the registry alias."""

    def __init__(self, settings: Settings, metrics: ServingMetrics, alias: str = PRODUCTION):
        self._settings = settings
        self._metrics = metrics
        self.alias = alias
        self._current: ServedModel | None = None
        self._refused: set[str] = set()
        self._lock = asyncio.Lock()

    @property
    def current(self) -> ServedModel | None:
        """The served model, or None before the first successful load."""
        return self._current

    async def refresh(self, *, force: bool = False) -> ServedModel | None:
        """Load the version the alias points at when it differs from the served one.

        The version is resolved first and then loaded by number, so an alias moving again mid-load
        cannot give a model whose version label is wrong. Concurrent calls (release event, poll,
        admin) are serialised and the later ones find nothing to do.

        Args:
            force: reload even when the served version is the alias' version (its tags, such as
                the threshold, may have changed), or a version refused before.

        Returns:
            The served model afterwards; None while the alias does not exist.

        Raises:
            RegistryUnavailable: the registry could not be read or the model not loaded; the
                served model is unchanged.
            ModelRefused: the alias' version was refused now (counted and logged); a later
                unforced call returns the served model without fetching it again.
        """
        async with self._lock:
            try:
                target = await asyncio.to_thread(self._alias_version)
                if target is None or self._settled(target, force=force):
                    return self._current
                loaded = await asyncio.to_thread(load_model, self._settings, target)
            except ModelNotFound:
                return self._current
            except UnsafeModel as error:
                self._refuse(error)
                raise ModelRefused(
                    f"models:/{self._name}@{self.alias} is {error}; still serving "
                    f"{self._served_version}"
                ) from error
            except Exception as error:
                self._metrics.model_reloads.labels(outcome="failed").inc()
                raise RegistryUnavailable(
                    f"cannot load models:/{self._name}@{self.alias}: {error}"
                ) from error
            return self.swap(loaded)

    def _settled(self, target: str, *, force: bool) -> bool:
        """True when ``target`` is served already or was refused before, and nothing forces."""
        if force:
            return False
        current = self._current
        return target in self._refused or (current is not None and current.version == target)

    def _refuse(self, error: UnsafeModel) -> None:
        self._refused.add(error.version)
        self._metrics.model_load_refused.labels(version=error.version, reason=error.reason).inc()
        logger.error(
            "refused to load %s@%s: %s; still serving %s",
            self._name,
            self.alias,
            error,
            self._served_version,
        )

    @property
    def _served_version(self) -> str:
        current = self._current
        return "no version" if current is None else f"version {current.version}"

    def _alias_version(self) -> str | None:
        version = aliases(self._settings).get(self.alias)
        return None if version is None else str(version)

    @property
    def _name(self) -> str:
        return self._settings.model_name

    def swap(self, loaded: LoadedModel) -> ServedModel:
        """Serve ``loaded`` from the next batch on; in-flight batches finish on the old model."""
        previous = self._current
        served = ServedModel(model=loaded, alias=self.alias, loaded_at=datetime.now(UTC))
        self._current = served
        self._metrics.model_reloads.labels(outcome="loaded").inc()
        self._metrics.serve_model(
            loaded.name, served.version, None if previous is None else previous.version
        )
        logger.info(
            "serving %s version %s (was %s)",
            loaded.name,
            served.version,
            "none" if previous is None else previous.version,
        )
        return served
