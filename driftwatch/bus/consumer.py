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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from faststream import AckPolicy, FastStream, StreamMessage
from faststream.redis import StreamSub
from faststream.redis.message import RedisBatchStreamMessage, RedisStreamMessage

from driftwatch.bus.broker import make_broker
from driftwatch.bus.delivery import Delivery, Handler, HandlerContext, Outcome, Refused
from driftwatch.bus.handling import Consumer
from driftwatch.bus.metrics import MetricsServer, serve_metrics
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import Event
from driftwatch.settings import Settings

__all__ = [
    "Consumer",
    "Delivery",
    "Handler",
    "HandlerContext",
    "Outcome",
    "Refused",
    "consumer_app",
]

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
    # No dependency injection: each subscriber function gets the FastStream message itself (the
    # decoder hands it over as the "body"), which saves FastStream's per-message DI work.
    broker = make_broker(settings, log_level=logging.DEBUG, apply_types=False)
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
        options: dict[str, Any] = {
            "ack_policy": AckPolicy.MANUAL,
            "parser": _shallow_parser,
            "decoder": _message_itself,
            "no_reply": True,
        }
        broker.subscriber(stream=reader, **options)(on_fresh_batch if batch else on_fresh)
        broker.subscriber(stream=claimer, **options)(on_claimed)

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


async def _shallow_parser(
    raw: Mapping[str, Any], original: Callable[[Mapping[str, Any]], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's message built from the entry ids alone; the ``Consumer`` parses the fields.

    FastStream would otherwise try its own envelope on every body (two failed ``json.loads`` of
    a plain-JSON event) and decode it once more, all thrown away: costly on large batches.
    """
    message = await original({**raw, "data": [] if isinstance(raw["data"], list) else {}})
    message.raw_message = raw
    return message


def _message_itself(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """The "decoded body" handed to subscriber functions: the message with its raw entry."""
    return message


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
