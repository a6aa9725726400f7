"""The Sentinel's decisions: which monitoring windows open, quiet or resolve an incident.

Pure: ``on_summary`` and ``on_release`` take an event, the model's ``SentinelState`` and the policy
and return the next state with what to publish. The handler stores the state (JSON) in Redis and
publishes ``outcome.events(...)`` in the same transaction that marks the input handled.

Rules, per model and per cause (the incident type):

* A window opens an incident when its severity (the larger of the drift level of its drift share
  and the performance level of its AUC drop's lower bound) is at least ``low``.
* The cause is ``shock`` when traffic spiked (``ShockRule``), else ``concept_drift`` when
  performance fell while the features held (drift level none or low), else
  ``performance_degradation`` when performance fell with the features, else ``feature_drift``.
* While an incident of that cause is open, or cooling for ``cooldown_windows`` windows after it
  resolved, the cause stays quiet, unless the new severity is higher: then a new incident
  supersedes the open one (a drift that keeps growing must reach the Planner again).
* ``resolve_after_clean_windows`` consecutive clean windows of an incident's model version resolve
  it; a promotion to production or a rollback resolves every open incident (the model changed).
* The version production moved away from is retired: its windows (late labels) open nothing.
* A window is handled once: a repeated or older ``(window_id, revision)`` changes nothing, and a
  newer revision (labels arrived) is judged again without counting as a new window, so it can open
  a performance incident, or re-announce an incident whose release was deferred for labels.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from driftwatch.agents.shock import ShockRule, shock_signals
from driftwatch.contracts.events import (
    ColumnDrift,
    DriftDetected,
    Event,
    IncidentResolved,
    MonitoringSummary,
    ReleaseDecided,
    derived_event_id,
)
from driftwatch.contracts.policy import Policy
from driftwatch.contracts.vocabulary import (
    Action,
    IncidentType,
    ResolvedHow,
    Severity,
    max_severity,
    severity_rank,
)

HANDLER = "sentinel"

SEEN_WINDOWS_KEPT = 256
"""Windows remembered for deduplication; a revision of an older window counts as a new window."""
RETIRED_VERSIONS_KEPT = 256
"""Retired versions remembered; a window of an older one is judged like any other."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Assessment(_Frozen):
    """A window judged under the policy: its levels and its cause (None: a clean window)."""

    drift_level: Severity
    performance_level: Severity
    severity: Severity
    incident_type: IncidentType | None
    shock_signals: tuple[str, ...] = ()


class IncidentReport(_Frozen):
    """The payload of a ``DriftDetected`` (everything but the envelope)."""

    incident_id: UUID
    incident_type: IncidentType
    severity: Severity
    drifted_columns: list[ColumnDrift]
    drift_share: float
    auc_drop: float | None
    auc_drop_lower: float | None
    volume_ratio: float | None
    evidence: dict[str, JsonValue]
    recommended_action: Action
    model_name: str
    model_version: str
    window_id: str
    window_revision: int
    window_of_version: int
    dataset_uri: str | None
    labeled_rows: int


class OpenIncident(_Frozen):
    """An incident not yet resolved: what was announced (re-sent when labels arrive), the chain
    it belongs to, and the counters that close it."""

    report: IncidentReport
    correlation_id: UUID = Field(description="The incident chain's id, for every later event.")
    clean_windows: int = Field(0, description="Consecutive clean windows of its version since.")
    awaiting_labels: bool = Field(False, description="Its release was deferred for labels.")


class Resolution(_Frozen):
    """An incident to close, and why."""

    incident: OpenIncident
    how: ResolvedHow
    detail: str


class Cooldown(_Frozen):
    """A resolved cause that stays quiet for a few windows unless it comes back worse."""

    severity: Severity
    windows_left: int = Field(ge=0, description="Quiet windows left after the current one.")


class SeenWindow(_Frozen):
    window_id: str
    revision: int
    model_version: str
    ordinal: int = Field(ge=1, description="Position among the windows of model_version.")


class SentinelState(_Frozen):
    """Everything the Sentinel remembers about one model; stored as JSON between events."""

    model_name: str = Field(min_length=1)
    open_incidents: dict[IncidentType, OpenIncident] = Field(default_factory=dict)
    cooldowns: dict[IncidentType, Cooldown] = Field(default_factory=dict)
    windows_by_version: dict[str, int] = Field(default_factory=dict)
    seen_windows: tuple[SeenWindow, ...] = Field((), description="Most recent last.")
    retired_versions: tuple[str, ...] = Field(
        (), description="Versions production moved away from; their windows open nothing."
    )

    def seen(self, window_id: str) -> SeenWindow | None:
        return next((w for w in self.seen_windows if w.window_id == window_id), None)


class SentinelOutcome(_Frozen):
    """The next state and what to publish; ``note`` says why, for logs and tests."""

    state: SentinelState
    announced: tuple[OpenIncident, ...] = Field((), description="New or re-sent incidents.")
    resolved: tuple[Resolution, ...] = ()
    note: str

    def events(self, cause: Event, handler: str = HANDLER) -> list[Event]:
        """The events to publish in answer to ``cause``: resolutions first, then incidents.

        Ids derive from ``cause`` so a redone handler publishes the same ids; each event stays in
        its incident's chain (correlation id) whatever chain ``cause`` belongs to.
        """
        resolved: list[Event] = [
            IncidentResolved(
                event_id=derived_event_id(
                    cause.event_id, f"{handler}/resolved/{r.incident.report.incident_id}"
                ),
                correlation_id=r.incident.correlation_id,
                causation_id=cause.event_id,
                incident_id=r.incident.report.incident_id,
                how=r.how,
                model_name=self.state.model_name,
                model_version=r.incident.report.model_version,
                detail=r.detail,
            )
            for r in self.resolved
        ]
        announced: list[Event] = [
            DriftDetected(
                event_id=derived_event_id(
                    cause.event_id, f"{handler}/detected/{a.report.incident_id}"
                ),
                correlation_id=a.correlation_id,
                causation_id=cause.event_id,
                **dict(a.report),
            )
            for a in self.announced
        ]
        return resolved + announced


def assess(summary: MonitoringSummary, policy: Policy, rule: ShockRule) -> Assessment:
    """Judge one window under ``policy``: levels from its numbers, then its cause."""
    drift_level = policy.severity_thresholds.level(summary.drift_share)
    performance = summary.performance
    drop = performance.auc_drop_lower if performance is not None else None
    performance_level = policy.performance_thresholds.level(drop) if drop is not None else "none"
    severity = max_severity(drift_level, performance_level)
    signals = shock_signals(summary, rule)
    incident_type: IncidentType | None = None
    if severity != "none":
        if signals:
            incident_type = "shock"
        elif performance_level != "none":
            held = severity_rank(drift_level) <= severity_rank("low")
            incident_type = "concept_drift" if held else "performance_degradation"
        else:
            incident_type = "feature_drift"
    return Assessment(
        drift_level=drift_level,
        performance_level=performance_level,
        severity=severity,
        incident_type=incident_type,
        shock_signals=signals,
    )


def on_summary(
    summary: MonitoringSummary,
    state: SentinelState,
    policy: Policy,
    rule: ShockRule | None = None,
) -> SentinelOutcome:
    """Fold one monitoring window into the model's incident state.

    Raises:
        ValueError: the summary is about another model than ``state``.
    """
    _same_model(state, summary.model_name)
    seen = state.seen(summary.window_id)
    if seen is not None and summary.revision <= seen.revision:
        note = f"window {summary.window_id} revision {summary.revision} already handled"
        return SentinelOutcome(state=state, note=note)
    new_window = seen is None
    ordinal = seen.ordinal if seen else state.windows_by_version.get(summary.model_version, 0) + 1
    state = _record_window(state, summary, ordinal, new_window)
    if summary.model_version in state.retired_versions:
        # Late labels of a window the old model served: nothing left to act on, since every
        # plan acts on production, and its incident would retrain against the new model.
        note = f"window {summary.window_id} of retired version {summary.model_version}: no incident"
        return SentinelOutcome(state=state, note=note)
    assessment = assess(summary, policy, rule or ShockRule())
    incident_type = assessment.incident_type
    if incident_type is None:
        outcome = _clean(summary, state, policy, new_window)
    else:
        report = _report(summary, assessment, incident_type, policy, ordinal)
        outcome = _finding(summary, state, report)
    return _refresh_deferred(summary, outcome, policy)


def on_release(release: ReleaseDecided, state: SentinelState) -> SentinelOutcome:
    """A changed production model resolves every open incident; a deferral marks its incident
    as waiting for labels, so a labeled revision of its window announces it again.

    Raises:
        ValueError: the release is about another model than ``state``.
    """
    _same_model(state, release.model_name)
    moved = release.decision == "rolled_back" or (
        release.decision == "promoted" and release.alias == "production"
    )
    if moved:
        resolved = tuple(
            Resolution(incident=incident, how="released", detail=f"{release.decision} release")
            for incident in state.open_incidents.values()
        )
        retired = [v for v in state.retired_versions if v != release.candidate_version]
        if release.previous_version and release.previous_version != release.candidate_version:
            retired = [*retired, release.previous_version][-RETIRED_VERSIONS_KEPT:]
        next_state = state.model_copy(
            update={"open_incidents": {}, "cooldowns": {}, "retired_versions": tuple(retired)}
        )
        note = f"production changed ({release.decision}): {len(resolved)} incident(s) resolved"
        return SentinelOutcome(state=next_state, resolved=resolved, note=note)
    if release.decision == "deferred":
        opened = {
            cause: incident.model_copy(update={"awaiting_labels": True})
            if incident.report.incident_id == release.incident_id
            else incident
            for cause, incident in state.open_incidents.items()
        }
        next_state = state.model_copy(update={"open_incidents": opened})
        return SentinelOutcome(state=next_state, note=f"incident {release.incident_id} deferred")
    return SentinelOutcome(state=state, note=f"{release.decision}: incidents unchanged")


def _same_model(state: SentinelState, model_name: str) -> None:
    if model_name != state.model_name:
        raise ValueError(f"event for model {model_name!r} given state of {state.model_name!r}")


def _record_window(
    state: SentinelState, summary: MonitoringSummary, ordinal: int, new_window: bool
) -> SentinelState:
    """Remember the window; a new one also advances the version's count and the cooldowns."""
    entry = SeenWindow(
        window_id=summary.window_id,
        revision=summary.revision,
        model_version=summary.model_version,
        ordinal=ordinal,
    )
    others = tuple(w for w in state.seen_windows if w.window_id != summary.window_id)
    update: dict[str, object] = {"seen_windows": (*others, entry)[-SEEN_WINDOWS_KEPT:]}
    if new_window:
        update["windows_by_version"] = {**state.windows_by_version, summary.model_version: ordinal}
        update["cooldowns"] = {
            cause: cooldown.model_copy(update={"windows_left": cooldown.windows_left - 1})
            for cause, cooldown in state.cooldowns.items()
            if cooldown.windows_left >= 1
        }
    return state.model_copy(update=update)


def _clean(
    summary: MonitoringSummary, state: SentinelState, policy: Policy, new_window: bool
) -> SentinelOutcome:
    """A clean window counts toward resolving the incidents of its model version, once."""
    if not new_window:
        return SentinelOutcome(state=state, note="clean revision of a window already counted")
    needed = policy.incidents.resolve_after_clean_windows
    still_open: dict[IncidentType, OpenIncident] = {}
    cooldowns = dict(state.cooldowns)
    resolved: list[Resolution] = []
    for cause, incident in state.open_incidents.items():
        if incident.report.model_version != summary.model_version:
            still_open[cause] = incident
            continue
        clean = incident.clean_windows + 1
        if clean < needed:
            still_open[cause] = incident.model_copy(update={"clean_windows": clean})
            continue
        detail = f"{clean} clean windows of version {summary.model_version}"
        resolved.append(Resolution(incident=incident, how="clean_windows", detail=detail))
        if policy.incidents.cooldown_windows > 0:
            windows = policy.incidents.cooldown_windows
            cooldowns[cause] = Cooldown(severity=incident.report.severity, windows_left=windows)
    next_state = state.model_copy(update={"open_incidents": still_open, "cooldowns": cooldowns})
    note = f"clean window {summary.window_id}: {len(resolved)} incident(s) resolved"
    return SentinelOutcome(state=next_state, resolved=tuple(resolved), note=note)


def _finding(
    summary: MonitoringSummary, state: SentinelState, report: IncidentReport
) -> SentinelOutcome:
    """Open, supersede or stay quiet for a window with a finding; any finding breaks the runs
    of clean windows."""
    cause, severity = report.incident_type, report.severity
    incidents = {
        c: i.model_copy(update={"clean_windows": 0}) for c, i in state.open_incidents.items()
    }
    current, cooling = incidents.get(cause), state.cooldowns.get(cause)
    if current is not None and severity_rank(severity) <= severity_rank(current.report.severity):
        quiet = state.model_copy(update={"open_incidents": incidents})
        return SentinelOutcome(state=quiet, note=f"{severity} {cause}: an incident is open")
    if cooling is not None and severity_rank(severity) <= severity_rank(cooling.severity):
        quiet = state.model_copy(update={"open_incidents": incidents})
        return SentinelOutcome(state=quiet, note=f"{severity} {cause}: cooling down")
    resolved: tuple[Resolution, ...] = ()
    if current is not None:
        detail = f"superseded by {severity} incident {report.incident_id}"
        resolved = (Resolution(incident=current, how="superseded", detail=detail),)
    opened = OpenIncident(report=report, correlation_id=summary.correlation_id)
    incidents[cause] = opened
    cooldowns = {c: cd for c, cd in state.cooldowns.items() if c != cause}
    next_state = state.model_copy(update={"open_incidents": incidents, "cooldowns": cooldowns})
    return SentinelOutcome(
        state=next_state,
        announced=(opened,),
        resolved=resolved,
        note=f"{severity} {cause} incident {report.incident_id} opened",
    )


def _refresh_deferred(
    summary: MonitoringSummary, outcome: SentinelOutcome, policy: Policy
) -> SentinelOutcome:
    """Re-announce incidents deferred for labels once a revision of their window has enough."""
    if summary.labeled_rows < policy.quality_gates.min_labeled_rows:
        return outcome
    incidents = dict(outcome.state.open_incidents)
    announced = list(outcome.announced)
    for cause, incident in outcome.state.open_incidents.items():
        if not (
            incident.awaiting_labels
            and incident.report.window_id == summary.window_id
            and summary.labeled_rows > incident.report.labeled_rows
        ):
            continue
        report = incident.report.model_copy(
            update={
                "window_revision": summary.revision,
                "labeled_rows": summary.labeled_rows,
                "dataset_uri": summary.dataset_uri or incident.report.dataset_uri,
            }
        )
        refreshed = incident.model_copy(update={"awaiting_labels": False, "report": report})
        incidents[cause] = refreshed
        announced.append(refreshed)
    count = len(announced) - len(outcome.announced)
    if count == 0:
        return outcome
    return outcome.model_copy(
        update={
            "state": outcome.state.model_copy(update={"open_incidents": incidents}),
            "announced": tuple(announced),
            "note": f"{outcome.note}; {count} deferred incident(s) re-announced with labels",
        }
    )


def _report(
    summary: MonitoringSummary,
    assessment: Assessment,
    incident_type: IncidentType,
    policy: Policy,
    ordinal: int,
) -> IncidentReport:
    performance, volume = summary.performance, summary.volume
    drifted = summary.drifted_columns
    evidence: dict[str, JsonValue] = {
        "drift_level": assessment.drift_level,
        "performance_level": assessment.performance_level,
        "monitor_severity": summary.severity,
        "drifted_features": [c.column for c in drifted],
        "statistics": {c.column: c.statistic for c in drifted},
        "shock_signals": list(assessment.shock_signals),
        "label_coverage": summary.label_coverage,
        "policy_version": policy.version,
    }
    if performance is not None:
        evidence["auc"] = performance.auc
        evidence["reference_auc"] = performance.reference_auc
    response = policy.respond(assessment.severity, incident_type)
    return IncidentReport(
        incident_id=derived_event_id(summary.event_id, f"{HANDLER}/incident"),
        incident_type=incident_type,
        severity=assessment.severity,
        drifted_columns=drifted,
        drift_share=summary.drift_share,
        auc_drop=performance.auc_drop if performance else None,
        auc_drop_lower=performance.auc_drop_lower if performance else None,
        volume_ratio=volume.ratio if volume else None,
        evidence=evidence,
        recommended_action=response.action,
        model_name=summary.model_name,
        model_version=summary.model_version,
        window_id=summary.window_id,
        window_revision=summary.revision,
        window_of_version=ordinal,
        dataset_uri=summary.dataset_uri,
        labeled_rows=summary.labeled_rows,
    )
