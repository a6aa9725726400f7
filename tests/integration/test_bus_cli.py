"""The bus commands' refusals and schema output, through the Typer app (in process)."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import Result
from redis.asyncio import Redis
from typer.testing import CliRunner

from driftwatch.cli import app
from driftwatch.contracts.events import EVENT_TYPES
from driftwatch.settings import Settings
from tests.fixtures.services import settings_env

pytestmark = pytest.mark.integration


def _cli(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=settings_env(settings))


async def test_invalid_input_exits_non_zero_and_publishes_nothing(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    bad_fields = _cli(
        bus_settings,
        "publish",
        "event",
        "PlanApproved",
        "--data",
        json.dumps({"plan_id": "not-a-uuid", "who": "", "surprise": 1}),
    )
    not_json = _cli(bus_settings, "publish", "event", "PlanApproved", "--data", "{plan_id:")
    unknown = _cli(bus_settings, "publish", "event", "PlanApprovd", "--data", "{}")
    both = _cli(bus_settings, "publish", "event", "PlanApproved", "--data", "{}", "--file", "x")
    future = _cli(
        bus_settings,
        "publish",
        "event",
        "PlanApproved",
        "--data",
        json.dumps({"plan_id": str(uuid.uuid4()), "who": "a", "schema_version": 2}),
    )

    for result in (bad_fields, not_json, unknown, both, future):
        assert result.exit_code != 0
        assert result.stdout == ""
    assert "plan_id: Input should be a valid UUID" in bad_fields.stderr
    assert "who: String should have at least 1 character" in bad_fields.stderr
    assert "surprise: Extra inputs are not permitted" in bad_fields.stderr
    assert "not valid JSON" in not_json.stderr
    assert "unknown event type 'PlanApprovd'" in unknown.stderr
    assert "exactly one of --data JSON or --file PATH" in both.stderr
    assert "schema_version 2 is not supported" in future.stderr
    assert await bus_redis.xlen(bus_settings.stream("approvals")) == 0


def test_events_schema_covers_every_event(settings: Settings) -> None:
    everything = _cli(settings, "events", "schema")
    one = _cli(settings, "events", "schema", "ReleaseDecided")

    union = json.loads(everything.stdout)
    assert set(union["discriminator"]["mapping"]) == set(EVENT_TYPES)
    assert set(union["$defs"]) >= set(EVENT_TYPES)
    assert json.loads(one.stdout)["properties"]["event_type"]["const"] == "ReleaseDecided"
