"""``consumer_app``: a consumer group replica as a FastStream application.

Per stream of the group, two subscribers call the same ``Consumer``: one reads new entries
(XREADGROUP ``>``, small ``max_records`` so a crash strands little), and a claimer with its own
consumer name and ``min_idle_time`` takes over entries another replica left pending, because
FastStream never retries a failed entry itself (FIELD-NOTES). Both acknowledge manually: the
ack is part of the ``Consumer``'s commit.

Run one with ``faststream run --factory module:create_app`` or ``await app.run()``; tests may use
``async with app:``. Startup waits for Redis and declares the topology before the broker starts;
the broker (``make_broker``) re-creates a group that vanishes under it, so a Redis restarted
empty does not stop the app.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from faststream import AckPolicy, FastStream
from faststream.redis import RedisBatchStreamMessage, RedisStreamMessage, StreamSub

from driftwatch.bus.broker import make_broker
from driftwatch.bus.handling import Consumer, Delivery, Handler, HandlerContext, Outcome
from driftwatch.bus.metrics import MetricsServer, serve_metrics
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import Event
from driftwatch.settings import Settings

__all__ = ["Consumer", "Delivery", "Handler", "HandlerContext", "Outcome", "consumer_app"]

READ_BLOCK_MS = 1000
"""XREADGROUP BLOCK of the readers: returns at once when entries arrive, idles cheaply."""


def consumer_app(
    settings: Settings,
    group: str,
    handlers: Mapping[type[Event], Handler],
    *,
    name: str | None = None,
    batch: bool = False,
    max_records: int | None = None,
) -> FastStream:
    """A FastStream app running one replica of ``group`` with ``handlers``.

    Args:
        settings: the bus to use and its limits (``min_idle_ms``, ``max_deliveries``, ...).
        group: a consumer group of ``topology.GROUPS``; the app reads the group's streams.
        handlers: event class -> handler. An event on the group's streams with no handler
            here is dead-lettered.
        name: this replica's Redis consumer name (default: unique per process).
        batch: read up to ``max_records`` entries per call and commit them in one MULTI/EXEC
            (for high-volume streams); handlers are still called once per event.
        max_records: XREADGROUP COUNT (default ``settings.consumer_max_records``).
    """
    consumer = Consumer(settings, group, handlers, name=name)
    broker = make_broker(settings, log_level=logging.DEBUG)
    count = max_records or settings.consumer_max_records

    async def on_fresh(message: RedisStreamMessage) -> None:
        await consumer.handle(_delivery(message.raw_message, consumer.name, 1))

    async def on_fresh_batch(message: RedisBatchStreamMessage) -> None:
        raw = message.raw_message
        await consumer.handle_batch(
            [
                Delivery(raw["channel"], _text(entry_id), entry_payload(fields), consumer.name)
                for entry_id, fields in zip(raw["message_ids"], raw["data"], strict=True)
            ]
        )

    async def on_claimed(message: RedisStreamMessage) -> None:
        deliveries = await message.get_delivery_count()
        await consumer.handle(_delivery(message.raw_message, consumer.claimer_name, deliveries))

    for stream in consumer.streams:
        reader = StreamSub(
            stream,
            group=group,
            consumer=consumer.name,
            batch=batch,
            max_records=count,
            polling_interval=READ_BLOCK_MS,
        )
        claimer = StreamSub(
            stream,
            group=group,
            consumer=consumer.claimer_name,
            min_idle_time=settings.min_idle_ms,
            polling_interval=settings.claim_interval_ms,
        )
        broker.subscriber(stream=reader, ack_policy=AckPolicy.MANUAL)(
            on_fresh_batch if batch else on_fresh
        )
        broker.subscriber(stream=claimer, ack_policy=AckPolicy.MANUAL)(on_claimed)

    metrics_server: list[MetricsServer] = []

    async def open_resources() -> None:
        await consumer.open()
        server = serve_metrics(settings)
        if server is not None:
            metrics_server.append(server)

    async def close_resources() -> None:
        await consumer.close()
        while metrics_server:
            metrics_server.pop().close()

    return FastStream(broker, on_startup=[open_resources], after_shutdown=[close_resources])


def _delivery(raw: Mapping[str, Any], consumer_name: str, delivery_count: int) -> Delivery:
    (entry_id,) = raw["message_ids"]
    return Delivery(
        stream=raw["channel"],
        message_id=_text(entry_id),
        payload=entry_payload(raw["data"]),
        consumer_name=consumer_name,
        delivery_count=delivery_count,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
