"""How the demos and ``control`` read the bus: events in order since a mark, and a quiet bus.

Real Redis, a stream prefix of the test's own; no processes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from driftwatch.bus.publish import publish_sync
from driftwatch.bus.topology import GROUPS
from driftwatch.contracts.events import AnyEvent, parse_event
from driftwatch.settings import Settings
from driftwatch.stack.chain import Follower, bus_is_quiet
from driftwatch.stack.events import last_entry_id, read_streams

pytestmark = [pytest.mark.integration]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "v1"


def event(name: str) -> AnyEvent:
    loaded = parse_event(json.loads((FIXTURES / f"{name}.json").read_text()))
    return loaded.model_copy(update={"event_id": uuid.uuid4()})


@pytest.fixture
def client(settings: Settings) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(settings.redis_url)
    try:
        yield connection
    finally:
        keys = list(connection.scan_iter(match=f"{settings.stream_prefix}[.:]*", count=500))
        if keys:
            connection.delete(*keys)
        connection.close()


def test_a_follower_reads_each_event_once_in_order_after_its_mark(
    settings: Settings, client: redis.Redis
) -> None:
    publish_sync(settings, event("DriftDetected"))  # before the mark: not the story's
    mark = last_entry_id(client, settings, ("incidents", "plans", "releases"))
    follower = Follower(client, settings, mark, ("incidents", "plans", "releases"))
    published = [event("DriftDetected"), event("PlanCreated"), event("ReleaseDecided")]
    for item in published:
        publish_sync(settings, item)

    first = follower.poll()
    publish_sync(settings, event("IncidentResolved"))
    second = follower.poll()

    assert [r.event.event_id for r in first] == [e.event_id for e in published]
    assert [r.event.event_type for r in second] == ["IncidentResolved"]
    assert follower.poll() == []
    assert len(follower.seen) == 4
    everything = read_streams(client, settings, ("incidents", "plans", "releases"))
    assert [r.entry_id for r in everything] == sorted(
        (r.entry_id for r in everything), key=lambda i: tuple(map(int, i.split("-")))
    )


def test_the_bus_is_quiet_only_when_every_group_read_and_acked_everything(
    settings: Settings, client: redis.Redis
) -> None:
    publish_sync(settings, event("PlanCreated"))
    plans = settings.stream("plans")
    for stream in GROUPS["release"]:
        client.xgroup_create(settings.stream(stream), "release", id="0", mkstream=True)
    for stream in GROUPS["audit"]:
        client.xgroup_create(settings.stream(stream), "audit", id="0", mkstream=True)

    assert not bus_is_quiet(client, settings, ["release"])  # unread
    read = client.xreadgroup("release", "r1", {plans: ">"})
    entry_id = read[0][1][0][0]
    assert not bus_is_quiet(client, settings, ["release"])  # read, still pending
    client.xack(plans, "release", entry_id)
    assert bus_is_quiet(client, settings, ["release"])
    assert not bus_is_quiet(client, settings, ["release", "audit"])  # audit has not read it
