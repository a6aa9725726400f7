"""Effect once over at-least-once delivery: the handling path every bus consumer runs.

For each delivery: decode it at the edge (bad payloads are dead-lettered at once), skip it if the
group's handled marker for its ``event_id`` is set, run the handler, then commit in ONE MULTI/EXEC:
XADD the handler's output events, the writes it queued with ``ctx.also``, SET the marker, XACK.
The markers are WATCHed from the check to the commit, so a replica that handled the same event
meanwhile (a claimer that took it from a slow handler) makes our commit turn into a plain ack:
one output, whoever finishes second. A handler that raises leaves the delivery pending for a
claimer; after ``max_deliveries`` it is dead-lettered. Lost Redis connections are retried with
backoff; nothing here raises into the caller for one bad message.

``Consumer`` has no FastStream in it, so tests and benches drive it directly; ``consumer_app``
wires it to FastStream subscribers for the real processes.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError, WatchError
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from driftwatch.bus.deadletter import deadletter_fields
from driftwatch.bus.delivery import (
    Delivery,
    Handler,
    HandlerContext,
    Outcome,
    PipelineOp,
    Refused,
    Watched,
)
from driftwatch.bus.metrics import BusMetrics, bus_metrics
from driftwatch.bus.publish import LINK_ERRORS, connect, event_stream
from driftwatch.bus.topology import DEADLETTER, declare_topology, group_streams
from driftwatch.bus.wire import describe_parse_error, entry_fields
from driftwatch.contracts.events import Event, parse_event
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

OUTAGE_RETRY_S = 60.0
"""How long one commit waits for Redis before giving up; the delivery then stays pending."""


@dataclass(slots=True)
class _Item:
    delivery: Delivery
    event: Event | None = None
    outcome: Outcome | None = None
    error: str | None = None
    outputs: tuple[Event, ...] = ()
    ops: list[PipelineOp] = field(default_factory=list)
    started: float = 0.0
    raised: bool = False


class WatchedKeyChanged(Exception):
    """A key a handler watched (``ctx.watch``) no longer held its value at the commit."""

    def __init__(self, key: str, value: bytes | None) -> None:
        held = "nothing" if value is None else "another holder's value"
        super().__init__(f"{key} holds {held}: work redone on what the other holder wrote")
        self.key = key


class _OpFailed(Exception):
    def __init__(self, item: _Item, error: Exception) -> None:
        super().__init__(str(error))
        self.item = item
        self.error = error


def default_consumer_name(group: str) -> str:
    """``group@host:pid:xxxxxx``: unique per replica, readable in XINFO CONSUMERS."""
    return f"{group}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Consumer:
    """The handling path of one consumer group replica, independent of FastStream."""

    def __init__(
        self,
        settings: Settings,
        group: str,
        handlers: Mapping[type[Event], Handler],
        *,
        name: str | None = None,
        redis: Redis | None = None,
        metrics: BusMetrics | None = None,
    ) -> None:
        """Check the handlers against the topology; connect later, in ``open``.

        Args:
            settings: where the bus is and its limits.
            group: a consumer group of ``topology.GROUPS``.
            handlers: event class -> handler; each class must be on one of the group's streams.
            name: this replica's Redis consumer name (default: unique per process).
            redis: a client to use instead of one built from settings (the caller closes it).
            metrics: where to count (default: the process-wide ``bus_metrics()``).

        Raises:
            ValueError: unknown group, or a handler for an event the group never reads.
        """
        streams = group_streams(group)
        for event_class in handlers:
            if event_class.STREAM not in streams:
                raise ValueError(
                    f"group {group!r} reads {', '.join(streams)}; "
                    f"{event_class.__name__} is published to {event_class.STREAM!r}"
                )
        self.settings = settings
        self.group = group
        self.name = name or default_consumer_name(group)
        self.claimer_name = f"{self.name}.claimer"
        self.streams = tuple(settings.stream(stream) for stream in streams)
        self._handlers = {cls.__name__: handler for cls, handler in handlers.items()}
        self._redis = redis
        self._owns_redis = redis is None
        self._metrics = (metrics or bus_metrics()).of(group)

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("Consumer.open() has not run")
        return self._redis

    async def open(self) -> None:
        """Connect, waiting for Redis with backoff, and declare the topology."""
        if self._redis is None:
            self._redis = connect(self.settings)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(LINK_ERRORS),
            wait=wait_random_exponential(multiplier=0.2, max=5.0),
            before_sleep=before_sleep_log(logger, logging.WARNING),
        ):
            with attempt:
                await declare_topology(self.redis, self.settings)

    async def close(self) -> None:
        if self._redis is not None and self._owns_redis:
            await self._redis.aclose()
            self._redis = None

    def marker_key(self, event_id: uuid.UUID | str) -> str:
        """The key that says this group has handled ``event_id``."""
        return f"{self.settings.stream_prefix}:handled:{self.group}:{event_id}"

    async def handle(self, delivery: Delivery) -> Outcome:
        """Handle one delivery; see the module docstring."""
        (outcome,) = await self.handle_batch([delivery])
        return outcome

    async def handle_batch(self, deliveries: Sequence[Delivery]) -> list[Outcome]:
        """Handle deliveries one handler call each, and commit them all in one MULTI/EXEC."""
        items = [self._decode(delivery) for delivery in deliveries]
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                await self._with_redis(self._check_markers, pipe, items)
                for item in items:
                    if item.outcome is None:
                        await self._run_handler(item)
                await self._with_redis(self._commit, pipe, items)
        except (RedisError, OSError) as error:  # gone past OUTAGE_RETRY_S, or refusing writes
            logger.error("%s: Redis failed, leaving %d pending: %s", self.group, len(items), error)
            for item in items:
                item.outcome, item.error = Outcome.FAILED, f"Redis failed: {error}"
        self._account(items)
        return [item.outcome or Outcome.FAILED for item in items]

    def _decode(self, delivery: Delivery) -> _Item:
        item = _Item(delivery)
        try:
            item.event = parse_event(delivery.payload)
        except ValueError as error:  # ValidationError and UnsupportedSchemaVersion included
            return self._reject(item, describe_parse_error(error))
        if item.event.event_type not in self._handlers:
            return self._reject(item, f"group {self.group!r} has no handler for this event type")
        if delivery.delivery_count > self.settings.max_deliveries:
            return self._reject(
                item,
                f"delivered {delivery.delivery_count} times without completing "
                f"(max_deliveries={self.settings.max_deliveries})",
            )
        return item

    @staticmethod
    def _reject(item: _Item, error: str) -> _Item:
        item.outcome, item.error = Outcome.DEADLETTERED, error
        return item

    async def _with_redis(
        self,
        step: Callable[[Pipeline, list[_Item]], Awaitable[None]],
        pipe: Pipeline,
        items: list[_Item],
    ) -> None:
        """Run ``step``; if Redis is unreachable, retry it with backoff for OUTAGE_RETRY_S."""
        try:
            await step(pipe, items)
            return
        except LINK_ERRORS as error:
            logger.warning("%s: Redis unreachable (%s); retrying", self.group, error)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(LINK_ERRORS),
            wait=wait_random_exponential(multiplier=0.1, max=2.0),
            stop=stop_after_delay(OUTAGE_RETRY_S),
            before_sleep=before_sleep_log(logger, logging.WARNING),
            reraise=True,
        ):
            with attempt:
                await step(pipe, items)

    async def _check_markers(self, pipe: Pipeline, items: list[_Item]) -> None:
        """WATCH the markers of items still to handle, and mark those already set duplicates."""
        await pipe.reset()
        fresh = [item for item in items if item.outcome in (None, Outcome.HANDLED)]
        if not fresh:
            return
        keys = [self.marker_key(_event_of(item).event_id) for item in fresh]
        await pipe.watch(*keys)
        for item, seen in zip(fresh, await pipe.mget(keys), strict=True):
            if seen is not None:
                item.outcome, item.outputs, item.ops = Outcome.DUPLICATE, (), []

    async def _run_handler(self, item: _Item) -> None:
        event = _event_of(item)
        # three claim refreshes per idle period keep a long handler's delivery from claimers
        ctx = HandlerContext(self, item.delivery, self.settings.min_idle_ms / 3000)
        item.started = time.perf_counter()
        try:
            outputs = tuple(await self._handlers[event.event_type](event, ctx))
            for output in outputs:
                if not isinstance(output, Event):
                    raise TypeError(f"handler returned {type(output).__name__}, not an Event")
        except Refused as error:
            item.raised = True
            self._reject(item, f"refused: {error}")
            return
        except Exception as error:
            self._failed(item, error)
            return
        item.outcome, item.outputs, item.ops = Outcome.HANDLED, outputs, ctx.ops

    def _failed(self, item: _Item, error: Exception) -> None:
        attempt = item.delivery.delivery_count
        item.raised = True
        item.error = f"{type(error).__name__}: {error}"
        if attempt >= self.settings.max_deliveries:
            item.outcome = Outcome.DEADLETTERED
            item.error = f"handler failed {attempt} times; last: {item.error}"
        else:
            item.outcome = Outcome.FAILED
        logger.warning(
            "%s failed on %s (delivery %d of %d)",
            self.group,
            item.delivery.message_id,
            attempt,
            self.settings.max_deliveries,
            exc_info=error,
        )

    async def _commit(self, pipe: Pipeline, items: list[_Item]) -> None:
        """One MULTI/EXEC for the whole batch; re-checks markers whenever the WATCH broke."""
        while True:
            if not pipe.watching:
                await self._check_markers(pipe, items)
            await self._check_watched(pipe, items)
            if all(item.outcome is Outcome.FAILED for item in items):
                await pipe.reset()
                return
            pipe.multi()
            try:
                self._queue(pipe, items)
            except _OpFailed as failure:
                await pipe.reset()
                self._failed(failure.item, failure.error)
                continue
            try:
                results = await pipe.execute(raise_on_error=False)
            except WatchError:
                logger.info("%s: another replica handled part of this batch", self.group)
                continue
            self._report_partial(results)
            return

    async def _check_watched(self, pipe: Pipeline, items: list[_Item]) -> None:
        """WATCH the keys handlers named with ``ctx.watch``; fail items whose key changed.

        A failed item is not committed and stays pending (a claimer redoes it on fresh state),
        so a handler whose lock expired and was taken by another replica writes nothing, and
        the DEL of its lock queued in the commit never deletes the other replica's.
        """
        for item in items:
            watched = [op for op in item.ops if isinstance(op, Watched)]
            if item.outcome is not Outcome.HANDLED or not watched:
                continue
            keys = [w.key for w in watched]
            await pipe.watch(*keys)
            for w, value in zip(watched, await pipe.mget(keys), strict=True):
                if value != w.expected:
                    self._failed(item, WatchedKeyChanged(w.key, value))
                    break

    def _report_partial(self, results: list[object]) -> None:
        """Log commands of a committed transaction that Redis refused (it has no rollback)."""
        for result in results:
            if isinstance(result, ResponseError) and str(result).startswith("NOGROUP"):
                logger.info("%s: group vanished before the ack; its entries are gone", self.group)
            elif isinstance(result, Exception):
                logger.error("%s: a write of a committed batch failed: %s", self.group, result)

    def _queue(self, pipe: Pipeline, items: list[_Item]) -> None:
        acks: dict[str, list[str]] = defaultdict(list)
        maxlen = self.settings.stream_maxlen
        for item in items:
            if item.outcome is Outcome.FAILED:
                continue
            if item.outcome is Outcome.HANDLED:
                for output in item.outputs:
                    pipe.xadd(
                        event_stream(self.settings, output),
                        entry_fields(output),
                        maxlen=maxlen,
                        approximate=True,
                    )
                for op in item.ops:
                    try:
                        op(pipe)
                    except Exception as error:
                        raise _OpFailed(item, error) from error
                pipe.set(
                    self.marker_key(_event_of(item).event_id),
                    item.delivery.consumer_name,
                    ex=self.settings.handled_marker_ttl_s,
                )
            elif item.outcome is Outcome.DEADLETTERED:
                pipe.xadd(
                    self.settings.stream(DEADLETTER),
                    self._deadletter_entry(item),
                    maxlen=maxlen,
                    approximate=True,
                )
            acks[item.delivery.stream].append(item.delivery.message_id)
        for stream, ids in acks.items():
            pipe.xack(stream, self.group, *ids)

    def _deadletter_entry(self, item: _Item) -> dict[str, bytes | str]:
        delivery = item.delivery
        return deadletter_fields(
            payload=delivery.payload,
            error=item.error or "unknown",
            consumer=self.group,
            consumer_name=delivery.consumer_name,
            delivery_count=delivery.delivery_count,
            source_stream=delivery.stream,
            message_id=delivery.message_id,
            event_type=item.event.event_type if item.event else None,
            event_id=str(item.event.event_id) if item.event else None,
        )

    def _account(self, items: list[_Item]) -> None:
        done = time.perf_counter()
        metrics = self._metrics
        for item in items:
            if item.raised or item.outcome is Outcome.FAILED:
                metrics.failed.inc()
            if item.outcome is Outcome.HANDLED:
                metrics.handled.inc()
                metrics.handling_seconds.observe(done - item.started)
            elif item.outcome is Outcome.DUPLICATE:
                metrics.duplicates.inc()
            elif item.outcome is Outcome.DEADLETTERED:
                metrics.deadlettered.inc()
                logger.warning(
                    "%s dead-lettered %s from %s: %s",
                    self.group,
                    item.delivery.message_id,
                    item.delivery.stream,
                    item.error,
                )


def _event_of(item: _Item) -> Event:
    if item.event is None:
        raise RuntimeError("an undecoded delivery reached the handling path")
    return item.event
