"""Data expectations at the training boundary: bad frames and files are refused by name."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from driftwatch.contracts.features import LABEL
from driftwatch.training.data import TrainingDataError, check_labeled, read_frame, split_holdout


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"nope\.parquet does not exist"):
        read_frame(tmp_path / "nope.parquet")


def test_unknown_suffix_and_corrupt_parquet_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "data.json"
    text.write_text("{}")
    with pytest.raises(TrainingDataError, match=r"expected a \.parquet or \.csv"):
        read_frame(text)
    corrupt = tmp_path / "data.parquet"
    corrupt.write_bytes(b"not parquet at all")
    with pytest.raises(TrainingDataError, match="cannot read"):
        read_frame(corrupt)


def test_csv_and_parquet_read_the_same_frame(tmp_path: Path, baseline_frame: pd.DataFrame) -> None:
    head = baseline_frame.head(50).drop(columns="timestamp")
    head.to_csv(tmp_path / "d.csv", index=False)
    head.to_parquet(tmp_path / "d.parquet", index=False)
    pd.testing.assert_frame_equal(
        read_frame(tmp_path / "d.csv"), read_frame(tmp_path / "d.parquet")
    )


def test_frame_without_label_is_refused(baseline_frame: pd.DataFrame) -> None:
    with pytest.raises(TrainingDataError, match="no label column 'is_fraud'"):
        check_labeled(baseline_frame.drop(columns=LABEL))


def test_missing_feature_columns_are_listed(baseline_frame: pd.DataFrame) -> None:
    with pytest.raises(TrainingDataError, match="lacks feature columns: customer_age, channel"):
        check_labeled(baseline_frame.drop(columns=["channel", "customer_age"]))


def test_text_in_a_numeric_column_is_refused(baseline_frame: pd.DataFrame) -> None:
    frame = baseline_frame.assign(transaction_amount="12.5")
    with pytest.raises(TrainingDataError, match="must be numeric: transaction_amount"):
        check_labeled(frame)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 1, None], "has 1000 nulls"),
        ([0, 1, 2], r"must be 0/1, found \[2.0\]"),
        ([0, 0, 0], "0 rows with is_fraud=1"),
    ],
)
def test_bad_labels_are_refused(
    baseline_frame: pd.DataFrame, labels: list[int | None], message: str
) -> None:
    frame = baseline_frame.head(3000).copy()
    frame[LABEL] = pd.Series(labels * 1000, index=frame.index, dtype="float64")
    with pytest.raises(TrainingDataError, match=message):
        check_labeled(frame)


def test_holdout_split_is_stratified_and_seeded(baseline_frame: pd.DataFrame) -> None:
    train, holdout = split_holdout(baseline_frame, 0.25, seed=3)
    again_train, _ = split_holdout(baseline_frame, 0.25, seed=3)
    assert len(holdout) == len(baseline_frame) // 4
    assert train.index.equals(again_train.index)
    assert abs(holdout[LABEL].mean() - train[LABEL].mean()) < 0.001
    with pytest.raises(TrainingDataError, match=r"must be in \(0, 1\)"):
        split_holdout(baseline_frame, 1.0, seed=3)
