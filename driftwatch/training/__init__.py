"""Fit, evaluate and register fraud models; move registry aliases; load a version to score.

The Release agent, serving and the monitor use this package as a library; the ``driftwatch
train``/``promote``/``rollback``/``models`` commands are thin wrappers over it.
"""

from driftwatch.training.conventions import PREVIOUS_PRODUCTION, PRODUCTION, STAGING
from driftwatch.training.data import TrainingDataError, check_labeled, read_frame
from driftwatch.training.evaluate import Comparison, Metrics, compare_models, evaluate_model
from driftwatch.training.fit import Fitted, fit_and_evaluate
from driftwatch.training.pipeline import FraudModel
from driftwatch.training.registry import (
    AliasMove,
    LoadedModel,
    ModelNotFound,
    NoPreviousProduction,
    RegistryError,
    UnsafeModel,
    VersionInfo,
    aliases,
    evaluate_version,
    find_version_by_tag,
    list_versions,
    load_model,
    promote,
    reference_frame,
    rollback,
)
from driftwatch.training.train import TrainResult, train_and_register

__all__ = [
    "PREVIOUS_PRODUCTION",
    "PRODUCTION",
    "STAGING",
    "AliasMove",
    "Comparison",
    "Fitted",
    "FraudModel",
    "LoadedModel",
    "Metrics",
    "ModelNotFound",
    "NoPreviousProduction",
    "RegistryError",
    "TrainResult",
    "TrainingDataError",
    "UnsafeModel",
    "VersionInfo",
    "aliases",
    "check_labeled",
    "compare_models",
    "evaluate_model",
    "evaluate_version",
    "find_version_by_tag",
    "fit_and_evaluate",
    "list_versions",
    "load_model",
    "promote",
    "read_frame",
    "reference_frame",
    "rollback",
    "train_and_register",
]
