"""Each scenario shifts exactly what its ground truth names, where it says, and nothing else."""

from __future__ import annotations

import pandas as pd
import pytest

from driftwatch.contracts.features import LABEL, TIMESTAMP
from driftwatch.generator import generate
from tests.fixtures.data import drifted_columns

ROWS = 20_000


def test_stable_rejects_a_column_in_at_most_one_of_twenty_seeds() -> None:
    alarms = [
        seed
        for seed in range(100, 120)
        if drifted_columns(
            generate("baseline", 5_000, seed).frame, generate("stable", 5_000, seed).frame, 0.01
        )
    ]
    assert len(alarms) <= 1, alarms


@pytest.mark.parametrize("scenario", ["stable", "feature_drift", "concept_drift"])
def test_scenario_shifts_exactly_its_ground_truth_columns(scenario: str) -> None:
    data = generate(scenario, ROWS, 21)
    reference = generate("baseline", ROWS, 22).frame
    assert drifted_columns(reference, data.frame, 0.01) == list(data.ground_truth.shifted_columns)


def test_black_friday_shock_day_shifts_exactly_its_ground_truth_columns() -> None:
    """Rows in a fixed event-time window are an iid sample, so whole days compare cleanly."""
    data = generate("black_friday", 14_000, 21)
    shock = next(d for d in data.ground_truth.drifts if d.name == "shopping_day")
    shock_day = data.frame.iloc[shock.first_row : shock.end_row]
    reference = generate("baseline", ROWS, 22).frame
    week = reference[reference[TIMESTAMP] < pd.Timestamp("2026-11-09T00:00:00Z")]
    assert drifted_columns(week, shock_day, 0.01) == list(data.ground_truth.shifted_columns)


def test_feature_drift_names_its_columns_and_keeps_the_concept() -> None:
    truth = generate("feature_drift", ROWS, 1).ground_truth
    assert truth.shifted_columns == (
        "transaction_amount",
        "merchant_risk_score",
        "geo_distance_km",
        "channel",
    )
    assert not truth.p_fraud_given_x_changed
    assert not truth.volume_changed


def test_feature_drift_reaches_its_documented_magnitudes() -> None:
    drifted = generate("feature_drift", 40_000, 5).frame.iloc[10_000:]
    reference = generate("baseline", 40_000, 6).frame.iloc[10_000:]
    amount_ratio = drifted["transaction_amount"].median() / reference["transaction_amount"].median()
    distance_ratio = drifted["geo_distance_km"].median() / reference["geo_distance_km"].median()
    risk_shift = drifted["merchant_risk_score"].mean() - reference["merchant_risk_score"].mean()
    assert amount_ratio == pytest.approx(1.6, rel=0.06)
    assert distance_ratio == pytest.approx(1.8, rel=0.06)
    assert risk_shift == pytest.approx(0.10, abs=0.01)
    assert (drifted["channel"] == "online").mean() == pytest.approx(0.45, abs=0.015)


def test_rows_before_onset_come_from_the_baseline_world() -> None:
    data = generate("feature_drift", ROWS, 31)
    drift = data.ground_truth.drifts[0]
    assert (drift.first_row, drift.full_row, drift.end_row) == (4_000, 9_999, None)
    before = data.frame.iloc[: drift.first_row]
    assert drifted_columns(generate("baseline", 4_000, 32).frame, before, 0.01) == []


def test_ramp_grows_the_shift_linearly() -> None:
    frame = generate("feature_drift", ROWS, 41).frame
    medians = [frame["transaction_amount"].iloc[a : a + 2_000].median() for a in (0, 6_000, 12_000)]
    assert medians[0] < medians[1] < medians[2]
    assert medians[1] / medians[0] == pytest.approx(1.3, rel=0.12)  # mid-ramp: half of x1.6


def test_concept_drift_changes_the_label_not_the_features() -> None:
    truth = generate("concept_drift", ROWS, 1).ground_truth
    assert truth.shifted_columns == ()
    assert truth.p_fraud_given_x_changed
    drift = truth.drifts[0]
    assert (drift.first_row, drift.full_row) == (4_000, 7_999)


def test_concept_drift_moves_fraud_from_international_to_night() -> None:
    def fraud_rate_by(frame: pd.DataFrame, mask: pd.Series) -> float:
        return float(frame.loc[mask, LABEL].mean())

    night_hours = [22, 23, 0, 1, 2, 3, 4, 5]
    before = generate("baseline", 60_000, 7).frame
    after = generate("concept_drift", 60_000, 7).frame.iloc[8_000:]
    abroad_vs_home = [
        fraud_rate_by(frame, frame["is_international"] == 1)
        / fraud_rate_by(frame, frame["is_international"] == 0)
        for frame in (before, after)
    ]
    # What is left abroad comes through distance and riskier merchant categories.
    assert abroad_vs_home[1] < abroad_vs_home[0] / 4
    night = after["transaction_hour"].isin(night_hours)
    assert fraud_rate_by(after, night) > 10 * fraud_rate_by(after, ~night)


def test_black_friday_is_a_bounded_shock_in_event_time() -> None:
    data = generate("black_friday", 14_000, 3)
    frame, truth = data.frame, data.ground_truth
    assert truth.volume_changed
    assert truth.p_fraud_given_x_changed
    shock = next(d for d in truth.drifts if d.name == "shopping_day")
    assert shock.first_time is not None
    assert shock.first_time.startswith("2026-11-27T00")
    assert shock.end_time is not None
    assert shock.end_time.startswith("2026-11-28T00")
    in_shock = frame.iloc[shock.first_row : shock.end_row]
    assert in_shock[TIMESTAMP].dt.day.eq(27).all()
    assert frame.iloc[shock.end_row :][TIMESTAMP].dt.day.ge(28).all()


def test_black_friday_evening_has_more_rows_per_event_time_hour() -> None:
    data = generate("black_friday", 14_000, 3)
    frame = data.frame
    rush = next(d for d in data.ground_truth.drifts if d.name == "evening_rush")
    assert rush.first_time is not None
    assert rush.first_time.startswith("2026-11-27T20")
    stamps = frame[TIMESTAMP]
    evening = frame["transaction_hour"].between(20, 23)
    thursday = evening & stamps.dt.day.eq(26)
    friday = evening & stamps.dt.day.eq(27)
    assert thursday.sum() > 0
    ratio = friday.sum() / thursday.sum()
    assert ratio == pytest.approx(2.2 * 1.10, rel=0.15)  # x2.2 on top of Friday's usual +10 %
    thursday_amount = frame.loc[thursday, "transaction_amount"].median()
    assert frame.loc[friday, "transaction_amount"].median() > 2 * thursday_amount


def test_black_friday_changes_the_fraud_odds() -> None:
    frame = generate("black_friday", 60_000, 8).frame
    shock_day = frame[TIMESTAMP].dt.day.eq(27)
    in_shock = frame.loc[shock_day, LABEL].mean()
    outside = frame.loc[~shock_day, LABEL].mean()
    assert in_shock > 1.35 * outside
