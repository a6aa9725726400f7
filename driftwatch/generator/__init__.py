"""Synthetic card transactions with a known fraud model and drift scenarios with ground truth.

The baseline world (``world``) draws each feature from its parents; the label comes from a
latent logistic model over risk factors with two interactions plus unobserved noise
(``fraud_model``, documented there term by term). Scenarios (YAML shipped in ``scenarios/``)
change features, the fraud model or the volume, ramping in from a row or an event time, and
every generated data set carries the ground truth of what changed, where and how.

Example:
    >>> data = generate("feature_drift", rows=20_000, seed=7)
    >>> data.ground_truth.shifted_columns
    ('transaction_amount', 'merchant_risk_score', 'geo_distance_km', 'channel')
"""

from driftwatch.generator.dataset import COLUMNS, GeneratedData, generate
from driftwatch.generator.ground_truth import DriftTruth, GroundTruth
from driftwatch.generator.scenario import DEFAULT_START, Drift, Scenario
from driftwatch.generator.scenario_files import ScenarioError, list_scenarios, load_scenario
from driftwatch.generator.writer import meta_path, write_dataset

__all__ = [
    "COLUMNS",
    "DEFAULT_START",
    "Drift",
    "DriftTruth",
    "GeneratedData",
    "GroundTruth",
    "Scenario",
    "ScenarioError",
    "generate",
    "list_scenarios",
    "load_scenario",
    "meta_path",
    "write_dataset",
]
