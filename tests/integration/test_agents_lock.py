"""The agents' state lock on a real Redis: a holder stalled past its lock's TTL writes nothing.

Two Sentinel replicas, the real handler: replica A's whole process stalls inside its commit (its
event loop blocked, so nothing extends its lock) until replica B, which took the lock once it
expired, has handled the next window. A runs in a thread with its own event loop and client,
as a separate process would; the stall is the fault, released by B, not a sleep.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from driftwatch.agents import state
from driftwatch.agents.policy_watch import PolicyWatch
from driftwatch.agents.sentinel import Sentinel
from driftwatch.bus.consumer import Consumer, Delivery, HandlerContext, Outcome
from driftwatch.bus.publish import connect, publish
from driftwatch.contracts.events import DriftDetected, Event, MonitoringSummary
from driftwatch.settings import Settings
from tests.fixtures.bus import DEADLINE_S
from tests.integration.test_agents_state import take
from tests.integration.test_agents_support import read_stream, summary

pytestmark = pytest.mark.integration

LOCK_TTL_MS = 1500
"""Short enough that B waits little for A's lock to expire, long enough that B keeps its own
lock while A's stalled commit finishes on a busy machine."""


class StalledCommit:
    """A's handler: the real Sentinel, plus a write that blocks A's event loop in the commit
    (after the commit's checks, before EXEC) until B lets it go."""

    def __init__(self, sentinel: Sentinel) -> None:
        self.sentinel = sentinel
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def __call__(self, summary: MonitoringSummary, ctx: HandlerContext) -> Sequence[Event]:
        events = await self.sentinel.on_summary(summary, ctx)
        ctx.also(self._stall)
        return events

    def _stall(self, pipe: Pipeline) -> None:
        if not self.stalled.is_set():
            self.stalled.set()
            self.release.wait(DEADLINE_S)


def replica_a(settings: Settings, delivery: Delivery, handler: StalledCommit) -> Outcome:
    """Handle ``delivery`` as replica A, in this thread's own event loop and Redis client."""

    async def run() -> Outcome:
        redis = connect(settings)
        consumer = Consumer(
            settings, "sentinel", {MonitoringSummary: handler}, name="replica-a", redis=redis
        )
        try:
            await consumer.open()
            return await consumer.handle(delivery)
        finally:
            await redis.aclose()

    return asyncio.run(run())


async def test_a_commit_stalled_past_the_lock_ttl_is_redone_and_announces_nothing_twice(
    bus_settings: Settings, bus_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "LOCK_TTL_MS", LOCK_TTL_MS)
    policies = PolicyWatch("test", None)
    lock_key = f"{bus_settings.stream_prefix}:agents:lock:model:fraud-detector"
    stream = bus_settings.stream("monitoring")
    first, second = (
        summary("1", None, labeled_rows=0, window_id=window) for window in ("w1", "w2")
    )
    for window in (first, second):
        await publish(bus_redis, bus_settings, window)
    stalled_a = StalledCommit(Sentinel(bus_settings, policies))
    sentinel_b = Sentinel(bus_settings, policies)
    seen_by_b: dict[str, object] = {}

    async def b_lets_a_commit_while_holding_the_lock(
        summary: MonitoringSummary, ctx: HandlerContext
    ) -> Sequence[Event]:
        events = await sentinel_b.on_summary(summary, ctx)
        if "a_outcome" not in seen_by_b:  # B now holds the lock, its commit still to come
            seen_by_b["token"] = await bus_redis.get(lock_key)
            stalled_a.release.set()
            seen_by_b["a_outcome"] = await asyncio.wait_for(a_done, DEADLINE_S)
            seen_by_b["token_after_a"] = await bus_redis.get(lock_key)
        return events

    b = Consumer(
        bus_settings,
        "sentinel",
        {MonitoringSummary: b_lets_a_commit_while_holding_the_lock},
        name="replica-b",
        redis=bus_redis,
    )
    await b.open()
    a_consumer = Consumer(bus_settings, "sentinel", {}, name="replica-a", redis=bus_redis)
    delivery_a = await take(a_consumer, bus_redis, stream)
    delivery_b = await take(b, bus_redis, stream)

    loop = asyncio.get_running_loop()
    a_done = loop.run_in_executor(None, replica_a, bus_settings, delivery_a, stalled_a)
    assert await asyncio.to_thread(stalled_a.stalled.wait, DEADLINE_S), "A never committed"
    assert await b.handle(delivery_b) is Outcome.HANDLED

    # A's commit ran while B held the lock: refused, and B's lock left alone.
    assert seen_by_b["a_outcome"] is Outcome.FAILED
    assert seen_by_b["token"] is not None
    assert seen_by_b["token_after_a"] == seen_by_b["token"]
    # A's window is pending, as a claimer would find it; redone on the state B wrote.
    await bus_redis.xclaim(
        stream, "sentinel", "replica-b", min_idle_time=0, message_ids=[delivery_a.message_id]
    )
    redo = Delivery(stream, delivery_a.message_id, delivery_a.payload, "replica-b", 2)
    assert await b.handle(redo) is Outcome.HANDLED

    incidents = [
        e
        for e in await read_stream(bus_redis, bus_settings, "incidents")
        if isinstance(e, DriftDetected)
    ]
    assert [i.window_id for i in incidents] == ["w2"]
    kept = await state.load_sentinel(bus_redis, bus_settings, "fraud-detector")
    assert [o.report.incident_id for o in kept.open_incidents.values()] == [
        incidents[0].incident_id
    ]
    assert sorted(w.window_id for w in kept.seen_windows) == ["w1", "w2"]
    assert (await bus_redis.xpending(stream, "sentinel"))["pending"] == 0
    assert await bus_redis.exists(lock_key) == 0
