"""The monitor process: the ``monitor`` consumer group's handlers plus the window closer.

The handlers only persist: a ``PredictionBatch``'s rows and a ``LabelFeedback``'s labels go into
Redis inside the bus helper's commit, atomically with the handled marker and the XACK, so a
restart loses no row and a redelivery adds none. The ``WindowCloser`` task, started with the
app, turns complete windows into ``MonitoringSummary`` events (see ``closer``).

Run it with ``driftwatch monitor run`` or
``faststream run --factory driftwatch.monitor.service:create_app``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import suppress

from faststream import FastStream

from driftwatch.bus.consumer import Handler, HandlerContext, consumer_app
from driftwatch.bus.publish import connect
from driftwatch.contracts.events import Event, LabelFeedback, PredictionBatch
from driftwatch.contracts.policy import policy_in_force
from driftwatch.monitor.assess import Reference
from driftwatch.monitor.closer import WindowCloser
from driftwatch.monitor.references import References
from driftwatch.monitor.scoring import ScoringContext
from driftwatch.monitor.windows import ModelVersion, WindowStore, encode_rows
from driftwatch.settings import Settings

GROUP = "monitor"


class ForeignModel(ValueError):
    """A batch of a model this monitor has no registry entry for; it ends up dead-lettered."""


def monitor_handlers(settings: Settings) -> dict[type[Event], Handler]:
    """The monitor group's handlers: persist rows and labels in the commit, publish nothing."""

    async def on_predictions(event: Event, ctx: HandlerContext) -> Sequence[Event]:
        if not isinstance(event, PredictionBatch):
            raise TypeError(f"expected a PredictionBatch, got {event.event_type}")
        if event.model_name != settings.model_name:
            raise ForeignModel(
                f"batch of model {event.model_name!r}; this monitor watches {settings.model_name!r}"
            )
        store = WindowStore(ctx.redis, settings)
        mv = ModelVersion(event.model_name, event.model_version)
        rows = encode_rows(event, arrived=time.time())
        ctx.also(lambda pipe: store.queue_rows(pipe, mv, rows))
        return ()

    async def on_labels(event: Event, ctx: HandlerContext) -> Sequence[Event]:
        if not isinstance(event, LabelFeedback):
            raise TypeError(f"expected a LabelFeedback, got {event.event_type}")
        store = WindowStore(ctx.redis, settings)
        ctx.also(lambda pipe: store.queue_labels(pipe, event))
        return ()

    return {PredictionBatch: on_predictions, LabelFeedback: on_labels}


def create_app(
    settings: Settings | None = None,
    *,
    name: str | None = None,
    references: Callable[[str], Reference] | None = None,
) -> FastStream:
    """One monitor replica: the consumer and, beside it, the closer task.

    Args:
        settings: the bus, registry and window sizes; default: from the environment.
        name: this replica's Redis consumer name (default: unique per process).
        references: version -> its reference; default: the registry's (``References``).

    Raises:
        PolicyError: the policy file is unusable at start.
    """
    settings = settings or Settings()
    context = ScoringContext.of(settings, policy_in_force(settings.policy_path))
    app = consumer_app(settings, GROUP, monitor_handlers(settings), name=name)
    reference_of = references or References(settings).get
    stop = asyncio.Event()
    running: list[asyncio.Task[None]] = []

    async def start_closer() -> None:
        redis = connect(settings)
        closer = WindowCloser(redis, context, reference_of)
        stop.clear()

        async def run() -> None:
            try:
                await closer.run(stop)
            finally:
                await redis.aclose()

        running.append(asyncio.create_task(run(), name="monitor-closer"))

    async def stop_closer() -> None:
        stop.set()
        while running:
            task = running.pop()
            with suppress(asyncio.CancelledError):
                await task

    app.after_startup(start_closer)
    app.on_shutdown(stop_closer)
    return app
