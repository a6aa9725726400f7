"""Per-row drift strength and the blending of each effect into a baseline column.

A drift's weight is 0 before its onset, rises linearly over its ramp to 1 and falls back to 0 at
its end; with ``hours`` set it is 0 outside those local hours. Every effect is blended by that
weight, so the data at any row is a known mix of the baseline world and the drifted one.
"""

from __future__ import annotations

import numpy as np

from driftwatch.generator.clock import VolumeFn
from driftwatch.generator.scenario import Drift, Point


def progress(drift: Drift, position: np.ndarray) -> np.ndarray:
    """Strength 0..1 of ``drift`` at ``position`` (row index or hours since start, its unit).

    A row-based drift with a ramp of R rows touches its onset row at 1/R and is full R-1 rows
    later; a drift without a ramp is full from its onset.
    """
    onset = drift.onset.value
    ramp = drift.ramp.value if drift.ramp is not None else 0.0
    step = 1.0 if drift.onset.unit == "rows" else 0.0  # the onset row itself already moves
    if ramp > 0:
        weight = np.clip((position - onset + step) / ramp, 0.0, 1.0)
    else:
        weight = (position >= onset).astype(float)
    weight = np.where(position >= onset, weight, 0.0)
    if drift.end is not None:
        weight = np.where(position < drift.end.value, weight, 0.0)
    return weight


def within_hours(drift: Drift, weight: np.ndarray, hour_of_day: np.ndarray) -> np.ndarray:
    """``weight`` set to 0 outside the drift's hours of the day (unchanged when it has none)."""
    if drift.hours is None:
        return weight
    return weight * np.isin(hour_of_day, drift.hours)


def position_of(point: Point, rows: np.ndarray, hours_since_start: np.ndarray) -> np.ndarray:
    """Rows or hours, whichever unit ``point`` counts in."""
    return rows.astype(float) if point.unit == "rows" else hours_since_start


def volume_multiplier(drifts: tuple[Drift, ...]) -> VolumeFn:
    """Per-hour-bin volume function for :func:`clock.arrivals`: every volume drift blended in."""
    changes = [(d, d.volume.multiplier) for d in drifts if d.volume is not None]

    def multiplier(hours_since_start: np.ndarray, hour_of_day: np.ndarray) -> np.ndarray:
        total = np.ones(hours_since_start.shape)
        for drift, factor in changes:
            weight = within_hours(drift, progress(drift, hours_since_start), hour_of_day)
            total = total * (1.0 + weight * (factor - 1.0))
        return total

    return multiplier


def blend_numeric(
    values: np.ndarray, feature: str, drifts: tuple[Drift, ...], weights: dict[str, np.ndarray]
) -> np.ndarray:
    """``values`` with every drift's scale (then shift) on ``feature`` blended in."""
    for drift in drifts:
        change = drift.features.get(feature)
        if change is None:
            continue
        weight = weights[drift.name]
        if change.scale is not None:
            values = values * (1.0 + weight * (change.scale - 1.0))
        if change.shift is not None:
            values = values + weight * change.shift
    return values


def blend_mix(
    base: np.ndarray,
    feature: str,
    categories: tuple[str, ...],
    drifts: tuple[Drift, ...],
    weights: dict[str, np.ndarray],
) -> np.ndarray:
    """Category shares: ``base`` (k,) when nothing drifts, else per row (n, k)."""
    shares = base
    for drift in drifts:
        change = drift.features.get(feature)
        if change is None or change.mix is None:
            continue
        target = np.array([change.mix.get(c, 0.0) for c in categories])
        weight = weights[drift.name][:, None]
        shares = (1.0 - weight) * shares + weight * target
    return shares


def blend_rate(
    base: np.ndarray, feature: str, drifts: tuple[Drift, ...], weights: dict[str, np.ndarray]
) -> np.ndarray:
    """Per-row probability of a binary feature with every drift's ``rate`` blended in."""
    for drift in drifts:
        change = drift.features.get(feature)
        if change is None or change.rate is None:
            continue
        weight = weights[drift.name]
        base = (1.0 - weight) * base + weight * change.rate
    return base


def draw_categories(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    """Integer codes drawn from ``shares`` (one uniform per row, so rows stay aligned)."""
    uniform = rng.random(n)
    if shares.ndim == 1:
        cumulative = np.cumsum(shares / shares.sum())
        return np.minimum(np.searchsorted(cumulative, uniform, side="right"), shares.size - 1)
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((uniform[:, None] >= cumulative).sum(axis=1), shares.shape[1] - 1)
