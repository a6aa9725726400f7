"""Per-column drift: Evidently's effect-size verdict, kept only when also significant."""

from __future__ import annotations

import numpy as np
import pandas as pd

from driftwatch.monitor.columns import ColumnMapping
from driftwatch.monitor.drift import DriftTests, compute_drift

MAPPING = ColumnMapping(("amount", "age"), ("city",), target=None, prediction="score")


def frame(n: int, seed: int, *, amount_shift: float = 0.0, city_p: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.normal(amount_shift, 1.0, n),
            "age": rng.normal(40.0, 10.0, n),
            "city": np.where(rng.random(n) < city_p, "paris", "rome"),
            "score": rng.random(n),
        }
    )


def test_shifted_columns_drift_with_their_statistic_and_threshold() -> None:
    result = compute_drift(
        frame(3000, 1), frame(1000, 2, amount_shift=0.5, city_p=0.8), MAPPING, DriftTests()
    )
    by_name = {column.column: column for column in result.columns}
    assert [c.column for c in result.columns if c.drifted] == ["amount", "city"]
    assert by_name["amount"].test == "wasserstein"
    assert by_name["amount"].statistic > by_name["amount"].threshold == 0.1
    assert by_name["city"].test == "jensenshannon"
    assert by_name["city"].kind == "categorical"
    assert result.drift_share == 2 / 3
    assert result.prediction is not None
    assert result.prediction.column == "score"
    assert not result.prediction.drifted


def test_a_noisy_distance_on_a_tiny_window_is_not_drift() -> None:
    result = compute_drift(frame(3000, 1), frame(25, 3), MAPPING, DriftTests())
    amount = next(c for c in result.columns if c.column == "amount")
    assert amount.statistic >= amount.threshold  # the effect size alone would alarm
    assert not amount.drifted
    assert result.drift_share == 0.0
    assert amount.significance_level == 0.005 / 3
    assert (amount.p_value or 0.0) >= amount.significance_level  # and the summary says why


def test_every_column_carries_its_p_value_and_level() -> None:
    result = compute_drift(
        frame(3000, 1), frame(1000, 2, amount_shift=0.5, city_p=0.8), MAPPING, DriftTests()
    )
    by_name = {column.column: column for column in result.columns}
    assert (by_name["amount"].p_value or 1.0) < 1e-6
    assert (by_name["age"].p_value or 0.0) > 0.001
    assert {column.significance_level for column in result.columns} == {0.005 / 3}


def test_without_a_score_there_is_no_prediction_drift() -> None:
    current = frame(500, 4).drop(columns="score")
    result = compute_drift(frame(3000, 1), current, MAPPING, DriftTests())
    assert result.prediction is None
