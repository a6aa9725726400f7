"""Who reads what: every stream, consumer group and fan-out reader of the bus, in one place.

Groups are created at id ``0`` with MKSTREAM when the topology is declared, so an event published
before its consumer first started is still delivered (a group FastStream creates itself starts at
``$`` and would skip it). Stream names are short here; ``Settings.stream`` adds the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from driftwatch.contracts.events import STREAM_NAMES
from driftwatch.settings import Settings

DEADLETTER = "deadletter"
"""Where consumers put what they cannot handle, with the original payload and the error."""

STREAMS: tuple[str, ...] = (*STREAM_NAMES, DEADLETTER)
"""Every stream of the bus, short names, in pipeline order."""

GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "monitor": ("predictions", "labels"),
        "sentinel": ("monitoring", "releases"),
        "planner": ("incidents",),
        "release": ("plans", "approvals"),
        "audit": ("monitoring", "incidents", "plans", "approvals", "releases"),
    }
)
"""Consumer group -> the streams it reads. Replicas of a kind share its group."""

PRODUCERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "predictions": ("serving",),
        "labels": ("client", "publisher"),
        "monitoring": ("monitor",),
        "incidents": ("sentinel",),
        "plans": ("planner",),
        "approvals": ("approver",),
        "releases": ("release", "operator"),
        DEADLETTER: ("monitor", "sentinel", "planner", "release", "audit"),
    }
)
"""Stream -> who writes it (DESIGN.md's event table): the API, the agents, and people through
the CLI (``operator``: a manual promote or rollback; ``approver``: approve or reject)."""

FANOUT: tuple[str, ...] = ("releases",)
"""Streams every serving worker follows with plain XREAD, without a group, so all of them see it."""


def group_streams(group: str) -> tuple[str, ...]:
    """The short names of the streams ``group`` reads.

    Raises:
        ValueError: ``group`` is not declared here.
    """
    try:
        return GROUPS[group]
    except KeyError:
        known = ", ".join(GROUPS)
        raise ValueError(f"unknown consumer group {group!r} (known: {known})") from None


async def declare_topology(redis: Redis, settings: Settings) -> None:
    """Create every consumer group at ``0`` (and its stream); existing groups are left alone."""
    await declare_groups(redis, settings, GROUPS)


async def declare_groups(
    redis: Redis, settings: Settings, groups: Mapping[str, Iterable[str]]
) -> None:
    """Create ``group`` on each of its streams at ``0`` with MKSTREAM, in one round trip.

    BUSYGROUP (the group exists) is the normal case and is ignored; any other error is raised.
    """
    pairs = [(group, stream) for group, streams in groups.items() for stream in streams]
    async with redis.pipeline(transaction=False) as pipe:
        for group, stream in pairs:
            pipe.xgroup_create(settings.stream(stream), group, id="0", mkstream=True)
        replies = await pipe.execute(raise_on_error=False)
    for reply in replies:
        if isinstance(reply, ResponseError) and not str(reply).startswith("BUSYGROUP"):
            raise reply
