"""Every published event version keeps parsing: one JSON fixture per event type and version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.bus.topology import STREAMS
from driftwatch.contracts.events import EVENT_TYPES, parse_event, stream_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
V1 = sorted((FIXTURES / "v1").glob("*.json"))


def test_there_is_a_v1_fixture_of_every_event_type() -> None:
    assert {path.stem for path in V1} == set(EVENT_TYPES)


@pytest.mark.parametrize("path", V1, ids=lambda path: path.stem)
def test_v1_fixture_parses_and_round_trips(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))

    event = parse_event(raw)

    assert type(event).__name__ == path.stem == raw["event_type"]
    assert event.schema_version == 1
    assert parse_event(event.model_dump_json()) == event
    assert json.loads(event.model_dump_json())["event_id"] == raw["event_id"]


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_a_declared_stream(event_type: str) -> None:
    stream = stream_for(event_type, "dw")

    assert stream.removeprefix("dw.") in STREAMS
