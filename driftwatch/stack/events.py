"""Reading events back from the bus, synchronously, for commands that report on a stack.

``status``, the demos and ``control`` look at what the agents decided; they read the streams with
plain XRANGE (no consumer group: reading must never take an event from a consumer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from driftwatch.bus.wire import entry_payload
from driftwatch.contracts.events import AnyEvent, parse_event
from driftwatch.settings import Settings

PAGE = 500


@dataclass(frozen=True, slots=True)
class Read:
    """One event and where it sits."""

    stream: str
    entry_id: str
    event: AnyEvent


def client(settings: Settings) -> redis.Redis:
    """A short-timeout client of the settings' Redis; the caller closes it."""
    return redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=3)


def read_stream(
    redis_client: redis.Redis, settings: Settings, stream: str, after: str = "-"
) -> list[Read]:
    """Every parseable event of ``stream`` (short name) after entry ``after``, oldest first.

    Entries that do not parse are skipped: the consumers dead-letter those, and reporting on
    them is ``driftwatch watch``'s job.
    """
    key = settings.stream(stream)
    start = after if after == "-" else f"({after}"
    found: list[Read] = []
    while True:
        entries = redis_client.xrange(key, min=start, max="+", count=PAGE)
        for raw_id, fields in entries:
            entry_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            try:
                event = parse_event(entry_payload(fields))
            except ValueError:
                continue
            found.append(Read(stream, entry_id, event))
        if len(entries) < PAGE:
            return found
        start = f"({_last_id(entries)}"


def read_streams(
    redis_client: redis.Redis, settings: Settings, streams: Iterable[str], after: str = "-"
) -> list[Read]:
    """``read_stream`` over several streams, merged in entry-id (time) order."""
    merged = [r for s in streams for r in read_stream(redis_client, settings, s, after)]
    return sorted(merged, key=lambda r: entry_id_key(r.entry_id))


def last_entry_id(redis_client: redis.Redis, settings: Settings, streams: Iterable[str]) -> str:
    """The newest entry id over ``streams`` (``0-0`` when all are empty): a "since now" mark."""
    newest = "0-0"
    for stream in streams:
        entries = redis_client.xrevrange(settings.stream(stream), count=1)
        if entries:
            entry_id = _last_id(entries)
            newest = max(newest, entry_id, key=entry_id_key)
    return newest


def _last_id(entries: list[tuple[bytes | str, object]]) -> str:
    raw = entries[-1][0]
    return raw.decode() if isinstance(raw, bytes) else raw


def entry_id_key(entry_id: str) -> tuple[int, int]:
    """Sort key of a stream entry id (``millis-sequence``)."""
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)
