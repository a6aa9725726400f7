"""A consumer process SIGKILLed in the middle of a handler: a survivor claims the event, once.

Every worker hangs on a first delivery and answers a claimed one, so whichever takes a new event
is the one killed; the others must claim it after ``min_idle_ms`` and emit exactly one output.
Workers are forked from a pre-imported parent, so a replacement starts in milliseconds and the
loop is paced by the claim; a round starts only when two workers are consuming.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import publish
from driftwatch.settings import Settings
from tests.fixtures.bus import (
    WorkerForks,
    alive,
    approval,
    eventually,
    outputs_for,
    started_key,
    worker_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROUNDS = 20
POOL = 3


@pytest.mark.stress
@pytest.mark.slow
async def test_an_event_survives_its_consumer_being_killed_20_times(
    bus_redis: Redis,
    bus_settings: Settings,
    worker_forks: Callable[[Settings, str], WorkerForks],
) -> None:
    forks = worker_forks(bus_settings, "hanging_release_worker")
    live = {forks.fork() for _ in range(POOL)}
    published = []

    for _ in range(ROUNDS):
        await eventually(lambda: _consuming(bus_redis, bus_settings, live), "two workers", 60)
        event = approval()
        published.append(event)
        await publish(bus_redis, bus_settings, event)
        taken_by = await eventually(
            lambda event=event: bus_redis.get(started_key(bus_settings, event)),
            "a worker to take the event",
        )
        victim = int(taken_by)
        os.kill(victim, signal.SIGKILL)
        await eventually(lambda victim=victim: _dead(victim), "the victim to die")
        live.remove(victim)
        live.add(forks.fork())
        outputs = await eventually(
            lambda event=event: outputs_for(bus_redis, bus_settings, event), "a survivor's output"
        )
        assert [output.causation_id for output in outputs] == [event.event_id]

    for event in published:
        assert len(await outputs_for(bus_redis, bus_settings, event)) == 1
    assert await bus_redis.xlen(bus_settings.stream("releases")) == ROUNDS
    assert (await bus_redis.xpending(bus_settings.stream("approvals"), "release"))["pending"] == 0
    assert all(alive(pid) for pid in live)


async def _consuming(redis: Redis, settings: Settings, live: set[int]) -> bool:
    ready = [pid for pid in live if await worker_ready(redis, settings, pid)]
    return len(ready) >= 2


async def _dead(pid: int) -> bool:
    return not alive(pid)
