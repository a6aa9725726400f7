"""Scenario traffic with Rich progress bars: what ``publish scenario`` and the demos show."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from driftwatch.contracts.features import LABEL
from driftwatch.stack.publisher import Pacing, Published, ScenarioPublisher

TICK_EVERY_S = 1.0


def send_with_progress(
    console: Console,
    api_url: str,
    token: str | None,
    frame: pd.DataFrame,
    pacing: Pacing,
    title: str,
    on_tick: Callable[[Console], None] | None = None,
) -> Published:
    """Send ``frame`` through the API with a bar for the traffic and one for the labels.

    Args:
        on_tick: Called about once a second while sending, with the console to print above
            the bars (the demos print the control plane's events as they happen).

    Raises:
        PublishError: the API is unreachable, has no model, or refused a request.
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    labeled = LABEL in frame.columns
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        traffic = progress.add_task(f"{title}: traffic to {api_url}", total=len(frame))
        labels = progress.add_task(
            f"labels, {pacing.labels_after_windows} window(s) of {pacing.window_rows:,} rows later",
            total=len(frame) if labeled else 0,
        )
        last_tick = [time.monotonic()]

        def advance(task: int, count: int) -> None:
            progress.advance(task, count)
            if on_tick is not None and time.monotonic() - last_tick[0] >= TICK_EVERY_S:
                last_tick[0] = time.monotonic()
                on_tick(progress.console)

        with ScenarioPublisher(
            api_url,
            token,
            on_rows=lambda n: advance(traffic, n),
            on_labels=lambda n: advance(labels, n),
        ) as publisher:
            sent = publisher.publish(frame, pacing)
    versions = ", ".join(f"v{v}: {n:,}" for v, n in sent.rows_by_version.items())
    console.print(
        f"sent {sent.rows:,} transactions ({sent.flagged:,} flagged; {versions}) and "
        f"{sent.labels:,} labels in {sent.requests:,} requests, {sent.seconds:.1f} s"
    )
    return sent
