"""Rich rendering of what the stack commands report: the stack after ``up``, and ``status``."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from driftwatch.stack.plan import StackPlan
from driftwatch.stack.redis_choice import masked
from driftwatch.stack.status import StackStatus

_STATUS_STYLE = {"ready": "green", "starting": "yellow", "backoff": "red", "gone": "red"}


def print_up(console: Console, plan: StackPlan) -> None:
    """Where each service answers, and what to run next."""
    table = Table(title=f"DriftWatch is up (home {plan.home}, streams {plan.stream_prefix}.*)")
    table.add_column("service")
    table.add_column("address")
    for service in plan.services:
        table.add_row(service.name, _address(plan, service.name, service.port))
    console.print(table)
    if plan.redis_embedded:
        console.print(f"Redis: embedded Valkey at {plan.redis_url} (stops with the stack)")
    console.print(
        f"API docs: {plan.api_url}/docs   logs: driftwatch logs [SERVICE] --follow   "
        "stop: driftwatch down\n/predict answers once a model is in production "
        "(make train promote-prod, or driftwatch demo feature-drift)."
    )


def print_status(console: Console, status: StackStatus) -> None:
    """Processes, aliases, open incidents and stream lengths, each as a small table."""
    if status.running and status.plan is not None:
        console.print(
            f"stack in {status.home}: running, Redis {masked(status.plan.redis_url)}, "
            f"streams {status.plan.stream_prefix}.*"
        )
    else:
        console.print(f"no stack runs in {status.home} (driftwatch up starts one)")
    if status.processes:
        processes = Table("service", "status", "pid", "port", "restarts", "last exit", "for")
        for row in status.processes:
            style = _STATUS_STYLE.get(row.status, "")
            processes.add_row(
                row.name,
                f"[{style}]{row.status}[/]" if style else row.status,
                _dash(row.pid),
                _dash(row.port),
                str(row.restarts),
                _dash(row.last_exit),
                _age(row.since),
            )
        console.print(processes)
    aliases = Table("alias", "version", title="model registry")
    for alias, version in sorted(status.aliases.items()):
        aliases.add_row(alias, version)
    if not status.aliases:
        aliases.add_row("-", "no alias set yet")
    console.print(aliases)
    incidents = Table(
        "incident", "type", "severity", "model version", "opened", title="open incidents"
    )
    for incident in status.incidents:
        incidents.add_row(
            incident.incident_id[:8],
            incident.incident_type,
            incident.severity,
            incident.model_version,
            _age(incident.opened_at) + " ago",
        )
    if not status.incidents:
        incidents.add_row("-", "none", "", "", "")
    console.print(incidents)
    if status.streams:
        streams = Table("stream", "length", title="bus")
        for name, length in status.streams.items():
            streams.add_row(name, f"{length:,}")
        console.print(streams)
    for problem in status.problems:
        console.print(f"[yellow]could not read[/] {problem}", highlight=False)


def _address(plan: StackPlan, name: str, port: int | None) -> str:
    if name == "redis":
        return plan.redis_url
    if name == "api":
        return plan.api_url
    if name == "mlflow" and plan.mlflow_ui_url:
        return plan.mlflow_ui_url
    if name == "prometheus" and plan.prometheus_url:
        return plan.prometheus_url
    return f"http://127.0.0.1:{port}/metrics" if port else "-"


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def _age(since: datetime | None) -> str:
    if since is None:
        return "-"
    seconds = int((datetime.now(UTC) - since).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
