"""Data expectations on the generator's output: schema, dtypes, ranges, ids, time, labels."""

from __future__ import annotations

import pandas as pd
import pytest

from driftwatch.contracts.features import FEATURES, LABEL, TIMESTAMP, TRANSACTION_ID
from driftwatch.generator import COLUMNS, generate, list_scenarios


def test_columns_and_dtypes_follow_the_feature_contract(baseline_frame: pd.DataFrame) -> None:
    assert tuple(baseline_frame.columns) == COLUMNS
    assert str(baseline_frame[TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert baseline_frame[TRANSACTION_ID].map(type).eq(str).all()
    assert str(baseline_frame[LABEL].dtype) == "int64"
    for spec in FEATURES:
        assert str(baseline_frame[spec.name].dtype) == spec.dtype, spec.name


@pytest.mark.parametrize("scenario", [s.name for s in list_scenarios()])
def test_every_scenario_stays_inside_the_contract(scenario: str) -> None:
    frame = generate(scenario, 20_000, 3).frame
    assert not frame.isna().any().any()
    for spec in FEATURES:
        column = frame[spec.name]
        if spec.categories:
            assert set(column) <= set(spec.categories), spec.name
        else:
            assert column.min() >= spec.minimum, spec.name
            assert column.max() <= spec.maximum, spec.name
    assert set(frame["is_international"]) <= {0, 1}
    assert set(frame[LABEL]) == {0, 1}


def test_every_category_and_channel_occurs(baseline_frame: pd.DataFrame) -> None:
    for spec in FEATURES:
        if spec.categories:
            assert set(baseline_frame[spec.name]) == set(spec.categories)


@pytest.mark.parametrize("scenario", ["baseline", "stable"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_baseline_world_fraud_rate_is_one_to_three_percent(scenario: str, seed: int) -> None:
    assert 0.01 <= generate(scenario, 20_000, seed).frame[LABEL].mean() <= 0.03


def test_timestamps_are_ordered_and_match_the_hour_column(baseline_frame: pd.DataFrame) -> None:
    stamps = baseline_frame[TIMESTAMP]
    assert stamps.is_monotonic_increasing
    assert (stamps.dt.hour == baseline_frame["transaction_hour"]).all()
    assert stamps.iloc[0] >= pd.Timestamp("2026-11-02T00:00:00Z")


def test_timestamps_follow_a_daily_rhythm(baseline_frame: pd.DataFrame) -> None:
    per_hour = baseline_frame["transaction_hour"].value_counts(normalize=True)
    assert per_hour[19] > 5 * per_hour[3]  # evening peak vs the dead of night
    rows_per_day = len(baseline_frame) / (
        (baseline_frame[TIMESTAMP].iloc[-1] - baseline_frame[TIMESTAMP].iloc[0]).total_seconds()
        / 86_400
    )
    assert 1_800 < rows_per_day < 2_200


def test_weekends_differ_from_weekdays() -> None:
    frame = generate("baseline", 140_000, 4).frame  # ten weeks
    per_day = frame.groupby(frame[TIMESTAMP].dt.floor("D")).size()
    by_weekday = per_day.groupby(per_day.index.dayofweek).mean()
    assert by_weekday[5] > by_weekday[6] * 1.15  # busy Saturday, quiet Sunday


def test_explicit_start_moves_the_clock() -> None:
    start = pd.Timestamp("2027-01-04T12:30:00Z").to_pydatetime()
    frame = generate("baseline", 1_000, 1, start=start).frame
    assert frame[TIMESTAMP].iloc[0] >= pd.Timestamp(start)
    assert frame[TIMESTAMP].iloc[0] < pd.Timestamp(start) + pd.Timedelta(hours=1)


def test_transaction_ids_are_unique_across_scenarios_and_seeds() -> None:
    ids = pd.concat(
        [
            generate(name, 2_000, seed).frame[TRANSACTION_ID]
            for name in ("baseline", "stable")
            for seed in (1, 2)
        ]
        + [generate("baseline", 3_000, 1).frame[TRANSACTION_ID]]
    )
    assert ids.is_unique
    assert ids.iloc[0].startswith("baseline-s1-")


@pytest.mark.parametrize(("rows", "seed"), [(0, 1), (-5, 1), (10, -1)])
def test_bad_rows_or_seed_is_refused(rows: int, seed: int) -> None:
    with pytest.raises(ValueError, match=r"rows|seed"):
        generate("baseline", rows, seed)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate("baseline", 10, 1, start=pd.Timestamp("2026-01-01").to_pydatetime())
