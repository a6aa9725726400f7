"""Every event on the DriftWatch bus: one envelope, one discriminated union, one parser.

Events are immutable facts. A change old readers cannot take bumps ``schema_version`` and adds a
pure upcaster from the previous shape to ``UPCASTERS``; consumers dead-letter versions they do not
know (``UnsupportedSchemaVersion``) instead of guessing.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID, uuid4, uuid5

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from driftwatch.contracts.features import TransactionRecord
from driftwatch.contracts.policy import QualityGates
from driftwatch.contracts.vocabulary import (
    Action,
    Alias,
    Decision,
    IncidentType,
    ResolvedHow,
    Severity,
)

Probability = Annotated[float, Field(ge=0, le=1)]
Version = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z._-]+$")]


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_producer(component: str = "driftwatch") -> str:
    """``component@host:pid``: enough to find the process that wrote an event."""
    return f"{component}@{socket.gethostname()}:{os.getpid()}"


class UnsupportedSchemaVersion(ValueError):
    """A message claims a schema version this reader does not know; it is dead-lettered."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Event(_Model):
    """The envelope every event carries."""

    SCHEMA_VERSION: ClassVar[int] = 1
    STREAM: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4, description="uuid4 for a fact, uuid5 if derived.")
    event_type: str
    schema_version: int = Field(1, ge=1, description="Version of this event type's shape.")
    occurred_at: AwareDatetime = Field(default_factory=utcnow, description="Aware UTC time.")
    producer: str = Field(default_factory=default_producer, min_length=1, max_length=200)
    correlation_id: UUID = Field(default_factory=uuid4, description="One per incident chain.")
    causation_id: UUID | None = Field(None, description="The event_id this event answers.")

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _known_version(self) -> Self:
        if self.schema_version != self.SCHEMA_VERSION:
            raise UnsupportedSchemaVersion(
                f"{self.event_type} schema_version {self.schema_version} is not supported "
                f"(this reader knows {self.SCHEMA_VERSION})"
            )
        return self

    @classmethod
    def caused_by(cls, cause: Event, handler: str, **fields: Any) -> Self:
        """An event answering ``cause``: same correlation, and an id a redone handler repeats."""
        return cls(
            event_id=derived_event_id(cause.event_id, handler),
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
            **fields,
        )


def derived_event_id(input_id: UUID, handler: str) -> UUID:
    """uuid5 of the input's id and the handler's name: redelivery emits the same id."""
    return uuid5(input_id, handler)


class PredictionBatch(Event):
    """Rows the API scored, in the order it scored them."""

    STREAM: ClassVar[str] = "predictions"
    event_type: Literal["PredictionBatch"] = "PredictionBatch"
    model_name: str = Field(min_length=1)
    model_version: Version
    threshold: Probability = Field(description="The model's decision threshold.")
    rows: list[TransactionRecord] = Field(min_length=1)
    scores: list[Probability] = Field(min_length=1)
    request_ids: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        if not len(self.rows) == len(self.scores) == len(self.request_ids):
            raise ValueError("rows, scores and request_ids must have the same length")
        return self


class LabelPair(_Model):
    request_id: str = Field(min_length=1, max_length=128)
    is_fraud: bool


class LabelFeedback(Event):
    """Delayed ground truth for earlier predictions, joined on request_id."""

    STREAM: ClassVar[str] = "labels"
    event_type: Literal["LabelFeedback"] = "LabelFeedback"
    labels: list[LabelPair] = Field(min_length=1)


class ColumnDrift(_Model):
    """One column's drift test against the reference.

    ``drifted`` needs both the effect size (``statistic`` against ``threshold``) and the
    significance gate (``p_value`` below ``significance_level``); the gate's fields are new in
    schema v2 of the events that carry columns, and null in a v1 payload.
    """

    column: str
    kind: Literal["numerical", "categorical"]
    test: str = Field(description="Evidently method id, e.g. wasserstein, ks, jensenshannon.")
    statistic: float = Field(description="A p-value or a distance, depending on the test.")
    threshold: float
    drifted: bool
    p_value: Probability | None = Field(
        None, description="Two-sample p-value of the gate: KS for numbers, chi-square otherwise."
    )
    significance_level: Probability | None = Field(
        None, description="What the p-value must fall below: 1 % split over the model features."
    )


class VolumeProfile(_Model):
    """Traffic per event-time hour, current window against the reference.

    ``ratio`` averages over the whole window, so a surge of a few hours in a window of days
    barely moves it; the peak fields find such a surge hour by hour (schema v2).
    """

    rows_per_hour: float = Field(ge=0)
    reference_rows_per_hour: float = Field(ge=0)
    ratio: float = Field(ge=0, description="rows_per_hour / reference_rows_per_hour.")
    hourly_share: list[Probability] = Field(min_length=24, max_length=24)
    reference_hourly_share: list[Probability] = Field(min_length=24, max_length=24)
    peak_ratio: float | None = Field(
        None,
        ge=0,
        description="Rows in the busiest significant event-time hour over the reference rate of "
        "that hour of day; null when no hour's excess is significant.",
    )
    peak_hour: AwareDatetime | None = Field(None, description="Start of that hour.")
    surge_hours: int = Field(0, ge=0, description="Event-time hours with a significant excess.")


class PerformanceSummary(_Model):
    """Label-based performance of a window, against the version's holdout."""

    auc: Probability | None = Field(description="Null when the labels hold one class only.")
    auc_ci_low: Probability | None = None
    auc_ci_high: Probability | None = None
    average_precision: Probability | None
    precision: Probability
    recall: Probability
    reference_auc: Probability
    reference_average_precision: Probability
    auc_drop: float | None = Field(description="reference_auc - auc.")
    auc_drop_lower: float | None = Field(description="Lower bound of the drop's interval.")
    degraded: bool = Field(description="The drop's lower bound reached the policy's low level.")


class MonitoringSummary(Event):
    """The monitor's judgement of one window; late labels publish a new revision.

    Version 2 added the peak fields of ``VolumeProfile`` and the significance gate of each
    ``ColumnDrift``; a v1 payload upcasts without them.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    STREAM: ClassVar[str] = "monitoring"
    event_type: Literal["MonitoringSummary"] = "MonitoringSummary"
    schema_version: int = Field(2, ge=1, description="Version of this event type's shape.")
    window_id: str = Field(min_length=1, max_length=200)
    revision: int = Field(ge=0)
    window_start: AwareDatetime
    window_end: AwareDatetime
    model_name: str = Field(min_length=1)
    model_version: Version
    n_reference: int = Field(ge=0)
    n_current: int = Field(ge=0)
    columns: list[ColumnDrift]
    drift_share: Probability
    prediction_drift: ColumnDrift | None = None
    volume: VolumeProfile | None = None
    performance: PerformanceSummary | None = None
    label_coverage: Probability = 0.0
    labeled_rows: int = Field(0, ge=0)
    drift_severity: Severity = "none"
    performance_severity: Severity = "none"
    severity: Severity
    report_path: str | None = None
    summary_path: str | None = None
    dataset_uri: str | None = Field(None, description="Parquet of the window's rows and labels.")
    policy_version: int | None = None

    @property
    def drifted_columns(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.drifted]


class DriftDetected(Event):
    """The Sentinel opened an incident.

    Version 2: its ``drifted_columns`` carry the significance gate (``ColumnDrift.p_value``).
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    STREAM: ClassVar[str] = "incidents"
    event_type: Literal["DriftDetected"] = "DriftDetected"
    schema_version: int = Field(2, ge=1, description="Version of this event type's shape.")
    incident_id: UUID
    incident_type: IncidentType
    severity: Severity
    drifted_columns: list[ColumnDrift] = Field(default_factory=list)
    drift_share: Probability = 0.0
    auc_drop: float | None = None
    auc_drop_lower: float | None = None
    volume_ratio: float | None = None
    evidence: dict[str, JsonValue] = Field(default_factory=dict, description="Free-form detail.")
    recommended_action: Action
    model_name: str = Field(min_length=1)
    model_version: Version
    window_id: str
    window_revision: int = Field(0, ge=0)
    window_of_version: int | None = Field(
        None, ge=1, description="Position of the window among its version's windows (1 = first)."
    )
    dataset_uri: str | None = None
    labeled_rows: int = Field(0, ge=0)


class IncidentResolved(Event):
    """An incident closed: clean windows, a release, or a newer incident superseding it."""

    STREAM: ClassVar[str] = "incidents"
    event_type: Literal["IncidentResolved"] = "IncidentResolved"
    incident_id: UUID
    how: ResolvedHow
    model_name: str = Field(min_length=1)
    model_version: Version | None = None
    detail: str = ""


class PlanCreated(Event):
    """The Planner's decision under the policy in force."""

    STREAM: ClassVar[str] = "plans"
    event_type: Literal["PlanCreated"] = "PlanCreated"
    plan_id: UUID
    incident_id: UUID
    incident_type: IncidentType
    severity: Severity
    action: Action
    held_action: Action | None = Field(
        None, description="What approval would execute, when action is hold_for_approval."
    )
    steps: list[str] = Field(default_factory=list)
    gates: QualityGates
    target_alias: Alias
    promote_if_gates_pass: bool = True
    model_name: str = Field(min_length=1)
    model_version: Version
    dataset_uri: str | None = None
    labeled_rows: int = Field(0, ge=0)
    reason: str = ""
    policy_version: int = Field(ge=1)
    policy_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PlanApproved(Event):
    STREAM: ClassVar[str] = "approvals"
    event_type: Literal["PlanApproved"] = "PlanApproved"
    plan_id: UUID
    who: str = Field(min_length=1, max_length=200)
    reason: str = ""


class PlanRejected(Event):
    STREAM: ClassVar[str] = "approvals"
    event_type: Literal["PlanRejected"] = "PlanRejected"
    plan_id: UUID
    who: str = Field(min_length=1, max_length=200)
    reason: str = ""


class GateResult(_Model):
    """One quality gate as the Release agent judged it."""

    gate: str = Field(description="Policy key, e.g. min_auc.")
    metric: str
    threshold: float
    value: float | None
    interval: tuple[float, float] | None = None
    passed: bool


class ReleaseDecided(Event):
    """What the Release agent (or a person, plan_id null) did to the registry."""

    STREAM: ClassVar[str] = "releases"
    event_type: Literal["ReleaseDecided"] = "ReleaseDecided"
    plan_id: UUID | None = None
    incident_id: UUID | None = None
    decision: Decision
    model_name: str = Field(min_length=1)
    candidate_version: Version | None = None
    previous_version: Version | None = None
    alias: Alias | None = Field(None, description="The alias moved, if any.")
    gates: list[GateResult] = Field(default_factory=list)
    reason: str = ""


AnyEvent = Annotated[
    PredictionBatch
    | LabelFeedback
    | MonitoringSummary
    | DriftDetected
    | IncidentResolved
    | PlanCreated
    | PlanApproved
    | PlanRejected
    | ReleaseDecided,
    Field(discriminator="event_type"),
]

EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PredictionBatch,
        LabelFeedback,
        MonitoringSummary,
        DriftDetected,
        IncidentResolved,
        PlanCreated,
        PlanApproved,
        PlanRejected,
        ReleaseDecided,
    )
}

STREAM_NAMES: tuple[str, ...] = tuple(dict.fromkeys(cls.STREAM for cls in EVENT_TYPES.values()))

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _only_new_optional_fields(data: dict[str, Any]) -> dict[str, Any]:
    """v1 -> v2 of an event whose v2 only gained optional fields (their defaults say "not
    measured"): the payload stands as it is; the version bump is for readers that forbid them."""
    return data


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("MonitoringSummary", 1): _only_new_optional_fields,
    ("DriftDetected", 1): _only_new_optional_fields,
}
"""(event_type, from_version) -> pure function returning the payload at from_version + 1."""


def stream_for(event_type: str, prefix: str) -> str:
    """Full stream name of ``event_type`` under ``prefix`` ({prefix}.{name})."""
    try:
        return f"{prefix}.{EVENT_TYPES[event_type].STREAM}"
    except KeyError:
        raise ValueError(f"unknown event_type {event_type!r}") from None


def upcast(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Bring an older payload up to its type's current shape, one version at a time."""
    data = dict(payload)
    event_type = data.get("event_type")
    version = data.get("schema_version", 1)
    while isinstance(version, int) and (event_type, version) in UPCASTERS:
        data = UPCASTERS[(event_type, version)](data)
        version = data["schema_version"] = version + 1
    return data


def parse_event(raw: str | bytes | Mapping[str, Any]) -> AnyEvent:
    """Parse one message at the bus edge, upcasting older shapes first.

    Raises:
        ValueError: not JSON, or not a JSON object.
        ValidationError: unknown ``event_type`` or fields that break the contract.
        UnsupportedSchemaVersion: a version this reader does not know.
    """
    data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    if not isinstance(data, Mapping):
        raise ValueError(f"an event is a JSON object, got {type(data).__name__}")
    try:
        return EVENT_ADAPTER.validate_python(upcast(data))
    except ValidationError as error:
        unsupported = _unsupported_version(error)
        if unsupported is not None:
            raise unsupported from None
        raise


def _unsupported_version(error: ValidationError) -> UnsupportedSchemaVersion | None:
    for detail in error.errors():
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, UnsupportedSchemaVersion):
            return cause
    return None
