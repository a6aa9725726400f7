"""Scored rows to the bus as ``PredictionBatch`` events, off the request path.

A request only appends its rows to an in-memory buffer; a background loop publishes the buffer
when it holds ``publish_batch_rows`` rows or its oldest row is ``publish_max_age_s`` old, whichever
comes first, one event per model version. When Redis is down the API keeps answering: the rows of
a failed publish (and rows past the buffer's cap) are counted in
``driftwatch_prediction_rows_dropped_total``, the outage is logged once, and publishing resumes by
itself with the next batch after Redis returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from driftwatch.bus.publish import publish
from driftwatch.contracts.events import PredictionBatch, default_producer
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

BUFFER_CAP_BATCHES = 20
"""Most rows held, in batches: past this the bus is too slow or down and new rows are dropped."""
PUBLISH_TIMEOUT_S = 2.0


class ModelRef(NamedTuple):
    """The model that scored some rows: a batch event carries exactly one."""

    name: str
    version: str
    threshold: float


@dataclass(slots=True)
class _Buffer:
    model_name: str
    model_version: str
    threshold: float
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


class BatchPublisher:
    """Buffers scored rows and publishes them in batches; ``run()`` is the flush loop."""

    def __init__(self, redis: Redis, settings: Settings, metrics: ServingMetrics) -> None:
        self._redis = redis
        self._settings = settings
        self._metrics = metrics
        self._batch_rows = settings.publish_batch_rows
        self._max_age_s = settings.publish_max_age_s
        self._cap_rows = BUFFER_CAP_BATCHES * settings.publish_batch_rows
        self._producer = default_producer("serving")
        self._buffers: dict[ModelRef, _Buffer] = {}
        self._buffered = 0
        self._oldest = 0.0
        self._arrived = asyncio.Event()
        self._due = asyncio.Event()
        self._bus_down = False

    @property
    def buffered_rows(self) -> int:
        """Rows waiting to be published."""
        return self._buffered

    def add(
        self,
        model: ModelRef,
        rows: Sequence[Mapping[str, Any]],
        scores: Sequence[float],
        request_ids: Sequence[str],
    ) -> None:
        """Buffer one request's scored rows; never blocks and never raises.

        Rows stay plain mappings until the flush, where the whole batch is validated against
        ``TransactionRecord`` in one pass: per-row model objects on the request path would cost
        more than the rest of publishing together.

        Args:
            model: the model that scored the rows.
            rows: the scored transactions' fields, with ``transaction_id`` and ``timestamp``.
            scores: fraud probabilities, aligned with ``rows``.
            request_ids: the ids returned to the caller, aligned with ``rows``.
        """
        if self._buffered + len(rows) > self._cap_rows:
            self._drop(len(rows), "the publish buffer is full")
            return
        buffer = self._buffers.get(model)
        if buffer is None:
            buffer = self._buffers[model] = _Buffer(*model)
        if self._buffered == 0:
            self._oldest = time.monotonic()
        buffer.rows.extend(rows)
        buffer.scores.extend(scores)
        buffer.request_ids.extend(request_ids)
        self._buffered += len(rows)
        self._arrived.set()
        if self._buffered >= self._batch_rows:
            self._due.set()

    async def run(self) -> None:
        """Flush by size or age until cancelled."""
        while True:
            if self._buffered == 0:
                self._arrived.clear()
                await self._arrived.wait()
            age_left = self._oldest + self._max_age_s - time.monotonic()
            if self._buffered < self._batch_rows and age_left > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._due.wait(), timeout=age_left)
            self._due.clear()
            await self.flush()

    async def flush(self) -> None:
        """Publish everything buffered now, one event per model version and batch size."""
        buffers, self._buffers, self._buffered = self._buffers, {}, 0
        bus_up = True
        for buffer in buffers.values():
            for start in range(0, len(buffer.rows), self._batch_rows):
                part = slice(start, start + self._batch_rows)
                if bus_up:
                    bus_up = await self._publish(buffer, part)
                else:  # one failure per flush is enough to know: do not wait on each part
                    self._drop(len(buffer.rows[part]), "the bus is unavailable")

    async def _publish(self, buffer: _Buffer, part: slice) -> bool:
        rows = buffer.rows[part]
        try:
            event = PredictionBatch(
                producer=self._producer,
                model_name=buffer.model_name,
                model_version=buffer.model_version,
                threshold=buffer.threshold,
                rows=rows,
                scores=buffer.scores[part],
                request_ids=buffer.request_ids[part],
            )
        except ValidationError as error:  # a bug upstream: never let it stop the flush loop
            logger.error("scored rows break the PredictionBatch contract: %s", error)
            self._metrics.rows_dropped.inc(len(rows))
            return True
        try:
            await asyncio.wait_for(
                publish(self._redis, self._settings, event), timeout=PUBLISH_TIMEOUT_S
            )
        except (RedisError, OSError, TimeoutError) as error:
            self._drop(len(rows), f"the bus is unavailable ({error})")
            return False
        self._metrics.batches_published.inc()
        self._metrics.rows_published.inc(len(rows))
        if self._bus_down:
            self._bus_down = False
            logger.info("publishing prediction batches again")
        return True

    def _drop(self, rows: int, why: str) -> None:
        self._metrics.rows_dropped.inc(rows)
        if not self._bus_down:
            self._bus_down = True
            logger.warning(
                "dropping scored rows: %s; predictions go on, rows are counted in "
                "driftwatch_prediction_rows_dropped_total until publishing resumes",
                why,
            )
