"""MkDocs hooks: pages generated from the code at build time, so they cannot go stale.

A page holds a marker comment where generated text goes: ``<!-- generated: cli-reference -->``
becomes the reference of every ``driftwatch`` command (from the Typer app), and
``<!-- generated: asyncapi -->`` the bus's streams and events (from the topology and the event
contracts); the AsyncAPI document itself is written beside the site as ``asyncapi.json``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any

CLI_MARKER = "<!-- generated: cli-reference -->"
ASYNCAPI_MARKER = "<!-- generated: asyncapi -->"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Fill the markers of a page with what they stand for."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if ASYNCAPI_MARKER in markdown:
        markdown = markdown.replace(ASYNCAPI_MARKER, asyncapi_tables())
    return markdown


def on_files(files: Any, config: Any, **_: Any) -> Any:
    """Add the AsyncAPI document to the site as ``asyncapi.json``, for AsyncAPI tools to read."""
    from mkdocs.structure.files import File

    from driftwatch.bus.asyncapi import asyncapi_document

    document = asyncapi_document(version=version("driftwatch"))
    files.append(File.generated(config, "asyncapi.json", content=json.dumps(document, indent=2)))
    return files


def cli_reference() -> str:
    """Every command's usage, arguments and options, as Markdown, from the Typer app."""
    import typer
    import typer.cli
    import typer.main

    from driftwatch.cli import app

    command = typer.main.get_command(app)
    text = typer.cli.get_docs_for_click(
        obj=command, ctx=typer.Context(command), name="driftwatch", title=None
    )
    # Typer's page starts at level 1; under the page title every heading goes one level down.
    return "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


def asyncapi_tables() -> str:
    """The streams (with writers and reading groups) and each event's fields, as Markdown."""
    from driftwatch.bus.asyncapi import asyncapi_document
    from driftwatch.bus.topology import GROUPS, PRODUCERS

    document = asyncapi_document()
    lines = ["| stream | events | written by | read by (consumer groups) |", "|---|---|---|---|"]
    for name, channel in document["channels"].items():
        readers = [group for group, streams in GROUPS.items() if name in streams]
        lines.append(
            f"| `{channel['address']}` | {', '.join(f'`{m}`' for m in channel['messages'])} "
            f"| {', '.join(PRODUCERS.get(name, ()))} | {', '.join(readers) or 'fan-out readers'} |"
        )
    schemas = document["components"]["schemas"]
    for name, message in document["components"]["messages"].items():
        lines += ["", f"### {name}", "", message["summary"], ""]
        lines += ["| field | type | description |", "|---|---|---|"]
        for field, spec in schemas[name].get("properties", {}).items():
            kind = _type_of(spec)
            text = str(spec.get("description", "")).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{field}` | {kind} | {text} |")
    return "\n".join(lines)


def _type_of(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return f"`{spec['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in spec:
        return " or ".join(_type_of(option) for option in spec["anyOf"])
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if spec.get("type") == "array":
        return f"list of {_type_of(spec.get('items', {}))}"
    return str(spec.get("type", "any"))
