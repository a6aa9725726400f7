"""Incidents as the audit trail records them: each ``DriftDetected`` with the chain it started.

Reads ``var/events/events.jsonl`` (written by the audit consumer), not Redis, so incidents can be
reviewed after a flush, on another machine, or from a copied trail. The trail is at-least-once
across audit replicas, so events are deduplicated by id; lines that do not parse are skipped and
counted rather than stopping the read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import UUID

from pydantic import ValidationError

from driftwatch.contracts.events import (
    AnyEvent,
    DriftDetected,
    IncidentResolved,
    MonitoringSummary,
    PlanApproved,
    PlanCreated,
    PlanRejected,
    ReleaseDecided,
    parse_event,
)

TRAIL = "events.jsonl"
"""The audit trail's file name under the events directory (written by the audit consumer)."""


@dataclass(frozen=True)
class Trail:
    """The events of a trail in time order, and how many lines could not be read."""

    events: list[AnyEvent]
    unreadable: int = 0


def read_trail(path: Path) -> Trail:
    """Every event of the trail at ``path``, deduplicated and ordered by ``occurred_at``.

    Raises:
        FileNotFoundError: there is no trail (the audit consumer never ran here).
    """
    events: dict[UUID, AnyEvent] = {}
    unreadable = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                event = parse_event(line)
            except (ValueError, ValidationError):
                unreadable += 1
                continue
            events.setdefault(event.event_id, event)
    return Trail(sorted(events.values(), key=lambda e: e.occurred_at), unreadable)


@dataclass
class Incident:
    """One incident and every recorded event of its chain, oldest first."""

    detected: DriftDetected
    chain: list[AnyEvent] = field(default_factory=list)

    @property
    def incident_id(self) -> UUID:
        return self.detected.incident_id

    @property
    def opened_at(self) -> datetime:
        return self.detected.occurred_at

    @property
    def status(self) -> str:
        """``open``, or ``resolved (how)`` from its ``IncidentResolved``."""
        resolved = [e for e in self.chain if isinstance(e, IncidentResolved)]
        return f"resolved ({resolved[-1].how})" if resolved else "open"

    @property
    def plan(self) -> PlanCreated | None:
        plans = [e for e in self.chain if isinstance(e, PlanCreated)]
        return plans[-1] if plans else None

    @property
    def decision(self) -> ReleaseDecided | None:
        decisions = [e for e in self.chain if isinstance(e, ReleaseDecided)]
        return decisions[-1] if decisions else None


def incidents(events: Iterable[AnyEvent]) -> list[Incident]:
    """Group a trail into incidents, oldest first.

    An event belongs to an incident when it shares the incident's correlation id (the chain from
    the window that opened it), or names the incident or one of its plans (an approval published
    by hand may carry a fresh correlation id). A re-announced incident (labels arrived after a
    deferral) is one incident with two ``DriftDetected`` in its chain.
    """
    ordered = list(events)
    found: dict[UUID, Incident] = {}
    for event in ordered:
        if isinstance(event, DriftDetected) and event.incident_id not in found:
            found[event.incident_id] = Incident(detected=event)
    for incident in found.values():
        correlations = {
            e.correlation_id
            for e in ordered
            if isinstance(e, DriftDetected) and e.incident_id == incident.incident_id
        }
        plans = {
            e.plan_id
            for e in ordered
            if isinstance(e, PlanCreated) and e.incident_id == incident.incident_id
        }
        incident.chain = [
            e for e in ordered if _belongs(e, incident.incident_id, correlations, plans)
        ]
    return sorted(found.values(), key=lambda incident: incident.opened_at)


def find(all_incidents: Sequence[Incident], prefix: str) -> Incident:
    """The incident whose id starts with ``prefix`` (dashes optional).

    Raises:
        LookupError: no incident, or several, match.
    """
    wanted = prefix.replace("-", "").lower()
    matches = [i for i in all_incidents if i.incident_id.hex.startswith(wanted)]
    if len(matches) != 1:
        count = "no incident" if not matches else f"{len(matches)} incidents"
        raise LookupError(f"{count} with an id starting {prefix!r}")
    return matches[0]


def summary_row(incident: Incident) -> dict[str, object]:
    """The incident in a few fields, for tables and ``--json``."""
    plan, decision = incident.plan, incident.decision
    return {
        "incident_id": str(incident.incident_id),
        "opened_at": incident.opened_at.isoformat(),
        "incident_type": incident.detected.incident_type,
        "severity": incident.detected.severity,
        "model_version": incident.detected.model_version,
        "status": incident.status,
        "action": plan.action if plan else None,
        "decision": decision.decision if decision else None,
        "events": len(incident.chain),
    }


def describe(event: AnyEvent) -> str:
    """One line saying what ``event`` did, for a timeline."""
    match event:
        case DriftDetected():
            drifted = ", ".join(c.column for c in event.drifted_columns) or "none"
            return (
                f"{event.severity} {event.incident_type} on version {event.model_version} "
                f"(window {event.window_id} rev {event.window_revision}, drifted: {drifted}, "
                f"{event.labeled_rows} labeled rows); recommends {event.recommended_action}"
            )
        case PlanCreated():
            held = f" (approval runs {event.held_action})" if event.held_action else ""
            return (
                f"plan {event.plan_id}: {event.action}{held} -> alias {event.target_alias}, "
                f"policy v{event.policy_version}; {event.reason}"
            )
        case ReleaseDecided():
            gates = ", ".join(
                f"{g.gate} {'ok' if g.passed else 'FAIL'} ({_number(g.value)} vs {g.threshold:g})"
                for g in event.gates
            )
            moved = f", {event.alias} -> {event.candidate_version}" if event.alias else ""
            return f"{event.decision}{moved}; {event.reason}" + (f" [{gates}]" if gates else "")
        case PlanApproved() | PlanRejected():
            verb = "approved" if isinstance(event, PlanApproved) else "rejected"
            return f"plan {event.plan_id} {verb} by {event.who}" + (
                f": {event.reason}" if event.reason else ""
            )
        case IncidentResolved():
            return f"resolved ({event.how}) {event.detail}".rstrip()
        case MonitoringSummary():
            return (
                f"window {event.window_id} rev {event.revision} of version {event.model_version}: "
                f"{event.severity}, drift share {event.drift_share:.2f}, "
                f"{event.n_current} rows, {event.labeled_rows} labeled"
            )
        case _:
            return event.event_type


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _belongs(event: AnyEvent, incident_id: UUID, correlations: set[UUID], plans: set[UUID]) -> bool:
    if event.correlation_id in correlations:
        return True
    if getattr(event, "incident_id", None) == incident_id:
        return True
    return isinstance(event, PlanApproved | PlanRejected) and event.plan_id in plans
