"""Each model version's reference, loaded from the registry once per process and kept.

A version's reference never changes (it is an artifact of the run that trained it), so a small
cache by version spares a download and a bootstrap per window. The share of its period's traffic
the sample holds comes along: a 25 % random holdout holds a quarter of the rows per hour that
period saw, which the volume profile scales back up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from driftwatch.monitor.assess import Reference
from driftwatch.settings import Settings

CACHED_VERSIONS = 4


class References:
    """Reference of each version of ``settings.model_name``, most recently used kept."""

    def __init__(self, settings: Settings, size: int = CACHED_VERSIONS) -> None:
        self.settings = settings
        self._size = size
        self._cache: OrderedDict[str, Reference] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str) -> Reference:
        """The prepared reference of ``version`` (blocking: call it from a worker thread).

        Raises:
            ModelNotFound: no such version.
            RegistryError: the version carries no reference.
        """
        with self._lock:
            if version in self._cache:
                self._cache.move_to_end(version)
                return self._cache[version]
            reference = self._load(version)
            self._cache[version] = reference
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
            return reference

    def _load(self, version: str) -> Reference:
        from driftwatch.training.registry import reference_frame

        frame = reference_frame(self.settings, version)
        return Reference.build(frame, traffic_share=self._holdout_share(version))

    def _holdout_share(self, version: str) -> float:
        """Share of the training period's rows the reference holds (1 for a given holdout)."""
        from driftwatch.training.store import client_for

        client = client_for(self.settings)
        run_id = client.get_model_version(self.settings.model_name, version).run_id
        if not run_id:
            return 1.0
        fraction = client.get_run(run_id).data.params.get("holdout_fraction", "given")
        try:
            share = float(fraction)
        except ValueError:  # "given": a holdout frame of unknown share was passed whole
            return 1.0
        return share if 0 < share <= 1 else 1.0
