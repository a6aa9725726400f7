"""Drift strength over rows and event time, and how it lands in the ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from driftwatch.generator import Drift, Scenario, generate
from driftwatch.generator.drift import progress, within_hours


def _drift(**timing: object) -> Drift:
    return Drift.model_validate(
        {"name": "d", "incident_type": "feature_drift", "features": {"customer_age": {"shift": 5}}}
        | timing
    )


def test_row_ramp_touches_the_onset_row_and_is_full_ramp_minus_one_rows_later() -> None:
    weight = progress(_drift(onset={"row": 2}, ramp={"rows": 4}), np.arange(8.0))
    assert weight.tolist() == [0, 0, 0.25, 0.5, 0.75, 1, 1, 1]


def test_no_ramp_is_a_step_and_end_closes_the_window() -> None:
    weight = progress(_drift(onset={"row": 2}, end={"row": 5}), np.arange(7.0))
    assert weight.tolist() == [0, 0, 1, 1, 1, 0, 0]


def test_hour_ramp_is_linear_in_event_time() -> None:
    weight = progress(_drift(onset={"hours": 10}, ramp={"hours": 4}), np.array([9.0, 11.0, 14.5]))
    assert weight.tolist() == [0, 0.25, 1]


def test_hours_restriction_zeroes_other_hours() -> None:
    drift = _drift(onset={"row": 0}, hours=[20, 21])
    assert within_hours(drift, np.ones(3), np.array([19, 20, 21])).tolist() == [0, 1, 1]


def test_time_based_ramp_lands_in_the_ground_truth() -> None:
    scenario = Scenario(
        name="older",
        description="Older customers from day two.",
        drifts=(_drift(onset={"hours": 24}, ramp={"hours": 24}),),
    )
    truth = generate(scenario, 6_000, 1).ground_truth
    drift = truth.drifts[0]
    assert drift.first_time is not None
    assert drift.first_time.startswith("2026-11-03T00")
    assert drift.full_time is not None
    assert drift.full_time.startswith("2026-11-04T00")
    assert drift.unit == "hours"
    assert truth.shifted_columns == ("customer_age", "account_tenure_days")
    assert drift.induced_columns == ("account_tenure_days",)


def test_a_drift_after_the_last_row_shifts_nothing() -> None:
    scenario = Scenario(
        name="late", description="Too late to show.", drifts=(_drift(onset={"row": 10_000}),)
    )
    truth = generate(scenario, 100, 1).ground_truth
    assert truth.shifted_columns == ()
    assert truth.drifts[0].first_row is None
    assert truth.drifts[0].affected_rows == 0


@pytest.mark.parametrize("multiplier", [0.5, 3.0])
def test_volume_changes_rows_per_event_time_hour(multiplier: float) -> None:
    scenario = Scenario(
        name="busy",
        description="Volume changes from day two.",
        drifts=(
            Drift.model_validate(
                {
                    "name": "v",
                    "incident_type": "shock",
                    "onset": {"hours": 24},
                    "volume": {"multiplier": multiplier},
                }
            ),
        ),
    )
    stamps = generate(scenario, 8_000, 2).frame["timestamp"]
    per_day = stamps.dt.floor("D").value_counts().sort_index()
    assert per_day.iloc[1] / per_day.iloc[0] == pytest.approx(multiplier, rel=0.12)
