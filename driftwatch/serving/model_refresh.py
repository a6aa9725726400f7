"""Keeping the served model current: follow the ``releases`` stream, and poll as a fallback.

Every worker reads ``releases`` itself with plain XREAD (no consumer group), because a release must
reach every replica, not one of them. A ``ReleaseDecided`` only triggers a registry check: the
registry alias stays the truth, so a lost, repeated or stale event can never serve a wrong version.
The periodic check covers what the stream cannot: Redis down, events trimmed, a start-up race.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from driftwatch.contracts.events import ReleaseDecided, parse_event
from driftwatch.serving.model_holder import ModelHolder, ModelRefused, RegistryUnavailable
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

RELEASE_BLOCK_MS = 1000
"""XREAD block time: short enough that shutdown and socket timeouts never wait on it."""
RECONNECT_DELAY_S = 1.0


async def refresh_quietly(holder: ModelHolder) -> None:
    """``holder.refresh()`` for background tasks: a failure is logged, never raised."""
    try:
        await holder.refresh()
    except ModelRefused:
        pass  # the holder has logged and counted it, and keeps serving
    except RegistryUnavailable as error:
        logger.warning("registry check failed, still serving the current model: %s", error)


async def poll_registry(holder: ModelHolder, interval_s: float) -> None:
    """Check the registry now, then every ``interval_s`` seconds, until cancelled."""
    while True:
        await refresh_quietly(holder)
        await asyncio.sleep(interval_s)


async def follow_releases(redis: Redis, settings: Settings, holder: ModelHolder) -> None:
    """Re-check the registry on every ``ReleaseDecided`` for our model, until cancelled.

    After each (re)connection the follower starts at the stream's current end and checks the
    registry once, so a release published while it was not listening is not missed. Redis being
    down only delays it: it retries every ``RECONNECT_DELAY_S`` and logs the outage once.
    """
    stream = settings.stream(ReleaseDecided.STREAM)
    last_id: str | None = None
    outage_logged = False
    while True:
        try:
            if last_id is None:
                last_id = await _stream_end(redis, stream)
                await refresh_quietly(holder)
            replies = await redis.xread({stream: last_id}, count=100, block=RELEASE_BLOCK_MS)
            if outage_logged:
                logger.info("release follower reconnected to %s", stream)
                outage_logged = False
            for _, entries in replies or ():
                for entry_id, fields in entries:
                    last_id = _text(entry_id)
                    if _concerns(fields, settings.model_name):
                        await refresh_quietly(holder)
        except (RedisError, OSError) as error:
            if not outage_logged:
                logger.warning("release follower lost Redis (%s); polling the registry", error)
                outage_logged = True
            last_id = None
            await asyncio.sleep(RECONNECT_DELAY_S)


async def _stream_end(redis: Redis, stream: str) -> str:
    newest = await redis.xrevrange(stream, count=1)
    return _text(newest[0][0]) if newest else "0-0"


def _concerns(fields: dict[bytes | str, bytes | str], model_name: str) -> bool:
    raw = fields.get(b"__data__", fields.get("__data__"))
    if raw is None:
        return False
    try:
        event = parse_event(raw)
    except (ValueError, ValidationError) as error:
        logger.warning("ignoring a malformed message on releases: %s", error)
        return False
    return isinstance(event, ReleaseDecided) and event.model_name == model_name


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
