"""The ``driftwatch`` command. Heavy libraries are imported inside commands, so ``--help`` is fast."""

from __future__ import annotations

from driftwatch.cli.root import app


def main() -> None:
    """Console-script entry point."""
    app()
