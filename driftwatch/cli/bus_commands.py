"""``driftwatch events schema``, ``driftwatch publish event`` and ``driftwatch watch``.

The bus and Redis modules load inside the commands, so ``driftwatch --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import app, events_app, publish_app

if TYPE_CHECKING:
    from driftwatch.bus.watch import WatchedEntry
    from driftwatch.settings import Settings


@events_app.command("schema")
def events_schema(
    event_type: Annotated[
        str | None, typer.Argument(help="One event type, e.g. DriftDetected; default: all.")
    ] = None,
) -> None:
    """Print the JSON Schema of every event (the discriminated union), or of one event type."""
    from driftwatch.contracts.events import EVENT_ADAPTER, EVENT_TYPES

    if event_type is None:
        schema = EVENT_ADAPTER.json_schema()
    elif event_type in EVENT_TYPES:
        schema = EVENT_TYPES[event_type].model_json_schema()
    else:
        fail(f"unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})")
    typer.echo(json.dumps(schema, indent=2))


@events_app.command("asyncapi")
def events_asyncapi(
    prefix: Annotated[
        str | None,
        typer.Option(help="Stream prefix of the addresses; default: DRIFTWATCH_STREAM_PREFIX."),
    ] = None,
) -> None:
    """Print the bus as an AsyncAPI 3.0 document (JSON): streams, events, producers, groups."""
    from importlib.metadata import version

    from driftwatch.bus.asyncapi import asyncapi_document

    document = asyncapi_document(prefix or load_settings().stream_prefix, version("driftwatch"))
    typer.echo(json.dumps(document, indent=2))


@publish_app.command("event")
def publish_event(
    event_type: Annotated[
        str, typer.Argument(help="Event type, e.g. PlanApproved (`driftwatch events schema`).")
    ],
    data: Annotated[
        str | None, typer.Option("--data", help="The event's fields as a JSON object.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A JSON file holding the fields; - for stdin.")
    ] = None,
) -> None:
    """Validate an event and publish it; prints its event_id.

    Envelope fields left out are filled in: event_id, occurred_at, producer and a new
    correlation_id. Invalid input exits non-zero with every field error, and nothing is published.
    """
    from driftwatch.bus.publish import LINK_ERRORS, event_stream, publish_sync
    from driftwatch.contracts.events import EVENT_TYPES, default_producer, upcast

    event_class = EVENT_TYPES.get(event_type)
    if event_class is None:
        fail(f"unknown event type {event_type!r} (known: {', '.join(EVENT_TYPES)})")
    fields = _read_fields(data, file)
    if fields.setdefault("event_type", event_type) != event_type:
        fail(f"the data says event_type {fields['event_type']!r}, the command {event_type!r}")
    fields.setdefault("producer", default_producer("driftwatch-cli"))
    try:
        event = event_class.model_validate(upcast(fields))  # an older shape, as on the bus
    except ValueError as error:
        fail(_field_errors(event_type, error))
    settings = load_settings()
    try:
        entry_id = publish_sync(settings, event)
    except LINK_ERRORS as error:
        fail(_no_redis(settings, error))
    err_console.print(
        f"published {event_type} to {event_stream(settings, event)} as entry {entry_id}",
        highlight=False,
    )
    typer.echo(str(event.event_id))


@app.command("watch")
def watch_command(
    stream: Annotated[
        list[str] | None,
        typer.Option("--stream", "-s", help="Stream to show (repeatable); default: every one."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Start at an entry id, a duration back (10m, 2h, 1d) or 0 for all."),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Tail the DriftWatch streams: one line per event, oldest first.

    Without --since it starts from now, so it prints nothing unless --follow is given.
    Without --follow it prints what is stored and exits. Ctrl-C stops it cleanly.
    """
    import asyncio
    from datetime import UTC, datetime

    from driftwatch.bus.publish import LINK_ERRORS
    from driftwatch.bus.watch import parse_since, resolve_streams

    try:
        streams = resolve_streams(stream)
        start = parse_since(since, datetime.now(UTC))
    except ValueError as error:
        fail(str(error))
    settings = load_settings()
    show = _print_json if as_json else _print_line
    try:
        asyncio.run(_watch(settings, streams, start, follow, show))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except LINK_ERRORS as error:
        fail(_no_redis(settings, error))


async def _watch(
    settings: Settings,
    streams: tuple[str, ...],
    start: tuple[int, int] | None,
    follow: bool,
    show: Callable[[WatchedEntry], None],
) -> None:
    from driftwatch.bus.publish import connect
    from driftwatch.bus.watch import watch

    redis = connect(settings, max_connections=2, retries=0)
    try:
        async for entry in watch(redis, settings, streams, start, follow=follow):
            show(entry)
    finally:
        await redis.aclose()


def _print_json(entry: WatchedEntry) -> None:
    record: dict[str, Any] = {"stream": entry.stream, "entry_id": entry.entry_id}
    if entry.event is not None:
        record["event"] = entry.event.model_dump(mode="json")
    elif entry.deadletter is not None:
        record["deadletter"] = entry.deadletter.model_dump(mode="json")
    else:
        record["error"] = entry.error
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _print_line(entry: WatchedEntry) -> None:
    from driftwatch.bus.watch import key_fields

    event, dead = entry.event, entry.deadletter
    when = (event.occurred_at if event is not None else entry.written_at).strftime("%m-%d %H:%M:%S")
    head = f"[dim]{when}[/] [cyan]{entry.stream:<11}[/]"
    if event is not None:
        pairs = "  ".join(f"{k}=[bold]{escape(v)}[/]" for k, v in key_fields(event))
        line = f"{head} [bold]{event.event_type:<17}[/] [magenta]{event.correlation_id.hex[:8]}[/]"
        line += f"  {pairs}"
    elif dead is not None:
        source = dead.source_stream.rsplit(".", 1)[-1]
        line = (
            f"{head} [bold red]{'dead-letter':<17}[/] {escape(dead.event_type or '(undecoded)')} "
            f"from {escape(source)} by {escape(dead.consumer)}: {escape(dead.error)}"
        )
    else:
        line = f"{head} [bold red]{'unreadable':<17}[/] {escape(entry.error or '')}"
    console.print(line, highlight=False, soft_wrap=True)


def _read_fields(data: str | None, file: Path | None) -> dict[str, Any]:
    if (data is None) == (file is None):
        fail("give the event's fields with exactly one of --data JSON or --file PATH")
    if file is None:
        source, text = "--data", str(data)
    elif str(file) == "-":
        source, text = "stdin", sys.stdin.read()
    else:
        try:
            source, text = str(file), file.read_text(encoding="utf-8")
        except OSError as error:
            fail(f"cannot read {file}: {error.strerror}")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"{source} is not valid JSON: {error}")
    if not isinstance(fields, dict):
        fail(f"{source} must be a JSON object of the event's fields, not {type(fields).__name__}")
    return fields


def _field_errors(event_type: str, error: ValueError) -> str:
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return f"invalid {event_type}: {error}"
    lines = [f"invalid {event_type}, nothing published:"]
    for detail in error.errors():
        location = ".".join(str(part) for part in detail["loc"]) or "(event)"
        lines.append(f"  {location}: {detail['msg']}")
    return escape("\n".join(lines))


def _no_redis(settings: Settings, error: BaseException) -> str:
    from urllib.parse import urlsplit

    url = urlsplit(settings.redis_url)
    shown = url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()
    return escape(
        f"no Redis answers at {shown} ({error}). Start one, or point DRIFTWATCH_REDIS_URL at yours."
    )
