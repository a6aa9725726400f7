"""The prediction API: ``create_app`` builds it, its lifespan owns every client and task.

Nothing connects or loads at import time. Start-up never waits for Redis or the registry: the
model loads in the background (``/health/ready`` answers 503 until it has), and a Redis outage
only costs published rows, never a prediction.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from driftwatch.bus.publish import connect
from driftwatch.bus.topology import declare_topology
from driftwatch.serving.batch_publisher import PUBLISH_TIMEOUT_S, BatchPublisher
from driftwatch.serving.deps import Serving
from driftwatch.serving.errors import undecodable_body_handler, validation_error_handler
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.serving.microbatch import MicroBatcher
from driftwatch.serving.middleware import RequestMetricsMiddleware
from driftwatch.serving.model_holder import ModelHolder
from driftwatch.serving.model_refresh import follow_releases, poll_registry
from driftwatch.serving.routes import router
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: the settings to serve with; default ``Settings()`` from the environment (how
            uvicorn's ``--factory`` and every ``--workers`` process build it).
    """
    settings = settings or Settings()
    metrics = ServingMetrics(settings.prometheus_multiproc_dir)
    # /docs and /redoc with their scripts served by the API itself, not from a CDN: the pages
    # work on a machine with no internet, and load nothing from a third party.
    app = FastAPIOffline(
        title="DriftWatch prediction API",
        summary="Fraud scores from the production model; every scored row goes to the bus.",
        version="1",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, undecodable_body_handler)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    metrics: ServingMetrics = app.state.metrics
    redis = connect(settings)
    holder = ModelHolder(settings, metrics)
    batcher = MicroBatcher(
        holder,
        metrics,
        wait_s=settings.microbatch_wait_ms / 1000,
        max_rows=settings.microbatch_max_rows,
    )
    publisher = BatchPublisher(redis, settings, metrics)
    app.state.serving = Serving(settings, metrics, redis, holder, batcher, publisher)
    await _declare_topology(redis, settings)
    # Libraries loaded at start-up are millions of long-lived objects: exempt them from the
    # cyclic GC, whose full collections would otherwise pause requests for tens of ms.
    gc.freeze()
    tasks = [
        _task(batcher.run(), "microbatcher"),
        _task(publisher.run(), "batch-publisher"),
        _task(follow_releases(redis, settings, holder), "release-follower"),
        _task(poll_registry(holder, settings.registry_poll_s), "registry-poll"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with suppress(TimeoutError):  # rows still buffered at exit are lost, not waited for
            await asyncio.wait_for(publisher.flush(), timeout=PUBLISH_TIMEOUT_S)
        batcher.close()
        await redis.aclose()
        metrics.close()


async def _declare_topology(redis: Redis, settings: Settings) -> None:
    # Creating the groups here means rows published before the monitor first starts are kept.
    try:
        await asyncio.wait_for(declare_topology(redis, settings), timeout=PUBLISH_TIMEOUT_S)
    except (RedisError, OSError, TimeoutError) as error:
        logger.warning("could not declare the bus topology (Redis down?): %s", error)


def _task(coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    task = asyncio.create_task(coroutine, name=name)
    task.add_done_callback(_log_crash)
    return task


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task %s stopped", task.get_name(), exc_info=task.exception())
