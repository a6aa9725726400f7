"""Bus figures: 20k small events, group read -> handler -> commit, the helper vs raw redis-py.

Run:
    .venv/bin/python bench/bus_throughput.py              # 20k events, best of 2 runs per path
    .venv/bin/python bench/bus_throughput.py --events 5000 --repeat 1

Uses the Redis at DRIFTWATCH_REDIS_URL when it answers, else an embedded Valkey; every run has its
own stream prefix and deletes its keys. Events are published first (pipelined XADD, timed apart),
then each path drains the group. Figures: events/s (wall clock) and CPU microseconds per event of
this process (steadier than wall time on a shared machine). Paths:

  helper per-event   ``consumer_app`` (FastStream) with max_records=1 and 10: per event a handler
                     call and a commit (WATCH+MGET marker, MULTI{SET marker, XACK}).
  raw per-event      redis-py loop: XREADGROUP COUNT 1, parse_event, MGET marker,
                     MULTI{SET marker, XACK}; the same effect-once protocol without WATCH.
  helper batch       ``consumer_app(batch=True, max_records=500)``: one commit per 500.
  raw batch          redis-py loop: XREADGROUP COUNT 500, parse each, MGET, one MULTI/EXEC.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis

from driftwatch.bus.consumer import HandlerContext, consumer_app
from driftwatch.bus.publish import connect, publish
from driftwatch.bus.server import redis_answers, start_embedded
from driftwatch.bus.topology import declare_topology
from driftwatch.bus.wire import entry_fields, entry_payload
from driftwatch.contracts.events import Event, PlanApproved, parse_event
from driftwatch.settings import Settings

GROUP = "release"
PUBLISH_CHUNK = 500

Path = Callable[[Settings, int], Awaitable[tuple[float, float]]]
"""Runs a path over ``count`` events; returns (wall seconds, CPU seconds)."""


def events(count: int) -> list[PlanApproved]:
    plan = uuid.uuid4()
    return [PlanApproved(plan_id=plan, who="bench") for _ in range(count)]


async def fill(redis: Redis, settings: Settings, count: int) -> None:
    """Publish ``count`` events to the approvals stream in pipelined chunks."""
    stream = settings.stream("approvals")
    batch = events(count)
    for start in range(0, count, PUBLISH_CHUNK):
        async with redis.pipeline(transaction=False) as pipe:
            for event in batch[start : start + PUBLISH_CHUNK]:
                pipe.xadd(stream, entry_fields(event))
            await pipe.execute()


async def drained(redis: Redis, settings: Settings) -> bool:
    groups = await redis.xinfo_groups(settings.stream("approvals"))
    (info,) = [group for group in groups if group["name"] == GROUP.encode()]
    return info["lag"] == 0 and info["pending"] == 0


def helper(batch: bool, max_records: int) -> Path:
    async def run(settings: Settings, count: int) -> tuple[float, float]:
        redis = connect(settings)
        await declare_topology(redis, settings)
        await fill(redis, settings, count)
        handled = 0
        all_handled = asyncio.Event()

        async def handler(event: PlanApproved, ctx: HandlerContext) -> Sequence[Event]:
            nonlocal handled
            handled += 1
            if handled == count:
                all_handled.set()
            return ()

        app = consumer_app(
            settings, GROUP, {PlanApproved: handler}, batch=batch, max_records=max_records
        )
        began, cpu = time.perf_counter(), time.process_time()
        async with app:
            await all_handled.wait()
            while not await drained(redis, settings):  # the last commit may still be in flight
                await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - began, time.process_time() - cpu
        await redis.aclose()
        return elapsed

    return run


def raw(count_per_read: int) -> Path:
    async def run(settings: Settings, count: int) -> tuple[float, float]:
        redis = connect(settings)
        await declare_topology(redis, settings)
        await fill(redis, settings, count)
        stream = settings.stream("approvals")
        ttl = settings.handled_marker_ttl_s
        done = 0
        began, cpu = time.perf_counter(), time.process_time()
        while done < count:
            reply = await redis.xreadgroup(
                GROUP, "raw", {stream: ">"}, count=count_per_read, block=1000
            )
            entries = reply[0][1] if reply else []
            parsed = [
                (entry_id, parse_event(entry_payload(fields))) for entry_id, fields in entries
            ]
            keys = [f"{settings.stream_prefix}:handled:{GROUP}:{e.event_id}" for _, e in parsed]
            seen = await redis.mget(keys) if keys else []
            async with redis.pipeline(transaction=True) as pipe:
                for key, already in zip(keys, seen, strict=True):
                    if already is None:
                        pipe.set(key, "raw", ex=ttl)
                pipe.xack(stream, GROUP, *[entry_id for entry_id, _ in parsed])
                await pipe.execute()
            done += len(parsed)
        elapsed = time.perf_counter() - began, time.process_time() - cpu
        await redis.aclose()
        return elapsed

    return run


async def publish_rate(settings: Settings, count: int) -> float:
    """Events per second through ``publish()``, one awaited XADD after another."""
    redis = connect(settings)
    batch = events(count)
    began = time.perf_counter()
    for event in batch:
        await publish(redis, settings, event)
    elapsed = time.perf_counter() - began
    await redis.aclose()
    return count / elapsed


async def cleanup(settings: Settings) -> None:
    redis = connect(settings)
    keys = [
        key async for key in redis.scan_iter(match=f"{settings.stream_prefix}[.:]*", count=1000)
    ]
    for start in range(0, len(keys), 1000):
        await redis.delete(*keys[start : start + 1000])
    await redis.aclose()


async def best_of(base: Settings, path: Path, count: int, repeat: int) -> tuple[float, float]:
    """Best events/s and best CPU microseconds per event over ``repeat`` runs."""
    rate, cpu_us = 0.0, float("inf")
    for _ in range(repeat):
        settings = base.model_copy(update={"stream_prefix": f"bench-{uuid.uuid4().hex[:10]}"})
        try:
            wall_s, cpu_s = await path(settings, count)
        finally:
            await cleanup(settings)
        rate, cpu_us = max(rate, count / wall_s), min(cpu_us, cpu_s / count * 1e6)
    return rate, cpu_us


async def main(count: int, repeat: int, base: Settings) -> None:
    paths: dict[str, Path] = {
        "helper per-event (max_records=1)": helper(batch=False, max_records=1),
        "helper per-event (max_records=10)": helper(batch=False, max_records=10),
        "raw per-event (COUNT 1)": raw(1),
        "helper batch (max_records=500)": helper(batch=True, max_records=500),
        "raw batch (COUNT 500)": raw(500),
    }
    figures = {name: await best_of(base, path, count, repeat) for name, path in paths.items()}
    settings = base.model_copy(update={"stream_prefix": f"bench-{uuid.uuid4().hex[:10]}"})
    try:
        published = await publish_rate(settings, min(count, 5000))
    finally:
        await cleanup(settings)

    print(f"{count} events per path, best of {repeat}; Redis {base.redis_url}")
    print(f"{'path':<36} {'events/s':>10} {'CPU us/event':>13}")
    for name, (rate, cpu_us) in figures.items():
        print(f"{name:<36} {rate:>10,.0f} {cpu_us:>13,.0f}")
    print(f"{'publish() one by one':<36} {published:>10,.0f}")
    for label, helper_path, raw_path in (
        (
            "per-event (max_records=1)",
            "helper per-event (max_records=1)",
            "raw per-event (COUNT 1)",
        ),
        (
            "per-event (max_records=10)",
            "helper per-event (max_records=10)",
            "raw per-event (COUNT 1)",
        ),
        ("batch", "helper batch (max_records=500)", "raw batch (COUNT 500)"),
    ):
        (helper_rate, helper_cpu), (raw_rate, raw_cpu) = figures[helper_path], figures[raw_path]
        print(
            f"helper/raw {label:<27} rate {helper_rate / raw_rate:.2f}"
            f"  CPU per event {helper_cpu / raw_cpu:.2f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = Settings()
    server = None
    if not redis_answers(base.redis_url):
        server = start_embedded()
        base = base.model_copy(update={"redis_url": server.connection_url + "/0"})
    try:
        asyncio.run(main(args.events, args.repeat, base))
    finally:
        if server is not None:
            server.stop()
