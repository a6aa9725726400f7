"""``watch`` helpers: --since parsing, stream names and the one-line summary of an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from driftwatch.bus.topology import STREAMS
from driftwatch.bus.watch import key_fields, parse_since, resolve_streams
from driftwatch.contracts.events import parse_event

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "v1"


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (None, None),
        ("0", (0, 0)),
        ("10m", (NOW_MS - 600_000, 0)),
        ("2h", (NOW_MS - 7_200_000, 0)),
        ("30s", (NOW_MS - 30_000, 0)),
        ("1d", (NOW_MS - 86_400_000, 0)),
        ("1717171717171-3", (1717171717171, 3)),
        ("1717171717171", (1717171717171, 0)),
    ],
)
def test_since_values(since: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_since(since, NOW) == expected


@pytest.mark.parametrize("since", ["yesterday", "10 minutes", "-5m", "1-2-3", ""])
def test_bad_since_is_refused_with_the_accepted_forms(since: str) -> None:
    with pytest.raises(ValueError, match="duration such as 10m"):
        parse_since(since, NOW)


def test_streams_default_to_all_and_unknown_names_are_refused() -> None:
    assert resolve_streams(None) == STREAMS
    assert resolve_streams(["plans", "plans", "releases"]) == ("plans", "releases")
    with pytest.raises(ValueError, match="unknown stream 'plan'"):
        resolve_streams(["plan"])


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("DriftDetected", {"type": "feature_drift", "severity": "high", "version": "3"}),
        ("PlanCreated", {"action": "retrain_and_evaluate", "severity": "high"}),
        ("ReleaseDecided", {"decision": "promoted", "candidate": "4", "alias": "staging"}),
        ("MonitoringSummary", {"severity": "high", "drift_share": "0.50", "rev": "1"}),
        ("PredictionBatch", {"version": "3", "rows": "2"}),
        ("LabelFeedback", {"labels": "2"}),
    ],
)
def test_key_fields_pick_what_tells_events_apart(event_type: str, expected: dict[str, str]) -> None:
    event = parse_event(json.loads((FIXTURES / f"{event_type}.json").read_text()))

    fields = dict(key_fields(event))

    assert expected.items() <= fields.items()
