"""The transaction schema: one definition for the generator, training, the API and the monitor.

A column's kind decides how it is encoded for the model and which drift test the monitor applies,
so it is fixed here rather than inferred from a frame (an int 0/1 column would otherwise be
guessed differently by pandas, scikit-learn and Evidently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ColumnKind = Literal["numerical", "categorical"]

TRANSACTION_ID = "transaction_id"
TIMESTAMP = "timestamp"
LABEL = "is_fraud"
SCORE = "fraud_probability"

MERCHANT_CATEGORIES: tuple[str, ...] = (
    "grocery",
    "restaurants",
    "fuel",
    "fashion",
    "electronics",
    "travel",
    "entertainment",
    "digital_goods",
    "jewelry",
    "gambling",
)
CHANNELS: tuple[str, ...] = ("pos", "online", "mobile", "atm")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One model feature: its dtype in frames, its kind, and the values it may take."""

    name: str
    kind: ColumnKind
    dtype: str
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    description: str = ""


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "transaction_amount", "numerical", "float64", 0.0, 1_000_000.0, description="Amount in EUR."
    ),
    FeatureSpec(
        "transaction_hour",
        "numerical",
        "int64",
        0,
        23,
        description="Local hour of day the transaction happened.",
    ),
    FeatureSpec("customer_age", "numerical", "int64", 18, 100, description="Card holder age."),
    FeatureSpec(
        "account_tenure_days",
        "numerical",
        "int64",
        0,
        36_500,
        description="Days since the account was opened.",
    ),
    FeatureSpec(
        "merchant_risk_score",
        "numerical",
        "float64",
        0.0,
        1.0,
        description="Acquirer's risk score of the merchant.",
    ),
    FeatureSpec(
        "geo_distance_km",
        "numerical",
        "float64",
        0.0,
        20_100.0,
        description="Distance from the card holder's home, km.",
    ),
    FeatureSpec(
        "is_international",
        "categorical",
        "int64",
        0,
        1,
        description="1 when merchant and card are in different countries.",
    ),
    FeatureSpec(
        "merchant_category",
        "categorical",
        "object",
        categories=MERCHANT_CATEGORIES,
        description="Merchant category; unknown values are scored, not refused.",
    ),
    FeatureSpec(
        "channel",
        "categorical",
        "object",
        categories=CHANNELS,
        description="How the card was used.",
    ),
    FeatureSpec(
        "txn_count_24h",
        "numerical",
        "int64",
        0,
        10_000,
        description="Transactions on the card in the previous 24 hours.",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
NUMERICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "numerical")
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "categorical")
FEATURES_BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}


class Transaction(BaseModel):
    """The features of one card transaction, as the model scores it."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    transaction_amount: float = Field(ge=0, le=1_000_000, examples=[42.5])
    transaction_hour: int = Field(ge=0, le=23, examples=[14])
    customer_age: int = Field(ge=18, le=100, examples=[37])
    account_tenure_days: int = Field(ge=0, le=36_500, examples=[900])
    merchant_risk_score: float = Field(ge=0, le=1, examples=[0.2])
    geo_distance_km: float = Field(ge=0, le=20_100, examples=[3.1])
    is_international: int = Field(ge=0, le=1, examples=[0])
    merchant_category: str = Field(min_length=1, max_length=64, examples=["grocery"])
    channel: str = Field(min_length=1, max_length=32, examples=["pos"])
    txn_count_24h: int = Field(ge=0, le=10_000, examples=[2])


class TransactionIn(Transaction):
    """A transaction sent to ``/predict``: the id lets delayed labels join its prediction."""

    transaction_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Becomes the request_id; generated if absent.",
    )
    timestamp: AwareDatetime | None = Field(
        None, description="Event time with a UTC offset; the arrival time if absent."
    )


class TransactionRecord(Transaction):
    """A scored transaction as it travels on the bus: id and event time always set."""

    transaction_id: str = Field(min_length=1, max_length=128)
    timestamp: AwareDatetime
