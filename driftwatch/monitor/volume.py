"""Traffic per event-time hour, a window against its reference, so a shock shows as volume.

Rates come from event time, not arrival time: a replayed or delayed stream has the volume the
world had. The reference side is what the reference world would have produced over the same
clock hours the window covered (its rate per hour of day, weighted by the window's coverage; see
``timematch``), so a quiet night window is not "low volume" and an afternoon is not a surge.

A shock lasts hours, a window days: an evening rush of x2.2 in a four-day window lifts the
window's rate by a few percent. So each event-time hour is also tested on its own against the
reference rate of its hour of day, with a conditional binomial test (given both counts, is the
window's share of them larger than its share of the exposure?), which carries the noise of a
small reference as well as the window's. Hours pass at a Bonferroni-corrected ``SURGE_ALPHA``;
on stable traffic about 4 % of 8000-row windows hold one such hour (weekday rhythm, ratios up to
~1.6), and none a ratio of 1.8, while a Black-Friday evening shows four hours of ~2.6.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy.stats import binom

from driftwatch.contracts.events import VolumeProfile
from driftwatch.monitor.timematch import (
    HOUR_S,
    as_utc,
    coverage_of,
    epoch_seconds,
    hour_bins,
    hour_coverage,
    hour_of_day,
)

SURGE_ALPHA = 0.01
"""Chance that a window of steady traffic reports any surge hour (before weekday rhythm)."""
_MIN_REFERENCE_H = 0.5
"""Clock time a reference must spend in an hour of day to give that hour a rate."""

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

    Rows per hour compare over the hours of day the reference covers: a reference of half a
    day has no rate for the other half, and counting those hours' rows would read as a surge.

    Args:
        current: event times of the window.
        reference: event times of the reference sample.
        reference_share: share of its period's traffic the reference sample holds (a 25 %
            random holdout holds a quarter of the rows per hour that period saw).
    """
    stamps = as_utc(current).dropna()
    starts, overlap = hour_bins(stamps)
    reference_span = hour_coverage(reference)
    # Hours of day the reference has a rate for (a retrained model's reference can span less
    # than a day, and the padding at its ends touches an hour for minutes): compare over those.
    seen = reference_span >= _MIN_REFERENCE_H
    window_hours = stamps.dt.hour.to_numpy()
    coverage = np.where(seen, coverage_of(starts, overlap), 0.0)
    span_h = max(float(coverage.sum()), _MIN_SPAN_H)
    rows = int(seen[window_hours].sum())
    reference_counts = np.bincount(_hours(reference), minlength=24).astype(float)
    hourly_rate = np.divide(
        reference_counts / reference_share, reference_span, out=np.zeros(24), where=seen
    )
    expected = coverage * hourly_rate  # rows the reference world makes in the window's hours
    reference_rate = float(expected.sum()) / span_h
    rate = rows / span_h
    surge = _surge(stamps, starts, overlap, reference_counts, reference_span * reference_share)
    return VolumeProfile(
        rows_per_hour=rate,
        reference_rows_per_hour=reference_rate,
        ratio=rate / reference_rate if reference_rate > 0 else 0.0,
        hourly_share=_shares(np.bincount(window_hours, minlength=24).astype(float)),
        reference_hourly_share=_shares(expected),
        peak_ratio=surge.peak_ratio,
        peak_hour=surge.peak_hour,
        surge_hours=surge.hours,
    )


@dataclass(frozen=True, slots=True)
class _Surge:
    peak_ratio: float | None
    peak_hour: datetime | None
    hours: int


def _surge(
    stamps: pd.Series,
    starts: np.ndarray,
    overlap: np.ndarray,
    reference_counts: np.ndarray,
    exposure: np.ndarray,
) -> _Surge:
    """The event-time hours whose rows significantly exceed the reference rate of their hour.

    Args:
        stamps: event times of the window (aware UTC, no nulls).
        starts, overlap: ``hour_bins`` of them.
        reference_counts: reference rows per hour of day.
        exposure: hours of full traffic the reference stands for, per hour of day (its clock
            coverage times the share of traffic it sampled).
    """
    if starts.size == 0:
        return _Surge(None, None, 0)
    slot = np.clip((epoch_seconds(stamps) - int(starts[0])) // HOUR_S, 0, starts.size - 1)
    counts = np.bincount(slot, minlength=starts.size).astype(float)
    hour = hour_of_day(starts)
    reference, reference_hours = reference_counts[hour], exposure[hour]
    judged = (reference > 0) & (overlap > 0)  # an hour of day the reference never saw: no rate
    window_share = np.divide(
        overlap, overlap + reference_hours, where=judged, out=np.ones_like(overlap)
    )
    p_value = binom.sf(counts - 1, counts + reference, window_share)
    surging = judged & (p_value < SURGE_ALPHA / max(int(judged.sum()), 1))
    if not surging.any():
        return _Surge(None, None, 0)
    ratio = np.divide(
        counts * reference_hours, overlap * reference, where=surging, out=np.zeros_like(counts)
    )
    peak = int(np.argmax(ratio))
    return _Surge(float(ratio[peak]), datetime.fromtimestamp(starts[peak], UTC), int(surging.sum()))
