"""Event times: a Poisson process whose rate follows the hour of day and the day of the week.

The series covers the span in which ``n`` arrivals are expected, and the ``n`` event times are
drawn as independent points with density proportional to the intensity, then sorted: exactly a
Poisson process conditioned on its count. Independent points keep the hour-of-day column an iid
sample (two data sets of one world pass two-sample tests on it, which a cumulative-gap process
would not: its end time wanders), the whole series is vectorised, and a volume drift simply
multiplies the intensity of the hours it covers (the same rows then fill less time).

Local time is UTC: the card market is modelled as one time zone, so ``transaction_hour`` is the
timestamp's UTC hour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from driftwatch.generator.world import HOURLY_VOLUME, WEEKDAY_VOLUME

_HOURLY = np.array(HOURLY_VOLUME) / np.mean(HOURLY_VOLUME)
_WEEKDAY = np.array(WEEKDAY_VOLUME) / np.mean(WEEKDAY_VOLUME)
_MS_PER_HOUR = 3_600_000
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)

# Per-hour volume multiplier from (hours since start at the bin's middle, hour of day).
VolumeFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Event times of ``n`` transactions in order."""

    epoch_ms: np.ndarray  # int64 milliseconds since the Unix epoch, UTC
    hours_since_start: np.ndarray  # float, for time-based drift onsets
    hour_of_day: np.ndarray  # int64 0..23, the same hour the timestamp shows


def arrivals(
    rng: np.random.Generator, n: int, start: datetime, rows_per_day: float, volume: VolumeFn
) -> Arrivals:
    """Draw ``n`` sorted event times from ``start`` at a mean of ``rows_per_day``.

    Args:
        rng: The call's generator (one draw of ``n`` uniforms).
        n: Number of transactions.
        start: Event time the series starts from (aware).
        rows_per_day: Mean transactions per day over a week, before ``volume``.
        volume: Extra multiplier per hour bin (1 everywhere when nothing drifts).
    """
    start_ms = int(start.timestamp() * 1000)
    origin_hour = start_ms // _MS_PER_HOUR  # bins are whole UTC hours from the start's hour
    offset = (start_ms - origin_hour * _MS_PER_HOUR) / _MS_PER_HOUR
    horizon = int(np.ceil(offset + 1.5 * n * 24.0 / rows_per_day)) + 48
    while True:
        bins = origin_hour + np.arange(horizon)
        hod = bins % 24
        weekday = (bins // 24 + _EPOCH_WEEKDAY) % 7
        rate = rows_per_day / 24.0 * _HOURLY[hod] * _WEEKDAY[weekday]
        rate = rate * volume(np.arange(horizon) + 0.5 - offset, hod)
        cumulative = np.concatenate(([0.0], np.cumsum(rate)))
        first = int(offset)
        at_start = cumulative[first] + (offset - first) * rate[first]
        if cumulative[-1] >= at_start + n:
            break
        horizon *= 2
    target = np.sort(rng.uniform(at_start, at_start + n, n))
    k = np.searchsorted(cumulative, target, side="right") - 1
    hours = k + (target - cumulative[k]) / rate[k]
    epoch_ms = origin_hour * _MS_PER_HOUR + np.floor(hours * _MS_PER_HOUR).astype(np.int64)
    return Arrivals(
        epoch_ms=epoch_ms,
        hours_since_start=(epoch_ms - start_ms) / _MS_PER_HOUR,
        hour_of_day=(epoch_ms // _MS_PER_HOUR) % 24,
    )
