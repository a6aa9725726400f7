"""``up``, ``down``, ``status``, ``logs``, ``demo``, ``control`` and ``publish scenario``.

The local stack without Docker: supervised processes under ``$DRIFTWATCH_HOME/run``. The stack
package (and through it MLflow, httpx, the generator) loads inside the commands, so
``driftwatch --help`` stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import app, publish_app

if TYPE_CHECKING:
    from rich.status import Status


class DemoName(StrEnum):
    """The demos of the original design."""

    feature_drift = "feature-drift"
    concept_drift = "concept-drift"
    black_friday = "black-friday"


@app.command("up")
def up_command(
    mlflow_ui: Annotated[
        bool, typer.Option("--mlflow-ui", help="Also serve the MLflow UI on port 5000.")
    ] = False,
    prometheus: Annotated[
        bool,
        typer.Option("--prometheus", help="Also run Prometheus on 9090 (needs the binary)."),
    ] = False,
    api_port: Annotated[
        int | None, typer.Option(help="API port; default DRIFTWATCH_API_PORT (8000).")
    ] = None,
    free_ports: Annotated[
        bool, typer.Option("--free-ports", help="Pick unused ports instead of the defaults.")
    ] = False,
) -> None:
    """Start the whole system as supervised local processes, and return once it is ready.

    Redis: the one at DRIFTWATCH_REDIS_URL when it answers, else an embedded Valkey. Then the
    API, the monitor and the agents (sentinel, planner, release, audit). Logs go to
    $DRIFTWATCH_HOME/logs; a crashed process is restarted. Stop it with `driftwatch down`.
    """
    from driftwatch.stack.launcher import start_stack
    from driftwatch.stack.layout import StackError, StackOptions
    from driftwatch.stack.report import print_up

    settings = load_settings()
    options = StackOptions(
        api_port=api_port, free_ports=free_ports, mlflow_ui=mlflow_ui, prometheus=prometheus
    )
    try:
        with console.status("starting the stack") as spinner:
            plan = start_stack(settings, options, lambda note: _note(spinner, note))
    except StackError as error:
        fail(str(error))
    print_up(console, plan)


@app.command("down")
def down_command() -> None:
    """Stop what `driftwatch up` started in this home, and only that."""
    from driftwatch.stack.launcher import stop_stack
    from driftwatch.stack.plan import RunDir

    settings = load_settings()
    with console.status("stopping the stack"):
        stopped = stop_stack(RunDir(settings.home))
    if not stopped:
        console.print(f"no stack runs in {settings.home}")
        return
    for line in stopped:
        console.print(f"[green]stopped[/] {line}")


@app.command("status")
def status_command() -> None:
    """Show each process, the model aliases, open incidents and stream lengths."""
    from driftwatch.stack.report import print_status
    from driftwatch.stack.status import stack_status

    print_status(console, stack_status(load_settings()))


@app.command("logs")
def logs_command(
    service: Annotated[
        str | None, typer.Argument(help="api, monitor, sentinel, ...; default: every log.")
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing.")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines of history.")] = 40,
) -> None:
    """Print the end of the local stack's logs ($DRIFTWATCH_HOME/logs), or follow them."""
    from driftwatch.stack.logs import follow as follow_logs
    from driftwatch.stack.logs import last_lines, log_files

    logs_dir = load_settings().logs_dir
    try:
        paths = log_files(logs_dir, service)
    except FileNotFoundError as error:
        fail(str(error))
    if not paths:
        fail(f"no logs in {logs_dir} yet: driftwatch up starts the stack")
    for path in paths:
        for line in last_lines(path, lines):
            _log_line(path, line, len(paths) > 1)
    if not follow:
        return
    try:
        for path, line in follow_logs(paths):
            _log_line(path, line, len(paths) > 1)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command("demo")
def demo_command(
    name: Annotated[DemoName, typer.Argument(help="Which story to run.")],
    home: Annotated[
        Path | None,
        typer.Option(help="Home of the demo's own stack; default $DRIFTWATCH_HOME/demos/NAME."),
    ] = None,
    stream_prefix: Annotated[
        str | None, typer.Option(help="Stream prefix of its own stack; default demo-NAME-xxxxxx.")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy of its own stack; default the shipped demo policy.")
    ] = None,
) -> None:
    """Run a scenario end to end and check the control plane's decision; exit 0 when it is the
    expected one.

    Trains a baseline and puts it in production, streams the scenario through the API (labels
    one window later), then follows monitor -> Sentinel -> Planner -> Release. Uses the stack
    running in $DRIFTWATCH_HOME, else starts one of its own and stops it afterwards.
    """
    from driftwatch.stack.demos import DEMOS
    from driftwatch.stack.layout import StackError
    from driftwatch.stack.publisher import PublishError
    from driftwatch.stack.story import DemoOptions, run_demo

    options = DemoOptions(home=home, stream_prefix=stream_prefix, policy_path=policy)
    try:
        result = run_demo(DEMOS[name.value], load_settings(), options, console)
    except (StackError, PublishError, TimeoutError) as error:
        fail(str(error))
    verdict = "[green]happened[/]" if result.passed else "[red]did not happen[/]"
    console.print(
        f"{name.value}: the expected outcome {verdict} ({result.seconds:.0f} s); "
        f"reports and audit trail in {result.home}"
    )
    raise typer.Exit(0 if result.passed else 1)


@app.command("control")
def control_command(
    summary: Annotated[
        Path | None,
        typer.Option(help="Summary JSON to publish; default: the newest under var/reports."),
    ] = None,
) -> None:
    """Publish the latest `monitor check` summary and follow its incident chain to the release.

    Starts the agents (sentinel, planner, release, audit) for the run when none consume the bus.
    """
    from driftwatch.stack.control import ControlError, control
    from driftwatch.stack.layout import StackError

    try:
        control(load_settings(), summary, console)
    except (ControlError, StackError) as error:
        fail(str(error))


@publish_app.command("scenario")
def publish_scenario_command(
    name: Annotated[
        str, typer.Argument(help="Scenario, e.g. feature_drift (driftwatch scenarios).")
    ],
    rows: Annotated[
        int, typer.Option("--rows", "-n", min=1, help="Transactions to send.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="Generator seed.")] = 0,
    rate: Annotated[
        float | None, typer.Option(min=0.1, help="Rows per second; default: as fast as served.")
    ] = None,
    labels_after_windows: Annotated[
        int,
        typer.Option(min=0, help="Send a window's labels after this many more windows of traffic."),
    ] = 1,
    no_labels: Annotated[bool, typer.Option("--no-labels", help="Send no labels.")] = False,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Rows per request.")] = 200,
    api_url: Annotated[
        str | None, typer.Option(help="API base URL; default: the local stack's, else :8000.")
    ] = None,
) -> None:
    """Stream a scenario's traffic through the running API, then its labels, window by window.

    Example: driftwatch publish scenario feature_drift --rows 12000 --labels-after-windows 1
    """
    from driftwatch.generator import ScenarioError, generate
    from driftwatch.stack.publisher import Pacing, PublishError
    from driftwatch.stack.target import resolve_target
    from driftwatch.stack.traffic import send_with_progress

    settings = load_settings()
    target = resolve_target(settings)
    try:
        frame = generate(name.replace("-", "_"), rows, seed).frame
    except ScenarioError as error:
        fail(str(error))
    if no_labels:
        frame = frame.drop(columns="is_fraud")
    pacing = Pacing(
        batch_rows=batch,
        rate=rate,
        window_rows=target.window_rows,
        labels_after_windows=labels_after_windows,
    )
    token = None if settings.api_token is None else settings.api_token.get_secret_value()
    try:
        send_with_progress(console, api_url or target.api_url, token, frame, pacing, name)
    except PublishError as error:
        fail(str(error))


def _log_line(path: Path, line: str, prefixed: bool) -> None:
    from rich.markup import escape

    prefix = f"[cyan]{path.stem:>10}[/] | " if prefixed else ""
    console.print(prefix + escape(line), highlight=False, soft_wrap=True)


def _note(spinner: Status, note: str) -> None:
    """Waiting notes update the spinner; anything else (which Redis is used) is printed."""
    if note.startswith("waiting for"):
        spinner.update(note)
    else:
        err_console.print(note, highlight=False)
