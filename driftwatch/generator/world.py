"""The baseline world: how card transactions look before any drift.

Every column is drawn from its parents only, in the order of ``PARENTS``, so a drift that changes
one column changes exactly that column and its descendants (the ground truth follows this graph).
Figures are plausible for a European card issuer, not fitted to any real data set.
"""

from __future__ import annotations

import numpy as np

from driftwatch.contracts.features import CHANNELS, MERCHANT_CATEGORIES

# Relative transaction volume by local hour: a quiet night, a lunch bump, an evening peak.
HOURLY_VOLUME: tuple[float, ...] = (
    0.25, 0.15, 0.10, 0.08, 0.08, 0.15, 0.35, 0.60, 0.85, 1.00, 1.10, 1.25,
    1.45, 1.35, 1.20, 1.20, 1.30, 1.45, 1.60, 1.65, 1.55, 1.30, 0.95, 0.55,
)  # fmt: skip
# Relative volume by weekday, Monday first: busier Friday and Saturday, quiet Sunday.
WEEKDAY_VOLUME: tuple[float, ...] = (0.93, 0.95, 0.97, 1.00, 1.10, 1.15, 0.90)

# Share of transactions per merchant category, in MERCHANT_CATEGORIES order.
CATEGORY_MIX: tuple[float, ...] = (0.26, 0.17, 0.12, 0.10, 0.07, 0.05, 0.09, 0.08, 0.03, 0.03)
CHANNEL_MIX: tuple[float, ...] = (0.55, 0.25, 0.15, 0.05)  # pos, online, mobile, atm
# Per category: median amount (EUR), log-sd of the amount, mean merchant risk, P(international).
CATEGORY_PROFILE: dict[str, tuple[float, float, float, float]] = {
    "grocery": (35.0, 0.70, 0.08, 0.02),
    "restaurants": (28.0, 0.60, 0.10, 0.04),
    "fuel": (50.0, 0.40, 0.12, 0.03),
    "fashion": (70.0, 0.80, 0.15, 0.06),
    "electronics": (180.0, 0.90, 0.25, 0.08),
    "travel": (300.0, 0.90, 0.22, 0.35),
    "entertainment": (40.0, 0.70, 0.15, 0.05),
    "digital_goods": (20.0, 0.90, 0.30, 0.15),
    "jewelry": (400.0, 1.00, 0.35, 0.10),
    "gambling": (60.0, 1.10, 0.50, 0.20),
}
RISK_CONCENTRATION = 12.0  # beta(a, b) with a + b = 12: scores spread around the category mean
DOMESTIC_KM = (6.0, 1.0)  # lognormal median and log-sd of the distance from home
INTERNATIONAL_KM = (1200.0, 0.9)
AGE_GAMMA = (4.0, 7.0)  # customer_age = 18 + gamma(shape, scale): mean 46
TENURE_LOGNORMAL = (1100.0, 1.0)  # median days, log-sd; capped by the years since turning 17
TXN_COUNT_NEGBIN = (2.0, 2.5)  # dispersion n and mean of the 24 h transaction count
ATM_NOTE_EUR = 10.0  # cash withdrawals are whole notes

# Which columns each column is drawn from: a drift's effects reach the descendants too.
PARENTS: dict[str, tuple[str, ...]] = {
    "timestamp": (),
    "transaction_hour": ("timestamp",),
    "customer_age": (),
    "account_tenure_days": ("customer_age",),
    "merchant_category": (),
    "channel": (),
    "merchant_risk_score": ("merchant_category",),
    "is_international": ("merchant_category",),
    "geo_distance_km": ("is_international",),
    "transaction_amount": ("merchant_category", "channel"),
    "txn_count_24h": (),
}

_CATEGORY_ARRAY = np.array(MERCHANT_CATEGORIES, dtype=object)
_CHANNEL_ARRAY = np.array(CHANNELS, dtype=object)
_PROFILE = np.array([CATEGORY_PROFILE[c] for c in MERCHANT_CATEGORIES])


def descendants(column: str) -> set[str]:
    """Every column drawn, directly or not, from ``column`` (excluding itself)."""
    found: set[str] = set()
    frontier = [column]
    while frontier:
        parent = frontier.pop()
        for child, parents in PARENTS.items():
            if parent in parents and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def category_names(codes: np.ndarray) -> np.ndarray:
    """Merchant category strings for integer codes."""
    return _CATEGORY_ARRAY[codes]


def channel_names(codes: np.ndarray) -> np.ndarray:
    """Channel strings for integer codes."""
    return _CHANNEL_ARRAY[codes]


def sample_age(rng: np.random.Generator, n: int) -> np.ndarray:
    """Card holder ages: right-skewed from 18, so pensioners exist but are rare."""
    shape, scale = AGE_GAMMA
    return np.minimum(18.0 + rng.gamma(shape, scale, n), 100.0)


def sample_tenure(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Account age in days; nobody holds an account from before their 17th birthday."""
    median, sigma = TENURE_LOGNORMAL
    raw = rng.lognormal(np.log(median), sigma, age.size)
    return np.minimum(raw, (np.floor(age) - 17.0) * 365.0)


def sample_risk(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Acquirer risk scores: beta-distributed around the category's mean."""
    mean = _PROFILE[category, 2]
    return rng.beta(mean * RISK_CONCENTRATION, (1.0 - mean) * RISK_CONCENTRATION)


def international_probability(category: np.ndarray) -> np.ndarray:
    """P(is_international) per row: travel and gambling cross borders most."""
    return _PROFILE[category, 3]


def sample_distance(rng: np.random.Generator, international: np.ndarray) -> np.ndarray:
    """Kilometres from home: a few km at home, about a thousand abroad."""
    n = international.size
    home = rng.lognormal(np.log(DOMESTIC_KM[0]), DOMESTIC_KM[1], n)
    abroad = rng.lognormal(np.log(INTERNATIONAL_KM[0]), INTERNATIONAL_KM[1], n)
    return np.where(international == 1, abroad, home)


def sample_amount(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Amounts in EUR before channel rounding: lognormal around the category's median."""
    median = _PROFILE[category, 0]
    sigma = _PROFILE[category, 1]
    return median * np.exp(sigma * rng.standard_normal(category.size))


def round_atm(amount: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Cash withdrawals come in whole notes of ``ATM_NOTE_EUR``, at least one note."""
    notes = np.maximum(np.round(amount / ATM_NOTE_EUR), 1.0) * ATM_NOTE_EUR
    return np.where(channel == CHANNELS.index("atm"), notes, amount)


def sample_txn_count(rng: np.random.Generator, n: int) -> np.ndarray:
    """Transactions on the card in the previous 24 h: overdispersed counts, mean 2.5."""
    dispersion, mean = TXN_COUNT_NEGBIN
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean), n)
