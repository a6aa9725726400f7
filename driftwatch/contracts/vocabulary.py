"""The words events and policies share: severities, incident types, actions, decisions."""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["none", "low", "medium", "high"]
IncidentType = Literal["feature_drift", "concept_drift", "shock", "performance_degradation"]
Action = Literal["noop", "retrain_and_evaluate", "rollback", "hold_for_approval"]
Decision = Literal["promoted", "blocked", "deferred", "held", "rejected", "rolled_back", "noop"]
Alias = Literal["staging", "production"]
ResolvedHow = Literal["clean_windows", "released", "superseded"]

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
INCIDENT_TYPES: tuple[IncidentType, ...] = get_args(IncidentType)
ACTIONS: tuple[Action, ...] = get_args(Action)


def severity_rank(severity: Severity) -> int:
    """Position of ``severity`` in none < low < medium < high, for comparisons and max()."""
    return SEVERITIES.index(severity)


def max_severity(*levels: Severity) -> Severity:
    """The most severe of ``levels`` (``none`` when given nothing)."""
    return max(levels, key=severity_rank, default="none")
