"""Per-column data drift and prediction-score drift of a window against its reference.

A column drifts when two things hold:

1. **Effect size** - Evidently's test with the fixed per-kind method and threshold from settings
   (normed Wasserstein for numbers, Jensen-Shannon distance for categories, 0.1 each) fails. The
   verdict is read from Evidently's test status (FAIL), because a statistic is a p-value for some
   methods and a distance for others. A distance does not shrink to "significant" as windows
   grow, so the test family and its meaning stay the same at any window size.
2. **Significance, Bonferroni-corrected** - the two-sample test of the same column (Kolmogorov-
   Smirnov for numbers, chi-square for categories) rejects at ``FAMILY_ALPHA / features``. At
   2000 rows a distance of 0.1 is within reach of sampling noise (over 200 stable windows the
   99th percentile was 0.07-0.09 for several columns, and the amount reached 0.126), so the
   effect size alone would alarm now and then; the corrected test bounds the chance that any
   feature of a stable window is flagged by ``FAMILY_ALPHA``, half of a window's 1 % false-alarm
   budget (the AUC drop's bound has the other half).

The reference rows compared are those matched to the window's hours (``timematch``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftwatch.contracts.events import ColumnDrift
from driftwatch.monitor.columns import ColumnMapping
from driftwatch.monitor.significance import two_sample_p_value

if TYPE_CHECKING:
    from evidently import Dataset
    from evidently.core.report import Snapshot

    from driftwatch.settings import Settings

FAMILY_ALPHA = 0.005
"""Chance that noise flags any feature of a window whose distribution did not change."""

_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"


@dataclass(frozen=True, slots=True)
class DriftTests:
    """The test and threshold per column kind; ``auto`` lets Evidently choose by size."""

    num_test: str = "wasserstein"
    cat_test: str = "jensenshannon"
    num_threshold: float = 0.1
    cat_threshold: float = 0.1

    @classmethod
    def from_settings(cls, settings: Settings) -> DriftTests:
        return cls(
            settings.drift_num_test,
            settings.drift_cat_test,
            settings.drift_num_threshold,
            settings.drift_cat_threshold,
        )

    def method(self, kind: str) -> str | None:
        test = self.num_test if kind == "numerical" else self.cat_test
        return None if test == "auto" else test

    def threshold(self, kind: str) -> float | None:
        """The configured threshold, or Evidently's default for an ``auto`` test."""
        if self.method(kind) is None:
            return None
        return self.num_threshold if kind == "numerical" else self.cat_threshold


@dataclass(frozen=True, slots=True)
class DriftResult:
    """Verdicts on the model's features, the prediction score's drift, and the report to render."""

    columns: list[ColumnDrift]
    prediction: ColumnDrift | None
    snapshot: Snapshot

    @property
    def drift_share(self) -> float:
        """Drifted features / features tested; the prediction score does not count."""
        if not self.columns:
            return 0.0
        return sum(c.drifted for c in self.columns) / len(self.columns)


def as_dataset(frame: pd.DataFrame, mapping: ColumnMapping) -> Dataset:
    """Wrap ``frame`` for Evidently with explicit column types, so nothing is re-guessed."""
    from evidently import Dataset

    present = mapping.present(frame)
    columns = [*present.features, *([present.prediction] if present.prediction else [])]
    return Dataset.from_pandas(frame[columns], data_definition=present.data_definition())


def compute_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    mapping: ColumnMapping,
    tests: DriftTests,
) -> DriftResult:
    """Run Evidently's DataDriftPreset on the features and the score, then gate the verdicts.

    Args:
        reference: the reference rows to compare with (see ``timematch``).
        current: the window; holds every feature of ``mapping`` (``ColumnMapping.validate``).
        mapping: column roles; the score is tested only when ``mapping.prediction`` is in both.
        tests: the fixed test and threshold per column kind.
    """
    from evidently import Report
    from evidently.presets import DataDriftPreset

    score = mapping.prediction
    test_score = score is not None and score in current and score in reference
    preset = DataDriftPreset(
        columns=[*mapping.features, *([score] if test_score else [])],
        num_method=tests.method("numerical"),
        cat_method=tests.method("categorical"),
        num_threshold=tests.threshold("numerical"),
        cat_threshold=tests.threshold("categorical"),
    )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # Evidently's renderers divide by zero-variance columns; the verdicts are unaffected.
        warnings.simplefilter("ignore")
        snapshot = Report([preset], include_tests=True).run(
            as_dataset(current, mapping), as_dataset(reference, mapping)
        )
    level = FAMILY_ALPHA / len(mapping.features)
    verdicts = {
        column: _gated(effect, reference[column], current[column], level)
        for column, effect in _effect_verdicts(snapshot.dict(), mapping).items()
    }
    columns = [verdicts[name] for name in mapping.features]
    return DriftResult(columns, verdicts.get(score) if test_score else None, snapshot)


def _gated(
    effect: ColumnDrift, reference: pd.Series, current: pd.Series, level: float
) -> ColumnDrift:
    """The effect-size verdict, kept only when the difference is also significant; the
    p-value goes with every column, so a distance above its threshold that did not count
    shows why."""
    p_value = two_sample_p_value(reference, current, effect.kind)
    p_value = 1.0 if math.isnan(p_value) else p_value
    return effect.model_copy(
        update={
            "drifted": effect.drifted and p_value < level,
            "p_value": p_value,
            "significance_level": level,
        }
    )


def _effect_verdicts(payload: dict[str, Any], mapping: ColumnMapping) -> dict[str, ColumnDrift]:
    values: dict[str, tuple[str, float, float]] = {}
    for metric in payload["metrics"]:
        config = metric["config"]
        if config.get("type") == _VALUE_DRIFT:
            method = config.get("method") or "auto"
            values[config["column"]] = (str(method), float(metric["value"]), config["threshold"])
    failed: dict[str, bool] = {}
    for test in payload["tests"]:
        params = test["metric_config"]["params"]
        if params.get("type") == _VALUE_DRIFT:
            failed[params["column"]] = str(test["status"]).endswith("FAIL")
    return {
        column: ColumnDrift(
            column=column,
            kind="categorical" if mapping.kind(column) == "categorical" else "numerical",
            test=method,
            statistic=_finite(statistic),
            threshold=float(threshold),
            drifted=failed[column],
        )
        for column, (method, statistic, threshold) in values.items()
    }


def _finite(value: float) -> float:
    """Events refuse NaN/inf: an undefined statistic reads 0, an overflowing one very large."""
    if math.isnan(value):
        return 0.0
    return max(min(value, 1e300), -1e300)
