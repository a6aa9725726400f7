"""Match the reference to the part of the daily cycle a window covers.

A window of contiguous traffic covers whatever stretch of the day its rows took: 2000 rows are
fifteen hours on a busy Saturday and thirty on a quiet Sunday. Compared with a reference that
spans whole days, the hour-of-day mix of almost every window would look drifted (on the stable
scenario, half of all windows), and so would any feature that varies over the day. So the
reference is thinned to what the reference world would produce over the window's clock hours:
per hour of day, in proportion to how long the window covered it, each calendar day weighted by
its own traffic level (a Saturday evening followed by a quiet Sunday is not an evening surge).
What is left to detect is a change in the shape of the day: a shock that crowds the evening
still shows, because coverage counts clock time, not rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOUR_S = 3600
_DAY_S = 86_400
_EPOCH = pd.Timestamp(0, tz="UTC")


def as_utc(times: pd.Series) -> pd.Series:
    """Event times as aware UTC; a column that already is one is converted, not re-parsed."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times.dt.tz_convert("UTC")
    return pd.to_datetime(times, utc=True, cache=False)


def epoch_seconds(stamps: pd.Series) -> np.ndarray:
    """Whole seconds since the Unix epoch of aware UTC times, whatever their resolution
    (Parquet gives milliseconds, parsed JSON nanoseconds)."""
    return ((stamps - _EPOCH) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def hour_bins(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Start (epoch s) of each clock hour the rows' span touches, and the hours it overlaps.

    The span reaches half a mean gap beyond the first and the last row: traffic was there
    before the first row arrived, and an hour the data ends in is not short of rows.
    """
    stamps = as_utc(times).dropna()
    if stamps.empty:
        return np.zeros(0), np.zeros(0)
    first, last = stamps.min().timestamp(), stamps.max().timestamp()
    pad = (last - first) / (len(stamps) - 1) / 2 if len(stamps) > 1 else 0.0
    first, last = first - pad, last + pad
    starts = np.arange(np.floor(first / HOUR_S) * HOUR_S, last + 1, HOUR_S)
    overlap = np.clip(np.minimum(starts + HOUR_S, last) - np.maximum(starts, first), 0, None)
    if not overlap.any():  # every row at one instant: that instant's hour
        overlap[0] = HOUR_S
    return starts, overlap / HOUR_S


def hour_of_day(starts: np.ndarray) -> np.ndarray:
    """The hour of the day (UTC 0-23) of each ``hour_bins`` start."""
    return (starts // HOUR_S % 24).astype(int)


def coverage_of(starts: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """``hour_bins`` summed per hour of the day: the clock time each hour spends in the span."""
    return np.bincount(hour_of_day(starts), weights=overlap, minlength=24)


def hour_coverage(times: pd.Series) -> np.ndarray:
    """Hours of clock time each hour of the day (UTC 0-23) spends inside the rows' span."""
    return coverage_of(*hour_bins(times))


def day_weighted_coverage(times: pd.Series, hourly_rate: np.ndarray) -> np.ndarray:
    """``hour_coverage`` with each calendar day weighted by its traffic level in ``times``.

    A day's level is its rows over the rows ``hourly_rate`` (rows per hour of day) predicts for
    the hours of it covered, so weekday rhythms and slow growth cancel out while the hourly
    shape within each day is left to compare.
    """
    starts, overlap = hour_bins(times)
    if starts.size == 0:
        return np.zeros(24)
    hours = hour_of_day(starts)
    days = (starts // _DAY_S).astype(int) - int(starts[0] // _DAY_S)
    stamps = as_utc(times).dropna()
    row_days = epoch_seconds(stamps) // _DAY_S - int(starts[0] // _DAY_S)
    expected = np.bincount(days, weights=overlap * hourly_rate[hours])
    rows = np.bincount(row_days, minlength=expected.size)[: expected.size].astype(float)
    level = np.divide(rows, expected, out=np.zeros_like(expected), where=expected > 0)
    if level.size > 1:  # padding that spills past midnight has no rows: use its neighbour's level
        level[0] = level[0] if rows[0] else level[1]
        level[-1] = level[-1] if rows[-1] else level[-2]
    return np.bincount(hours, weights=overlap * level[days], minlength=24)


def matched_reference(
    reference: pd.DataFrame, window_times: pd.Series, time_column: str, seed: int
) -> pd.DataFrame:
    """The reference rows kept for a window: per hour of day, in proportion to its coverage.

    Coverage (``day_weighted_coverage``) is taken relative to the reference's own, so the
    best-matched hour keeps all its rows, one covered half as well keeps half of them (chosen by
    ``seed``), one the window never saw keeps none. Rows without an event time are kept.
    """
    times = as_utc(reference[time_column])
    hours = times.dt.hour.to_numpy(dtype=float)
    known = ~np.isnan(hours)
    reference_coverage = hour_coverage(times)
    counts = np.bincount(hours[known].astype(int), minlength=24)
    rate = np.divide(counts, reference_coverage, out=np.zeros(24), where=reference_coverage > 0)
    relative = np.divide(
        day_weighted_coverage(window_times, rate),
        reference_coverage,
        out=np.zeros(24),
        where=reference_coverage > 0,
    )
    keep_share = relative / relative.max() if relative.any() else np.ones(24)
    order = np.random.default_rng(seed).permutation(len(reference))
    group = np.where(known, hours, 24).astype(int)[order]  # 24: no event time, always kept
    rank = pd.Series(group).groupby(group).cumcount().to_numpy()
    quota = np.append(np.round(counts * keep_share), np.inf)
    return reference.iloc[np.sort(order[rank < quota[group]])]
