"""The bus as an AsyncAPI 3.0 document, built from the topology and the event contracts.

FastStream can describe an app's subscribers, but ours take the raw entry (the effect-once
``Consumer`` parses it), so FastStream would see no payloads. The topology already says who reads
what and the contracts carry every event's JSON Schema; this joins the two, so the document
changes whenever either does and cannot go stale (`driftwatch events asyncapi`, the docs site).
"""

from __future__ import annotations

from typing import Any

from driftwatch.bus.topology import DEADLETTER, GROUPS, PRODUCERS
from driftwatch.contracts.events import EVENT_TYPES

ASYNCAPI_VERSION = "3.0.0"


def asyncapi_document(prefix: str = "driftwatch", version: str = "0") -> dict[str, Any]:
    """AsyncAPI 3.0 of every stream under ``prefix``: channels, messages and operations.

    Args:
        prefix: the stream prefix the addresses carry (``DRIFTWATCH_STREAM_PREFIX``).
        version: the application version to state in ``info``.
    """
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for name, event_class in EVENT_TYPES.items():
        schema = event_class.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
        messages[name] = {
            "name": name,
            "title": name,
            "summary": (event_class.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{name}"},
        }
    for event_class in EVENT_TYPES.values():
        stream = event_class.STREAM
        channel = channels.setdefault(
            stream,
            {"address": f"{prefix}.{stream}", "title": stream, "messages": {}},
        )
        channel["messages"][event_class.__name__] = {
            "$ref": f"#/components/messages/{event_class.__name__}"
        }
    channels[DEADLETTER] = {
        "address": f"{prefix}.{DEADLETTER}",
        "title": DEADLETTER,
        "description": "What a consumer could not handle: the original payload, the consumer, "
        "the error and the delivery count (plain Redis stream fields, not an event).",
        "messages": {},
    }
    operations: dict[str, Any] = {}
    for stream, producers in PRODUCERS.items():
        for producer in producers:
            operations[f"{producer}.send.{stream}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{stream}"},
                "summary": f"{producer} publishes to {stream}",
            }
    for group, streams in GROUPS.items():
        for stream in streams:
            operations[f"{group}.receive.{stream}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{stream}"},
                "summary": f"consumer group {group!r} reads {stream} (XREADGROUP, effect once)",
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "DriftWatch bus",
            "version": version,
            "description": "Redis Streams, one consumer group per consumer kind; every event is "
            "JSON in the entry field `__data__`, one discriminated union on `event_type`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
