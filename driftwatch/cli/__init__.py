"""The ``driftwatch`` command; heavy libraries load inside commands so ``--help`` is fast."""

from __future__ import annotations

from driftwatch.cli import (  # noqa: F401
    agent_commands,
    bus_commands,
    data_commands,
    model_commands,
    monitor_commands,
    policy_commands,
    serve_commands,
    stack_commands,
)
from driftwatch.cli.root import app


def main() -> None:
    """Console-script entry point."""
    app()
