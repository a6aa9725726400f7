"""Generate a scenario's transactions, labels and ground truth in one vectorised pass."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from driftwatch.contracts.features import (
    CHANNELS,
    FEATURE_NAMES,
    FEATURES_BY_NAME,
    LABEL,
    MERCHANT_CATEGORIES,
    TIMESTAMP,
    TRANSACTION_ID,
)
from driftwatch.generator import fraud_model, world
from driftwatch.generator.clock import arrivals
from driftwatch.generator.drift import (
    blend_mix,
    blend_numeric,
    blend_rate,
    draw_categories,
    position_of,
    progress,
    volume_multiplier,
    within_hours,
)
from driftwatch.generator.ground_truth import GroundTruth, drift_truth, ground_truth
from driftwatch.generator.scenario import DEFAULT_START, Drift, Scenario
from driftwatch.generator.scenario_files import load_scenario

COLUMNS: tuple[str, ...] = (TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES, LABEL)


@dataclass(frozen=True)
class GeneratedData:
    """A generated data set: rows in event-time order, its ground truth and the scenario used."""

    frame: pd.DataFrame
    ground_truth: GroundTruth
    scenario: Scenario


def generate(
    scenario: str | Path | Scenario, rows: int, seed: int, *, start: datetime | None = None
) -> GeneratedData:
    """Draw ``rows`` transactions of ``scenario`` from one generator seeded by ``seed``.

    The generator is seeded with ``(seed, crc32(scenario name))``, so two scenarios with one seed
    are still independent samples (``stable`` is a fresh draw of ``baseline``'s world, not a copy).

    Args:
        scenario: A shipped scenario name, a scenario file path or a loaded ``Scenario``.
        rows: Number of transactions, at least 1.
        seed: Non-negative seed; the same scenario, rows, seed and start give the same data.
        start: Event time of the first row (aware); default: the scenario's, else 2026-11-02.

    Raises:
        ValueError: non-positive ``rows``, negative ``seed`` or a naive ``start``.
        ScenarioError: an unknown or invalid scenario.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if isinstance(rows, bool) or not isinstance(rows, Integral) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rows, seed = int(rows), int(seed)
    begin = start or scenario.start or DEFAULT_START
    if begin.tzinfo is None:
        raise ValueError("start must be timezone-aware (e.g. 2026-11-02T00:00:00+00:00)")
    begin = begin.astimezone(UTC)
    rng = np.random.default_rng([seed, zlib.crc32(scenario.name.encode())])
    drifts = scenario.drifts

    clock = arrivals(rng, rows, begin, scenario.rows_per_day, volume_multiplier(drifts))
    index = np.arange(rows)
    ramps = {
        d.name: progress(d, position_of(d.onset, index, clock.hours_since_start)) for d in drifts
    }
    weights = {d.name: within_hours(d, ramps[d.name], clock.hour_of_day) for d in drifts}
    x = _features(rng, rows, clock.hour_of_day, drifts, weights)
    labels = _labels(rng, x, drifts, weights)

    frame = _frame(scenario, rows, seed, begin, clock.epoch_ms, x, labels)
    truths = tuple(drift_truth(d, ramps[d.name], weights[d.name], clock.epoch_ms) for d in drifts)
    truth = ground_truth(
        scenario=scenario.name,
        seed=seed,
        start=begin,
        epoch_ms=clock.epoch_ms,
        fraud_rate=float(labels.mean()),
        drifts=truths,
    )
    return GeneratedData(frame=frame, ground_truth=truth, scenario=scenario)


def _labels(
    rng: np.random.Generator,
    x: fraud_model.FeatureArrays,
    drifts: tuple[Drift, ...],
    weights: dict[str, np.ndarray],
) -> np.ndarray:
    """Fraud labels from the latent model, each drift's fraud change blended in by its weight."""
    regressors = fraud_model.terms(x)
    base = fraud_model.FraudCoefficients()
    latent = fraud_model.logit(regressors, base)
    noise_sd = np.full(x.amount.size, base.noise_sd)
    for drift in drifts:
        if drift.fraud is None:
            continue
        changed = base.with_overrides(drift.fraud.coefficients)
        weight = weights[drift.name]
        shift = fraud_model.logit_change(regressors, base, changed)
        latent = latent + weight * (shift + np.log(drift.fraud.odds_multiplier))
        noise_sd = noise_sd + weight * (changed.noise_sd - base.noise_sd)
    return fraud_model.sample_labels(rng, latent, noise_sd)


def _features(
    rng: np.random.Generator,
    n: int,
    hour: np.ndarray,
    drifts: tuple[Drift, ...],
    weights: dict[str, np.ndarray],
) -> fraud_model.FeatureArrays:
    """Draw every feature from its parents (world.PARENTS order), drifts blended in, in range."""

    def drifted(feature: str, values: np.ndarray) -> np.ndarray:
        return blend_numeric(values, feature, drifts, weights)

    age = _fit("customer_age", drifted("customer_age", world.sample_age(rng, n)))
    tenure = _fit(
        "account_tenure_days", drifted("account_tenure_days", world.sample_tenure(rng, age))
    )
    category_mix = np.array(world.CATEGORY_MIX)
    category_shares = blend_mix(
        category_mix, "merchant_category", MERCHANT_CATEGORIES, drifts, weights
    )
    category = draw_categories(rng, category_shares, n)
    channel_shares = blend_mix(np.array(world.CHANNEL_MIX), "channel", CHANNELS, drifts, weights)
    channel = draw_categories(rng, channel_shares, n)
    risk = _fit(
        "merchant_risk_score", drifted("merchant_risk_score", world.sample_risk(rng, category))
    )
    p_abroad = blend_rate(
        world.international_probability(category), "is_international", drifts, weights
    )
    international = (rng.random(n) < p_abroad).astype(np.int64)
    distance = _fit(
        "geo_distance_km", drifted("geo_distance_km", world.sample_distance(rng, international))
    )
    amount = drifted("transaction_amount", world.sample_amount(rng, category))
    amount = _fit("transaction_amount", world.round_atm(amount, channel))
    counts = world.sample_txn_count(rng, n).astype(float)
    count = _fit("txn_count_24h", drifted("txn_count_24h", counts))
    return fraud_model.FeatureArrays(
        amount=amount,
        hour=hour,
        age=age,
        tenure=tenure,
        risk=risk,
        distance=distance,
        international=international,
        channel=channel,
        txn_count=count,
        category=category,
    )


_DECIMALS = {"transaction_amount": 2, "merchant_risk_score": 4, "geo_distance_km": 1}


def _fit(feature: str, values: np.ndarray) -> np.ndarray:
    """Round to the column's precision and clip into the schema's range (ints floor for age)."""
    spec = FEATURES_BY_NAME[feature]
    if spec.dtype == "int64":
        rounded = np.floor(values) if feature == "customer_age" else np.round(values)
        return np.clip(rounded, spec.minimum, spec.maximum).astype(np.int64)
    low = 0.01 if feature == "transaction_amount" else spec.minimum
    return np.clip(np.round(values, _DECIMALS[feature]), low, spec.maximum)


def _frame(
    scenario: Scenario,
    rows: int,
    seed: int,
    start: datetime,
    epoch_ms: np.ndarray,
    x: fraud_model.FeatureArrays,
    labels: np.ndarray,
) -> pd.DataFrame:
    columns = {
        TRANSACTION_ID: transaction_ids(scenario, rows, seed, start),
        TIMESTAMP: pd.to_datetime(epoch_ms, unit="ms", utc=True).as_unit("ns"),
        "transaction_amount": x.amount,
        "transaction_hour": x.hour.astype(np.int64),
        "customer_age": x.age,
        "account_tenure_days": x.tenure,
        "merchant_risk_score": x.risk,
        "geo_distance_km": x.distance,
        "is_international": x.international,
        "merchant_category": world.category_names(x.category),
        "channel": world.channel_names(x.channel),
        "txn_count_24h": x.txn_count,
        LABEL: labels,
    }
    return pd.DataFrame(columns, columns=list(COLUMNS), copy=False)


def transaction_ids(scenario: Scenario, rows: int, seed: int, start: datetime) -> np.ndarray:
    """Ids ``{scenario}-s{seed}-{digest}-{row}``: unique across scenarios, seeds and configs.

    The digest covers the exact scenario config, row count and start, so two different data
    sets never share an id even when a user's scenario reuses a shipped name.
    """
    config = json.dumps(
        {"scenario": scenario.model_dump(mode="json"), "rows": rows, "start": start.isoformat()},
        sort_keys=True,
    )
    digest = hashlib.sha256(config.encode()).hexdigest()[:8]
    width = max(7, len(str(rows - 1)))
    numbers = pc.utf8_lpad(
        pc.cast(pa.array(np.arange(rows)), pa.string()), width=width, padding="0"
    )
    ids = pc.binary_join_element_wise(f"{scenario.name}-s{seed}-{digest}-", numbers, "")
    return ids.to_numpy(zero_copy_only=False)
