"""Reading the bus as a person does: all streams merged in time order, from a point, maybe live.

Reads use XRANGE and XREAD, never a consumer group, so watching changes nothing for the consumers.
Entries from several streams are merged by entry id (a millisecond timestamp), so the output reads
as the system's history. An entry that is not a valid event is shown with its error, not skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from driftwatch.bus.deadletter import DeadLetter
from driftwatch.bus.publish import LINK_ERRORS
from driftwatch.bus.topology import DEADLETTER, STREAMS
from driftwatch.bus.wire import describe_parse_error, entry_payload
from driftwatch.contracts.events import AnyEvent, parse_event
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

PAGE = 500
"""Entries fetched per stream per round trip."""
FOLLOW_BLOCK_MS = 1000
"""XREAD BLOCK while following: short, so Ctrl-C and outages are noticed quickly."""
RECONNECT_DELAY_S = 1.0

_DURATION = re.compile(r"^(\d+)([smhd])$")
_ENTRY_ID = re.compile(r"^(\d+)(?:-(\d+))?$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_MAX_SEQ = 2**64 - 1

EntryId = tuple[int, int]


@dataclass(frozen=True, slots=True)
class WatchedEntry:
    """One stream entry as read: an event, a dead-letter, or an entry neither parses as."""

    stream: str
    entry_id: str
    event: AnyEvent | None = None
    deadletter: DeadLetter | None = None
    error: str | None = None

    @property
    def written_at(self) -> datetime:
        """When Redis stored the entry (the millisecond part of its id)."""
        return datetime.fromtimestamp(_parse_id(self.entry_id)[0] / 1000, UTC)


_KEY_FIELDS: tuple[tuple[str, str], ...] = (
    ("incident_type", "type"),
    ("severity", "severity"),
    ("recommended_action", "action"),
    ("action", "action"),
    ("decision", "decision"),
    ("how", "how"),
    ("who", "who"),
    ("model_version", "version"),
    ("candidate_version", "candidate"),
    ("alias", "alias"),
    ("window_id", "window"),
    ("revision", "rev"),
)


def key_fields(event: AnyEvent) -> list[tuple[str, str]]:
    """The few fields that tell one event from another at a glance, as (label, value) pairs."""
    pairs = [
        (label, str(value))
        for name, label in _KEY_FIELDS
        if (value := getattr(event, name, None)) is not None
    ]
    drift_share = getattr(event, "drift_share", None)
    if drift_share:
        pairs.append(("drift_share", f"{drift_share:.2f}"))
    for name in ("rows", "labels"):
        if (items := getattr(event, name, None)) is not None:
            pairs.append((name, str(len(items))))
    return pairs


def parse_since(value: str | None, now: datetime) -> EntryId | None:
    """The first entry id to show, from ``--since``; None means "from now on".

    ``0`` is everything; ``10m``, ``2h``, ``30s``, ``1d`` are durations back from ``now``; an
    entry id (``1717171717171-0`` or its millisecond part) starts at that entry.

    Raises:
        ValueError: anything else.
    """
    if value is None:
        return None
    text = value.strip()
    duration = _DURATION.match(text)
    if duration:
        amount, unit = duration.groups()
        start = now - timedelta(**{_UNITS[unit]: int(amount)})
        return (int(start.timestamp() * 1000), 0)
    if _ENTRY_ID.match(text):
        return _parse_id(text)
    raise ValueError(
        f"--since takes 0, a duration such as 10m, 2h or 1d, or an entry id; got {value!r}"
    )


def resolve_streams(names: Sequence[str] | None) -> tuple[str, ...]:
    """Short stream names to watch: ``names`` checked against the topology, or all of them.

    Raises:
        ValueError: a name that is not a DriftWatch stream.
    """
    if not names:
        return STREAMS
    unknown = [name for name in names if name not in STREAMS]
    if unknown:
        raise ValueError(f"unknown stream {unknown[0]!r} (streams: {', '.join(STREAMS)})")
    return tuple(dict.fromkeys(names))


async def watch(
    redis: Redis,
    settings: Settings,
    streams: Sequence[str],
    since: EntryId | None,
    *,
    follow: bool = False,
) -> AsyncIterator[WatchedEntry]:
    """Yield the entries of ``streams`` (short names) in id order from ``since``.

    Without ``follow`` it stops at the end of what is stored. With it, it then waits for new
    entries until cancelled, riding out Redis outages (logged) from where it was. The first
    read is not retried, so "no Redis here" surfaces at once as a connection error.
    """
    names = {settings.stream(stream): stream for stream in streams}
    cursors = {full: await _start_cursor(redis, full, since) for full in names}
    async for full, entry_id, fields in _backlog(redis, cursors):
        yield _decode(names[full], entry_id, fields)
    while follow:
        try:
            replies = await redis.xread(cursors, count=PAGE, block=FOLLOW_BLOCK_MS)
        except LINK_ERRORS as error:
            logger.warning("lost Redis (%s); retrying in %.0f s", error, RECONNECT_DELAY_S)
            await asyncio.sleep(RECONNECT_DELAY_S)
            continue
        arrived = [
            (_parse_id(_text(entry_id)), _text(full), fields)
            for full, entries in replies or ()
            for entry_id, fields in entries
        ]
        for parsed, full, fields in sorted(arrived, key=lambda item: item[0]):
            entry_id = _format_id(parsed)
            cursors[full] = entry_id
            yield _decode(names[full], entry_id, fields)


async def _start_cursor(redis: Redis, stream: str, since: EntryId | None) -> str:
    """An exclusive cursor: entries after it are shown."""
    if since is None:
        newest = await redis.xrevrange(stream, count=1)
        return _text(newest[0][0]) if newest else "0-0"
    ms, seq = since
    if (ms, seq) == (0, 0):
        return "0-0"
    return _format_id((ms, seq - 1) if seq > 0 else (ms - 1, _MAX_SEQ))


async def _backlog(
    redis: Redis, cursors: dict[str, str]
) -> AsyncIterator[tuple[str, str, Mapping[bytes, bytes]]]:
    """What is stored after each cursor, merged across streams by id, a page at a time."""
    buffers: dict[str, deque[tuple[EntryId, Mapping[bytes, bytes]]]] = {s: deque() for s in cursors}
    exhausted: set[str] = set()

    async def refill(stream: str) -> None:
        page = await redis.xrange(stream, min=f"({cursors[stream]}", count=PAGE)
        buffers[stream].extend((_parse_id(_text(entry_id)), fields) for entry_id, fields in page)
        if len(page) < PAGE:
            exhausted.add(stream)

    while True:
        for stream, buffer in buffers.items():
            if not buffer and stream not in exhausted:
                await refill(stream)
        ready = [stream for stream, buffer in buffers.items() if buffer]
        if not ready:
            return
        stream = min(ready, key=lambda name: buffers[name][0][0])
        parsed, fields = buffers[stream].popleft()
        cursors[stream] = _format_id(parsed)
        yield stream, cursors[stream], fields


def _decode(stream: str, entry_id: str, fields: Mapping[bytes, bytes]) -> WatchedEntry:
    try:
        if stream == DEADLETTER:
            return WatchedEntry(stream, entry_id, deadletter=DeadLetter.from_fields(fields))
        return WatchedEntry(stream, entry_id, event=parse_event(entry_payload(fields)))
    except ValueError as error:  # ValidationError and UnsupportedSchemaVersion included
        return WatchedEntry(stream, entry_id, error=describe_parse_error(error))


def _parse_id(entry_id: str) -> EntryId:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _format_id(parsed: EntryId) -> str:
    return f"{parsed[0]}-{parsed[1]}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
