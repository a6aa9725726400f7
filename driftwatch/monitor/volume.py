"""Traffic per event-time hour, a window against its reference, so a shock shows as volume.

Rates come from event time, not arrival time: a replayed or delayed stream has the volume the
world had. The reference side is what the reference world would have produced over the same
clock hours the window covered (its rate per hour of day, weighted by the window's coverage; see
``timematch``), so a quiet night window is not "low volume" and an afternoon is not a surge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftwatch.contracts.events import VolumeProfile
from driftwatch.monitor.timematch import as_utc, hour_coverage

_MIN_SPAN_H = 1 / 3600  # rows that share one timestamp span one second, not zero


def _hours(times: pd.Series) -> np.ndarray:
    return as_utc(times).dropna().dt.hour.to_numpy()


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return (counts / total).tolist() if total > 0 else [0.0] * 24


def volume_profile(
    current: pd.Series, reference: pd.Series, *, reference_share: float = 1.0
) -> VolumeProfile:
    """The window's rows per hour and hour-of-day mix beside the reference's over its hours.

    Args:
        current: event times of the window.
        reference: event times of the reference sample.
        reference_share: share of its period's traffic the reference sample holds (a 25 %
            random holdout holds a quarter of the rows per hour that period saw).
    """
    coverage = hour_coverage(current)
    span_h = max(float(coverage.sum()), _MIN_SPAN_H)
    rows = len(_hours(current))
    reference_span = hour_coverage(reference)
    reference_counts = np.bincount(_hours(reference), minlength=24).astype(float)
    hourly_rate = np.divide(
        reference_counts / reference_share,
        reference_span,
        out=np.zeros(24),
        where=reference_span > 0,
    )
    expected = coverage * hourly_rate  # rows the reference world makes in the window's hours
    reference_rate = float(expected.sum()) / span_h
    rate = rows / span_h
    return VolumeProfile(
        rows_per_hour=rate,
        reference_rows_per_hour=reference_rate,
        ratio=rate / reference_rate if reference_rate > 0 else 0.0,
        hourly_share=_shares(np.bincount(_hours(current), minlength=24).astype(float)),
        reference_hourly_share=_shares(expected),
    )
