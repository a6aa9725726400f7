"""How events sit in stream entries, and how bad entries are described (no Redis here)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from faststream.redis import BinaryMessageFormatV1

from driftwatch.bus.deadletter import DeadLetter, deadletter_fields
from driftwatch.bus.handling import Consumer
from driftwatch.bus.topology import GROUPS, STREAMS, group_streams
from driftwatch.bus.wire import describe_parse_error, entry_fields, entry_payload
from driftwatch.contracts.events import PlanApproved, ReleaseDecided, parse_event
from driftwatch.settings import Settings


def _approval() -> PlanApproved:
    return PlanApproved(plan_id=uuid.uuid4(), who="alice")


def test_an_entry_carries_the_event_json_under_data() -> None:
    event = _approval()

    fields = entry_fields(event)
    raw = {key.encode(): value.encode() for key, value in fields.items()}

    assert list(fields) == ["__data__"]
    assert parse_event(entry_payload(raw)) == event


def test_faststream_binary_envelope_is_unwrapped() -> None:
    event = _approval()
    wrapped = asyncio.run(
        BinaryMessageFormatV1.encode(
            message=event.model_dump(mode="json"),
            reply_to=None,
            headers=None,
            correlation_id="c-1",
        )
    )

    assert parse_event(entry_payload({b"__data__": wrapped})) == event


def test_an_entry_without_data_becomes_a_json_object_of_its_fields() -> None:
    payload = entry_payload({b"foo": b"bar", b"n": b"\xff"})

    assert json.loads(payload) == {"foo": "bar", "n": "\\xff"}


@pytest.mark.parametrize(
    ("payload", "start"),
    [
        (b"not json", "undecodable payload: "),
        (b'{"event_type": "Nope"}', "invalid event: "),
        (b'{"event_type": "PlanApproved", "who": ""}', "invalid event: PlanApproved."),
        (
            json.dumps({**_approval().model_dump(mode="json"), "schema_version": 2}).encode(),
            "unsupported schema version: PlanApproved schema_version 2",
        ),
    ],
)
def test_parse_errors_are_described_in_one_line(payload: bytes, start: str) -> None:
    try:
        parse_event(payload)
    except ValueError as error:
        description = describe_parse_error(error)
    else:
        pytest.fail("parse_event accepted a bad payload")

    assert description.startswith(start)
    assert "\n" not in description


def test_a_deadletter_entry_reads_back() -> None:
    fields = deadletter_fields(
        payload=b"\xffnot json",
        error="undecodable payload: x",
        consumer="release",
        consumer_name="release@host:1:abc",
        delivery_count=1,
        source_stream="dw.approvals",
        message_id="1-0",
    )
    raw = {
        key.encode(): value if isinstance(value, bytes) else value.encode()
        for key, value in fields.items()
    }

    letter = DeadLetter.from_fields(raw)

    assert letter.payload == "\\xffnot json"
    assert (letter.consumer, letter.delivery_count, letter.event_id) == ("release", 1, None)


def test_topology_groups_read_declared_streams_only() -> None:
    assert all(set(streams) <= set(STREAMS) for streams in GROUPS.values())
    assert group_streams("release") == ("plans", "approvals")
    with pytest.raises(ValueError, match="unknown consumer group 'nobody'"):
        group_streams("nobody")


def test_a_handler_for_an_event_the_group_never_reads_is_refused() -> None:
    async def handler(event: object, ctx: object) -> list[object]:
        return []

    with pytest.raises(ValueError, match="ReleaseDecided is published to 'releases'"):
        Consumer(Settings(), "planner", {ReleaseDecided: handler})
