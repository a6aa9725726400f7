"""What a consumer hands its handlers: the delivery, a context with hooks into the commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from driftwatch.contracts.events import Event
from driftwatch.settings import Settings

if TYPE_CHECKING:
    from driftwatch.bus.handling import Consumer

logger = logging.getLogger(__name__)

PipelineOp = Callable[[Pipeline], object]


class Outcome(StrEnum):
    """What became of one delivery."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    DEADLETTERED = "deadlettered"


class Refused(Exception):
    """Raised by a handler for an event it must never act on (an input outside the trust
    boundary, such as a dataset URI outside the data roots): the event is dead-lettered at once
    with this message as the reason, without retries, since redelivery cannot make it valid."""


@dataclass(frozen=True, slots=True)
class Watched:
    """A key the commit requires to still hold ``expected`` (``HandlerContext.watch``).

    It rides in ``HandlerContext.ops`` so that it travels, and is dropped, with the handler's
    writes. Called in the MULTI, it queues nothing: the consumer WATCHes the key and compares it
    before the MULTI, so a change after the comparison makes the EXEC fail.
    """

    key: str
    expected: bytes

    def __call__(self, pipe: Pipeline) -> None:
        """Queue nothing (the check is made before the MULTI)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One stream entry handed to a consumer.

    Attributes:
        stream: full stream name.
        message_id: the entry id.
        payload: the event bytes (``wire.entry_payload`` of the entry's fields).
        consumer_name: the Redis consumer holding the entry in the group's pending list.
        delivery_count: deliveries so far, this one included (1 for a fresh read).
    """

    stream: str
    message_id: str
    payload: bytes
    consumer_name: str
    delivery_count: int = 1


class HandlerContext:
    """What a handler gets beside its event: where it runs, and hooks into the commit.

    Attributes:
        settings: the consumer's settings.
        redis: the consumer's client, for reads (writes belong in ``also``).
        consumer: the consumer group name.
        consumer_name: the Redis consumer holding this delivery.
        stream: full name of the stream the event came from.
        message_id: its entry id.
        delivery_count: deliveries so far, this one included.
        ops: the writes queued with ``also`` and the keys ``watch``ed, in order.
    """

    def __init__(
        self, consumer: Consumer, delivery: Delivery, keep_alive_interval_s: float
    ) -> None:
        """Context of ``delivery`` in ``consumer``; ``keep_alive`` refreshes at the interval."""
        self.settings: Settings = consumer.settings
        self.redis: Redis = consumer.redis
        self.consumer: str = consumer.group
        self.consumer_name = delivery.consumer_name
        self.stream = delivery.stream
        self.message_id = delivery.message_id
        self.delivery_count = delivery.delivery_count
        self.ops: list[PipelineOp] = []
        self._keep_alive_interval_s = keep_alive_interval_s

    def also(self, op: PipelineOp) -> None:
        """Queue a Redis write for the commit, e.g. ``ctx.also(lambda p: p.hset(key, mapping=m))``.

        ``op`` is called with the MULTI pipeline, so the write happens atomically with the
        outputs, the handled marker and the ack, or not at all. It may be called again if the
        commit is retried, so it must only queue commands.
        """
        self.ops.append(op)

    def watch(self, key: str, expected: bytes) -> None:
        """Commit only while ``key`` holds ``expected``, e.g. a state lock this handler holds.

        The consumer WATCHes ``key`` from a comparison to the EXEC. When the key holds something
        else (the lock expired and another replica took it, or nobody holds it any more), this
        handler's outputs and writes are not committed and its delivery stays pending, so it is
        handled again on what the other replica wrote: a stale holder never overwrites state.
        """
        self.ops.append(Watched(key, expected))

    @asynccontextmanager
    async def keep_alive(self) -> AsyncIterator[None]:
        """Keep this delivery claimed while a long handler runs (XCLAIM ... JUSTID on a timer).

        Without it a claimer on another replica takes the delivery after ``min_idle_ms`` and
        does the same work again (harmless, but wasted on a retraining).
        """
        task = asyncio.create_task(self._refresh_claim())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _refresh_claim(self) -> None:
        while True:
            await asyncio.sleep(self._keep_alive_interval_s)
            try:
                await self.redis.xclaim(
                    self.stream,
                    self.consumer,
                    self.consumer_name,
                    min_idle_time=0,
                    message_ids=[self.message_id],
                    justid=True,
                )
            except RedisError as error:
                logger.warning("keep-alive of %s failed: %s", self.message_id, error)


Handler = Callable[[Event, HandlerContext], Awaitable[Sequence[Event]]]
"""Answers one event with the events it causes (``Event.caused_by``), possibly none."""
