"""The consumer helper on a real Redis: one effect per event, poison, retries, atomic writes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence

import httpx
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from driftwatch.bus.consumer import Consumer, Delivery, HandlerContext, Outcome, consumer_app
from driftwatch.bus.deadletter import DeadLetter
from driftwatch.bus.publish import publish
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import Event, PlanApproved, PlanRejected
from driftwatch.settings import Settings
from tests.fixtures.bus import approval, decided, eventually, free_port, outputs_for

pytestmark = pytest.mark.integration

GROUP = "release"


class Recorder:
    """A ``release`` handler that answers PlanApproved and remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[uuid.UUID, int]] = []

    async def __call__(self, event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        self.calls.append((event.event_id, ctx.delivery_count))
        if event.who == "boom":
            raise RuntimeError("this handler always fails on boom")
        return [decided(event)]


@pytest.fixture
async def consumer(bus_settings: Settings, bus_redis: Redis) -> AsyncIterator[Consumer]:
    """A ``release`` Consumer with a Recorder, driven directly (no FastStream)."""
    handled = Consumer(bus_settings, GROUP, {PlanApproved: Recorder()}, redis=bus_redis)
    await handled.open()
    yield handled
    await handled.close()


async def _read(redis: Redis, settings: Settings, name: str) -> Delivery:
    reply = await redis.xreadgroup(GROUP, name, {settings.stream("approvals"): ">"}, count=1)
    ((stream, ((entry_id, fields),)),) = reply
    return Delivery(stream.decode(), entry_id.decode(), entry_payload(fields), name)


async def _pending(redis: Redis, settings: Settings) -> int:
    return int((await redis.xpending(settings.stream("approvals"), GROUP))["pending"])


async def _all_acked(redis: Redis, settings: Settings) -> bool:
    groups = await redis.xinfo_groups(settings.stream("approvals"))
    (info,) = [group for group in groups if group["name"] == GROUP.encode()]
    return info["lag"] == 0 and info["pending"] == 0


async def _deadletters(redis: Redis, settings: Settings) -> list[DeadLetter]:
    entries = await redis.xrange(settings.stream("deadletter"))
    return [DeadLetter.from_fields(fields) for _, fields in entries]


def _count(name: str) -> float:
    return REGISTRY.get_sample_value(f"driftwatch_{name}_total", {"consumer": GROUP}) or 0.0


async def test_a_redelivered_event_is_acked_without_a_second_effect(
    consumer: Consumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    event = approval()
    await publish(bus_redis, bus_settings, event)
    delivery = await _read(bus_redis, bus_settings, "replica-a")

    first = await consumer.handle(delivery)
    again = await consumer.handle(delivery)

    assert (first, again) == (Outcome.HANDLED, Outcome.DUPLICATE)
    assert len(await outputs_for(bus_redis, bus_settings, event)) == 1
    assert await bus_redis.get(consumer.marker_key(event.event_id)) == b"replica-a"
    assert await _pending(bus_redis, bus_settings) == 0


async def test_the_same_event_published_twice_is_handled_once_by_the_app(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    recorder = Recorder()
    event = approval()
    duplicates_before = _count("events_duplicates")

    async with consumer_app(bus_settings, GROUP, {PlanApproved: recorder}):
        await publish(bus_redis, bus_settings, event)
        await publish(bus_redis, bus_settings, event)
        await eventually(lambda: _all_acked(bus_redis, bus_settings), "both entries acked")

    assert [event_id for event_id, _ in recorder.calls] == [event.event_id]
    assert len(await outputs_for(bus_redis, bus_settings, event)) == 1
    assert _count("events_duplicates") == duplicates_before + 1


async def test_the_replica_that_commits_second_only_acks(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    """A claimer took the event from a slow replica: both ran the handler, one output results."""
    slow_started, release_slow = asyncio.Event(), asyncio.Event()

    async def slow(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        slow_started.set()
        await release_slow.wait()
        return [decided(event)]

    async def fast(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        return [decided(event)]

    slow_replica = Consumer(bus_settings, GROUP, {PlanApproved: slow}, redis=bus_redis)
    fast_replica = Consumer(bus_settings, GROUP, {PlanApproved: fast}, redis=bus_redis)
    await slow_replica.open()
    event = approval()
    await publish(bus_redis, bus_settings, event)
    delivery = await _read(bus_redis, bus_settings, "slow")

    slow_outcome = asyncio.create_task(slow_replica.handle(delivery))
    await slow_started.wait()
    fast_outcome = await fast_replica.handle(
        Delivery(**{**_fields(delivery), "consumer_name": "fast"})
    )
    release_slow.set()

    assert (fast_outcome, await slow_outcome) == (Outcome.HANDLED, Outcome.DUPLICATE)
    assert len(await outputs_for(bus_redis, bus_settings, event)) == 1


def _fields(delivery: Delivery) -> dict[str, object]:
    return {name: getattr(delivery, name) for name in Delivery.__dataclass_fields__}


async def test_poison_is_deadlettered_and_the_next_good_event_is_served(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    recorder = Recorder()
    approvals = bus_settings.stream("approvals")
    wrong_version = {**approval().model_dump(mode="json"), "schema_version": 2}
    boom = PlanApproved(plan_id=uuid.uuid4(), who="boom")
    unhandled = PlanRejected(plan_id=uuid.uuid4(), who="bob")
    good = approval()

    async with consumer_app(bus_settings, GROUP, {PlanApproved: recorder}):
        await bus_redis.xadd(approvals, {"__data__": b"\x00 not json"})
        await bus_redis.xadd(approvals, {"something": "else"})
        await bus_redis.xadd(approvals, {"__data__": json.dumps({"event_type": "Nope"})})
        await bus_redis.xadd(approvals, {"__data__": json.dumps(wrong_version)})
        await publish(bus_redis, bus_settings, unhandled)
        await publish(bus_redis, bus_settings, boom)
        await publish(bus_redis, bus_settings, good)
        await eventually(lambda: outputs_for(bus_redis, bus_settings, good), "the good event")
        letters = await eventually(
            lambda: _at_least(6, _deadletters(bus_redis, bus_settings)), "six dead-letters"
        )
        await eventually(lambda: _all_acked(bus_redis, bus_settings), "everything acked")

    errors = [letter.error for letter in letters]
    assert errors[0].startswith("undecodable payload")
    assert errors[1].startswith("invalid event: ")
    assert letters[1].payload == '{"something": "else"}'
    assert "'Nope'" in errors[2]
    assert errors[3].startswith("unsupported schema version: PlanApproved schema_version 2")
    assert errors[4] == "group 'release' has no handler for this event type"
    assert letters[4].event_id == str(unhandled.event_id)
    assert errors[5].startswith("handler failed 3 times; last: RuntimeError")
    assert [letter.delivery_count for letter in letters] == [1, 1, 1, 1, 1, 3]
    assert {letter.consumer for letter in letters} == {GROUP}
    assert json.loads(letters[5].payload) == boom.model_dump(mode="json")
    assert [count for event_id, count in recorder.calls if event_id == boom.event_id] == [1, 2, 3]


async def _at_least(count: int, letters: Awaitable[list[DeadLetter]]) -> list[DeadLetter] | None:
    found = await letters
    return found if len(found) >= count else None


async def test_also_writes_commit_with_the_output_or_not_at_all(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    state_key = f"{bus_settings.stream_prefix}:state"

    async def stateful(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        ctx.also(lambda pipe: pipe.hset(state_key, event.who, str(event.plan_id)))
        if event.who == "broken":
            ctx.also(lambda pipe: pipe.hset(state_key, mapping={}))  # redis-py refuses this
        return [decided(event)]

    handled = Consumer(bus_settings, GROUP, {PlanApproved: stateful}, redis=bus_redis)
    await handled.open()
    good, broken = approval(), PlanApproved(plan_id=uuid.uuid4(), who="broken")
    await publish(bus_redis, bus_settings, good)
    await publish(bus_redis, bus_settings, broken)

    assert await handled.handle(await _read(bus_redis, bus_settings, "a")) == Outcome.HANDLED
    assert await handled.handle(await _read(bus_redis, bus_settings, "a")) == Outcome.FAILED

    assert await bus_redis.hgetall(state_key) == {b"tester": str(good.plan_id).encode()}
    assert await outputs_for(bus_redis, bus_settings, broken) == []
    assert await _pending(bus_redis, bus_settings) == 1


async def test_keep_alive_stops_a_claimer_from_taking_a_long_handler(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    recorder = Recorder()
    work_s = 4 * bus_settings.min_idle_ms / 1000

    async def long_handler(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
        async with ctx.keep_alive():
            await asyncio.sleep(work_s)  # the work itself: longer than min_idle, kept claimed
        return await recorder(event, ctx)

    event = approval()
    async with consumer_app(bus_settings, GROUP, {PlanApproved: long_handler}):
        await publish(bus_redis, bus_settings, event)
        await eventually(lambda: outputs_for(bus_redis, bus_settings, event), "the output")

    assert recorder.calls == [(event.event_id, 1)]


async def test_metrics_count_outcomes_by_consumer(
    consumer: Consumer, bus_redis: Redis, bus_settings: Settings
) -> None:
    before = {name: _count(name) for name in ("events_handled", "events_deadlettered")}
    await publish(bus_redis, bus_settings, approval())
    await bus_redis.xadd(bus_settings.stream("approvals"), {"__data__": "nope"})

    await consumer.handle(await _read(bus_redis, bus_settings, "a"))
    await consumer.handle(await _read(bus_redis, bus_settings, "a"))

    assert _count("events_handled") == before["events_handled"] + 1
    assert _count("events_deadlettered") == before["events_deadlettered"] + 1
    histogram = REGISTRY.get_sample_value(
        "driftwatch_event_handling_seconds_count", {"consumer": GROUP}
    )
    assert histogram is not None
    assert histogram >= 1


async def test_the_app_serves_its_metrics_when_a_port_is_set(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    settings = bus_settings.model_copy(update={"metrics_port": free_port()})
    event = approval()

    async with (
        consumer_app(settings, GROUP, {PlanApproved: Recorder()}),
        httpx.AsyncClient() as http,
    ):
        await publish(bus_redis, settings, event)
        await eventually(lambda: outputs_for(bus_redis, settings, event), "the output")
        page = await http.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")

    assert page.status_code == 200
    assert f'driftwatch_events_handled_total{{consumer="{GROUP}"}}' in page.text
    assert "driftwatch_event_handling_seconds_bucket" in page.text
