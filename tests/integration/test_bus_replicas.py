"""Two replicas of one consumer group split the work, and no event is handled twice."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis

from driftwatch.bus.consumer import HandlerContext, consumer_app
from driftwatch.bus.publish import publish
from driftwatch.contracts.events import Event, PlanApproved
from driftwatch.settings import Settings
from tests.fixtures.bus import approval, decided, eventually

pytestmark = pytest.mark.integration

EVENTS = 200


async def test_two_replicas_share_a_group_without_handling_an_event_twice(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    handled_by: list[tuple[uuid.UUID, str]] = []

    async def handler(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        handled_by.append((event.event_id, ctx.consumer_name))
        return [decided(event)]

    first = consumer_app(bus_settings, "release", {PlanApproved: handler}, max_records=1)
    second = consumer_app(bus_settings, "release", {PlanApproved: handler}, max_records=1)
    published = [approval() for _ in range(EVENTS)]
    releases = bus_settings.stream("releases")

    async with first, second:
        for event in published:
            await publish(bus_redis, bus_settings, event)
        await eventually(lambda: _all_answered(bus_redis, releases), f"{EVENTS} outputs")

    per_event = Counter(event_id for event_id, _ in handled_by)
    per_replica = Counter(name for _, name in handled_by)
    assert set(per_event) == {event.event_id for event in published}
    assert set(per_event.values()) == {1}
    assert len(per_replica) == 2
    assert min(per_replica.values()) > EVENTS // 10
    assert await bus_redis.xlen(releases) == EVENTS


async def _all_answered(redis: Redis, releases: str) -> bool:
    return await redis.xlen(releases) >= EVENTS
