"""The Release agent's handlers on a real Redis and a real MLflow store, driven in-process.

Each test starts from the baseline model in production (``production_model``) and hands the
agent a plan made by the pure Planner from a generated window, as the running system would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from driftwatch.agents.release import Release
from driftwatch.agents.retrain import HOLDOUT_FRACTION, evaluate_candidate, read_labeled_window
from driftwatch.agents.state import plans_key
from driftwatch.bus.consumer import Consumer, Delivery, HandlerContext, Outcome
from driftwatch.bus.publish import publish
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import Event, PlanCreated, ReleaseDecided
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.monitor.references import References
from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, STAGING, aliases, list_versions
from driftwatch.training.conventions import TAG_PLAN_ID
from tests.integration.test_agents_support import (
    LENIENT_GATES,
    plan_for,
    read_stream,
    summary,
    write_policy,
    write_window,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
async def release(bus_settings: Settings, bus_redis: Redis) -> AsyncIterator[Consumer]:
    """One Release replica's handling path, without FastStream."""
    consumer = Consumer(bus_settings, "release", Release(bus_settings).handlers(), redis=bus_redis)
    await consumer.open()
    yield consumer
    await consumer.close()


async def deliver(consumer: Consumer, redis: Redis, settings: Settings, event: Event) -> Outcome:
    """Publish ``event`` and hand its entry to ``consumer`` as a group read would."""
    await publish(redis, settings, event)
    stream = settings.stream(event.STREAM)
    ((_, ((entry_id, fields),)),) = await redis.xreadgroup(
        consumer.group, consumer.name, {stream: ">"}, count=1
    )
    delivery = Delivery(stream, entry_id.decode(), entry_payload(fields), consumer.name)
    return await consumer.handle(delivery)


async def decision_for(redis: Redis, settings: Settings, plan: PlanCreated) -> ReleaseDecided:
    (decided,) = [
        e
        for e in await read_stream(redis, settings, "releases")
        if isinstance(e, ReleaseDecided) and e.plan_id == plan.plan_id
    ]
    return decided


def candidates(settings: Settings, plan: PlanCreated) -> list[str]:
    return [v.version for v in list_versions(settings) if v.tags[TAG_PLAN_ID] == str(plan.plan_id)]


async def test_a_candidate_below_the_gates_is_blocked_and_production_is_unchanged(
    release: Consumer,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    tmp_path: Path,
) -> None:
    window = write_window(tmp_path / "w.parquet", "stable", 4000, 3, shuffle_labels=True)
    plan = plan_for(summary(production_model, window, labeled_rows=4000), load_shipped_policy())
    before = aliases(bus_settings)

    assert await deliver(release, bus_redis, bus_settings, plan) is Outcome.HANDLED

    decided = await decision_for(bus_redis, bus_settings, plan)
    assert decided.decision == "blocked"
    assert [g.gate for g in decided.gates] == [
        "min_labeled_rows",
        "min_auc",
        "min_average_precision",
        "max_regression_vs_champion",
    ]
    failed = {g.gate for g in decided.gates if not g.passed}
    assert "min_auc" in failed
    assert "min_auc" in decided.reason
    assert decided.alias is None
    assert decided.candidate_version == candidates(bus_settings, plan)[0]
    assert aliases(bus_settings) == before


async def test_a_regression_vs_production_blocks_even_when_absolute_gates_pass(
    release: Consumer,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    tmp_path: Path,
) -> None:
    # A window like the training data: retraining on less of it cannot beat production.
    gates = {"min_auc": 0.7, "min_average_precision": 0.1}
    policy = write_policy(tmp_path / "absolute.yaml", quality_gates=gates)
    window = write_window(tmp_path / "w.parquet", "stable", 4000, 4)
    plan = plan_for(summary(production_model, window, labeled_rows=4000), policy)

    await deliver(release, bus_redis, bus_settings, plan)

    decided = await decision_for(bus_redis, bus_settings, plan)
    judged = {g.gate: g for g in decided.gates}
    assert judged["min_auc"].passed
    assert judged["min_average_precision"].passed
    regression = judged["max_regression_vs_champion"]
    assert not regression.passed
    assert regression.interval is not None
    assert regression.interval[0] < regression.threshold == -0.01
    assert decided.decision == "blocked"
    assert aliases(bus_settings) == {PRODUCTION: production_model}


async def test_too_few_labels_defers_without_training(
    release: Consumer,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    tmp_path: Path,
) -> None:
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 5, labeled=600)
    plan = plan_for(summary(production_model, window, labeled_rows=600), load_shipped_policy())

    await deliver(release, bus_redis, bus_settings, plan)

    decided = await decision_for(bus_redis, bus_settings, plan)
    assert decided.decision == "deferred"
    (gate,) = decided.gates
    assert (gate.gate, gate.value, gate.passed) == ("min_labeled_rows", 600, False)
    assert [v.version for v in list_versions(bus_settings)] == [production_model]


async def test_a_plan_redone_after_a_crash_reuses_its_candidate_and_reports_the_same_move(
    release: Consumer,
    bus_redis: Redis,
    bus_settings: Settings,
    production_model: str,
    tmp_path: Path,
) -> None:
    policy = write_policy(tmp_path / "lenient.yaml", quality_gates=LENIENT_GATES)
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 6)
    plan = plan_for(summary(production_model, window, labeled_rows=4000), policy)
    agent = Release(bus_settings)
    # First attempt: the handler runs to the end, then the process dies before its commit.
    ctx = HandlerContext(release, Delivery("s", "0-1", b"", "dead-replica"), 1.0)
    (first,) = await agent.on_plan(plan, ctx)
    await bus_redis.delete(f"{bus_settings.stream_prefix}:agents:lock:plan:{plan.plan_id}")

    await deliver(release, bus_redis, bus_settings, plan)

    redone = await decision_for(bus_redis, bus_settings, plan)
    assert redone == first.model_copy(update={"occurred_at": redone.occurred_at})
    assert redone.decision == "promoted"
    assert (redone.alias, redone.previous_version) == (STAGING, None)
    assert candidates(bus_settings, plan) == [redone.candidate_version]
    assert aliases(bus_settings) == {
        PRODUCTION: production_model,
        STAGING: redone.candidate_version,
    }
    assert await bus_redis.hexists(plans_key(bus_settings), str(plan.plan_id))


def test_after_concept_drift_the_candidate_learns_from_recent_rows_only(
    bus_settings: Settings, production_model: str, tmp_path: Path
) -> None:
    """Old labels teach a retired pattern once P(fraud | x) changed; after feature drift they
    still hold, so the reference sample joins the recent rows."""
    window = write_window(tmp_path / "w.parquet", "concept_drift", 4000, 7)
    calm_features = summary(
        production_model, window, labeled_rows=4000, drift_share=0.0, auc_drop=0.2, window_id="c"
    )
    plans = [
        plan_for(calm_features, load_shipped_policy()),
        plan_for(summary(production_model, window, labeled_rows=4000), load_shipped_policy()),
    ]
    labeled = read_labeled_window(bus_settings, plans[0].dataset_uri)

    evaluations = {
        plan.incident_type: evaluate_candidate(bus_settings, plan, labeled, production_model)
        for plan in plans
    }

    recent = round(len(labeled.rows) * (1 - HOLDOUT_FRACTION))
    assert evaluations["concept_drift"].train_rows == recent
    assert evaluations["feature_drift"].train_rows > recent


def test_the_monitor_learns_what_share_of_its_traffic_a_candidates_reference_holds(
    bus_settings: Settings, production_model: str, tmp_path: Path
) -> None:
    """Half of the labeled half of a window: the monitor scales the reference's rows per hour
    by that, or every later window of the candidate would read as a traffic surge."""
    window = write_window(tmp_path / "w.parquet", "feature_drift", 4000, 8, labeled=2000)
    plan = plan_for(summary(production_model, window, labeled_rows=2000), load_shipped_policy())

    labeled = read_labeled_window(bus_settings, plan.dataset_uri)
    candidate = evaluate_candidate(bus_settings, plan, labeled, production_model)

    assert len(labeled.rows) == 2000
    assert labeled.labeled_share == 1.0  # labels came in event order: all of their span
    reference = References(bus_settings).get(candidate.version)
    assert reference.traffic_share == HOLDOUT_FRACTION
