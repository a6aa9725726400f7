"""The AsyncAPI document is built from the topology and the contracts: every reference in it
resolves, every stream and event appears, and every consumer group's reads are operations."""

from __future__ import annotations

from typing import Any

from driftwatch.bus.asyncapi import asyncapi_document
from driftwatch.bus.topology import GROUPS, PRODUCERS, STREAMS
from driftwatch.contracts.events import EVENT_TYPES


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_every_reference_resolves() -> None:
    document = asyncapi_document("test")
    refs = _refs(document)
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_every_stream_event_and_group_read_is_in_the_document() -> None:
    document = asyncapi_document("pfx")
    assert document["asyncapi"].startswith("3.")
    assert set(document["channels"]) == set(STREAMS)
    assert all(c["address"] == f"pfx.{name}" for name, c in document["channels"].items())
    assert set(document["components"]["messages"]) == set(EVENT_TYPES)
    for name, event_class in EVENT_TYPES.items():
        assert name in document["channels"][event_class.STREAM]["messages"]
    operations = document["operations"]
    for group, streams in GROUPS.items():
        for stream in streams:
            assert operations[f"{group}.receive.{stream}"]["action"] == "receive"
    assert set(PRODUCERS) == set(STREAMS)
