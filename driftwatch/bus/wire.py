"""How an event sits in a stream entry, and how to get the payload back out of any entry.

DriftWatch writes one field, ``__data__``, holding the event's JSON. A producer that publishes
through FastStream's broker instead writes FastStream's binary envelope into the same field; both
are read here so such a producer still reaches our consumers. FastStream itself is imported only
when a binary envelope shows up, which keeps ``driftwatch watch`` quick to start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import ValidationError

from driftwatch.contracts.events import Event, UnsupportedSchemaVersion

DATA_FIELD = "__data__"
"""The entry field that carries the event JSON (FastStream's field name)."""

_DATA_KEY = DATA_FIELD.encode()
_FASTSTREAM_BINARY_MAGIC = b"\x89BIN\r\n\x1a\n"
"""First bytes of FastStream's ``BinaryMessageFormatV1`` (its ``IDENTITY_HEADER``)."""


def entry_fields(event: Event) -> dict[str, str]:
    """The stream entry of ``event``: its JSON under ``__data__``."""
    return {DATA_FIELD: event.model_dump_json()}


def entry_payload(fields: Mapping[bytes, bytes]) -> bytes:
    """The event bytes of a raw stream entry, whoever wrote it.

    An entry without ``__data__`` is returned as a JSON object of its fields, so parsing it fails
    with a readable error and a dead-letter keeps everything the entry held.
    """
    data = fields.get(_DATA_KEY)
    if data is None:
        decoded = {_text(key): _text(value) for key, value in fields.items()}
        return json.dumps(decoded).encode()
    if data.startswith(_FASTSTREAM_BINARY_MAGIC):
        from faststream.redis import BinaryMessageFormatV1

        body, _headers = BinaryMessageFormatV1.parse(data)
        return body
    return data


def describe_parse_error(error: Exception) -> str:
    """One line saying why ``parse_event`` refused a payload, for dead-letters and ``watch``."""
    if isinstance(error, UnsupportedSchemaVersion):
        return f"unsupported schema version: {error}"
    if isinstance(error, ValidationError):
        details = [
            f"{'.'.join(str(part) for part in detail['loc']) or 'event'}: {detail['msg']}"
            for detail in error.errors()[:5]
        ]
        more = error.error_count() - len(details)
        return "invalid event: " + "; ".join(details) + (f" (+{more} more)" if more > 0 else "")
    return f"undecodable payload: {error}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
