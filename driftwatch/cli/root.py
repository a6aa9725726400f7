"""The root ``driftwatch`` Typer app and its command groups; command modules attach to these."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="driftwatch",
    help="DriftWatch: watch a fraud model in production and respond under policy.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
events_app = typer.Typer(help="Event contracts.", no_args_is_help=True)
publish_app = typer.Typer(
    help="Publish events or scenario traffic to the bus.", no_args_is_help=True
)
policy_app = typer.Typer(help="Validate and inspect policy files.", no_args_is_help=True)

app.add_typer(events_app, name="events")
app.add_typer(publish_app, name="publish")
app.add_typer(policy_app, name="policy")
