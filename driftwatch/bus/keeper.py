"""Keeps a consumer's groups in existence while it runs, so a Redis restart does not stop it.

A Redis that restarts without persistence comes back with no streams and no groups. FastStream's
stream subscriber treats the resulting NOGROUP as terminal: it stops itself and exits the app.
After any read error it waits 5 s before reading again, so this keeper, which re-declares the
groups every ``INTERVAL_S`` and polls every ``DOWN_POLL_S`` while Redis is unreachable, has them
back long before the subscriber's next read.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from redis.exceptions import ResponseError

from driftwatch.bus.publish import LINK_ERRORS, connect
from driftwatch.bus.topology import declare_groups, group_streams
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

INTERVAL_S = 0.25
"""Re-declare period while Redis answers (one pipelined round trip)."""
DOWN_POLL_S = 0.05
"""Re-declare period while Redis does not answer: how fast groups return after a restart."""


class GroupKeeper:
    """A background task re-declaring ``group`` on its streams; ``start`` and ``stop`` it."""

    def __init__(self, settings: Settings, group: str) -> None:
        self._settings = settings
        self._groups = {group: group_streams(group)}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"group-keeper-{self._groups}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        # Its own single-connection client without command retries: an outage must surface at
        # once so the keeper switches to fast polling.
        redis = connect(self._settings, max_connections=1, retries=0)
        down = False
        try:
            while True:
                try:
                    await declare_groups(redis, self._settings, self._groups)
                except (*LINK_ERRORS, ResponseError) as error:
                    if not down:
                        logger.warning("group keeper lost Redis: %s", error)
                    down = True
                else:
                    if down:
                        logger.info("group keeper: Redis is back, groups re-declared")
                    down = False
                await asyncio.sleep(DOWN_POLL_S if down else INTERVAL_S)
        finally:
            await redis.aclose()
