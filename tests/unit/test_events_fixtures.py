"""Every published event version keeps parsing: one JSON fixture per event type and version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.bus.topology import STREAMS
from driftwatch.contracts.events import (
    EVENT_TYPES,
    UPCASTERS,
    MonitoringSummary,
    parse_event,
    stream_for,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
V1 = sorted((FIXTURES / "v1").glob("*.json"))
LATER = sorted(FIXTURES.glob("v[2-9]*/*.json"))


def test_there_is_a_v1_fixture_of_every_event_type() -> None:
    assert {path.stem for path in V1} == set(EVENT_TYPES)


@pytest.mark.parametrize("path", V1, ids=lambda path: path.stem)
def test_v1_fixture_parses_and_round_trips(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))

    event = parse_event(raw)

    assert type(event).__name__ == path.stem == raw["event_type"]
    assert event.schema_version == type(event).SCHEMA_VERSION  # older shapes come upcast
    assert parse_event(event.model_dump_json()) == event
    assert json.loads(event.model_dump_json())["event_id"] == raw["event_id"]


@pytest.mark.parametrize("path", LATER, ids=lambda path: f"{path.parent.name}-{path.stem}")
def test_later_fixture_parses_as_its_version(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))

    event = parse_event(raw)

    assert event.schema_version == raw["schema_version"] == type(event).SCHEMA_VERSION
    assert parse_event(event.model_dump_json()) == event


def test_a_v1_monitoring_summary_upcasts_without_peak_or_significance() -> None:
    raw = json.loads((FIXTURES / "v1" / "MonitoringSummary.json").read_text(encoding="utf-8"))

    summary = parse_event(raw)

    assert isinstance(summary, MonitoringSummary)
    assert summary.volume is not None
    assert (summary.volume.peak_ratio, summary.volume.peak_hour) == (None, None)
    assert summary.volume.surge_hours == 0
    assert summary.volume.ratio == raw["volume"]["ratio"]
    assert {(c.p_value, c.significance_level) for c in summary.columns} == {(None, None)}


def test_every_later_version_has_an_upcaster_from_the_one_before() -> None:
    for event_type, cls in EVENT_TYPES.items():
        for version in range(1, cls.SCHEMA_VERSION):
            assert (event_type, version) in UPCASTERS


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_a_declared_stream(event_type: str) -> None:
    stream = stream_for(event_type, "dw")

    assert stream.removeprefix("dw.") in STREAMS
