"""Volume per event-time hour: the window against what the reference makes over its hours."""

from __future__ import annotations

import pandas as pd
import pytest

from driftwatch.monitor.volume import volume_profile


def every(minutes: float, start: str, end: str) -> pd.Series:
    return pd.Series(pd.date_range(start, end, freq=pd.Timedelta(minutes=minutes), tz="UTC"))


REFERENCE = every(10, "2026-11-02T00:00", "2026-11-08T23:50")  # 6 rows an hour for a week


def test_the_same_rate_gives_a_ratio_of_one() -> None:
    profile = volume_profile(every(10, "2026-11-20T08:00", "2026-11-20T15:50"), REFERENCE)
    assert profile.rows_per_hour == pytest.approx(6.0, rel=0.01)
    assert profile.ratio == pytest.approx(1.0, rel=0.01)
    assert profile.reference_hourly_share[8] == pytest.approx(1 / 8, rel=0.02)
    assert profile.reference_hourly_share[3] == 0.0


def test_a_surge_shows_in_the_ratio_and_the_hourly_mix() -> None:
    calm = every(10, "2026-11-20T00:00", "2026-11-20T19:50")
    rush = every(2.5, "2026-11-20T20:00", "2026-11-20T23:57.5")  # four times the rate
    profile = volume_profile(pd.concat([calm, rush], ignore_index=True), REFERENCE)
    assert profile.ratio == pytest.approx((120 + 96) / 144, rel=0.02)
    assert sum(profile.hourly_share[20:]) > 2 * sum(profile.reference_hourly_share[20:])


def test_a_holdout_sample_is_scaled_back_to_its_traffic() -> None:
    window = every(10, "2026-11-20T08:00", "2026-11-20T15:50")
    sample = REFERENCE.iloc[::4]  # a quarter of the rows
    profile = volume_profile(window, sample, reference_share=0.25)
    assert profile.ratio == pytest.approx(1.0, rel=0.05)


def test_a_few_surging_hours_in_a_long_window_show_as_its_peak() -> None:
    calm = every(10, "2026-11-20T00:00", "2026-11-23T19:50")  # four days at the reference rate
    rush = every(2.5, "2026-11-23T20:00", "2026-11-23T23:57.5")  # then four hours at 4x
    profile = volume_profile(pd.concat([calm, rush], ignore_index=True), REFERENCE)
    assert profile.ratio < 1.15  # diluted over the window
    assert profile.peak_ratio == pytest.approx(4.0, rel=0.05)
    assert profile.peak_hour == pd.Timestamp("2026-11-23T20:00", tz="UTC")
    assert profile.surge_hours == 4


def test_steady_traffic_has_no_peak() -> None:
    profile = volume_profile(every(10, "2026-11-20T00:00", "2026-11-23T23:50"), REFERENCE)
    assert (profile.peak_ratio, profile.peak_hour, profile.surge_hours) == (None, None, 0)


def test_an_hour_the_reference_never_saw_is_not_judged() -> None:
    night_less = REFERENCE[REFERENCE.dt.hour != 3]
    window = every(10, "2026-11-20T00:00", "2026-11-20T23:50")
    burst = every(0.5, "2026-11-20T03:00", "2026-11-20T03:59.5")
    profile = volume_profile(pd.concat([window, burst], ignore_index=True), night_less)
    assert profile.peak_ratio is None


def test_a_reference_of_half_a_day_compares_rates_over_its_hours_only() -> None:
    half_day = every(10, "2026-11-02T08:00", "2026-11-02T19:50")  # a retrained model's holdout
    profile = volume_profile(every(10, "2026-11-20T00:00", "2026-11-21T23:50"), half_day)
    assert profile.ratio == pytest.approx(1.0, rel=0.02)
    assert profile.rows_per_hour == pytest.approx(6.0, rel=0.02)


def test_millisecond_timestamps_give_the_same_profile() -> None:
    """Parquet reads event times at millisecond resolution, parsed JSON at nanoseconds."""
    calm = every(10, "2026-11-20T00:00", "2026-11-23T19:50")
    rush = every(2.5, "2026-11-23T20:00", "2026-11-23T23:57.5")
    window = pd.concat([calm, rush], ignore_index=True)
    assert volume_profile(window.dt.as_unit("ms"), REFERENCE) == volume_profile(window, REFERENCE)
