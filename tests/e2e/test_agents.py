"""The control plane as it runs: ``driftwatch agent …`` processes on a real Redis and MLflow store.

Each test starts only the agents it needs and enters the pipeline where its subject begins: a
``MonitoringSummary`` for the whole loop, an incident for the Planner, a plan for the Release
agent (built by the pure logic, as the upstream agent would). No sleeps: every wait polls with a
deadline.
"""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import publish
from driftwatch.contracts.events import (
    DriftDetected,
    IncidentResolved,
    PlanCreated,
    ReleaseDecided,
)
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.settings import Settings
from driftwatch.training import PREVIOUS_PRODUCTION, PRODUCTION, STAGING, aliases, list_versions
from driftwatch.training.conventions import TAG_PLAN_ID
from tests.fixtures.bus import eventually, free_port
from tests.fixtures.services import settings_env
from tests.integration.test_agents_support import (
    DRIFTWATCH,
    LENIENT_GATES,
    Agents,
    drained,
    incident_for,
    plan_for,
    read_stream,
    summary,
    write_policy,
    write_window,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TRAINING_S = 180.0
"""Deadline for a step that retrains (agent start, fit, MLflow logging) on a busy machine."""

TRAINING_TIMEOUT_S = 600
"""Per-test limit of the tests that train: the baseline fixture, agent start-up and a
retraining take minutes when the machine is shared."""


@pytest.fixture
def agent_settings(settings: Settings) -> Settings:
    """Claims after 3 s: a busy machine can hold an agent's event loop (and its keep-alive)
    longer than the bus tests' 0.3 s while a retraining thread runs."""
    return settings.model_copy(
        update={"min_idle_ms": 3000, "claim_interval_ms": 200, "max_deliveries": 3}
    )


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[Agents]:
    """Agent processes of the test; their logs are printed (shown when the test fails)."""
    pool = Agents(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        for process in pool.processes:
            print(f"--- {process.args}", pool.output(process)[-4000:], sep="\n")


async def releases(redis: Redis, settings: Settings) -> list[ReleaseDecided]:
    return [
        e for e in await read_stream(redis, settings, "releases") if isinstance(e, ReleaseDecided)
    ]


def candidates(settings: Settings, plan_id: object) -> list[str]:
    return [v.version for v in list_versions(settings) if v.tags[TAG_PLAN_ID] == str(plan_id)]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = settings_env(settings) | {"COLUMNS": "200"}
    return subprocess.run(
        [str(DRIFTWATCH), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
@pytest.mark.timeout(TRAINING_TIMEOUT_S)
async def test_drift_is_retrained_and_promoted_then_a_fall_after_it_is_rolled_back(
    agent_settings: Settings,
    bus_redis: Redis,
    production_model: str,
    agents: Agents,
    tmp_path: Path,
) -> None:
    policy = write_policy(tmp_path / "demo.yaml", "demo", quality_gates=LENIENT_GATES)
    settings = agent_settings.model_copy(update={"policy_path": policy.path})
    for kind in ("sentinel", "planner", "release", "audit"):
        agents.start(kind, settings)
    window = write_window(tmp_path / "w1.parquet", "feature_drift", 4000, 7)
    drifted = summary(production_model, window, labeled_rows=4000)

    await publish(bus_redis, settings, drifted)

    (decided,) = await eventually(
        lambda: releases(bus_redis, settings), "the release decision", TRAINING_S
    )
    assert decided.decision == "promoted"
    assert decided.correlation_id == drifted.correlation_id
    assert [g.gate for g in decided.gates if g.passed] == [
        "min_labeled_rows",
        "min_auc",
        "min_average_precision",
        "max_regression_vs_champion",
    ]
    assert (decided.alias, decided.previous_version) == (PRODUCTION, production_model)
    candidate = decided.candidate_version
    assert aliases(settings) == {PRODUCTION: candidate, PREVIOUS_PRODUCTION: production_model}
    (incident,) = [
        e
        for e in await read_stream(bus_redis, settings, "incidents")
        if isinstance(e, DriftDetected)
    ]
    (plan,) = await read_stream(bus_redis, settings, "plans")
    assert (incident.incident_type, plan.action) == ("feature_drift", "retrain_and_evaluate")
    assert incident.correlation_id == plan.correlation_id == drifted.correlation_id

    # The promotion resolves the incident, and the Planner now knows what it replaced.
    async def resolved() -> list[IncidentResolved]:
        events = await read_stream(bus_redis, settings, "incidents")
        return [e for e in events if isinstance(e, IncidentResolved)]

    (resolution,) = await eventually(resolved, "the incident resolved by the release")
    assert resolution.how == "released"

    fall = summary(candidate, None, labeled_rows=3000, drift_share=0, auc_drop=0.1, window_id="w2")
    await publish(bus_redis, settings, fall)

    async def rolled_back() -> list[ReleaseDecided]:
        return [r for r in await releases(bus_redis, settings) if r.decision == "rolled_back"]

    (rollback,) = await eventually(rolled_back, "the rollback", 60)
    assert (rollback.candidate_version, rollback.previous_version) == (production_model, candidate)
    assert aliases(settings) == {PRODUCTION: production_model}

    # The audit trail mirrors both chains under var/events, as the original design laid out.
    events_dir = settings.events_dir

    async def mirrored() -> bool:
        latest = events_dir / "release_result.json"
        return latest.exists() and str(rollback.event_id) in latest.read_text()

    await eventually(mirrored, "the audit mirror of the rollback")
    assert (events_dir / "sentinel_report.json").exists()
    assert (events_dir / "execution_plan.json").exists()
    listed = cli(settings, "incidents", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 2


@pytest.mark.slow
@pytest.mark.timeout(TRAINING_TIMEOUT_S)
async def test_a_release_agent_killed_while_retraining_decides_once_after_restart(
    agent_settings: Settings,
    bus_redis: Redis,
    production_model: str,
    agents: Agents,
    tmp_path: Path,
) -> None:
    policy = write_policy(tmp_path / "lenient.yaml", quality_gates=LENIENT_GATES)
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 8)
    plan = plan_for(summary(production_model, window, labeled_rows=4000), policy)
    await publish(bus_redis, agent_settings, plan)
    first = agents.start("release", agent_settings)

    async def retraining() -> bool:
        return "fitting on" in agents.output(first)

    await eventually(retraining, "the retraining to start", TRAINING_S)
    agents.kill(first)
    agents.start("release", agent_settings)

    await eventually(lambda: releases(bus_redis, agent_settings), "the decision", TRAINING_S)
    await eventually(lambda: drained(bus_redis, agent_settings, "release"), "the plan acked")

    (decided,) = await releases(bus_redis, agent_settings)
    assert (decided.plan_id, decided.decision, decided.alias) == (plan.plan_id, "promoted", STAGING)
    assert candidates(agent_settings, plan.plan_id) == [decided.candidate_version]
    assert aliases(agent_settings) == {
        PRODUCTION: production_model,
        STAGING: decided.candidate_version,
    }
    assert await bus_redis.xlen(agent_settings.stream("deadletter")) == 0


@pytest.mark.slow
@pytest.mark.timeout(TRAINING_TIMEOUT_S)
async def test_two_release_replicas_decide_each_plan_once(
    agent_settings: Settings,
    bus_redis: Redis,
    production_model: str,
    agents: Agents,
    tmp_path: Path,
) -> None:
    policy = write_policy(tmp_path / "lenient.yaml", quality_gates=LENIENT_GATES)
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 9)
    retrain = plan_for(summary(production_model, window, labeled_rows=4000), policy)
    quiet = [
        plan_for(
            summary(production_model, None, labeled_rows=0, drift_share=0.1, window_id=f"q{i}"),
            policy,
        )
        for i in range(6)
    ]
    for plan in (retrain, *quiet):
        await publish(bus_redis, agent_settings, plan)
    agents.start("release", agent_settings, name="release-a")
    agents.start("release", agent_settings, name="release-b")

    await eventually(
        lambda: drained(bus_redis, agent_settings, "release"), "every plan", TRAINING_S
    )

    decided = await releases(bus_redis, agent_settings)
    assert sorted(str(d.plan_id) for d in decided) == sorted(
        str(p.plan_id) for p in (retrain, *quiet)
    )
    assert {d.decision for d in decided if d.plan_id != retrain.plan_id} == {"noop"}
    assert len(candidates(agent_settings, retrain.plan_id)) == 1


async def test_two_planners_make_one_plan_per_incident(
    agent_settings: Settings, bus_redis: Redis, agents: Agents
) -> None:
    policy = load_shipped_policy()
    incidents = [
        incident_for(summary("1", None, labeled_rows=0, window_id=f"w{i}"), policy)
        for i in range(12)
    ]
    for incident in incidents:
        await publish(bus_redis, agent_settings, incident)
    agents.start("planner", agent_settings, name="planner-a")
    agents.start("planner", agent_settings, name="planner-b")

    await eventually(lambda: drained(bus_redis, agent_settings, "planner"), "every incident", 60)

    plans = await read_stream(bus_redis, agent_settings, "plans")
    assert sorted(str(p.incident_id) for p in plans) == sorted(
        str(i.incident_id) for i in incidents
    )


async def test_a_policy_edited_on_disk_takes_effect_and_a_broken_edit_is_refused(
    agent_settings: Settings, bus_redis: Redis, agents: Agents, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    policy = write_policy(path)
    port = free_port()
    settings = agent_settings.model_copy(update={"policy_path": path, "metrics_port": port})
    planner = agents.start("planner", settings)
    incidents = [
        incident_for(summary("1", None, labeled_rows=0, window_id=f"w{i}"), policy)
        for i in range(3)
    ]

    async def plan_of(incident: DriftDetected) -> PlanCreated | None:
        plans = await read_stream(bus_redis, settings, "plans")
        return next((p for p in plans if p.incident_id == incident.incident_id), None)

    async def planned(incident: DriftDetected) -> PlanCreated:
        await publish(bus_redis, settings, incident)
        return await eventually(lambda: plan_of(incident), "a plan", 60)

    before = await planned(incidents[0])
    write_policy(path, version=4, drift_policy={"on_high": {"action": "hold_for_approval"}})
    after = await planned(incidents[1])
    text = path.read_text().replace("quality_gates:\n", "quality_gates:\n  min_aucc: 0.9\n")
    path.write_text(text.replace("version: 4", "version: 5"))
    line = text.splitlines().index("  min_aucc: 0.9") + 1

    def refusals() -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            for sample in response.read().decode().splitlines():
                if sample.startswith('driftwatch_policy_reload_failures_total{agent="planner"}'):
                    return float(sample.split()[-1])
        return 0.0

    async def refused() -> bool:
        return refusals() == 1.0 and f"{path}:{line}: quality_gates.min_aucc" in agents.output(
            planner
        )

    await eventually(refused, "the broken policy refused")
    kept = await planned(incidents[2])

    assert (before.policy_version, before.action) == (3, "retrain_and_evaluate")
    assert (after.policy_version, after.action) == (4, "hold_for_approval")
    assert (kept.policy_version, kept.action) == (4, "hold_for_approval")
    assert planner.poll() is None


@pytest.mark.slow
@pytest.mark.timeout(TRAINING_TIMEOUT_S)
async def test_a_held_plan_runs_when_approved_and_changes_nothing_when_rejected(
    agent_settings: Settings,
    bus_redis: Redis,
    production_model: str,
    agents: Agents,
    tmp_path: Path,
) -> None:
    policy = write_policy(tmp_path / "strict.yaml", "strict", quality_gates=LENIENT_GATES)
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 10)
    approved, rejected = (
        plan_for(summary(production_model, window, labeled_rows=4000, window_id=w), policy)
        for w in ("w1", "w2")
    )
    agents.start("release", agent_settings)
    for plan in (approved, rejected):
        assert plan.action == "hold_for_approval"
        await publish(bus_redis, agent_settings, plan)

    async def held() -> bool:
        return [d.decision for d in await releases(bus_redis, agent_settings)] == ["held", "held"]

    await eventually(held, "both plans held", TRAINING_S)
    yes = cli(agent_settings, "approve", str(approved.plan_id), "--who", "alice", "--reason", "ok")
    no = cli(agent_settings, "reject", str(rejected.plan_id), "--who", "bob")
    assert (yes.returncode, no.returncode) == (0, 0), yes.stderr + no.stderr

    async def answered() -> list[ReleaseDecided]:
        decided = await releases(bus_redis, agent_settings)
        return [d for d in decided if d.decision != "held"] if len(decided) == 4 else []

    outcome = {d.plan_id: d for d in await eventually(answered, "both answers", TRAINING_S)}
    promoted, turned_down = outcome[approved.plan_id], outcome[rejected.plan_id]
    assert (promoted.decision, promoted.alias) == ("promoted", STAGING)
    assert "approved by alice: ok" in promoted.reason
    assert promoted.correlation_id == approved.correlation_id
    assert (turned_down.decision, turned_down.reason) == ("rejected", "rejected by bob")
    assert candidates(agent_settings, rejected.plan_id) == []
    assert aliases(agent_settings) == {
        PRODUCTION: production_model,
        STAGING: promoted.candidate_version,
    }
    again = cli(agent_settings, "approve", str(approved.plan_id))
    assert again.returncode == 1
    assert "not waiting for approval" in again.stderr
