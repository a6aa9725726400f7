"""Traffic per event-time hour, a window against its reference, so a shock shows as volume.

Rates come from event time, not arrival time: a replayed or delayed stream has the volume the
world had, and a window of 2000 rows that covered four hours instead of a day says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftwatch.contracts.events import VolumeProfile

_MIN_SPAN_H = 1 / 3600  # a window whose rows share one timestamp spans one second, not zero


def rows_per_hour(times: pd.Series) -> float:
    """Arrival rate over the event-time span: (rows - 1) gaps in (last - first) hours."""
    stamps = pd.to_datetime(times, utc=True).dropna()
    if len(stamps) < 2:
        return 0.0
    span_h = (stamps.max() - stamps.min()).total_seconds() / 3600
    return (len(stamps) - 1) / max(span_h, _MIN_SPAN_H)


def hourly_share(times: pd.Series) -> list[float]:
    """Share of rows in each UTC hour of the day, 0 to 23 (all zero for no rows)."""
    hours = pd.to_datetime(times, utc=True).dropna().dt.hour.to_numpy()
    counts = np.bincount(hours, minlength=24).astype(float)
    total = counts.sum()
    return (counts / total).tolist() if total else [0.0] * 24


def volume_profile(
    current: pd.Series, reference: pd.Series, *, reference_rows_per_hour: float | None = None
) -> VolumeProfile:
    """The window's rate and hour-of-day mix beside the reference's.

    Args:
        current: event times of the window.
        reference: event times of the reference sample, for its hour-of-day mix.
        reference_rows_per_hour: the reference traffic rate when the sample's own rate is not it
            (a holdout drawn at random from the training period holds a fraction of its traffic).
    """
    rate = rows_per_hour(current)
    reference_rate = (
        rows_per_hour(reference) if reference_rows_per_hour is None else reference_rows_per_hour
    )
    return VolumeProfile(
        rows_per_hour=rate,
        reference_rows_per_hour=reference_rate,
        ratio=rate / reference_rate if reference_rate > 0 else 0.0,
        hourly_share=hourly_share(current),
        reference_hourly_share=hourly_share(reference),
    )
