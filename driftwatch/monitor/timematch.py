"""Match the reference to the part of the daily cycle a window covers.

A window of contiguous traffic covers whatever stretch of the day its rows took: 2000 rows are
fifteen hours on a busy Saturday and thirty on a quiet Sunday. Compared with a reference that
spans whole days, the hour-of-day mix of almost every window would look drifted (on the stable
scenario, half of all windows), and so would any feature that varies over the day. So the
reference is thinned to the window's coverage first: for each hour of the day, its rows are kept
in proportion to how long the window's event-time span covered that hour. What remains is what
the reference world produces over the same hours; a shock that crowds the evening still shows,
because coverage counts clock time, not rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_HOUR_S = 3600


def hour_coverage(times: pd.Series) -> np.ndarray:
    """Hours of clock time each hour of the day (UTC 0-23) spends inside [first, last]."""
    stamps = pd.to_datetime(times, utc=True).dropna()
    if stamps.empty:
        return np.zeros(24)
    first = stamps.min().timestamp()
    last = stamps.max().timestamp()
    starts = np.arange(np.floor(first / _HOUR_S) * _HOUR_S, last + 1, _HOUR_S)
    overlap = np.clip(np.minimum(starts + _HOUR_S, last) - np.maximum(starts, first), 0, None)
    if not overlap.any():  # every row at one instant: that instant's hour
        overlap[0] = 1.0
    hours = (starts // _HOUR_S % 24).astype(int)
    return np.bincount(hours, weights=overlap / _HOUR_S, minlength=24)


def matched_reference(
    reference: pd.DataFrame, window_times: pd.Series, time_column: str, seed: int
) -> pd.DataFrame:
    """The reference rows kept for a window: per hour of day, in proportion to its coverage.

    Coverage is relative to the reference's own: an hour the window covered as well as the
    reference did (per hour of reference coverage) keeps all its rows, one covered half as well
    keeps half of them (chosen by ``seed``), one the window never saw keeps none. Rows without
    an event time are kept.
    """
    times = pd.to_datetime(reference[time_column], utc=True)
    reference_coverage = hour_coverage(times)
    relative = np.divide(
        hour_coverage(window_times),
        reference_coverage,
        out=np.zeros(24),
        where=reference_coverage > 0,
    )
    keep_share = relative / relative.max() if relative.any() else np.ones(24)
    order = np.random.default_rng(seed).permutation(len(reference))
    hours = times.dt.hour.to_numpy(dtype=float)[order]
    group = np.where(np.isnan(hours), 24, hours).astype(int)  # 24: no event time, always kept
    rank = pd.Series(group).groupby(group).cumcount().to_numpy()
    quota = np.append(np.round(np.bincount(group, minlength=25)[:24] * keep_share), np.inf)
    return reference.iloc[np.sort(order[rank < quota[group]])]
