"""How a demo or ``control`` tells its story: one line per event, the timeline, gates, verdict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from driftwatch.contracts.events import (
    AnyEvent,
    DriftDetected,
    IncidentResolved,
    LabelFeedback,
    MonitoringSummary,
    PlanApproved,
    PlanCreated,
    PlanRejected,
    PredictionBatch,
    ReleaseDecided,
)
from driftwatch.stack.expectations import Check


def describe(event: AnyEvent) -> str:
    """The gist of ``event`` in one line (no markup)."""
    match event:
        case MonitoringSummary():
            perf = event.performance
            auc = "" if perf is None or perf.auc is None else f", AUC {perf.auc:.3f}"
            drifted = ", ".join(c.column for c in event.drifted_columns) or "none"
            return (
                f"v{event.model_version} window {_window(event)} rev {event.revision}: "
                f"{event.n_current:,} rows, drift share {event.drift_share:.2f} "
                f"({event.drift_severity}), performance {event.performance_severity}{auc}, "
                f"labeled {event.labeled_rows:,}; drifted: {drifted}"
            )
        case DriftDetected():
            signals = event.evidence.get("shock_signals")
            why = (
                f" ({'; '.join(map(str, signals))})"
                if isinstance(signals, list) and signals
                else ""
            )
            return (
                f"incident {event.incident_id.hex[:8]} {event.incident_type} ({event.severity}) "
                f"on v{event.model_version}, window rev {event.window_revision}, "
                f"{event.labeled_rows:,} labeled rows -> {event.recommended_action}{why}"
            )
        case IncidentResolved():
            return f"incident {event.incident_id.hex[:8]} resolved: {event.how} {event.detail}"
        case PlanCreated():
            held = f" (approval runs {event.held_action})" if event.held_action else ""
            return (
                f"plan {event.plan_id.hex[:8]} for incident {event.incident_id.hex[:8]}: "
                f"{event.action}{held}, target {event.target_alias}, policy v{event.policy_version}"
            )
        case PlanApproved() | PlanRejected():
            return f"plan {event.plan_id.hex[:8]} {event.event_type[4:].lower()} by {event.who}"
        case ReleaseDecided():
            plan = f"plan {event.plan_id.hex[:8]}" if event.plan_id else "by hand"
            candidate = f" candidate v{event.candidate_version}" if event.candidate_version else ""
            alias = f", {event.alias} moved" if event.alias else ""
            return f"{event.decision}{candidate} ({plan}{alias}): {event.reason}"
        case PredictionBatch():
            return f"{len(event.rows)} rows scored by v{event.model_version}"
        case LabelFeedback():
            return f"{len(event.labels)} labels"
    return event.event_type


def event_line(event: AnyEvent, started: datetime) -> str:
    """A Rich line for a live feed: seconds since ``started``, type, gist."""
    offset = (event.occurred_at - started).total_seconds()
    return f"[dim]{offset:+7.1f}s[/] [bold]{event.event_type:<17}[/] {escape(describe(event))}"


def print_timeline(
    console: Console, events: Sequence[AnyEvent], started: datetime, title: str
) -> None:
    """The incident timeline: every incident, resolution, plan, approval and release, in order,
    with its time since ``started`` (the windows behind them were printed as they came)."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("t (s)", justify="right")
    table.add_column("event")
    table.add_column("what happened", overflow="fold")
    for event in events:
        if isinstance(event, MonitoringSummary | PredictionBatch | LabelFeedback):
            continue
        offset = (event.occurred_at - started).total_seconds()
        table.add_row(f"{offset:.1f}", event.event_type, describe(event))
    console.print(table)


def print_gates(console: Console, release: ReleaseDecided | None) -> None:
    """The quality gates the deciding release judged, or why there were none."""
    if release is None or not release.gates:
        reason = "no release judged gates" if release is None else f"{release.decision}: no gates"
        console.print(f"[dim]quality gates: {reason}[/]")
        return
    table = Table(title=f"quality gates (release {release.decision})")
    for column in ("gate", "metric", "threshold", "value", "interval", "passed"):
        table.add_column(column, justify="right" if column in ("threshold", "value") else "left")
    for gate in release.gates:
        interval = (
            "" if gate.interval is None else f"[{gate.interval[0]:.4f}, {gate.interval[1]:.4f}]"
        )
        table.add_row(
            gate.gate,
            gate.metric,
            f"{gate.threshold:g}",
            "-" if gate.value is None else f"{gate.value:.4f}",
            interval,
            "[green]yes[/]" if gate.passed else "[red]no[/]",
        )
    console.print(table)


def print_checks(console: Console, checks: Sequence[Check], title: str) -> None:
    """Each expectation with what was observed, and the verdict."""
    table = Table(title=title)
    table.add_column("expected")
    table.add_column("observed", overflow="fold")
    table.add_column("", justify="center")
    for check in checks:
        mark = "[green]PASS[/]" if check.passed else "[red]FAIL[/]"
        table.add_row(check.expectation, escape(check.observed), mark)
    console.print(table)


def deciding_release(events: Sequence[AnyEvent]) -> ReleaseDecided | None:
    """The last release of a plan (not a person's), preferring one that judged gates."""
    plans = [e for e in events if isinstance(e, ReleaseDecided) and e.plan_id is not None]
    gated = [e for e in plans if e.gates]
    return (gated or plans or [None])[-1]


def _window(summary: MonitoringSummary) -> str:
    """The window id without the model name and version the line already shows."""
    return summary.window_id.removeprefix(f"{summary.model_name}-v{summary.model_version}-")
