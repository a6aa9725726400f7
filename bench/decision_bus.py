"""The control plane in one process: the real consumers on a real Redis, pumped in turn.

Each consumer group (monitor, sentinel, planner, release) is a ``bus.consumer.Consumer`` with the
handlers its process registers, so every event crosses Redis Streams and goes through the same
decode / handled-marker / commit path as in ``driftwatch monitor run`` and ``driftwatch agent``.
The monitor's ``WindowCloser`` closes and re-scores windows with ``step()``. ``drain`` reads each
group's new entries until nothing moves, so a window's consequences (summary, incident, plan,
release) all land before the next window is served: the decisions are those of the running
stack with no time lost between processes. FastStream's polling is the one layer left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from driftwatch.agents.planner import Planner
from driftwatch.agents.policy_watch import PolicyWatch
from driftwatch.agents.release import Release
from driftwatch.agents.sentinel import Sentinel
from driftwatch.bus.handling import Consumer, Delivery, Outcome
from driftwatch.bus.publish import connect, publish
from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import Event, parse_event
from driftwatch.contracts.policy import policy_in_force
from driftwatch.monitor.closer import WindowCloser
from driftwatch.monitor.references import References
from driftwatch.monitor.scoring import ScoringContext
from driftwatch.monitor.service import monitor_handlers
from driftwatch.settings import Settings

READ_COUNT = 50
"""Entries read per group per turn."""
WATCHED = ("monitoring", "incidents", "plans", "releases")
"""Streams whose events the bench scores (the decisions, in order)."""


class HandlerFailed(RuntimeError):
    """A handler failed or dead-lettered an event: the bench stops rather than score a gap."""


class InProcessBus:
    """The monitor and the three agents of one stack, sharing one Redis client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: Redis = connect(settings)
        policy = settings.policy_path
        self.consumers = [
            Consumer(settings, "monitor", monitor_handlers(settings), redis=self.redis),
            Consumer(
                settings,
                "sentinel",
                Sentinel(settings, PolicyWatch("sentinel", policy)).handlers(),
                redis=self.redis,
            ),
            Consumer(
                settings,
                "planner",
                Planner(settings, PolicyWatch("planner", policy)).handlers(),
                redis=self.redis,
            ),
            Consumer(settings, "release", Release(settings).handlers(), redis=self.redis),
        ]
        context = ScoringContext.of(settings, policy_in_force(policy))
        self.closer = WindowCloser(self.redis, context, References(settings).get)
        self._seen = {settings.stream(name): "0-0" for name in WATCHED}

    async def open(self) -> None:
        for consumer in self.consumers:
            await consumer.open()

    async def close(self) -> None:
        """Delete every key of this stack's prefix (never anything else), then disconnect."""
        prefix = self.settings.stream_prefix
        keys = [key async for key in self.redis.scan_iter(match=f"{prefix}[.:]*", count=1000)]
        for start in range(0, len(keys), 500):
            await self.redis.delete(*keys[start : start + 500])
        await self.redis.aclose()

    async def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await publish(self.redis, self.settings, event)

    async def drain(self) -> None:
        """Run every group and the closer until no event moves.

        Raises:
            HandlerFailed: a handler raised or an event was dead-lettered.
        """
        while True:
            moved = 0
            for consumer in self.consumers:
                moved += await self._serve(consumer)
            moved += len(await self.closer.step())
            if not moved:
                return

    async def new_events(self) -> list[Event]:
        """Events published on the watched streams since the last call, stream by stream."""
        found: list[Event] = []
        for stream, last in self._seen.items():
            entries = await self.redis.xrange(stream, min=f"({last}")
            for entry_id, fields in entries:
                found.append(parse_event(entry_payload(fields)))
                self._seen[stream] = entry_id.decode()
        return found

    async def _serve(self, consumer: Consumer) -> int:
        streams = dict.fromkeys(consumer.streams, ">")
        reply = await self.redis.xreadgroup(consumer.group, consumer.name, streams, READ_COUNT)
        handled = 0
        for stream, entries in reply or []:
            for entry_id, fields in entries:
                delivery = Delivery(
                    stream=stream.decode(),
                    message_id=entry_id.decode(),
                    payload=entry_payload(fields),
                    consumer_name=consumer.name,
                )
                outcome = await consumer.handle(delivery)
                if outcome in (Outcome.FAILED, Outcome.DEADLETTERED):
                    raise HandlerFailed(f"{consumer.group} could not handle {delivery.message_id}")
                handled += 1
        return handled
