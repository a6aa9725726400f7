"""The Planner's decision: what to do about an incident, under the policy in force.

Pure: ``plan_for(incident, state, policy)`` is all a plan depends on, and ``PlannerState`` is a fold
of recorded ``ReleaseDecided`` events. That is what lets ``driftwatch replay`` rerun the decisions
of the past under another policy (``plans_over``) and show what would change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from driftwatch.contracts.events import (
    DriftDetected,
    Event,
    PlanCreated,
    ReleaseDecided,
    derived_event_id,
)
from driftwatch.contracts.policy import (
    PERFORMANCE_INCIDENT_TYPES,
    LoadedPolicy,
    Policy,
    QualityGates,
)
from driftwatch.contracts.vocabulary import Action, Alias, IncidentType, Severity

HANDLER = "planner"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Promotion(_Frozen):
    """How a model's production version got there: the promotion that a rollback would undo."""

    version: str = Field(description="The version promoted to production.")
    previous_version: str | None = Field(description="What production served before; None: none.")
    release_event_id: UUID


class PlannerState(_Frozen):
    """What the Planner knows beyond the incident: the last promotion to production per model.

    A rollback to ``previous-production`` (or a promotion without a previous version) leaves no
    promotion to undo, so a model is absent after one.
    """

    promotions: dict[str, Promotion] = Field(default_factory=dict, description="By model name.")

    def fold(self, event: Event) -> Self:
        """The state after ``event``; events other than production moves change nothing, so a
        whole recorded stream can be folded as it is."""
        if not isinstance(event, ReleaseDecided):
            return self
        promotions = dict(self.promotions)
        if event.decision == "rolled_back":
            promotions.pop(event.model_name, None)
        elif event.decision == "promoted" and event.alias == "production":
            if event.candidate_version is None:
                return self
            promotions[event.model_name] = Promotion(
                version=event.candidate_version,
                previous_version=event.previous_version,
                release_event_id=event.event_id,
            )
        else:
            return self
        return self.model_copy(update={"promotions": promotions})

    @classmethod
    def rebuilt(cls, events: Iterable[Event]) -> Self:
        """The state after every event of ``events``, in order."""
        state = cls()
        for event in events:
            state = state.fold(event)
        return state


class PlanDecision(_Frozen):
    """Every field of a ``PlanCreated`` but the envelope."""

    plan_id: UUID
    incident_id: UUID
    incident_type: IncidentType
    severity: Severity
    action: Action
    held_action: Action | None
    steps: list[str]
    gates: QualityGates
    target_alias: Alias
    promote_if_gates_pass: bool
    model_name: str
    model_version: str
    dataset_uri: str | None
    labeled_rows: int
    reason: str
    policy_version: int
    policy_sha256: str

    def event(self, incident: DriftDetected, handler: str = HANDLER) -> PlanCreated:
        """The ``PlanCreated`` answering ``incident`` (same chain, id derived from the incident)."""
        return PlanCreated.caused_by(incident, handler, **dict(self))


def plan_for(incident: DriftDetected, state: PlannerState, policy: LoadedPolicy) -> PlanDecision:
    """The plan for ``incident`` under ``policy``, given what ``state`` knows of promotions.

    The action comes from ``Policy.respond``: the severity's rule, the type's override, a
    rollback when ``rollback_due`` says so, and a hold when the policy requires approval.
    """
    rules = policy.policy
    due, rollback_note = rollback_due(incident, state, rules)
    response = rules.respond(incident.severity, incident.incident_type, rollback_due=due)
    plan_id = derived_event_id(incident.event_id, f"{HANDLER}/plan")
    runs = response.held_action or response.action
    steps = _steps(runs, incident, state, rules)
    if response.action == "hold_for_approval":
        steps = [
            f"wait for `driftwatch approve {plan_id}` or `driftwatch reject {plan_id}`",
            *(f"on approval: {step}" for step in steps),
        ]
    reason = f"{incident.severity} {incident.incident_type}: {response.reason}"
    return PlanDecision(
        plan_id=plan_id,
        incident_id=incident.incident_id,
        incident_type=incident.incident_type,
        severity=incident.severity,
        action=response.action,
        held_action=response.held_action,
        steps=steps,
        gates=rules.quality_gates,
        target_alias="production" if runs == "rollback" else rules.release_policy.promote_alias,
        promote_if_gates_pass=rules.release_policy.promote_if_quality_gates_pass,
        model_name=incident.model_name,
        model_version=incident.model_version,
        dataset_uri=incident.dataset_uri,
        labeled_rows=incident.labeled_rows,
        reason=f"{reason}; {rollback_note}" if rollback_note else reason,
        policy_version=rules.version,
        policy_sha256=policy.sha256,
    )


def rollback_due(
    incident: DriftDetected, state: PlannerState, policy: Policy
) -> tuple[bool, str | None]:
    """Whether performance fell soon enough after a promotion that undoing it is the answer.

    Due when the incident is a performance one, its version is the one the last promotion put in
    production, that promotion replaced a version (something to go back to), and the incident's
    window is within ``rollback_within_windows`` windows of that version (the Sentinel's
    ``window_of_version``). Returns a note when a rollback was considered and not due.
    """
    promotion = state.promotions.get(incident.model_name)
    if incident.incident_type not in PERFORMANCE_INCIDENT_TYPES or promotion is None:
        return False, None
    if promotion.version != incident.model_version:
        return False, None
    if promotion.previous_version is None:
        return False, "no rollback: the promotion replaced no version"
    window = incident.window_of_version
    if window is None:
        return False, "no rollback: the incident carries no window_of_version"
    limit = policy.incidents.rollback_within_windows
    if window > limit:
        return False, f"no rollback: window {window} of version {promotion.version} > {limit}"
    return True, None


def plans_over(
    events: Iterable[Event], policy: LoadedPolicy, state: PlannerState | None = None
) -> list[tuple[DriftDetected, PlanDecision]]:
    """Rerun the Planner over recorded events, in order: each ``DriftDetected`` is planned with
    the state as it stood then, and every event is folded into the state afterwards."""
    current = state or PlannerState()
    plans: list[tuple[DriftDetected, PlanDecision]] = []
    for event in events:
        if isinstance(event, DriftDetected):
            plans.append((event, plan_for(event, current, policy)))
        current = current.fold(event)
    return plans


def _steps(
    action: Action, incident: DriftDetected, state: PlannerState, policy: Policy
) -> list[str]:
    """What ``action`` will do, in words a person approving the plan can check."""
    if action == "rollback":
        promotion = state.promotions.get(incident.model_name)
        target = promotion.previous_version if promotion else None
        return [
            f"move alias 'production' of {incident.model_name} back to 'previous-production'"
            + (f" (version {target})" if target else ""),
            f"leave version {incident.model_version} registered for inspection",
        ]
    if action == "retrain_and_evaluate":
        gates, release = policy.quality_gates, policy.release_policy
        promote = (
            f"register the candidate; move alias '{release.promote_alias}' to it if every gate "
            "passes, else block"
            if release.promote_if_quality_gates_pass
            else "register the candidate; move no alias (promote_if_quality_gates_pass: false)"
        )
        return [
            f"need at least {gates.min_labeled_rows} labeled rows in window "
            f"{incident.window_id} (it has {incident.labeled_rows}), else defer",
            "retrain on the window's labeled rows plus the reference data",
            "evaluate the candidate and production on the same held-out recent rows",
            f"gates: AUC >= {gates.min_auc}, average precision >= "
            f"{gates.min_average_precision}, lower bound of AUC vs production >= "
            f"-{gates.max_regression_vs_champion}",
            promote,
        ]
    return ["record the incident; change nothing"]
