"""``driftwatch control``: the original design's control-plane run, done on the bus.

It publishes the newest ``monitor check`` summary as a ``MonitoringSummary`` and follows what
answers it: the Sentinel's incident (caused by the summary), the Planner's plan for that
incident, the Release agent's decision on that plan. When no agents consume the bus it starts
them (as a local stack of agents only) and stops them afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis
from rich.console import Console

from driftwatch.bus.publish import publish_sync
from driftwatch.contracts.events import (
    AnyEvent,
    DriftDetected,
    MonitoringSummary,
    PlanCreated,
    ReleaseDecided,
    default_producer,
)
from driftwatch.settings import Settings
from driftwatch.stack.chain import DECISION_STREAMS, Follower, bus_is_quiet
from driftwatch.stack.events import client, last_entry_id
from driftwatch.stack.launcher import launch_stack, stop_stack, wait_ready
from driftwatch.stack.layout import AGENTS, StackOptions
from driftwatch.stack.target import Target, resolve_target
from driftwatch.stack.timeline import describe, print_gates

ACTIVE_CONSUMER_S = 30.0
"""A consumer that read within this many seconds counts as running (they block for 1 s)."""
AGENT_GROUPS: tuple[tuple[str, str], ...] = (
    ("sentinel", "monitoring"),
    ("planner", "incidents"),
    ("release", "plans"),
)
CHAIN_TIMEOUT_S = 600.0
"""A retraining plan may take minutes on a big window."""
QUIET_S = 3.0
POLL_S = 0.3


def control(settings: Settings, summary_file: Path | None, console: Console) -> Chain:
    """``driftwatch control``: publish a summary, follow its chain, print what happened.

    Args:
        settings: The user's settings; a local stack in their home is used when it runs.
        summary_file: The summary to publish; None takes the newest under the reports dir.
        console: Where the story is printed.

    Raises:
        ControlError: no summary, or the chain did not complete.
        StackError: the agents had to be started and could not be.
    """
    path, summary = (
        latest_summary(settings.reports_dir)
        if summary_file is None
        else (summary_file, _read_summary(summary_file))
    )
    console.print(f"publishing {path}: {describe(summary)}", highlight=False)
    target = resolve_target(settings)
    launch = None
    if not agents_running(target):
        console.print("no agents consume the bus: starting sentinel, planner, release and audit")
        launch = launch_stack(
            settings, StackOptions(free_ports=True, services=AGENTS), console.print
        )
        with console.status("starting the agents") as status:
            wait_ready(launch, status.update)
        target = resolve_target(settings)
    try:
        chain = run_chain(
            target.settings,
            summary,
            lambda event: console.print(f"{event.event_type}: {describe(event)}", highlight=False),
        )
    finally:
        if launch is not None:
            with console.status("stopping the agents"):
                stop_stack(launch.run)
    if chain.incident is None:
        console.print(
            f"no incident: the Sentinel judged the window {summary.severity} (or had judged it "
            "before, or its cause is cooling down)"
        )
    else:
        print_gates(console, chain.release)
        decision = chain.release.decision if chain.release else "none"
        console.print(f"[bold]decision:[/] {decision}")
    return chain


class ControlError(RuntimeError):
    """Nothing to publish, or the chain did not complete; the message says which."""


@dataclass
class Chain:
    """The events answering one published summary."""

    summary: MonitoringSummary
    incident: DriftDetected | None = None
    plan: PlanCreated | None = None
    release: ReleaseDecided | None = None
    events: list[AnyEvent] = field(default_factory=list)

    def take(self, event: AnyEvent) -> bool:
        """Keep ``event`` if it belongs to the chain; True when it did."""
        if isinstance(event, DriftDetected) and event.causation_id == self.summary.event_id:
            self.incident = self.incident or event
        elif (
            isinstance(event, PlanCreated)
            and self.incident is not None
            and event.incident_id == self.incident.incident_id
        ):
            self.plan = self.plan or event
        elif (
            isinstance(event, ReleaseDecided)
            and self.plan is not None
            and event.plan_id == self.plan.plan_id
        ):
            self.release = self.release or event
        else:
            return False
        self.events.append(event)
        return True


def latest_summary(reports_dir: Path) -> tuple[Path, MonitoringSummary]:
    """The newest JSON file under ``reports_dir`` that is a ``MonitoringSummary``.

    Raises:
        ControlError: there is none (``make monitor`` writes one).
    """
    candidates = sorted(reports_dir.rglob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        try:
            return path, MonitoringSummary.model_validate_json(path.read_bytes())
        except ValueError:
            continue
    raise ControlError(
        f"no monitoring summary under {reports_dir}: run `make monitor` "
        "(driftwatch monitor check --reference A --current B) first"
    )


def _read_summary(path: Path) -> MonitoringSummary:
    try:
        return MonitoringSummary.model_validate_json(path.read_bytes())
    except OSError as error:
        raise ControlError(f"cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise ControlError(f"{path} is not a MonitoringSummary: {error}") from error


def agents_running(target: Target) -> bool:
    """Whether sentinel, planner and release consume the target's bus.

    A local stack's plan says so directly. Any other system (Docker Compose) counts when each
    group has a consumer that read within ``ACTIVE_CONSUMER_S``: Redis 7.2+ refreshes that on
    every blocking read; an older Redis only on deliveries, so idle agents there look absent
    and get extra replicas for the run, which share their groups and change no outcome.
    """
    if target.plan is not None:
        running = {service.name for service in target.plan.services}
        return {group for group, _ in AGENT_GROUPS} <= running
    redis_client = client(target.settings)
    try:
        for group, stream in AGENT_GROUPS:
            try:
                consumers = redis_client.xinfo_consumers(target.settings.stream(stream), group)
            except redis.ResponseError:  # no such stream or group yet
                return False
            if not any(c["idle"] < ACTIVE_CONSUMER_S * 1000 for c in consumers):
                return False
        return True
    finally:
        redis_client.close()


def run_chain(
    settings: Settings, summary: MonitoringSummary, on_event: Callable[[AnyEvent], None]
) -> Chain:
    """Publish ``summary`` afresh and follow its chain until the release decides, or until the
    Sentinel has handled it without opening an incident.

    Raises:
        ControlError: the chain did not complete within ``CHAIN_TIMEOUT_S``.
    """
    fresh = summary.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "correlation_id": uuid.uuid4(),
            "causation_id": None,
            "occurred_at": datetime.now(UTC),
            "producer": default_producer("control"),
        }
    )
    chain = Chain(fresh)
    redis_client = client(settings)
    try:
        mark = last_entry_id(redis_client, settings, DECISION_STREAMS)
        follower = Follower(redis_client, settings, mark)
        publish_sync(settings, fresh)
        deadline = time.monotonic() + CHAIN_TIMEOUT_S
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            for read in follower.poll():
                if chain.take(read.event):
                    on_event(read.event)
            if chain.release is not None:
                return chain
            if bus_is_quiet(redis_client, settings, [group for group, _ in AGENT_GROUPS]):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= QUIET_S:
                    return chain  # handled, and nothing more is coming
            else:
                quiet_since = None
            time.sleep(POLL_S)
    finally:
        redis_client.close()
    raise ControlError(f"no release decision within {CHAIN_TIMEOUT_S:.0f} s; see driftwatch logs")
