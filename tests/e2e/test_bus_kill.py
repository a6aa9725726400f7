"""A consumer process SIGKILLed in the middle of a handler: a survivor claims the event, once.

Every worker hangs on a first delivery and answers a claimed one, so whichever takes a new event
is the one killed; the others must claim it after ``min_idle_ms`` and emit exactly one output.
A replacement starts at each kill, so the pool stays three workers strong.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import publish
from driftwatch.settings import Settings
from tests.fixtures.bus import (
    Workers,
    approval,
    eventually,
    outputs_for,
    started_key,
    worker_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROUNDS = 20
POOL = 3
FACTORY = "hanging_release_worker"


@pytest.mark.stress
@pytest.mark.slow
async def test_an_event_survives_its_consumer_being_killed_20_times(
    bus_redis: Redis, bus_settings: Settings, workers: Workers
) -> None:
    live = {
        process.pid: process
        for process in (workers.start(bus_settings, FACTORY) for _ in range(POOL))
    }
    for pid in live:
        await eventually(
            lambda pid=pid: worker_ready(bus_redis, bus_settings, pid), "a worker to start", 60
        )
    published = []

    for _ in range(ROUNDS):
        event = approval()
        published.append(event)
        await publish(bus_redis, bus_settings, event)
        taken_by = await eventually(
            lambda event=event: bus_redis.get(started_key(bus_settings, event)),
            "a worker to take it",
        )
        victim = live.pop(int(taken_by))
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        replacement = workers.start(bus_settings, FACTORY)
        live[replacement.pid] = replacement
        outputs = await eventually(
            lambda event=event: outputs_for(bus_redis, bus_settings, event), "a survivor's output"
        )
        assert len(outputs) == 1
        assert outputs[0].causation_id == event.event_id

    for event in published:
        assert len(await outputs_for(bus_redis, bus_settings, event)) == 1
    assert await bus_redis.xlen(bus_settings.stream("releases")) == ROUNDS
    assert (await bus_redis.xpending(bus_settings.stream("approvals"), "release"))["pending"] == 0
    assert all(process.poll() is None for process in live.values())
    assert isinstance(victim, subprocess.Popen)
