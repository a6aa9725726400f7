"""Typed publishing: one event, one XADD to its stream, capped with an approximate MAXLEN.

The entry has a single field ``__data__`` holding the event's JSON (see ``wire``): FastStream
subscribers read plain JSON from that field, so events written here reach them unchanged.
"""

from __future__ import annotations

import redis
import redis.asyncio
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from driftwatch.bus.wire import entry_fields
from driftwatch.contracts.events import Event, stream_for
from driftwatch.settings import Settings

POOL_SIZE = 32
"""Connections per process; the pool waits for a free one instead of failing past it."""
POOL_WAIT_S = 20.0
SOCKET_TIMEOUT_S = 10.0
"""Longer than any BLOCK we issue (at most a few seconds), so a blocked read never times out."""
CONNECT_TIMEOUT_S = 3.0
LINK_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
"""Errors that mean "Redis is unreachable right now": worth waiting out, not a bug."""


def connect(
    settings: Settings, *, max_connections: int = POOL_SIZE, retries: int = 3
) -> redis.asyncio.Redis:
    """An asyncio client for ``settings.redis_url``: bounded blocking pool, retries, keepalive.

    redis-py 8's default pool raises past its size; this one waits up to ``POOL_WAIT_S``.
    ``retries`` transparently re-sends one command across a dropped connection; longer outages
    are the caller's to wait out. Nothing connects until the first command; the caller closes
    the client with ``await aclose()``.
    """
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=max_connections,
        timeout=POOL_WAIT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_keepalive=True,
        health_check_interval=30,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=retries),
    )
    return redis.asyncio.Redis.from_pool(pool)


def event_stream(settings: Settings, event: Event) -> str:
    """Full name of the stream ``event`` belongs on."""
    return stream_for(event.event_type, settings.stream_prefix)


async def publish(redis_client: redis.asyncio.Redis, settings: Settings, event: Event) -> str:
    """XADD ``event`` to its stream, ``MAXLEN ~ settings.stream_maxlen``; returns the entry id."""
    entry_id = await redis_client.xadd(
        event_stream(settings, event),
        entry_fields(event),
        maxlen=settings.stream_maxlen,
        approximate=True,
    )
    return _text(entry_id)


def publish_sync(settings: Settings, event: Event) -> str:
    """Blocking ``publish`` for CLIs and scripts: one short-lived connection.

    Raises:
        redis.ConnectionError: no Redis answers at ``settings.redis_url``.
    """
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
    )
    try:
        entry_id = client.xadd(
            event_stream(settings, event),
            entry_fields(event),
            maxlen=settings.stream_maxlen,
            approximate=True,
        )
    finally:
        client.close()
    return _text(entry_id)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
