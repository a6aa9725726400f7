"""Sentinel and Planner handlers on a real Redis, in-process: state kept across replicas.

No MLflow here: these agents only read events and Redis state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from driftwatch.agents.planner import Planner
from driftwatch.agents.policy_watch import PolicyWatch
from driftwatch.agents.sentinel import Sentinel
from driftwatch.agents.state import load_planner, load_sentinel
from driftwatch.bus.consumer import Consumer, Delivery, Outcome
from driftwatch.bus.publish import publish
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import (
    DriftDetected,
    Event,
    IncidentResolved,
    PlanCreated,
    ReleaseDecided,
)
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.settings import Settings
from tests.integration.test_agents_support import incident_for, read_stream, summary

pytestmark = pytest.mark.integration

MakeConsumer = Callable[[str, str], Consumer]


@pytest.fixture
async def make_consumer(bus_settings: Settings, bus_redis: Redis) -> AsyncIterator[MakeConsumer]:
    """Opened consumers of the ``sentinel`` or ``planner`` group, by replica name."""
    opened: list[Consumer] = []
    policies = PolicyWatch("test", None)

    def make(group: str, name: str) -> Consumer:
        agent = Sentinel if group == "sentinel" else Planner
        handlers = agent(bus_settings, policies).handlers()
        consumer = Consumer(bus_settings, group, handlers, name=name, redis=bus_redis)
        opened.append(consumer)
        return consumer

    yield make
    for consumer in opened:
        await consumer.close()


async def take(consumer: Consumer, redis: Redis, stream: str) -> Delivery:
    """The next entry of ``stream`` for ``consumer``, read through its group."""
    ((_, ((entry_id, fields),)),) = await redis.xreadgroup(
        consumer.group, consumer.name, {stream: ">"}, count=1
    )
    return Delivery(stream, entry_id.decode(), entry_payload(fields), consumer.name)


async def handle_one(consumer: Consumer, redis: Redis, settings: Settings, event: Event) -> Outcome:
    await publish(redis, settings, event)
    return await consumer.handle(await take(consumer, redis, settings.stream(event.STREAM)))


async def test_sentinel_replicas_handling_windows_at_once_lose_none(
    make_consumer: MakeConsumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    replicas = [make_consumer("sentinel", name) for name in ("replica-a", "replica-b")]
    for replica in replicas:
        await replica.open()
    windows = [
        summary("1", None, labeled_rows=0, drift_share=0, window_id=f"w{i}") for i in range(8)
    ]
    for window in windows:
        await publish(bus_redis, bus_settings, window)
    stream = bus_settings.stream("monitoring")
    deliveries = [await take(replicas[i % 2], bus_redis, stream) for i in range(len(windows))]

    outcomes = await asyncio.gather(
        *(replicas[i % 2].handle(delivery) for i, delivery in enumerate(deliveries))
    )

    assert set(outcomes) == {Outcome.HANDLED}
    state = await load_sentinel(bus_redis, bus_settings, "fraud-detector")
    assert sorted(w.window_id for w in state.seen_windows) == sorted(w.window_id for w in windows)
    assert state.windows_by_version == {"1": len(windows)}


async def test_a_promotion_seen_by_the_sentinel_makes_the_planner_roll_back(
    make_consumer: MakeConsumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    sentinel, planner = make_consumer("sentinel", "s"), make_consumer("planner", "p")
    await sentinel.open()
    promoted = ReleaseDecided(
        decision="promoted",
        model_name="fraud-detector",
        candidate_version="2",
        previous_version="1",
        alias="production",
    )
    assert await handle_one(sentinel, bus_redis, bus_settings, promoted) is Outcome.HANDLED
    history = await load_planner(bus_redis, bus_settings, "fraud-detector")
    assert history.promotions["fraud-detector"].version == "2"

    degraded = summary("2", None, labeled_rows=3000, drift_share=0, auc_drop=0.1)
    incident = incident_for(degraded, load_shipped_policy())
    assert incident.incident_type == "concept_drift"
    await handle_one(planner, bus_redis, bus_settings, incident)

    (plan,) = await read_stream(bus_redis, bus_settings, "plans")
    assert isinstance(plan, PlanCreated)
    assert (plan.action, plan.target_alias) == ("rollback", "production")
    assert plan.correlation_id == incident.correlation_id
    assert "version 1" in plan.steps[0]


async def test_the_planner_acks_a_resolution_without_a_plan(
    make_consumer: MakeConsumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    planner = make_consumer("planner", "p")
    await planner.open()
    resolved = IncidentResolved(
        incident_id=incident_for(
            summary("1", None, labeled_rows=0), load_shipped_policy()
        ).incident_id,
        how="clean_windows",
        model_name="fraud-detector",
        model_version="1",
    )

    assert await handle_one(planner, bus_redis, bus_settings, resolved) is Outcome.HANDLED
    assert await read_stream(bus_redis, bus_settings, "plans") == []
    assert await bus_redis.xlen(bus_settings.stream("deadletter")) == 0


async def test_a_deferred_incident_is_announced_again_when_its_labels_arrive(
    make_consumer: MakeConsumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    sentinel = make_consumer("sentinel", "s")
    await sentinel.open()
    early = summary("1", None, labeled_rows=600)
    await handle_one(sentinel, bus_redis, bus_settings, early)
    (incident,) = await read_stream(bus_redis, bus_settings, "incidents")
    assert isinstance(incident, DriftDetected)
    deferred = ReleaseDecided(
        decision="deferred", model_name="fraud-detector", incident_id=incident.incident_id
    )
    await handle_one(sentinel, bus_redis, bus_settings, deferred)

    labeled = summary("1", None, labeled_rows=3000, revision=1)
    await handle_one(sentinel, bus_redis, bus_settings, labeled)

    first, again = await read_stream(bus_redis, bus_settings, "incidents")
    assert isinstance(again, DriftDetected)
    assert again.incident_id == first.incident_id
    assert (again.window_revision, again.labeled_rows) == (1, 3000)
    assert again.correlation_id == first.correlation_id
