"""What ``driftwatch status`` reports: processes, model aliases, open incidents, stream lengths.

Each part is gathered on its own and may fail on its own (Redis down, no model registered yet):
the report says what could not be read instead of failing as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import redis

from driftwatch.bus.topology import STREAMS
from driftwatch.contracts.events import DriftDetected, IncidentResolved
from driftwatch.settings import Settings
from driftwatch.stack.events import client, read_stream
from driftwatch.stack.launcher import leftover_processes, running_stack
from driftwatch.stack.plan import RunDir, StackPlan
from driftwatch.stack.procinfo import is_same_process
from driftwatch.stack.redis_choice import masked
from driftwatch.stack.target import stack_settings


@dataclass(frozen=True, slots=True)
class ProcessRow:
    """One service of the stack as ``status`` shows it."""

    name: str
    status: str
    pid: int | None
    port: int | None
    restarts: int
    last_exit: int | None
    since: datetime | None


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident_id: str
    incident_type: str
    severity: str
    model_version: str
    opened_at: datetime


@dataclass(slots=True)
class StackStatus:
    """Everything ``status`` prints; ``problems`` lists the parts that could not be read."""

    home: str
    plan: StackPlan | None
    running: bool
    processes: list[ProcessRow] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    incidents: list[OpenIncident] = field(default_factory=list)
    streams: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def stack_status(settings: Settings) -> StackStatus:
    """The status of the stack in ``settings.home`` (or of the bus and registry it names)."""
    run = RunDir(settings.home)
    live = running_stack(run)
    plan = live.plan if live is not None else None
    report = StackStatus(home=str(settings.home), plan=plan, running=live is not None)
    if live is not None and live.state is not None:
        ports = {s.name: s.port for s in live.plan.services}
        for name, state in live.state.services.items():
            alive = state.pid is not None and is_same_process(state.pid, state.start_time)
            report.processes.append(
                ProcessRow(
                    name=name,
                    status=state.status if alive or state.pid is None else "gone",
                    pid=state.pid,
                    port=ports.get(name),
                    restarts=state.restarts,
                    last_exit=state.last_exit,
                    since=state.since,
                )
            )
    elif live is None:
        for name, record in leftover_processes(run):
            report.processes.append(ProcessRow(name, "orphaned", record.pid, None, 0, None, None))
    bus = settings if plan is None else stack_settings(settings, plan)
    _add_registry(report, bus)
    _add_bus(report, bus)
    return report


def _add_registry(report: StackStatus, settings: Settings) -> None:
    from mlflow.exceptions import MlflowException

    from driftwatch.training.registry import aliases

    try:
        report.aliases = aliases(settings)
    except MlflowException as error:
        report.problems.append(f"model registry {settings.tracking_uri}: {error.message}")


def _add_bus(report: StackStatus, settings: Settings) -> None:
    redis_client = client(settings)
    try:
        report.streams = {name: redis_client.xlen(settings.stream(name)) for name in STREAMS}
        opened: dict[str, DriftDetected] = {}
        for read in read_stream(redis_client, settings, "incidents"):
            event = read.event
            if isinstance(event, DriftDetected):
                opened[str(event.incident_id)] = event
            elif isinstance(event, IncidentResolved):
                opened.pop(str(event.incident_id), None)
        report.incidents = [
            OpenIncident(
                incident_id=key,
                incident_type=event.incident_type,
                severity=event.severity,
                model_version=event.model_version,
                opened_at=event.occurred_at,
            )
            for key, event in opened.items()
        ]
    except (redis.RedisError, OSError) as error:
        report.problems.append(f"bus {masked(settings.redis_url)}: {error}")
    finally:
        redis_client.close()
