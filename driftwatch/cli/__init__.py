"""The ``driftwatch`` command; heavy libraries load inside commands so ``--help`` is fast."""

from __future__ import annotations

from driftwatch.cli.root import app


def main() -> None:
    """Console-script entry point."""
    app()
