"""Chaos from outside the process: ``driftwatch up`` while a random agent is SIGKILLed every few
seconds and dozens of incidents flow through the Planner and the Release agent.

The supervisor restarts what was killed; the claimers take over what a dead replica left pending.
Whatever the timing of the kills, the bus's effect-once commit must leave exactly one plan per
incident, one decision per plan, at most one candidate (and one alias move) per plan, nothing
pending, and the audit mirror holding every decision.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from driftwatch.bus.topology import GROUPS
from driftwatch.contracts.events import DriftDetected, PlanCreated, ReleaseDecided, parse_event
from driftwatch.contracts.policy import LoadedPolicy
from driftwatch.stack.plan import PidRecord, RunDir
from driftwatch.stack.procinfo import is_same_process
from tests.integration.test_agents_support import (
    LENIENT_GATES,
    incident_for,
    summary,
    write_policy,
    write_window,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.stress, pytest.mark.timeout(900)]

DRIFTWATCH = str(Path(sys.executable).with_name("driftwatch"))
AGENTS = ("monitor", "sentinel", "planner", "release", "audit")
INCIDENTS = 32
RETRAIN_AT = (1, 12, 23)
"""Incidents whose plan retrains (and moves ``staging``); the others are noops or held plans."""
SEED = 7
E = TypeVar("E", DriftDetected, PlanCreated, ReleaseDecided)
SETTLE_S = 420.0
"""Deadline for the chain to settle after the last kill: restarts back off, claims wait for
``min_idle_ms``, and a retraining redone after a kill takes a while on a shared machine."""


@pytest.fixture
def chaos_stack(tmp_path: Path, redis_url: str) -> Iterator[tuple[Path, dict[str, str], str]]:
    """A stack of its own (its agents get killed), with a production model and a policy that
    turns incident severity into every kind of plan."""
    home = tmp_path / "var"
    prefix = f"chaos-{uuid.uuid4().hex[:8]}"
    policy = _chaos_policy(tmp_path / "chaos-policy.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTWATCH_", "MLFLOW_"))}
    env.update(
        DRIFTWATCH_HOME=str(home),
        DRIFTWATCH_REDIS_URL=redis_url,
        DRIFTWATCH_STREAM_PREFIX=prefix,
        DRIFTWATCH_POLICY_PATH=str(policy.path),
        DRIFTWATCH_MIN_IDLE_MS="3000",
        DRIFTWATCH_CLAIM_INTERVAL_MS="500",
        MLFLOW_DISABLE_TELEMETRY="true",
        OMP_NUM_THREADS="1",
    )
    baseline = home / "data" / "baseline.parquet"
    _run(env, "generate", "--scenario", "baseline", "--rows", "12000", "--seed", "1",
         "--out", str(baseline))  # fmt: skip
    _run(env, "train", "--data", str(baseline), "--promote", "production", timeout=300)
    _run(env, "up", "--free-ports", timeout=300)
    try:
        yield home, env, prefix
    finally:
        subprocess.run([DRIFTWATCH, "down"], env=env, capture_output=True, timeout=120)
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}[.:]*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def test_random_agent_kills_leave_one_plan_per_incident_and_one_decision_per_plan(
    chaos_stack: tuple[Path, dict[str, str], str], redis_url: str
) -> None:
    home, env, prefix = chaos_stack
    client = redis.Redis.from_url(redis_url)
    policy = _chaos_policy(home.parent / "chaos-policy.yaml")
    window = write_window(home / "data" / "window.parquet", "feature_drift", 4000, seed=3)
    incidents = _incidents(window, policy)
    rng = random.Random(SEED)
    killed: Counter[str] = Counter()
    next_kill = time.monotonic() + rng.uniform(1.0, 3.0)
    for incident in incidents:  # about one incident a second, a kill every 2-4 s
        _publish(client, prefix, incident)
        if time.monotonic() >= next_kill:
            kind = rng.choice(AGENTS)
            if _kill(home, kind):
                killed[kind] += 1
            next_kill = time.monotonic() + rng.uniform(2.0, 4.0)
        _pause(0.9)
    for _ in range(3):  # keep killing while the last plans are handled
        kind = rng.choice(AGENTS)
        if _kill(home, kind):
            killed[kind] += 1
        _pause(rng.uniform(2.0, 4.0))
    assert sum(killed.values()) >= 10, f"too few kills to mean anything: {dict(killed)}"
    print(f"kills: {dict(killed)}")

    ids = {incident.incident_id for incident in incidents}
    deadline = time.monotonic() + SETTLE_S
    while not _settled(client, prefix, ids, home):
        assert time.monotonic() < deadline, _diagnosis(client, prefix, ids, home, killed)
        _pause(0.5)

    plans = _events(client, prefix, "plans", PlanCreated)
    decisions = _events(client, prefix, "releases", ReleaseDecided)
    plans_per_incident = Counter(plan.incident_id for plan in plans)
    assert set(plans_per_incident) == ids
    assert set(plans_per_incident.values()) == {1}, plans_per_incident
    ours = [d for d in decisions if d.plan_id is not None]
    decisions_per_plan = Counter(d.plan_id for d in ours)
    assert set(decisions_per_plan) == {plan.plan_id for plan in plans}
    assert set(decisions_per_plan.values()) == {1}, decisions_per_plan
    moved = [d for d in ours if d.alias is not None and d.decision == "promoted"]
    assert len(moved) <= len(RETRAIN_AT)
    candidates = Counter(_candidate_plans(env))
    assert all(count == 1 for count in candidates.values()), candidates
    assert _nothing_pending(client, prefix)
    mirrored = _mirrored_ids(home)
    for event in (*plans, *ours):
        assert event.event_id in mirrored, f"{event.event_type} {event.event_id} not mirrored"
    client.close()


def _chaos_policy(path: Path) -> LoadedPolicy:
    return write_policy(
        path,
        drift_policy={
            "on_low": {"action": "noop"},
            "on_medium": {"action": "hold_for_approval"},
            "on_high": {"action": "retrain_and_evaluate"},
        },
        quality_gates=LENIENT_GATES,
        release_policy={"promote_alias": "staging"},
    )


def _incidents(window: Path, policy: LoadedPolicy) -> list[DriftDetected]:
    """``INCIDENTS`` incidents of distinct windows: high at ``RETRAIN_AT`` (retrain), the rest low
    (noop) or medium (held), interleaved so retrainings overlap the kills."""
    shares = [0.6 if i in RETRAIN_AT else (0.2, 0.4)[i % 2] for i in range(INCIDENTS)]
    return [
        incident_for(
            summary("1", window, labeled_rows=4000, drift_share=share, window_id=f"chaos-{i}"),
            policy,
        )
        for i, share in enumerate(shares)
    ]


def _publish(client: redis.Redis, prefix: str, incident: DriftDetected) -> None:
    client.xadd(f"{prefix}.incidents", {"__data__": incident.model_dump_json()})


def _kill(home: Path, kind: str) -> bool:
    """SIGKILL the running ``kind`` process of the stack; False when it is between restarts."""
    record = PidRecord.read(RunDir(home).pid_file(kind))
    if record is None or not is_same_process(record.pid, record.start_time):
        return False
    try:
        os.kill(record.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _events(client: redis.Redis, prefix: str, stream: str, kind: type[E]) -> list[E]:
    entries = client.xrange(f"{prefix}.{stream}")
    return [e for e in (parse_event(f[b"__data__"]) for _, f in entries) if isinstance(e, kind)]


def _settled(client: redis.Redis, prefix: str, ids: set[uuid.UUID], home: Path) -> bool:
    plans = _events(client, prefix, "plans", PlanCreated)
    if {plan.incident_id for plan in plans} != ids:
        return False
    decided = {d.plan_id for d in _events(client, prefix, "releases", ReleaseDecided)}
    if not {plan.plan_id for plan in plans} <= decided:
        return False
    if not _nothing_pending(client, prefix):
        return False
    return {plan.event_id for plan in plans} <= _mirrored_ids(home)


def _nothing_pending(client: redis.Redis, prefix: str) -> bool:
    for group, streams in GROUPS.items():
        for stream in streams:
            name = f"{prefix}.{stream}"
            if not client.exists(name):
                continue
            for info in client.xinfo_groups(name):
                if info["name"].decode() == group and (info["pending"] or info["lag"]):
                    return False
    return True


def _mirrored_ids(home: Path) -> set[uuid.UUID]:
    trail = home / "events" / "events.jsonl"
    if not trail.exists():
        return set()
    lines = trail.read_text(encoding="utf-8").splitlines()
    return {uuid.UUID(json.loads(line)["event_id"]) for line in lines if line.strip()}


def _candidate_plans(env: dict[str, str]) -> list[str]:
    """The plan id of every registered candidate version (manual versions carry none)."""
    listed = _run(env, "models", "--json")
    versions = json.loads(listed.stdout)
    return [
        v["tags"]["driftwatch.plan_id"] for v in versions if v["tags"].get("driftwatch.plan_id")
    ]


def _diagnosis(
    client: redis.Redis, prefix: str, ids: set[uuid.UUID], home: Path, killed: Counter[str]
) -> str:
    plans = _events(client, prefix, "plans", PlanCreated)
    decided = {d.plan_id for d in _events(client, prefix, "releases", ReleaseDecided)}
    logs = "\n".join(
        f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
        for path in sorted(RunDir(home).logs.glob("*.log"))
    )
    return (
        f"not settled after {SETTLE_S:.0f} s (kills {dict(killed)}): "
        f"{len({p.incident_id for p in plans} & ids)}/{len(ids)} incidents planned, "
        f"{len({p.plan_id for p in plans} & decided)}/{len(plans)} plans decided, "
        f"nothing pending: {_nothing_pending(client, prefix)}\n{logs}"
    )


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [DRIFTWATCH, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"driftwatch {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _pause(seconds: float) -> None:
    """The chaos schedule's own pacing (kills and publishing over time), not a wait for a
    condition: every wait for the system polls ``_settled`` with a deadline."""
    time.sleep(seconds)
