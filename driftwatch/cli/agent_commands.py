"""``driftwatch agent …``, ``approve``/``reject``, ``incidents`` and ``replay``: the control plane.

Agents, Redis and MLflow load inside the commands, so ``driftwatch --help`` stays fast.
"""

from __future__ import annotations

import getpass
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer
from rich.markup import escape

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import app

if TYPE_CHECKING:
    from driftwatch.agents.incidents import Incident
    from driftwatch.agents.planner_logic import PlanDecision
    from driftwatch.agents.replay import ReplayReport
    from driftwatch.contracts.events import AnyEvent, PlanCreated

agent_app = typer.Typer(help="Run one replica of a control-plane agent.", no_args_is_help=True)
incidents_app = typer.Typer(
    help="Incidents from the audit trail (var/events/events.jsonl).", invoke_without_command=True
)
app.add_typer(agent_app, name="agent")
app.add_typer(incidents_app, name="incidents")

NameOption = Annotated[
    str | None, typer.Option("--name", help="Redis consumer name; default: unique per process.")
]
EventsOption = Annotated[
    Path | None,
    typer.Option("--events", help="Audit trail to read; default: DRIFTWATCH_HOME/events/."),
]


@agent_app.command("sentinel")
def agent_sentinel(name: NameOption = None) -> None:
    """MonitoringSummary -> DriftDetected / IncidentResolved, under the policy in force."""
    _run_agent("sentinel", name)


@agent_app.command("planner")
def agent_planner(name: NameOption = None) -> None:
    """DriftDetected -> PlanCreated; the policy file is reloaded when it changes."""
    _run_agent("planner", name)


@agent_app.command("release")
def agent_release(name: NameOption = None) -> None:
    """PlanCreated / approvals -> ReleaseDecided: retrain, gate, promote, roll back, hold."""
    _run_agent("release", name)


@agent_app.command("audit")
def agent_audit(name: NameOption = None) -> None:
    """Mirror every decision chain under DRIFTWATCH_HOME/events/."""
    _run_agent("audit", name)


def _run_agent(kind: str, name: str | None) -> None:
    import asyncio
    import importlib

    from driftwatch.contracts.policy import PolicyError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    module = importlib.import_module(f"driftwatch.agents.{kind}")
    try:
        agent = module.create_app(settings, name=name)
    except PolicyError as error:
        for line in error.lines():
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)
        fail(f"{kind} not started: the policy is refused")
    try:
        asyncio.run(agent.run())
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


WhoOption = Annotated[str | None, typer.Option("--who", help="Who decides; default: your login.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")]


@app.command("approve")
def approve(plan_id: UUID, who: WhoOption = None, reason: ReasonOption = "") -> None:
    """Approve a held plan: the Release agent then runs its action."""
    _answer(plan_id, approved=True, who=who, reason=reason)


@app.command("reject")
def reject(plan_id: UUID, who: WhoOption = None, reason: ReasonOption = "") -> None:
    """Reject a held plan: the Release agent records `rejected` and changes nothing."""
    _answer(plan_id, approved=False, who=who, reason=reason)


def _answer(plan_id: UUID, *, approved: bool, who: str | None, reason: str) -> None:
    import redis

    from driftwatch.agents.state import PlanRecord, plans_key
    from driftwatch.bus.publish import LINK_ERRORS, publish_sync
    from driftwatch.contracts.events import PlanApproved, PlanRejected, default_producer

    settings = load_settings()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=10)
    try:
        raw = client.hget(plans_key(settings), str(plan_id))
    except LINK_ERRORS as error:
        fail(f"no Redis answers at the configured DRIFTWATCH_REDIS_URL: {error}")
    finally:
        client.close()
    if raw is None:
        fail(
            f"the Release agent has not received plan {plan_id} (is `driftwatch agent release` up?)"
        )
    record = PlanRecord.model_validate_json(raw)
    if record.status != "held":
        fail(f"plan {plan_id} is not waiting for approval: {record.status} ({record.decision})")
    event_class = PlanApproved if approved else PlanRejected
    event = event_class(
        plan_id=plan_id,
        who=who or _login(),
        reason=reason,
        correlation_id=record.plan.correlation_id,
        producer=default_producer("driftwatch-cli"),
    )
    publish_sync(settings, event)
    verb = "approved" if approved else "rejected"
    console.print(f"{verb} plan {plan_id} ({event.event_type} {event.event_id})", highlight=False)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


@incidents_app.callback()
def incidents_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    events: EventsOption = None,
) -> None:
    """List incidents with their chain: type, severity, status, plan and release decision."""
    if ctx.invoked_subcommand is not None:
        return
    from driftwatch.agents.incidents import incidents, summary_row

    found = incidents(_trail(events))
    if as_json:
        for incident in found:
            typer.echo(json.dumps(summary_row(incident)))
        return
    if not found:
        console.print("no incidents recorded")
        return
    rows = [("incident", "opened", "type", "severity", "version", "status", "plan", "release")]
    for incident in found:
        row = summary_row(incident)
        rows.append(
            (
                str(row["incident_id"])[:8],
                incident.opened_at.strftime("%m-%d %H:%M:%S"),
                *(str(row[key] or "-") for key in ("incident_type", "severity", "model_version")),
                *(str(row[key] or "-") for key in ("status", "action", "decision")),
            )
        )
    _print_columns(rows)


@incidents_app.command("show")
def incidents_show(
    incident_id: Annotated[str, typer.Argument(help="An incident id, or its first characters.")],
    events: EventsOption = None,
) -> None:
    """Print one incident as a timeline of its chain."""
    from driftwatch.agents.incidents import find, incidents

    try:
        incident = find(incidents(_trail(events)), incident_id)
    except LookupError as error:
        fail(str(error))
    _print_timeline(incident)


def _print_timeline(incident: Incident) -> None:
    from driftwatch.agents.incidents import describe

    head = incident.detected
    console.print(
        f"[bold]incident {incident.incident_id}[/]  {head.severity} {head.incident_type}  "
        f"model {escape(head.model_name)} v{head.model_version}  {incident.status}",
        highlight=False,
        soft_wrap=True,
    )
    for event in incident.chain:
        when = event.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
        console.print(
            f"  [dim]{when}[/] [bold]{event.event_type:<17}[/] {escape(describe(event))}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("replay")
def replay_command(
    policy: Annotated[Path, typer.Option("--policy", help="The policy file to replay under.")],
    since: Annotated[
        str | None,
        typer.Option(help="Only incidents from a duration back (30m, 2h, 7d) or an event id on."),
    ] = None,
    events: EventsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per incident.")] = False,
) -> None:
    """Rerun the Planner over recorded incidents under another policy and show what changes."""
    from driftwatch.agents.replay import replay, since_filter
    from driftwatch.contracts.policy import PolicyError, load_policy

    try:
        loaded = load_policy(policy)
    except PolicyError as error:
        fail(escape(str(error)))
    trail = _trail(events)
    try:
        keep = since_filter(since, trail, datetime.now(UTC)) if since else None
    except ValueError as error:
        fail(str(error))
    report = replay(trail, loaded, keep)
    if as_json:
        for row in report.rows:
            record = {
                "incident_id": str(row.incident.incident_id),
                "event_id": str(row.incident.event_id),
                "then": row.then.action if row.then else None,
                "now": row.now.action,
                "changes": row.changes,
            }
            typer.echo(json.dumps(record))
        return
    _print_replay(report)


def _print_replay(report: ReplayReport) -> None:
    loaded = report.policy
    console.print(
        f"replay of {len(report.rows)} incident(s) under {escape(str(loaded.path))} "
        f"(version {loaded.version}, sha256 {loaded.sha256[:12]}): "
        f"[bold]{len(report.changed)} changed[/]",
        highlight=False,
        soft_wrap=True,
    )
    rows = [("incident", "opened", "type", "severity", "then", "now", "")]
    for row in report.rows:
        then, now = row.then, row.now
        rows.append(
            (
                row.incident.incident_id.hex[:8],
                row.incident.occurred_at.strftime("%m-%d %H:%M"),
                row.incident.incident_type,
                row.incident.severity,
                f"{_runs(then)} (v{then.policy_version})" if then else "-",
                f"{_runs(now)} (v{now.policy_version})",
                "CHANGED" if row.changes else "",
            )
        )
    _print_columns(rows)
    if report.changed:
        console.print("changes:")
    for row in report.changed:
        console.print(
            f"  {row.incident.incident_id.hex[:8]}: {escape('; '.join(row.changes))}",
            highlight=False,
            soft_wrap=True,
        )
    console.print("summary:")
    for transition, count in sorted(report.transitions().items()):
        console.print(f"  {escape(transition)}: {count}", highlight=False, soft_wrap=True)
    console.print(f"  unchanged: {len(report.rows) - len(report.changed)}", highlight=False)


def _runs(plan: PlanCreated | PlanDecision) -> str:
    held = f"({plan.held_action})" if plan.held_action else ""
    return f"{plan.action}{held}"


def _print_columns(rows: list[tuple[str, ...]]) -> None:
    """Left-aligned columns that never wrap: tables of events are read in wide terminals."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        console.print(escape(line.rstrip()), highlight=False, soft_wrap=True)


def _trail(path: Path | None) -> list[AnyEvent]:
    from driftwatch.agents.incidents import TRAIL, read_trail

    file = path or load_settings().events_dir / TRAIL
    try:
        trail = read_trail(file)
    except FileNotFoundError:
        fail(f"no audit trail at {file}: run `driftwatch agent audit` (or pass --events FILE)")
    if trail.unreadable:
        err_console.print(f"skipped {trail.unreadable} unreadable line(s) of {file}")
    return trail.events
