"""Publishing against a real Redis: every event round-trips, and the topology is declared once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from redis.asyncio import Redis

from driftwatch.bus.publish import publish, publish_sync
from driftwatch.bus.topology import GROUPS, declare_topology
from driftwatch.bus.watch import watch
from driftwatch.contracts.events import EVENT_TYPES, STREAM_NAMES, AnyEvent, parse_event
from driftwatch.settings import Settings

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "v1"


def _fixture_events() -> list[AnyEvent]:
    return [
        parse_event(json.loads((FIXTURES / f"{name}.json").read_text())) for name in EVENT_TYPES
    ]


async def test_every_event_round_trips_through_its_stream(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    events = _fixture_events()

    for event in events:
        entry_id = await publish(bus_redis, bus_settings, event)
        stored = await bus_redis.xrange(
            bus_settings.stream(event.STREAM), min=entry_id, max=entry_id
        )
        ((_, fields),) = stored
        assert list(fields) == [b"__data__"]
        assert parse_event(fields[b"__data__"]) == event

    seen = [entry async for entry in watch(bus_redis, bus_settings, STREAM_NAMES, (0, 0))]
    # Entries of two streams written in one millisecond share an id: their order is a tie.
    stamps = [tuple(int(part) for part in entry.entry_id.split("-")) for entry in seen]
    assert stamps == sorted(stamps)
    by_id = {event.event_id: event for event in events}
    assert {entry.event.event_id: entry.event for entry in seen if entry.event} == by_id
    assert len(seen) == len(events)


async def test_publish_sync_writes_the_same_entry(bus_redis: Redis, bus_settings: Settings) -> None:
    event = _fixture_events()[-1]

    entry_id = publish_sync(bus_settings, event)

    ((_, fields),) = await bus_redis.xrange(
        bus_settings.stream("releases"), min=entry_id, max=entry_id
    )
    assert parse_event(fields[b"__data__"]) == event


async def test_streams_are_capped_near_maxlen(bus_redis: Redis, bus_settings: Settings) -> None:
    settings = bus_settings.model_copy(update={"stream_maxlen": 10})
    event = _fixture_events()[-1]

    for _ in range(500):
        await publish(bus_redis, settings, event)

    assert await bus_redis.xlen(settings.stream("releases")) < 250


async def test_topology_creates_every_group_at_zero_and_is_idempotent(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    early = _fixture_events()[0]
    await publish(bus_redis, bus_settings, early)

    await declare_topology(bus_redis, bus_settings)
    await declare_topology(bus_redis, bus_settings)

    for group, streams in GROUPS.items():
        for stream in streams:
            groups = await bus_redis.xinfo_groups(bus_settings.stream(stream))
            (info,) = [g for g in groups if g["name"].decode() == group]
            assert info["last-delivered-id"] == b"0-0"
    monitor = await bus_redis.xinfo_groups(bus_settings.stream("predictions"))
    assert monitor[0]["lag"] == 1  # the event published before the group existed is not skipped
