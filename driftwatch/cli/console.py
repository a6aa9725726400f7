"""Shared Rich consoles and the one way commands fail: a red message and a non-zero exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from driftwatch.settings import Settings

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment; a bad ``DRIFTWATCH_`` value is a clear error."""
    from pydantic import ValidationError

    from driftwatch.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        fail(f"invalid DRIFTWATCH_ settings: {error}")
