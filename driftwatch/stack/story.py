"""Running a demo end to end: stack, baseline model, traffic, the control plane's response.

generate baseline -> train -> production -> scenario traffic through the API (labels a fixed
number of windows later) -> monitor -> Sentinel -> Planner -> Release, printed as it happens,
then the incident timeline, the gate table and the checks that decide the exit code.

A demo uses the stack running in ``DRIFTWATCH_HOME`` when there is one. Otherwise it starts its
own (home ``$DRIFTWATCH_HOME/demos/NAME``, stream prefix ``demo-NAME-xxxxxx``, the shipped
demo policy, free ports) and takes it down afterwards, whatever happened.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
from rich.console import Console

from driftwatch.contracts.events import (
    MonitoringSummary,
)
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.settings import Settings
from driftwatch.stack.baseline import put_baseline_in_production, wait_until_served
from driftwatch.stack.chain import DECISION_STREAMS, Follower, bus_is_quiet
from driftwatch.stack.demos import (
    DEMO_WINDOW_ROWS,
    DemoSpec,
)
from driftwatch.stack.events import client, last_entry_id
from driftwatch.stack.expectations import Check, Story
from driftwatch.stack.launcher import Launch, launch_stack, stop_stack, wait_ready
from driftwatch.stack.layout import StackOptions
from driftwatch.stack.plan import RunDir
from driftwatch.stack.publisher import Pacing, Published
from driftwatch.stack.target import Target, resolve_target
from driftwatch.stack.timeline import (
    deciding_release,
    describe,
    event_line,
    print_checks,
    print_gates,
    print_timeline,
)
from driftwatch.stack.traffic import send_with_progress

REACTION_TIMEOUT_S = 150.0
"""Time for the control plane to settle after the last label was sent."""
SETTLE_S = 3.0
"""Seconds without a new event, on a quiet bus, before the story is told."""
POLL_S = 0.3


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """Where a demo runs when it starts its own stack.

    Attributes:
        home: Home of its own stack; default ``$DRIFTWATCH_HOME/demos/NAME``.
        stream_prefix: Its stream prefix; default ``demo-NAME-`` and six random hex digits.
        policy_path: Its policy; default the shipped ``demo`` policy.
    """

    home: Path | None = None
    stream_prefix: str | None = None
    policy_path: Path | None = None


@dataclass(frozen=True, slots=True)
class DemoResult:
    """How a demo ended: its checks, how long it took, and where its files are."""

    checks: list[Check]
    seconds: float
    home: Path

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def run_demo(
    spec: DemoSpec, settings: Settings, options: DemoOptions, console: Console
) -> DemoResult:
    """Run ``spec`` on the stack in ``settings.home``, or on a stack of its own.

    Raises:
        StackError: its own stack could not start.
        PublishError: the API refused the traffic.
    """
    began = time.monotonic()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    console.rule(f"DriftWatch demo: {spec.name}")
    console.print(f"expected: {spec.expected}")
    target = resolve_target(settings)
    launch: Launch | None = None
    if target.plan is None:
        own = _own_settings(spec, settings, options)
        console.print(
            f"no stack runs in {settings.home}: starting one in {own.home} "
            f"(streams {own.stream_prefix}.*, policy {own.policy_path})"
        )
        launch = launch_stack(own, StackOptions(free_ports=True), console.print)
        target = Target(own, launch.plan.api_url, own.window_rows, launch.plan)
    else:
        _warn_if_not_demo_setup(console, target)
    try:
        checks = _tell(spec, target, launch, console)
    finally:
        if launch is not None:
            with console.status("stopping the demo's stack"):
                stop_stack(launch.run)
                _drop_streams(target.settings)
    seconds = time.monotonic() - began
    return DemoResult(checks, seconds, target.settings.home)


def _tell(spec: DemoSpec, target: Target, launch: Launch | None, console: Console) -> list[Check]:
    settings = target.settings
    baseline = put_baseline_in_production(settings, console)
    if launch is not None:
        with console.status("waiting for the stack's services") as status:
            wait_ready(launch, lambda note: status.update(note))
        console.print(f"[green]stack ready[/]: API {target.api_url}")
    wait_until_served(target.api_url, baseline, console)
    redis_client = client(settings)
    try:
        mark = last_entry_id(redis_client, settings, DECISION_STREAMS)
        follower = Follower(redis_client, settings, mark)
        started = datetime.now(UTC)
        sent = _send_traffic(spec, target, follower, started, console)
        windows = {v: rows // target.window_rows for v, rows in sent.rows_by_version.items()}
        _settle(spec, baseline, windows, redis_client, follower, started, console)
    finally:
        redis_client.close()
    events = [read.event for read in follower.seen]
    production = _aliases(settings).get("production")
    story = Story(events=events, baseline_version=baseline, production=production)
    console.print()
    print_timeline(console, events, started, f"incident timeline ({spec.name})")
    decided = deciding_release(events)
    print_gates(console, decided)
    console.print(f"[bold]decision:[/] {describe(decided) if decided else 'none'}", highlight=False)
    checks = spec.expectation(story)
    print_checks(console, checks, f"{spec.name}: {spec.expected}")
    return checks


def _send_traffic(
    spec: DemoSpec, target: Target, follower: Follower, started: datetime, console: Console
) -> Published:
    from driftwatch.generator import generate

    frame = generate(spec.scenario, spec.rows, spec.seed).frame
    pacing = Pacing(window_rows=target.window_rows, labels_after_windows=spec.labels_after_windows)
    return send_with_progress(
        console,
        target.api_url,
        _token(target.settings),
        frame,
        pacing,
        spec.scenario,
        on_tick=lambda above: _print_new(follower, started, above),
    )


def _settle(
    spec: DemoSpec,
    baseline: str,
    windows: dict[str, int],
    redis_client: redis.Redis,
    follower: Follower,
    started: datetime,
    console: Console,
) -> None:
    """Print events until the control plane is done with the traffic.

    Done means: the monitor summarized every full window the traffic made (``windows``: per
    model version) and published a labeled revision of each, the bus is quiet (no consumer has
    anything unread or pending, so no agent is still working), and no event came for
    ``SETTLE_S``. The monitor's window closer works beside its consumers, so a quiet bus
    alone does not mean it has finished.
    """
    expected = sum(windows.values())
    deadline = time.monotonic() + REACTION_TIMEOUT_S
    last_event = time.monotonic()
    with console.status("monitor -> sentinel -> planner -> release") as status:
        while time.monotonic() < deadline:
            if _print_new(follower, started, console):
                last_event = time.monotonic()
            summaries = [
                e
                for e in (read.event for read in follower.seen)
                if isinstance(e, MonitoringSummary) and e.model_version in windows
            ]
            judged = len({s.window_id for s in summaries})
            labeled = len({s.window_id for s in summaries if s.labeled_rows > 0})
            idle = time.monotonic() - last_event
            if (
                judged >= expected
                and labeled >= expected
                and idle >= SETTLE_S
                and bus_is_quiet(redis_client, follower.settings)
            ):
                return
            status.update(
                f"windows judged {judged}/{expected}, labeled {labeled}/{expected}; "
                f"waiting for the control plane (quiet {idle:.0f} s)"
            )
            time.sleep(POLL_S)
    console.print(f"[yellow]the control plane did not settle in {REACTION_TIMEOUT_S:.0f} s[/]")


def _print_new(follower: Follower, started: datetime, console: Console) -> bool:
    fresh = follower.poll()
    for read in fresh:
        console.print(event_line(read.event, started), highlight=False, soft_wrap=True)
    return bool(fresh)


def _aliases(settings: Settings) -> dict[str, str]:
    from driftwatch.training import aliases

    return aliases(settings)


def _token(settings: Settings) -> str | None:
    return None if settings.api_token is None else settings.api_token.get_secret_value()


def _own_settings(spec: DemoSpec, settings: Settings, options: DemoOptions) -> Settings:
    """Settings of a demo's own stack; its home is emptied first, so every run starts alike."""
    home = (options.home or settings.home / "demos" / spec.name).resolve()
    if RunDir(home).supervisor_pid_file.exists():
        stop_stack(RunDir(home))
    shutil.rmtree(home, ignore_errors=True)
    prefix = options.stream_prefix or f"demo-{spec.name}-{uuid.uuid4().hex[:6]}"
    policy = options.policy_path or load_shipped_policy("demo").path
    return settings.model_copy(
        update={
            "home": home,
            "stream_prefix": prefix,
            "policy_path": policy,
            "window_rows": DEMO_WINDOW_ROWS,
            "mlflow_tracking_uri": None,  # its own SQLite store, under its own home
        }
    )


def _warn_if_not_demo_setup(console: Console, target: Target) -> None:
    """Say so when the running stack differs from what the expected outcome assumes."""
    plan = target.plan
    path = None if plan is None else plan.policy_path
    if path is None or Path(path).resolve() != load_shipped_policy("demo").path.resolve():
        policy = path or "the shipped promotion policy"
        console.print(
            f"[yellow]note:[/] the running stack's policy is {policy}, not the demo policy "
            "the expected outcome assumes"
        )
    if target.window_rows != DEMO_WINDOW_ROWS:
        console.print(
            f"[yellow]note:[/] the running stack's windows have {target.window_rows:,} rows; "
            f"the demos are sized for {DEMO_WINDOW_ROWS:,} (DRIFTWATCH_WINDOW_ROWS)"
        )


def _drop_streams(settings: Settings) -> None:
    """Delete the demo's own keys (its audit trail stays under its home's events/)."""
    redis_client = client(settings)
    try:
        pattern = f"{settings.stream_prefix}[.:]*"
        keys = list(redis_client.scan_iter(match=pattern, count=1000))
        if keys:
            redis_client.delete(*keys)
    except (redis.RedisError, OSError):
        pass  # an embedded server is gone with its stack, and its keys with it
    finally:
        redis_client.close()
