"""The closer: closes due windows and re-scores windows whose labels came late, then publishes.

Handlers only append rows and labels (``windows``); this one task per monitor process decides
when a window is complete, so concurrent handlers (the reader, the claimer, the labels stream)
never race over a window's size. A close commits, in one MULTI/EXEC WATCHing the version's
state: the rows leave the open list, the window is recorded, its summary is XADDed. A re-score
WATCHes the window. A replica that lost the race sees the WATCH fail and publishes nothing, and
a crash before EXEC leaves the rows where they were, to be closed again into the same event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from driftwatch.bus.publish import event_stream
from driftwatch.bus.wire import entry_fields
from driftwatch.contracts.events import MonitoringSummary
from driftwatch.monitor.assess import Reference
from driftwatch.monitor.metrics import monitor_metrics
from driftwatch.monitor.scoring import ScoringContext, rescore_window, score_window, window_id_for
from driftwatch.monitor.windows import ModelVersion, WindowRows, WindowStore

logger = logging.getLogger(__name__)

POLL_S = 0.25
"""How often the closer looks for complete windows and new labels."""
RETRY_AFTER_S = 30.0
"""A version whose window failed (registry down, no reference) is retried after this."""
LATE_LABEL_WINDOWS = 24
"""Closed windows per version kept for late labels; older ones are forgotten in Redis."""


class WindowCloser:
    """Closes and re-scores the windows of every model version found in Redis."""

    def __init__(
        self,
        redis: Redis,
        context: ScoringContext,
        references: Callable[[str], Reference],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = WindowStore(redis, context.settings)
        self.context = context
        self.references = references
        self.clock = clock
        self._labels_seen = -1
        self._rows: dict[str, WindowRows] = {}
        self._retry_at: dict[ModelVersion, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Step until ``stop`` is set; a failing step is logged and retried, never raised."""
        while not stop.is_set():
            try:
                await self.step()
            except Exception:
                logger.exception("monitor closer step failed; retrying")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_S)

    async def step(self) -> list[MonitoringSummary]:
        """One pass: close what is due, then re-score closed windows if labels arrived.

        Returns the summaries published. A version whose window fails (registry down, no
        reference) is logged and left alone for ``RETRY_AFTER_S``; the other versions go on.
        """
        labels_seq = await self.store.labels_seq()
        rescore = labels_seq != self._labels_seen
        published: list[MonitoringSummary] = []
        failed = False
        for mv in await self.store.versions():
            if self._retry_at.get(mv, 0.0) > self.clock():
                failed = True
                continue
            try:
                while (summary := await self._close_one(mv)) is not None:
                    published.append(summary)
                if rescore:
                    published += await self._rescore(mv)
            except Exception:
                logger.exception("windows of %s v%s failed", mv.name, mv.version)
                self._retry_at[mv] = self.clock() + RETRY_AFTER_S
                failed = True
        if not failed:
            self._labels_seen = labels_seq
        for summary in published:
            monitor_metrics().record(summary)
        return published

    async def _due_rows(self, redis: Redis, mv: ModelVersion) -> int:
        """Rows of the open window to close now: a full window, or an old enough one."""
        settings = self.context.settings
        waiting = await redis.llen(self.store.open_key(mv))
        if waiting >= settings.window_rows:
            return settings.window_rows
        if waiting < settings.window_min_rows:
            return 0
        first = WindowRows.decode(await redis.lrange(self.store.open_key(mv), 0, 0))
        aged = self.clock() - first.first_arrival >= settings.window_max_age_s
        return waiting if aged else 0

    async def _close_one(self, mv: ModelVersion) -> MonitoringSummary | None:
        store = self.store
        while True:
            async with store.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(store.state_key(mv))
                size = await self._due_rows(pipe, mv)
                if not size:
                    return None
                rows = WindowRows.decode(await pipe.lrange(store.open_key(mv), 0, size - 1))
                seq = int(await pipe.hget(store.state_key(mv), "seq") or 0) + 1
                window_id = window_id_for(mv, seq, rows)
                labels = await pipe.hmget(store.labels_key, rows.request_ids)
                reference = await asyncio.to_thread(self.references, mv.version)
                summary = await asyncio.to_thread(
                    score_window, self.context, reference, mv, window_id, rows, labels
                )
                pipe.multi()
                pipe.ltrim(store.open_key(mv), size, -1)
                pipe.hset(store.state_key(mv), "seq", seq)
                pipe.hset(
                    store.window_key(window_id),
                    mapping={
                        "rows": rows.encode(),
                        "labeled": summary.labeled_rows,
                        "summary": summary.model_dump_json(),
                    },
                )
                pipe.rpush(store.closed_key(mv), window_id)
                self._publish(pipe, summary)
                try:
                    await pipe.execute()
                except WatchError:
                    continue  # another replica closed it; look again
            self._rows[window_id] = rows
            await self._forget_old(mv)
            logger.info(
                "window %s: %d rows, drift share %.2f, severity %s",
                window_id,
                summary.n_current,
                summary.drift_share,
                summary.severity,
            )
            return summary

    async def _rescore(self, mv: ModelVersion) -> list[MonitoringSummary]:
        store = self.store
        published = []
        for raw_id in await store.redis.lrange(store.closed_key(mv), 0, -1):
            window_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            async with store.redis.pipeline(transaction=True) as pipe:
                await pipe.watch(store.window_key(window_id))
                rows = await self._window_rows(pipe, window_id)
                labels = await pipe.hmget(store.labels_key, rows.request_ids)
                labeled = sum(label is not None for label in labels)
                if labeled <= int(await pipe.hget(store.window_key(window_id), "labeled") or 0):
                    continue
                previous = MonitoringSummary.model_validate_json(
                    await pipe.hget(store.window_key(window_id), "summary")
                )
                cause = await store.labels_cause() or rows.cause
                reference = await asyncio.to_thread(self.references, mv.version)
                summary = await asyncio.to_thread(
                    rescore_window, self.context, reference, previous, rows, labels, cause
                )
                pipe.multi()
                pipe.hset(
                    store.window_key(window_id),
                    mapping={"labeled": labeled, "summary": summary.model_dump_json()},
                )
                self._publish(pipe, summary)
                with suppress(WatchError):  # another replica re-scored it: theirs stands
                    await pipe.execute()
                    published.append(summary)
        return published

    async def _window_rows(self, redis: Redis, window_id: str) -> WindowRows:
        if window_id not in self._rows:
            raw = await redis.hget(self.store.window_key(window_id), "rows")
            self._rows[window_id] = WindowRows.from_json(raw or "[]")
        return self._rows[window_id]

    async def _forget_old(self, mv: ModelVersion) -> None:
        """Drop the rows and labels of closed windows too old to expect labels for."""
        store = self.store
        while await store.redis.llen(store.closed_key(mv)) > LATE_LABEL_WINDOWS:
            old = await store.redis.lpop(store.closed_key(mv))
            window_id = old.decode() if isinstance(old, bytes) else str(old)
            rows = await self._window_rows(store.redis, window_id)
            async with store.redis.pipeline(transaction=True) as pipe:
                if rows.request_ids:
                    pipe.hdel(store.labels_key, *rows.request_ids)
                pipe.delete(store.window_key(window_id))
                await pipe.execute()
            self._rows.pop(window_id, None)

    def _publish(self, pipe: Pipeline, summary: MonitoringSummary) -> None:
        settings = self.context.settings
        pipe.xadd(
            event_stream(settings, summary),
            entry_fields(summary),
            maxlen=settings.stream_maxlen,
            approximate=True,
        )
