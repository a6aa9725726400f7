"""The FastStream ``RedisBroker`` of DriftWatch processes, built from settings.

One change from the stock broker: its client re-creates a consumer group that vanished. FastStream
treats NOGROUP as terminal (the subscriber stops and the app exits), yet it is what every reader
meets after Redis restarts without persistence or a stream is deleted. Re-creating the group at
``0`` with MKSTREAM and reading again keeps the process serving; handled markers make any entry
read a second time a no-op. The stock broker offers ``_make_connection_state`` as the hook for
exactly this kind of client change (its Sentinel and Cluster brokers use it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from faststream.redis import RedisBroker
from faststream.redis.configs.state import ConnectionState, RedisConnectionState
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from driftwatch.bus.publish import CONNECT_TIMEOUT_S
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)


def make_broker(settings: Settings, **options: Any) -> RedisBroker:
    """A broker on ``settings.redis_url`` whose readers survive a lost connection or group.

    Commands are retried across a dropped connection for a few seconds (the stock broker does
    not retry, and its readers then pause 5 s after any error), with TCP keepalive on.

    Args:
        settings: where Redis is.
        **options: passed to ``RedisBroker`` (e.g. ``log_level``); they win over the defaults.
    """
    defaults: dict[str, Any] = {
        "retry": Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), retries=6),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "socket_keepalive": True,
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "health_check_interval": 30,
    }
    return _GroupKeepingBroker(settings.redis_url, **(defaults | options))


class GroupKeepingRedis(Redis):
    """A client whose XREADGROUP and XAUTOCLAIM re-create a missing group once, then retry.

    ``keep_groups`` goes False when the broker stops, so a read still in flight during shutdown
    (FastStream cancels its read tasks without awaiting them) cannot re-create what a caller
    deletes right after stopping.
    """

    keep_groups = True

    async def xreadgroup(  # type: ignore[override]
        self, groupname: str, consumername: str, streams: Mapping[Any, Any], *args: Any, **kw: Any
    ) -> Any:
        try:
            return await super().xreadgroup(groupname, consumername, streams, *args, **kw)
        except ResponseError as error:
            if not (self.keep_groups and _missing_group(error)):
                raise
        await self._recreate(groupname, streams)
        return await super().xreadgroup(groupname, consumername, streams, *args, **kw)

    async def xautoclaim(  # type: ignore[override]
        self, name: Any, groupname: str, *args: Any, **kw: Any
    ) -> Any:
        try:
            return await super().xautoclaim(name, groupname, *args, **kw)
        except ResponseError as error:
            if not (self.keep_groups and _missing_group(error)):
                raise
        await self._recreate(groupname, [name])
        return await super().xautoclaim(name, groupname, *args, **kw)

    async def _recreate(self, group: str, streams: Iterable[Any]) -> None:
        for stream in streams:
            try:
                await self.xgroup_create(stream, group, id="0", mkstream=True)
            except ResponseError as error:
                if not str(error).startswith("BUSYGROUP"):
                    raise
            else:
                logger.warning(
                    "consumer group %s on %r was missing (Redis restarted empty, or the stream "
                    "was deleted); re-created it at 0",
                    group,
                    stream,
                )


def _missing_group(error: ResponseError) -> bool:
    return str(error).startswith("NOGROUP")


class _GroupKeepingState(RedisConnectionState):
    async def connect(self) -> Redis:
        stock = await super().connect()
        self.keeping_client = GroupKeepingRedis.from_pool(stock.connection_pool)
        self._client = self.keeping_client
        return self.keeping_client


class _GroupKeepingBroker(RedisBroker):
    def _make_connection_state(
        self, connection_options: dict[str, Any], kwargs: dict[str, Any]
    ) -> ConnectionState[Any]:
        self._keeping_state = _GroupKeepingState(connection_options)
        return self._keeping_state

    async def stop(self, *args: Any, **kwargs: Any) -> None:
        client = getattr(self._keeping_state, "keeping_client", None)
        if client is not None:
            client.keep_groups = False
        await super().stop(*args, **kwargs)
