"""Time matching: the reference thinned to the clock hours a window covered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftwatch.monitor.timematch import day_weighted_coverage, hour_coverage, matched_reference


def every(minutes: int, start: str, end: str) -> pd.Series:
    return pd.Series(pd.date_range(start, end, freq=f"{minutes}min", tz="UTC"))


def reference_frame() -> pd.DataFrame:
    """A row every 10 minutes for four whole days, plus a row without an event time."""
    times = list(every(10, "2026-11-02T00:00", "2026-11-05T23:50"))
    return pd.DataFrame({"timestamp": [*times, pd.NaT], "x": range(len(times) + 1)})


def test_coverage_counts_clock_time_per_hour_of_day() -> None:
    coverage = hour_coverage(every(1, "2026-11-02T10:30", "2026-11-02T13:00"))
    assert coverage[10] == pytest.approx(0.5 + 1 / 120)
    assert coverage[11] == coverage[12] == 1.0
    assert coverage.sum() == pytest.approx(2.5 + 1 / 60)


def test_a_window_of_whole_days_keeps_the_whole_reference() -> None:
    reference = reference_frame()
    window = every(10, "2026-11-10T00:00", "2026-11-11T23:50")
    assert len(matched_reference(reference, window, "timestamp", seed=1)) == len(reference)


def test_a_partial_day_keeps_its_hours_and_undated_rows_only() -> None:
    reference = reference_frame()
    window = every(1, "2026-11-10T10:30", "2026-11-10T13:00")
    kept = matched_reference(reference, window, "timestamp", seed=1)
    assert kept["timestamp"].dt.hour.value_counts().to_dict() == {11: 24, 12: 24, 10: 12}
    assert kept["timestamp"].isna().sum() == 1
    assert kept.equals(matched_reference(reference, window, "timestamp", seed=1))
    assert not kept.equals(matched_reference(reference, window, "timestamp", seed=2))


def test_a_busy_day_beside_a_quiet_one_is_not_an_hourly_shift() -> None:
    saturday = every(20, "2026-11-07T12:00", "2026-11-07T23:40")  # 3 rows an hour
    sunday = every(60, "2026-11-08T00:00", "2026-11-08T11:00")  # 1 row an hour
    window = pd.concat([saturday, sunday], ignore_index=True)
    shares = day_weighted_coverage(window, np.ones(24))
    shares /= shares.sum()
    rows = window.dt.hour.value_counts(normalize=True).sort_index()
    assert np.allclose(shares[1:11], rows[1:11], rtol=0.1)
    assert np.allclose(shares[13:23], rows[13:23], rtol=0.1)


def test_millisecond_timestamps_weigh_days_as_nanoseconds_do() -> None:
    """Parquet reads event times at millisecond resolution, parsed JSON at nanoseconds."""
    saturday = every(20, "2026-11-07T12:00", "2026-11-07T23:40")
    sunday = every(60, "2026-11-08T00:00", "2026-11-08T11:00")
    window = pd.concat([saturday, sunday], ignore_index=True)
    rate = np.ones(24)
    assert np.array_equal(
        day_weighted_coverage(window.dt.as_unit("ms"), rate), day_weighted_coverage(window, rate)
    )
