"""What the agents remember between events, in Redis, and how replicas take turns writing it.

Every write of state goes through ``ctx.also`` so it commits in the same MULTI/EXEC as the
handler's outputs, handled marker and ack: a crash leaves either all of it or none of it.

Keys, under the stream prefix (so tests and stacks never share state):

* ``{prefix}:agents:sentinel:{model}``: the Sentinel's ``SentinelState`` (open incidents, cooldowns,
  windows seen).
* ``{prefix}:agents:planner:{model}``: the ``PlannerState`` the Planner plans with (the last
  promotion to production). It is a fold of ``ReleaseDecided`` events; the planner group reads only
  incidents, so the Sentinel, which reads every release (the Release agent's and a person's),
  keeps the fold, under the same lock and in the same commit as its own state.
* ``{prefix}:agents:release:plans``: hash plan id -> ``PlanRecord``: what the Release agent did
  with each plan, and the plan itself while it waits for approval.
* ``{prefix}:agents:release:intent:{plan_id}``: the alias move a plan is about to make, written
  before the registry is touched, so a plan redone after a crash reports the same move.
* ``{prefix}:agents:lock:{name}``: the token of the replica holding ``name`` until its commit
  (``locked``); a commit goes through only while its key holds the holder's token.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Literal

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from driftwatch.agents.planner_logic import PlannerState
from driftwatch.agents.sentinel_logic import SentinelState
from driftwatch.bus.consumer import HandlerContext
from driftwatch.contracts.events import PlanCreated
from driftwatch.contracts.vocabulary import Decision
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

LOCK_TTL_MS = 10_000
"""A lock's lifetime unless refreshed; frees it when its holder died without committing."""
LOCK_WAIT_S = 30.0
"""How long a handler waits for a lock before failing (its event then stays pending, retried)."""
LOCK_POLL_S = 0.02


class StateBusy(RuntimeError):
    """Another replica held a state lock longer than ``LOCK_WAIT_S``; the event is retried."""


class LockLost(RuntimeError):
    """A state lock expired while its handler ran (a stalled process); the event is retried."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


PlanStatus = Literal["held", "approved", "rejected", "done"]


class PlanRecord(_Frozen):
    """What the Release agent did with a plan; ``held`` plans wait for a person."""

    plan: PlanCreated
    status: PlanStatus
    decision: Decision


class AliasIntent(_Frozen):
    """An alias move decided for a plan, recorded before the registry is touched."""

    alias: str
    version: str
    previous: str | None


def _key(settings: Settings, *parts: str) -> str:
    return ":".join((settings.stream_prefix, "agents", *parts))


def sentinel_key(settings: Settings, model_name: str) -> str:
    """Where the Sentinel keeps its state of ``model_name``."""
    return _key(settings, "sentinel", model_name)


def planner_key(settings: Settings, model_name: str) -> str:
    """Where the promotion history of ``model_name`` is kept for the Planner."""
    return _key(settings, "planner", model_name)


def plans_key(settings: Settings) -> str:
    """The hash of the Release agent's plan records (``driftwatch approve`` reads it too)."""
    return _key(settings, "release", "plans")


def intent_key(settings: Settings, plan_id: uuid.UUID) -> str:
    """Where the alias move of ``plan_id`` is recorded before it is made."""
    return _key(settings, "release", "intent", str(plan_id))


async def load_sentinel(redis: Redis, settings: Settings, model_name: str) -> SentinelState:
    """The Sentinel's state of ``model_name`` (empty before its first window)."""
    raw = await redis.get(sentinel_key(settings, model_name))
    if raw is None:
        return SentinelState(model_name=model_name)
    return SentinelState.model_validate_json(raw)


async def load_planner(redis: Redis, settings: Settings, model_name: str) -> PlannerState:
    """The promotions the Planner knows of for ``model_name`` (none before the first)."""
    raw = await redis.get(planner_key(settings, model_name))
    return PlannerState() if raw is None else PlannerState.model_validate_json(raw)


async def load_plan(redis: Redis, settings: Settings, plan_id: uuid.UUID) -> PlanRecord | None:
    """The Release agent's record of ``plan_id``; None when it has not handled the plan."""
    raw = await redis.hget(plans_key(settings), str(plan_id))
    return None if raw is None else PlanRecord.model_validate_json(raw)


def save(ctx: HandlerContext, key: str, value: BaseModel) -> None:
    """Write ``value`` as JSON at ``key`` in the handler's commit."""
    payload = value.model_dump_json()
    ctx.also(lambda pipe: pipe.set(key, payload))


def save_plan(ctx: HandlerContext, record: PlanRecord) -> None:
    """Record what became of a plan, in the handler's commit."""
    key, field = plans_key(ctx.settings), str(record.plan.plan_id)
    payload = record.model_dump_json()
    ctx.also(lambda pipe: pipe.hset(key, field, payload))


async def alias_intent(
    redis: Redis, settings: Settings, plan_id: uuid.UUID, proposed: AliasIntent
) -> AliasIntent:
    """The move recorded for ``plan_id``: ``proposed`` if none was, else the one recorded first.

    Written at once (not in the commit): it must exist before the registry changes, so that a
    plan redone after a crash between the move and the commit reports the versions as they were
    before the move, not as the first attempt left them.
    """
    key = intent_key(settings, plan_id)
    ttl_s = settings.handled_marker_ttl_s
    if await redis.set(key, proposed.model_dump_json(), nx=True, ex=ttl_s):
        return proposed
    raw = await redis.get(key)
    return proposed if raw is None else AliasIntent.model_validate_json(raw)


async def recorded_intent(
    redis: Redis, settings: Settings, plan_id: uuid.UUID
) -> AliasIntent | None:
    """The move an earlier attempt of ``plan_id`` recorded, if any."""
    raw = await redis.get(intent_key(settings, plan_id))
    return None if raw is None else AliasIntent.model_validate_json(raw)


@asynccontextmanager
async def locked(ctx: HandlerContext, name: str) -> AsyncIterator[None]:
    """Hold the lock ``name`` (a redis-py ``Lock``) from here to the handler's commit.

    Replicas (and the several subscribers of one process) would otherwise load the same state,
    each add their event, and the second commit would erase the first's. The lock expires after
    ``LOCK_TTL_MS`` unless extended, which frees it when its holder died; it is extended while
    held (a retraining can hold a plan for minutes), given a full TTL again when the block ends,
    and released by a DEL in the commit, so the next holder loads what this one wrote.

    A lock that expires cannot stop a holder that was only slow (a paused process, a commit
    retried through an outage), so the commit is fenced: it WATCHes the key and goes through
    only while it still holds this holder's token (``ctx.watch``). Otherwise nothing of the
    handler is written, its lock DEL included, and the event is redone on the state the other
    holder wrote. A handler that raises releases the lock at once, checking the token. The
    event stays claimed while the handler waits for the lock, so no claimer redelivers it
    meanwhile. One handler call must not take the same lock twice, and batched consumers must
    not use it (the commit comes after the whole batch).

    Raises:
        StateBusy: the lock stayed taken for ``LOCK_WAIT_S``.
        LockLost: the lock expired before the block ended (the event is redone).
    """
    key = _key(ctx.settings, "lock", name)
    lock = ctx.redis.lock(
        key,
        timeout=LOCK_TTL_MS / 1000,
        sleep=LOCK_POLL_S,
        blocking_timeout=LOCK_WAIT_S,
        thread_local=False,  # the token lives on this Lock, which only this call uses
    )
    async with ctx.keep_alive():  # waiting must not let a claimer take the event meanwhile
        if not await lock.acquire():
            raise StateBusy(f"{key} stayed locked for {LOCK_WAIT_S:.0f} s")
    token = lock.local.token
    refresher = asyncio.create_task(_refresh(lock))
    try:
        yield
    except BaseException:
        await _stop(refresher)
        await _release(lock)
        raise
    await _stop(refresher)
    try:
        await lock.reacquire()  # a full TTL for the commit
    except LockNotOwnedError:
        raise LockLost(f"{key} expired while its handler ran; the event is redone") from None
    ctx.watch(key, token)
    ctx.also(lambda pipe: pipe.delete(key))


async def _refresh(lock: Lock) -> None:
    """Extend ``lock`` to a full TTL three times per TTL, until it is found lost."""
    while True:
        await asyncio.sleep(LOCK_TTL_MS / 3000)
        try:
            await lock.reacquire()
        except LockNotOwnedError:
            logger.warning("lost %s while holding it; its commit will be refused", lock.name)
            return
        except RedisError as error:  # a missed refresh only shortens the lock's life
            logger.warning("could not extend %s: %s", lock.name, error)


async def _release(lock: Lock) -> None:
    """Release ``lock`` if it is still ours; a failure leaves it to expire."""
    try:
        await lock.release()
    except (LockError, RedisError) as error:
        logger.warning("could not release %s (it expires by itself): %s", lock.name, error)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
