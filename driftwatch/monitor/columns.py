"""Which column of a frame plays which part: features by kind, target, prediction, id, event time.

The monitor works on any tabular data given this mapping; the default is the fraud model's schema
from ``contracts.features``. The kind of a feature decides its drift test, so it is stated rather
than guessed from dtypes whenever the caller knows it (an int 0/1 flag is categorical).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from driftwatch.contracts.features import (
    CATEGORICAL_FEATURES,
    LABEL,
    NUMERICAL_FEATURES,
    SCORE,
    TIMESTAMP,
    TRANSACTION_ID,
)

if TYPE_CHECKING:
    from evidently import DataDefinition


class ColumnMappingError(ValueError):
    """A frame does not carry what the mapping names; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """The roles of a frame's columns; ``None`` means the frame has no such column."""

    numerical: tuple[str, ...]
    categorical: tuple[str, ...]
    target: str | None = LABEL
    prediction: str | None = SCORE
    id: str | None = TRANSACTION_ID
    timestamp: str | None = TIMESTAMP

    @classmethod
    def default(cls) -> ColumnMapping:
        """The fraud model's columns, as the contracts define them."""
        return cls(numerical=NUMERICAL_FEATURES, categorical=CATEGORICAL_FEATURES)

    @classmethod
    def infer(
        cls,
        frame: pd.DataFrame,
        *,
        target: str | None,
        prediction: str | None,
        id: str | None = None,
        timestamp: str | None = None,
    ) -> ColumnMapping:
        """Every other column is a feature: numeric dtypes numerical, the rest categorical.

        Booleans and integer columns with at most two values count as categorical, because a
        distance between their distributions means more than a distance between their means.
        """
        roles = {target, prediction, id, timestamp}
        numerical: list[str] = []
        categorical: list[str] = []
        for name in frame.columns:
            if name in roles:
                continue
            column = frame[name]
            is_number = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
                column
            )
            binary_int = pd.api.types.is_integer_dtype(column) and column.nunique() <= 2
            (numerical if is_number and not binary_int else categorical).append(str(name))
        return cls(tuple(numerical), tuple(categorical), target, prediction, id, timestamp)

    @property
    def features(self) -> tuple[str, ...]:
        return self.numerical + self.categorical

    def kind(self, column: str) -> str:
        """``numerical`` or ``categorical``; the prediction score counts as numerical."""
        return "categorical" if column in self.categorical else "numerical"

    def present(self, frame: pd.DataFrame) -> ColumnMapping:
        """This mapping minus the optional roles (target, prediction, id, time) ``frame`` lacks."""
        optional = {"target": self.target, "prediction": self.prediction}
        optional |= {"id": self.id, "timestamp": self.timestamp}
        missing = {role: None for role, name in optional.items() if name not in frame.columns}
        return replace(self, **missing)

    def validate(self, frame: pd.DataFrame, label: str, *, require: Iterable[str] = ()) -> None:
        """Refuse a frame that lacks a feature or a required role, or has an empty feature.

        Args:
            frame: the data to check.
            label: how to name ``frame`` in the error (e.g. a file path).
            require: role names (``target``, ``prediction``...) that must be mapped and present.

        Raises:
            ColumnMappingError: naming every missing or empty column at once.
        """
        if not self.features:
            raise ColumnMappingError(f"{label}: the mapping names no feature columns")
        problems = [f"missing column {name!r}" for name in self.features if name not in frame]
        for role in require:
            name = getattr(self, role)
            if name is None or name not in frame:
                problems.append(f"missing {role} column {name!r}")
        problems += [
            f"column {name!r} holds no values"
            for name in self.features
            if name in frame and frame[name].notna().sum() == 0
        ]
        if problems:
            raise ColumnMappingError(f"{label}: " + "; ".join(problems))

    def data_definition(self) -> DataDefinition:
        """Evidently's view of the same roles, so it never re-guesses a column's type."""
        from evidently import DataDefinition

        numerical = list(self.numerical)
        if self.prediction is not None:
            numerical.append(self.prediction)
        categorical = list(self.categorical)
        return DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
