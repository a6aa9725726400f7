"""The latent fraud model: how the label depends on the features, known exactly.

A transaction is fraud with probability ``sigmoid(logit + noise)``, where ``noise ~ N(0,
noise_sd)`` is an unobserved per-transaction factor (so no model can be perfect) and::

    logit = intercept
          + amount            * log(amount / 50)           # large amounts are riskier
          + merchant_risk     * (merchant_risk_score - 0.15)
          + international     * is_international
          + distance          * log1p(geo_distance_km) / 7  # far from home
          + new_account       * exp(-account_tenure_days / 60)
          + velocity          * min(max(txn_count_24h - 3, 0), 10)
          + online / mobile / atm   by channel (pos is the reference)
          + night             * [transaction_hour in 22..5]
          + senior            * [customer_age >= 75]
          + international_online * is_international * [channel == online]
          + new_account_amount   * exp(-tenure / 60) * max(log(amount / 50), 0)

The two interactions make it more than additive: card-not-present abroad, and a fresh account
spending big. Scenarios change ``P(fraud | x)`` by overriding coefficients or multiplying the
odds; a feature-only drift keeps this function and lets the rate follow the features.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from driftwatch.contracts.features import CHANNELS

NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
SENIOR_AGE = 75
AMOUNT_PIVOT_EUR = 50.0
NEW_ACCOUNT_DAYS = 60.0  # e-folding time of the new-account risk


@dataclass(frozen=True, slots=True)
class FraudCoefficients:
    """Coefficients of the latent logit (see the module docstring for each term)."""

    intercept: float = -7.0
    amount: float = 0.7
    merchant_risk: float = 5.5
    international: float = 2.0
    distance: float = 0.5
    new_account: float = 2.2
    velocity: float = 0.45
    online: float = 0.9
    mobile: float = 0.4
    atm: float = 0.5
    night: float = 0.3
    senior: float = 0.5
    international_online: float = 0.8
    new_account_amount: float = 0.6
    noise_sd: float = 0.3

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names a scenario may override."""
        return tuple(f.name for f in fields(cls))

    def with_overrides(self, overrides: dict[str, float]) -> FraudCoefficients:
        """A copy with some coefficients replaced."""
        return replace(self, **overrides)


@dataclass(frozen=True, slots=True)
class FeatureArrays:
    """The feature columns the logit reads, as numpy arrays (categoricals as codes)."""

    amount: np.ndarray
    hour: np.ndarray
    age: np.ndarray
    tenure: np.ndarray
    risk: np.ndarray
    distance: np.ndarray
    international: np.ndarray
    channel: np.ndarray
    txn_count: np.ndarray
    category: np.ndarray  # the logit reads it only through merchant risk and amount


def terms(x: FeatureArrays) -> dict[str, np.ndarray]:
    """Each coefficient's regressor, so a logit is a dot product (per row when blended)."""
    log_amount = np.log(x.amount / AMOUNT_PIVOT_EUR)
    fresh = np.exp(-x.tenure / NEW_ACCOUNT_DAYS)
    online = (x.channel == CHANNELS.index("online")).astype(float)
    return {
        "amount": log_amount,
        "merchant_risk": x.risk - 0.15,
        "international": x.international.astype(float),
        "distance": np.log1p(x.distance) / 7.0,
        "new_account": fresh,
        "velocity": np.clip(x.txn_count - 3.0, 0.0, 10.0),
        "online": online,
        "mobile": (x.channel == CHANNELS.index("mobile")).astype(float),
        "atm": (x.channel == CHANNELS.index("atm")).astype(float),
        "night": np.isin(x.hour, NIGHT_HOURS).astype(float),
        "senior": (x.age >= SENIOR_AGE).astype(float),
        "international_online": x.international * online,
        "new_account_amount": fresh * np.maximum(log_amount, 0.0),
    }


def logit(regressors: dict[str, np.ndarray], coefficients: FraudCoefficients) -> np.ndarray:
    """The latent logit without noise."""
    total = np.full(next(iter(regressors.values())).shape, coefficients.intercept)
    for name, regressor in regressors.items():
        total = total + getattr(coefficients, name) * regressor
    return total


def logit_change(
    regressors: dict[str, np.ndarray], base: FraudCoefficients, changed: FraudCoefficients
) -> np.ndarray:
    """How much the logit moves when ``base`` becomes ``changed`` (linear in coefficients)."""
    total = np.full(next(iter(regressors.values())).shape, changed.intercept - base.intercept)
    for name, regressor in regressors.items():
        delta = getattr(changed, name) - getattr(base, name)
        if delta:
            total = total + delta * regressor
    return total


def sample_labels(rng: np.random.Generator, latent: np.ndarray, noise_sd: np.ndarray) -> np.ndarray:
    """Fraud labels (int 0/1) from the latent logit plus the unobserved per-row noise."""
    noisy = latent + noise_sd * rng.standard_normal(latent.size)
    return (rng.random(latent.size) < 1.0 / (1.0 + np.exp(-noisy))).astype(np.int64)
