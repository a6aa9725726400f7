"""Load a downloaded MLflow model directory only when it is a skops file of trusted types.

MLflow's loaders deserialize whatever format a version's MLmodel declares, pickle included, and
take skops' trusted-types list from that same file: whoever can register a version could run code
in every process that loads it. So the MLmodel is read here with ``yaml.safe_load``, only the
sklearn flavor in the skops format is accepted, and the skops file is opened with DriftWatch's own
trusted types (plus ``Settings.model_trusted_types``), never the list the model ships. No MLflow
loader is called.

This module judges files only; ``registry.load_model`` names the version and raises
``UnsafeModel`` (a ``RegistryError``) from an ``UnsafeArtifact``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import skops.io
import yaml
from sklearn.pipeline import Pipeline

SKLEARN_FLAVOR = "sklearn"
PYFUNC_FLAVOR = "python_function"
SKOPS_FORMAT = "skops"
SKLEARN_LOADER_MODULE = "mlflow.sklearn"
"""The only pyfunc loader a DriftWatch model declares; it is never called, only checked."""

RefusalReason = Literal["malformed", "flavor", "format", "untrusted_types", "not_a_pipeline"]


class UnsafeArtifact(ValueError):
    """A model directory DriftWatch will not deserialize: wrong flavor, wrong format, untrusted
    types, or files it cannot read. Nothing in it has been executed.

    Attributes:
        reason: One of ``RefusalReason`` (a metric label).
        detail: What was found and what is allowed.
    """

    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: RefusalReason = reason
        self.detail = detail


def load_skops_pipeline(model_dir: Path, trusted: Iterable[str]) -> Pipeline:
    """The scikit-learn pipeline stored in ``model_dir``, or ``UnsafeArtifact``.

    Args:
        model_dir: A local copy of a version's MLflow model directory (holds ``MLmodel``).
        trusted: The non-default types the skops file may hold (the project's and the settings').

    Raises:
        UnsafeArtifact: anything but an sklearn-flavored skops file of trusted types.
    """
    allowed = sorted(set(trusted))
    flavor = _sklearn_flavor(model_dir)
    data = _model_file(model_dir, flavor)
    try:
        found = skops.io.get_untrusted_types(file=data)
    except Exception as error:  # a corrupt or foreign zip: skops raises many kinds
        raise UnsafeArtifact("malformed", f"{data.name} is not a skops file: {error}") from None
    untrusted = sorted(set(found) - set(allowed))
    if untrusted:
        raise UnsafeArtifact(
            "untrusted_types",
            f"{data.name} holds types outside the trusted list: {', '.join(untrusted)} "
            f"(trusted beyond skops' defaults: {', '.join(allowed) or 'none'}; add a type to "
            "DRIFTWATCH_MODEL_TRUSTED_TYPES only if you trust every model that may hold it)",
        )
    try:
        loaded = skops.io.load(data, trusted=allowed)
    except Exception as error:  # untrusted types found late, or a broken tree of objects
        raise UnsafeArtifact("malformed", f"skops could not load {data.name}: {error}") from None
    if not isinstance(loaded, Pipeline):
        raise UnsafeArtifact(
            "not_a_pipeline",
            f"{data.name} holds a {type(loaded).__qualname__}, not a scikit-learn Pipeline",
        )
    return loaded


def _sklearn_flavor(model_dir: Path) -> dict[str, Any]:
    """The sklearn flavor block of the MLmodel, after refusing any other flavor or format."""
    try:
        document = yaml.safe_load((model_dir / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise UnsafeArtifact("malformed", f"cannot read its MLmodel file: {error}") from None
    flavors = document.get("flavors") if isinstance(document, dict) else None
    if not isinstance(flavors, dict):
        raise UnsafeArtifact("malformed", "its MLmodel file declares no flavors")
    others = sorted(str(name) for name in flavors if name not in (SKLEARN_FLAVOR, PYFUNC_FLAVOR))
    flavor = flavors.get(SKLEARN_FLAVOR)
    if others or not isinstance(flavor, dict):
        declared = ", ".join(sorted(str(name) for name in flavors)) or "none"
        raise UnsafeArtifact(
            "flavor", f"flavors {declared}; allowed: {SKLEARN_FLAVOR} (skops format)"
        )
    pyfunc = flavors.get(PYFUNC_FLAVOR)
    if pyfunc is not None and (
        not isinstance(pyfunc, dict) or pyfunc.get("loader_module") != SKLEARN_LOADER_MODULE
    ):
        loader = pyfunc.get("loader_module") if isinstance(pyfunc, dict) else pyfunc
        raise UnsafeArtifact(
            "flavor",
            f"{PYFUNC_FLAVOR} loader {loader!r}; allowed: {SKLEARN_LOADER_MODULE} (skops format)",
        )
    serialization = flavor.get("serialization_format")
    if serialization != SKOPS_FORMAT:
        raise UnsafeArtifact(
            "format", f"serialization_format {serialization!r}; allowed: {SKOPS_FORMAT}"
        )
    if flavor.get("code"):
        raise UnsafeArtifact("flavor", "it ships code to put on the import path")
    return flavor


def _model_file(model_dir: Path, flavor: dict[str, Any]) -> Path:
    """The skops file the flavor names, refused when it points outside the model directory."""
    name = flavor.get("pickled_model")
    if not isinstance(name, str) or not name:
        raise UnsafeArtifact("malformed", "its sklearn flavor names no model file")
    root = model_dir.resolve()
    data = (root / name).resolve()
    if not data.is_relative_to(root) or not data.is_file():
        raise UnsafeArtifact("malformed", f"model file {name!r} is not in the model directory")
    return data
