"""Following what the control plane does, event by event, and telling when it has settled.

The demos and ``control`` read the decision streams from a mark (the newest entry id before
they acted), and stop waiting once the bus is quiet: every consumer group has read every entry
of its streams and has nothing pending. A handler that is still working (the Release agent
retraining) keeps its entry pending, so quiet means the system has finished reacting.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from driftwatch.bus.topology import GROUPS
from driftwatch.settings import Settings
from driftwatch.stack.events import Read, entry_id_key, read_stream

DECISION_STREAMS: tuple[str, ...] = ("monitoring", "incidents", "plans", "approvals", "releases")
"""What a story is told from: summaries, incidents, plans, approvals and releases."""


class Follower:
    """Reads new decision events since a mark, each once, oldest first.

    Args:
        redis_client: A client of the stack's Redis.
        settings: Names the stream prefix.
        mark: Entry id to start after (``events.last_entry_id`` before acting).
        streams: Short stream names to follow.
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        settings: Settings,
        mark: str,
        streams: Iterable[str] = DECISION_STREAMS,
    ) -> None:
        self._redis = redis_client
        self.settings = settings
        self._cursor = dict.fromkeys(streams, mark)
        self.seen: list[Read] = []

    def poll(self) -> list[Read]:
        """Events written since the last poll, in entry-id order; also appended to ``seen``."""
        fresh: list[Read] = []
        for stream, cursor in self._cursor.items():
            reads = read_stream(self._redis, self.settings, stream, after=cursor)
            if reads:
                self._cursor[stream] = reads[-1].entry_id
                fresh.extend(reads)
        fresh.sort(key=lambda r: entry_id_key(r.entry_id))
        self.seen.extend(fresh)
        return fresh


def bus_is_quiet(
    redis_client: redis.Redis, settings: Settings, groups: Iterable[str] | None = None
) -> bool:
    """True when every consumer group (of ``groups``, default all) has read all of its streams
    and has nothing pending."""
    for group in GROUPS if groups is None else groups:
        for stream in GROUPS[group]:
            key = settings.stream(stream)
            newest = redis_client.xrevrange(key, count=1)
            if not newest:
                continue
            last_id = _text(newest[0][0])
            info = _group_info(redis_client, key, group)
            if info is None:
                return False  # the consumer never started: the stream is not being read
            if info["pending"] or _text(info["last-delivered-id"]) != last_id:
                return False
    return True


def _group_info(redis_client: redis.Redis, key: str, group: str) -> dict[str, object] | None:
    try:
        groups = redis_client.xinfo_groups(key)
    except redis.ResponseError:
        return None
    return next((g for g in groups if _text(g["name"]) == group), None)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
