"""The dead-letter entry: what a consumer could not handle, kept whole for a person to inspect.

A dead-letter is not an event (it may hold bytes that never were one), so it is a flat stream
entry of its own in ``{prefix}.deadletter``, written in the same transaction as the XACK that
removes the original from its group's pending list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeadLetter(BaseModel):
    """One dead-lettered delivery, as stored in the ``deadletter`` stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payload: str = Field(description="The original payload (bytes shown as UTF-8, escaped).")
    error: str = Field(description="Why the consumer gave up on it.")
    consumer: str = Field(description="Consumer group that dead-lettered it.")
    consumer_name: str = Field(description="The replica holding it when it was dead-lettered.")
    delivery_count: int = Field(ge=0, description="Deliveries so far, this one included.")
    source_stream: str = Field(description="Full name of the stream it came from.")
    message_id: str = Field(description="Its entry id in the source stream.")
    event_type: str | None = Field(None, description="When the payload was a known event.")
    event_id: str | None = Field(None, description="When the payload was a valid event.")
    deadlettered_at: AwareDatetime

    @classmethod
    def from_fields(cls, fields: Mapping[bytes, bytes]) -> Self:
        """Read an entry of the ``deadletter`` stream."""
        return cls.model_validate(
            {
                key.decode(): value.decode("utf-8", "backslashreplace")
                for key, value in fields.items()
            }
        )


def deadletter_fields(
    *,
    payload: bytes,
    error: str,
    consumer: str,
    consumer_name: str,
    delivery_count: int,
    source_stream: str,
    message_id: str,
    event_type: str | None = None,
    event_id: str | None = None,
) -> dict[str, bytes | str]:
    """The entry to XADD to ``deadletter``; the payload is kept byte for byte."""
    fields: dict[str, bytes | str] = {
        "payload": payload,
        "error": error,
        "consumer": consumer,
        "consumer_name": consumer_name,
        "delivery_count": str(delivery_count),
        "source_stream": source_stream,
        "message_id": message_id,
        "deadlettered_at": datetime.now(UTC).isoformat(),
    }
    if event_type is not None:
        fields["event_type"] = event_type
    if event_id is not None:
        fields["event_id"] = event_id
    return fields
