"""Registry conventions every part of DriftWatch relies on: alias names, tag keys, artifact paths.

Serving, the monitor and the Release agent find models by these names, so they are fixed here
instead of being repeated as string literals.
"""

from __future__ import annotations

from typing import Final

PRODUCTION: Final = "production"
STAGING: Final = "staging"
PREVIOUS_PRODUCTION: Final = "previous-production"
PROMOTABLE_ALIASES: Final = (PRODUCTION, STAGING)
"""Aliases a person or the Release agent may move; ``previous-production`` follows production."""

TAG_REFERENCE_URI: Final = "driftwatch.reference_uri"
TAG_TRAINING_DATA_URI: Final = "driftwatch.training_data_uri"
TAG_THRESHOLD: Final = "driftwatch.threshold"
TAG_PLAN_ID: Final = "driftwatch.plan_id"
TAG_POLICY_VERSION: Final = "driftwatch.policy_version"
TAG_GIT_SHA: Final = "driftwatch.git_sha"

MODEL_ARTIFACT: Final = "model"
REFERENCE_ARTIFACT_DIR: Final = "reference"
REFERENCE_FILE: Final = "reference.parquet"


def experiment_name(model_name: str) -> str:
    """The MLflow experiment that holds the training runs of ``model_name``."""
    return f"{model_name}-training"
