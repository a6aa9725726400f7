"""Every knob DriftWatch reads from the environment, in one place.

Nothing else in the package reads ``os.environ``: processes build a ``Settings`` in their factory
(or take one from a test), so two stacks on one machine never share state by accident.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DriftTest = Literal["auto", "ks", "wasserstein", "psi", "chisquare", "jensenshannon", "z"]


class Settings(BaseSettings):
    """Runtime settings, env prefix ``DRIFTWATCH_`` (MLflow keeps ``MLFLOW_TRACKING_URI``)."""

    model_config = SettingsConfigDict(env_prefix="DRIFTWATCH_", extra="ignore", frozen=True)

    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis the bus runs on; when none answers, local runs start embedded Valkey.",
    )
    stream_prefix: str = Field(
        "driftwatch",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Streams are named {prefix}.{name}, so tests, demos and stacks never mix.",
    )
    home: Path = Field(Path("./var"), description="Runtime state: data, reports, events, logs.")
    model_name: str = Field("fraud-detector", description="Registered MLflow model name.")
    policy_path: Path | None = Field(None, description="Policy YAML; default: the shipped one.")
    api_token: SecretStr | None = Field(None, description="Bearer token guarding write endpoints.")
    mlflow_tracking_uri: str | None = Field(
        None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "DRIFTWATCH_MLFLOW_TRACKING_URI"),
        description="Any MLflow tracking URI; default: SQLite under home.",
    )
    model_trusted_types: tuple[
        Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")], ...
    ] = Field(
        (),
        max_length=50,
        description="Fully qualified types a registered model's skops file may hold beyond "
        "DriftWatch's own list (JSON list); default none. Every other type is refused at load.",
    )

    stream_maxlen: int = Field(100_000, gt=0, description="Approximate MAXLEN of every stream.")
    min_idle_ms: int = Field(
        30_000, gt=0, description="Idle time before a pending event is claimed."
    )
    claim_interval_ms: int = Field(5_000, gt=0, description="How often claimers look for work.")
    max_deliveries: int = Field(5, ge=1, description="Failed deliveries before dead-lettering.")
    consumer_max_records: int = Field(10, ge=1, description="XREADGROUP COUNT per consumer poll.")
    handled_marker_ttl_s: int = Field(7 * 24 * 3600, gt=0, description="How long dedupe lasts.")

    window_rows: int = Field(2000, ge=10, description="A monitoring window closes at this size.")
    window_min_rows: int = Field(500, ge=10, description="Smallest window closed by age.")
    window_max_age_s: float = Field(300.0, gt=0, description="Age that closes a slow window.")
    drift_num_test: DriftTest = Field(
        "wasserstein", description="Drift test for numeric columns, fixed so size never changes it."
    )
    drift_cat_test: DriftTest = Field("jensenshannon", description="Drift test for categories.")
    drift_num_threshold: float = Field(0.1, gt=0, description="Threshold of the numeric test.")
    drift_cat_threshold: float = Field(0.1, gt=0, description="Threshold of the categorical test.")
    monitor_mlflow_runs: bool = Field(True, description="Log every window as an MLflow run.")

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, gt=0, lt=65536)
    max_batch: int = Field(1000, ge=1, description="Most rows one /predict request may carry.")
    microbatch_wait_ms: float = Field(2.0, ge=0, description="How long to gather requests.")
    microbatch_max_rows: int = Field(512, ge=1, description="Most rows in one predict call.")
    publish_batch_rows: int = Field(500, ge=1, description="PredictionBatch flush size.")
    publish_max_age_s: float = Field(1.0, gt=0, description="PredictionBatch flush age.")
    publish_predictions: bool = Field(True, description="Publish scored rows to the bus.")
    registry_poll_s: float = Field(30.0, gt=0, description="Fallback registry check interval.")
    prometheus_multiproc_dir: Path | None = Field(None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    metrics_port: int | None = Field(None, description="Port of an agent's /metrics endpoint.")

    @model_validator(mode="after")
    def _resolve_home(self) -> Settings:
        object.__setattr__(self, "home", self.home.expanduser().resolve())
        return self

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI: the user's, else a SQLite store under ``home``."""
        return self.mlflow_tracking_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def events_dir(self) -> Path:
        return self.home / "events"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def stream(self, name: str) -> str:
        """Full Redis key of the stream ``name`` under this settings' prefix."""
        return f"{self.stream_prefix}.{name}"


def env_value(value: object) -> str:
    """A setting's value as the environment variable that sets it again in a child process.

    pydantic-settings reads a list, set or mapping from the environment as JSON, so those are
    written as JSON (sets sorted, so the same settings give the same environment); the rest as
    their text.
    """
    if isinstance(value, set | frozenset):
        return json.dumps(sorted(value, key=str), default=str)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)
