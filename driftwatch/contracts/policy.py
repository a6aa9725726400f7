"""The policy schema (policy-as-code) that constrains every decision the agents make.

The loader lives beside the schema so that every process validates a policy file the same way.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from driftwatch.contracts.vocabulary import Action, Alias, IncidentType, Severity


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LevelThresholds(_Strict):
    """A value at or above ``high`` is high, else at or above ``medium`` medium, and so on."""

    low: float = Field(ge=0)
    medium: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ascending(self) -> LevelThresholds:
        if not self.low <= self.medium <= self.high:
            raise ValueError("thresholds must satisfy low <= medium <= high")
        return self

    def level(self, value: float) -> Severity:
        """The severity level of ``value`` (compared with ``>=``)."""
        if value >= self.high:
            return "high"
        if value >= self.medium:
            return "medium"
        if value >= self.low:
            return "low"
        return "none"


class QualityGates(_Strict):
    """What a candidate must reach before an alias moves to it."""

    min_auc: float = Field(ge=0, le=1, description="Lowest ROC AUC on the recent holdout.")
    min_average_precision: float = Field(ge=0, le=1, description="Lowest average precision.")
    max_regression_vs_champion: float = Field(
        ge=0, le=1, description="Largest AUC drop vs production, on the paired bootstrap bound."
    )
    min_labeled_rows: int = Field(ge=0, description="Fewer labeled rows: the release is deferred.")


class ActionRule(_Strict):
    action: Action


class DriftPolicy(_Strict):
    on_none: ActionRule
    on_low: ActionRule
    on_medium: ActionRule
    on_high: ActionRule
    by_incident_type: dict[IncidentType, ActionRule] = Field(default_factory=dict)

    def action_for(self, severity: Severity, incident_type: IncidentType) -> Action:
        """The action for an incident: its type's override, else its severity's rule."""
        override = self.by_incident_type.get(incident_type)
        if override is not None and severity != "none":
            return override.action
        rule: ActionRule = getattr(self, f"on_{severity}")
        return rule.action


class IncidentPolicy(_Strict):
    cooldown_windows: int = Field(ge=0)
    resolve_after_clean_windows: int = Field(ge=1)
    rollback_within_windows: int = Field(ge=0)


class ReleasePolicy(_Strict):
    promote_if_quality_gates_pass: bool
    promote_alias: Alias
    require_approval: bool = False


class Policy(_Strict):
    """A whole policy file; ``version`` is bumped on every change and carried into every plan."""

    version: int = Field(ge=1)
    severity_thresholds: LevelThresholds
    performance_thresholds: LevelThresholds
    quality_gates: QualityGates
    drift_policy: DriftPolicy
    incidents: IncidentPolicy
    release_policy: ReleasePolicy
