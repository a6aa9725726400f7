"""Column mappings: the fraud schema by default, any table by mapping or by dtype."""

from __future__ import annotations

import pandas as pd
import pytest

from driftwatch.contracts.features import CATEGORICAL_FEATURES, NUMERICAL_FEATURES
from driftwatch.monitor.columns import ColumnMapping, ColumnMappingError


def test_the_default_is_the_fraud_schema() -> None:
    mapping = ColumnMapping.default()
    assert mapping.numerical == NUMERICAL_FEATURES
    assert mapping.categorical == CATEGORICAL_FEATURES
    assert mapping.kind("is_international") == "categorical"
    assert mapping.kind("fraud_probability") == "numerical"


def test_inference_treats_binary_integers_and_text_as_categories() -> None:
    frame = pd.DataFrame(
        {
            "amount": [1.5, 2.0, 3.5],
            "visits": [1, 5, 9],
            "flag": [0, 1, 0],
            "city": ["a", "b", "a"],
            "label": [0, 1, 0],
            "score": [0.1, 0.9, 0.2],
        }
    )
    mapping = ColumnMapping.infer(frame, target="label", prediction="score")
    assert mapping.numerical == ("amount", "visits")
    assert mapping.categorical == ("flag", "city")


def test_validation_names_every_problem() -> None:
    mapping = ColumnMapping(("a", "b"), ("c",), target="y", prediction=None)
    frame = pd.DataFrame({"a": [None, None], "c": ["x", "y"]})
    with pytest.raises(ColumnMappingError) as raised:
        mapping.validate(frame, "current.csv", require=("target",))
    message = str(raised.value)
    assert message.startswith("current.csv: ")
    for problem in ("missing column 'b'", "missing target column 'y'", "'a' holds no values"):
        assert problem in message


def test_present_drops_roles_the_frame_lacks() -> None:
    frame = pd.DataFrame({"a": [1.0], "is_fraud": [1]})
    mapping = ColumnMapping(("a",), ()).present(frame)
    assert mapping.target == "is_fraud"
    assert (mapping.prediction, mapping.id, mapping.timestamp) == (None, None, None)
