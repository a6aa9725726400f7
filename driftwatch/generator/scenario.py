"""The scenario schema: a named world plus the drifts that change it, ramping in over time.

A drift starts at ``onset`` (a row index, or hours of event time after the data's start), reaches
full strength after ``ramp`` (rows or hours, same unit) and lasts until ``end`` (same unit, open if
absent). In between, every effect is blended linearly: a scale of 1.6 at half strength is 1.3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from driftwatch.contracts.features import (
    CATEGORICAL_FEATURES,
    CHANNELS,
    FEATURE_NAMES,
    MERCHANT_CATEGORIES,
)
from driftwatch.contracts.vocabulary import IncidentType
from driftwatch.generator.fraud_model import FraudCoefficients

DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: weeks line up from row 0
MIX_CATEGORIES: dict[str, tuple[str, ...]] = {
    "merchant_category": MERCHANT_CATEGORIES,
    "channel": CHANNELS,
}
RATE_FEATURES = tuple(f for f in CATEGORICAL_FEATURES if f not in MIX_CATEGORIES)
DERIVED_FEATURES = ("transaction_hour",)  # read from the timestamp: change it through volume


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Strict):
    """A moment in the data: a row index or hours of event time after the start."""

    row: int | None = Field(None, ge=0)
    hours: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Point:
        if (self.row is None) == (self.hours is None):
            raise ValueError("give exactly one of 'row' or 'hours'")
        return self

    @property
    def unit(self) -> Literal["rows", "hours"]:
        return "rows" if self.row is not None else "hours"

    @property
    def value(self) -> float:
        return float(self.row) if self.row is not None else float(self.hours or 0.0)


class Span(_Strict):
    """A length in rows or in hours of event time."""

    rows: int | None = Field(None, ge=0)
    hours: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Span:
        if (self.rows is None) == (self.hours is None):
            raise ValueError("give exactly one of 'rows' or 'hours'")
        return self

    @property
    def unit(self) -> Literal["rows", "hours"]:
        return "rows" if self.rows is not None else "hours"

    @property
    def value(self) -> float:
        return float(self.rows) if self.rows is not None else float(self.hours or 0.0)


class FeatureChange(_Strict):
    """How one feature changes at full strength.

    Numeric features take ``scale`` (multiply) and/or ``shift`` (add); merchant_category and
    channel take ``mix`` (the new category shares); is_international takes ``rate``.
    """

    scale: float | None = Field(None, gt=0)
    shift: float | None = None
    mix: dict[str, float] | None = None
    rate: float | None = Field(None, ge=0, le=1)


class FraudChange(_Strict):
    """How P(fraud | x) changes at full strength."""

    coefficients: dict[str, float] = Field(
        default_factory=dict, description="Latent-model coefficients replaced, by name."
    )
    odds_multiplier: float = Field(1.0, gt=0, description="Fraud odds multiplied by this.")

    @model_validator(mode="after")
    def _known_coefficients(self) -> FraudChange:
        unknown = sorted(set(self.coefficients) - set(FraudCoefficients.names()))
        if unknown:
            known = ", ".join(FraudCoefficients.names())
            raise ValueError(f"unknown fraud coefficient(s) {unknown}; known: {known}")
        return self

    @property
    def changes_concept(self) -> bool:
        base = FraudCoefficients()
        moved = any(getattr(base, k) != v for k, v in self.coefficients.items())
        return moved or self.odds_multiplier != 1.0


class VolumeChange(_Strict):
    """Transactions per hour multiplied by ``multiplier`` at full strength."""

    multiplier: float = Field(gt=0)


class Drift(_Strict):
    """One change to the world, with when it starts, how fast it ramps in and when it ends."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    incident_type: IncidentType = Field(description="What a perfect sentinel would call it.")
    description: str = ""
    onset: Point
    ramp: Span | None = None
    end: Point | None = None
    hours: tuple[int, ...] | None = Field(
        None, description="Only transactions in these local hours change (all when absent)."
    )
    features: dict[str, FeatureChange] = Field(default_factory=dict)
    fraud: FraudChange | None = None
    volume: VolumeChange | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Drift:
        for other in (self.ramp, self.end):
            if other is not None and other.unit != self.onset.unit:
                raise ValueError("onset, ramp and end must all count rows or all count hours")
        if self.end is not None and self.end.value <= self.onset.value:
            raise ValueError("end must come after onset")
        if self.volume is not None and self.onset.unit != "hours":
            raise ValueError("a volume change needs onset in hours: rows do not exist before it")
        if self.hours is not None and not all(0 <= h <= 23 for h in self.hours):
            raise ValueError("hours must lie in 0..23")
        for feature, change in self.features.items():
            _check_feature_change(feature, change)
        if not (self.features or self.fraud or self.volume):
            raise ValueError("a drift must change features, fraud or volume")
        return self

    @property
    def changes_concept(self) -> bool:
        return self.fraud is not None and self.fraud.changes_concept


def _check_feature_change(feature: str, change: FeatureChange) -> None:
    if feature in DERIVED_FEATURES:
        raise ValueError(f"{feature} follows the timestamps: change it with 'volume' and 'hours'")
    if feature not in FEATURE_NAMES:
        raise ValueError(f"unknown feature {feature!r}; features: {', '.join(FEATURE_NAMES)}")
    numeric = change.scale is not None or change.shift is not None
    if feature in MIX_CATEGORIES:
        if change.mix is None or numeric or change.rate is not None:
            raise ValueError(f"{feature} takes only 'mix'")
        _check_mix(feature, change.mix)
    elif feature in RATE_FEATURES:
        if change.rate is None or numeric or change.mix is not None:
            raise ValueError(f"{feature} takes only 'rate'")
    elif not numeric or change.mix is not None or change.rate is not None:
        raise ValueError(f"{feature} takes 'scale' and/or 'shift'")


def _check_mix(feature: str, mix: dict[str, float]) -> None:
    allowed = MIX_CATEGORIES[feature]
    unknown = sorted(set(mix) - set(allowed))
    if unknown:
        raise ValueError(f"{feature} mix has unknown values {unknown}; allowed: {allowed}")
    if any(share < 0 for share in mix.values()) or abs(sum(mix.values()) - 1.0) > 1e-6:
        raise ValueError(f"{feature} mix shares must be >= 0 and sum to 1")


class Scenario(_Strict):
    """A named world: the baseline's distributions and fraud model, changed by ``drifts``."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = Field(min_length=1, description="One line for `driftwatch scenarios`.")
    start: AwareDatetime | None = Field(None, description="Event time of the first row.")
    rows_per_day: float = Field(
        2000.0, gt=0, description="Mean transactions per day over a week (before volume drifts)."
    )
    drifts: tuple[Drift, ...] = ()

    @model_validator(mode="after")
    def _unique_drift_names(self) -> Scenario:
        names = [d.name for d in self.drifts]
        if len(names) != len(set(names)):
            raise ValueError("drift names must be unique")
        if "\n" in self.description.strip():
            raise ValueError("description must be one line")
        return self
