"""What a generated data set really contains: the answer key detectors are scored against."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np

from driftwatch.contracts.features import FEATURE_NAMES
from driftwatch.contracts.vocabulary import IncidentType
from driftwatch.generator.scenario import Drift
from driftwatch.generator.world import descendants

VOLUME_COLUMNS = ("timestamp", "transaction_hour")  # volume moves the event times and their hours


@dataclass(frozen=True, slots=True)
class DriftTruth:
    """One drift as it landed in the data; rows are 0-based indices in event-time order.

    Attributes:
        columns: Feature columns the drift changes directly.
        induced_columns: Feature columns drawn from a changed column, so they move too.
        first_row: First row the drift changes (None: no row in this data).
        full_row: First row changed at full strength (None: the ramp does not finish here).
        end_row: First row after the drift's window closed (None: open at the last row).
        affected_rows: Rows with non-zero strength (after any hour-of-day restriction).
    """

    name: str
    incident_type: IncidentType
    description: str
    unit: str
    columns: tuple[str, ...]
    induced_columns: tuple[str, ...]
    effects: dict[str, dict[str, Any]]
    fraud: dict[str, Any] | None
    volume_multiplier: float | None
    hours: tuple[int, ...] | None
    p_fraud_given_x_changed: bool
    first_row: int | None
    full_row: int | None
    end_row: int | None
    first_time: str | None
    full_time: str | None
    end_time: str | None
    affected_rows: int


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Ground truth of one generated data set.

    Attributes:
        start: Configured start of the event-time clock (the first row comes a little later).
        shifted_columns: Feature columns whose distribution differs from the baseline world
            somewhere in this data (direct and induced, over drifts that touch a row).
        p_fraud_given_x_changed: True when the label's link to the features changed somewhere.
        volume_changed: True when transactions per event-time hour differ from the baseline.
    """

    scenario: str
    seed: int
    rows: int
    start: str
    first_event: str
    last_event: str
    fraud_rate: float
    shifted_columns: tuple[str, ...]
    p_fraud_given_x_changed: bool
    volume_changed: bool
    drifts: tuple[DriftTruth, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples become lists)."""
        return asdict(self)


def drift_truth(
    drift: Drift, progress: np.ndarray, weight: np.ndarray, epoch_ms: np.ndarray
) -> DriftTruth:
    """Locate ``drift`` in the rows.

    Args:
        drift: The drift as configured.
        progress: Its strength per row ignoring any hour-of-day restriction (finds the end).
        weight: Its strength per row as applied (finds the first and the first full row).
        epoch_ms: Event times, to report the rows' times.
    """
    direct = set(drift.features)
    if drift.volume is not None:
        direct |= {c for c in VOLUME_COLUMNS if c in FEATURE_NAMES}
    induced: set[str] = set().union(*(descendants(c) for c in direct))
    first = _first(weight > 0)
    full = _first(weight >= 1.0)
    end = None
    if drift.end is not None and first is not None:
        after = np.flatnonzero((progress == 0) & (np.arange(progress.size) > first))
        end = int(after[0]) if after.size else None
    return DriftTruth(
        name=drift.name,
        incident_type=drift.incident_type,
        description=drift.description,
        unit=drift.onset.unit,
        columns=_ordered(direct),
        induced_columns=_ordered(induced - direct),
        effects={k: v.model_dump(exclude_none=True) for k, v in drift.features.items()},
        fraud=drift.fraud.model_dump() if drift.fraud is not None else None,
        volume_multiplier=drift.volume.multiplier if drift.volume is not None else None,
        hours=drift.hours,
        p_fraud_given_x_changed=drift.changes_concept,
        first_row=first,
        full_row=full,
        end_row=end,
        first_time=_iso(epoch_ms, first),
        full_time=_iso(epoch_ms, full),
        end_time=_iso(epoch_ms, end),
        affected_rows=int(np.count_nonzero(weight)),
    )


def ground_truth(
    *,
    scenario: str,
    seed: int,
    start: datetime,
    epoch_ms: np.ndarray,
    fraud_rate: float,
    drifts: tuple[DriftTruth, ...],
) -> GroundTruth:
    """Assemble the data set's ground truth from its drifts as they landed."""
    landed = [d for d in drifts if d.affected_rows > 0]
    shifted = {c for d in landed for c in (*d.columns, *d.induced_columns)}
    return GroundTruth(
        scenario=scenario,
        seed=seed,
        rows=int(epoch_ms.size),
        start=start.isoformat(),
        first_event=str(_iso(epoch_ms, 0)),
        last_event=str(_iso(epoch_ms, epoch_ms.size - 1)),
        fraud_rate=fraud_rate,
        shifted_columns=_ordered(shifted),
        p_fraud_given_x_changed=any(d.p_fraud_given_x_changed for d in landed),
        volume_changed=any(d.volume_multiplier not in (None, 1.0) for d in landed),
        drifts=drifts,
    )


def _iso(epoch_ms: np.ndarray, row: int | None) -> str | None:
    """ISO-8601 UTC event time of ``row`` (None stays None)."""
    if row is None:
        return None
    return np.datetime_as_string(epoch_ms[row].astype("datetime64[ms]"), unit="ms") + "Z"


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _ordered(columns: set[str]) -> tuple[str, ...]:
    """Feature columns in schema order (the schema is the one ordering everyone shares)."""
    return tuple(c for c in FEATURE_NAMES if c in columns)
