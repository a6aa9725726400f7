"""Labeled frames in and out of training: read, check against the feature contract, split.

Training and evaluation refuse a frame early, with a message that names what is wrong, rather
than letting scikit-learn fail deep inside a fit with an error about array shapes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, NUMERICAL_FEATURES

MIN_PER_CLASS = 10
"""Fewest rows of each class a frame needs before metrics on it mean anything."""


class TrainingDataError(ValueError):
    """A frame or file that cannot be trained or evaluated on; the message says why."""


def read_frame(path: Path) -> pd.DataFrame:
    """Read a Parquet or CSV file of transactions.

    Raises:
        TrainingDataError: the file is missing, unreadable, or neither Parquet nor CSV.
    """
    if not path.is_file():
        raise TrainingDataError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in {".parquet", ".pq", ".csv"}:
        raise TrainingDataError(f"{path}: expected a .parquet or .csv file, got {suffix or 'none'}")
    try:
        return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError) as error:  # pyarrow's and pandas' parse errors are ValueErrors
        raise TrainingDataError(f"cannot read {path}: {error}") from error


def check_features(frame: pd.DataFrame) -> None:
    """Check that ``frame`` carries every model feature, numeric where the contract says so.

    Raises:
        TrainingDataError: naming the missing or non-numeric columns.
    """
    missing = [name for name in FEATURE_NAMES if name not in frame.columns]
    if missing:
        raise TrainingDataError(f"frame lacks feature columns: {', '.join(missing)}")
    not_numeric = [
        name for name in NUMERICAL_FEATURES if not pd.api.types.is_numeric_dtype(frame[name])
    ]
    if not_numeric:
        raise TrainingDataError(f"columns must be numeric: {', '.join(not_numeric)}")


def check_labeled(frame: pd.DataFrame, *, min_per_class: int = MIN_PER_CLASS) -> None:
    """Check that ``frame`` can be trained or evaluated on: features, a 0/1 label, both classes.

    Raises:
        TrainingDataError: naming the first problem found.
    """
    if LABEL not in frame.columns:
        raise TrainingDataError(f"frame has no label column {LABEL!r}")
    check_features(frame)
    labels = frame[LABEL]
    if labels.isna().any():
        raise TrainingDataError(f"label column {LABEL!r} has {int(labels.isna().sum())} nulls")
    unexpected = sorted(set(labels.unique().tolist()) - {0, 1})
    if unexpected:
        raise TrainingDataError(f"label column {LABEL!r} must be 0/1, found {unexpected[:5]}")
    counts = labels.astype(int).value_counts()
    for label in (0, 1):
        if counts.get(label, 0) < min_per_class:
            raise TrainingDataError(
                f"frame has {counts.get(label, 0)} rows with {LABEL}={label}; "
                f"at least {min_per_class} are needed"
            )


def labels_of(frame: pd.DataFrame) -> pd.Series:
    """The label column as int 0/1 (a bool or float label is accepted on input)."""
    return frame[LABEL].astype(int)


def split_holdout(
    frame: pd.DataFrame, fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``frame`` into (train, holdout), stratified on the label so both keep the fraud rate.

    Raises:
        TrainingDataError: ``fraction`` is not in (0, 1).
    """
    if not 0 < fraction < 1:
        raise TrainingDataError(f"holdout fraction must be in (0, 1), got {fraction}")
    train, holdout = train_test_split(
        frame, test_size=fraction, random_state=seed, stratify=labels_of(frame)
    )
    return train, holdout
