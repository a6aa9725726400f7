"""Serving figures: ``driftwatch serve`` against ``mlflow models serve``, same model, same client.

Run (needs wrk: ``apt-get install wrk``):
    .venv/bin/python bench/serving.py                 # 10 s runs, 3 rounds, 32 connections
    .venv/bin/python bench/serving.py --duration 5 --rounds 1 --skip-mlflow

Registers the 20k-row baseline model in a temporary MLflow store as ``production`` and serves
``models:/fraud-detector@production`` with MLflow and with three configurations of ours (default;
publishing off; micro-batching off), one uvicorn worker and one OpenMP thread each. All servers
start first; wrk then drives them in turn, round after round, with a single-row and a 100-row
body (each in its server's own format). Each figure is the median over the rounds, so a busy
moment of a shared machine does not land on one server only; CPU ms per request (the server's
process tree, from /proc) is steadier than req/s there. Our API publishes to an embedded Valkey
the bench starts itself (streams capped small), never to a shared Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from driftwatch.bus.server import start_embedded
from driftwatch.contracts.features import FEATURE_NAMES
from driftwatch.generator import generate
from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, promote, train_and_register

BIN = Path(sys.executable).parent
MLFLOW = "mlflow models serve"
OURS_CONFIGS: dict[str, dict[str, str]] = {
    "driftwatch": {},
    "driftwatch, publishing off": {"DRIFTWATCH_PUBLISH_PREDICTIONS": "false"},
    "driftwatch, batching off": {
        "DRIFTWATCH_MICROBATCH_MAX_ROWS": "1",
        "DRIFTWATCH_MICROBATCH_WAIT_MS": "0",
    },
}
LUA = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """One wrk run (or the median of several), with the server's CPU time per request."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    errors: int


@dataclass(frozen=True)
class Server:
    """A started server: its name, the URL wrk drives and its request bodies by rows."""

    name: str
    url: str
    bodies: dict[int, Path]
    process: subprocess.Popen


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants (MLflow forks uvicorn)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # exited between the listing and the read
            continue
    return total


def wrk(server: Server, rows: int, connections: int, duration_s: int) -> Run:
    script = server.bodies[rows].with_suffix(".lua")
    script.write_text(LUA + f'wrk.body = io.open("{server.bodies[rows]}"):read("*a")\n')
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency", "-s", str(script)]
    command += ["--timeout", "30s", server.url]  # the 2 s default would cut MLflow's tail off
    cpu_before = cpu_seconds(server.process.pid)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server.process.pid) - cpu_before
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", out)
    return Run(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_latency_ms(out, "50%"),
        p99_ms=_latency_ms(out, "99%"),
        cpu_ms=1000 * cpu / max(int(re.search(r"(\d+) requests in", out).group(1)), 1),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    )


def _latency_ms(out: str, quantile: str) -> float:
    value, unit = re.search(rf"^\s+{quantile}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * UNITS_MS[unit]


def measure(servers: list[Server], args: argparse.Namespace) -> dict[tuple[str, int], Run]:
    """Round-robin wrk runs over every server; the median run of each (server, rows)."""
    medians = {}
    for rows in (1, 100):
        for server in servers:  # warm-up: first requests, caches, connections
            wrk(server, rows, args.connections, 3)
        runs: dict[str, list[Run]] = {server.name: [] for server in servers}
        for round_ in range(args.rounds):
            for server in servers:
                run = wrk(server, rows, args.connections, args.duration)
                runs[server.name].append(run)
                print(f"  round {round_ + 1} {server.name:<28} {rows:>3} rows: {_row(run)}")
        for name, measured in runs.items():
            medians[name, rows] = Run(
                *(
                    statistics.median(getattr(run, field) for run in measured)
                    for field in ("requests_per_s", "p50_ms", "p99_ms", "cpu_ms")
                ),
                errors=sum(run.errors for run in measured),
            )
    return medians


def _row(run: Run) -> str:
    return (
        f"{run.requests_per_s:6.0f} req/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms"
        f"  CPU {run.cpu_ms:5.2f} ms/request"
    )


def start(
    name: str, command: list[str], env: dict[str, str], ready: str, log: Path
) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} exited {process.returncode}; see {log}")
        try:
            if httpx.get(ready, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"{name} was not ready after 180 s; see {log}")


def start_servers(settings: Settings, workdir: Path, skip_mlflow: bool, out: list[Server]) -> None:
    """Start MLflow and our configurations, appending each to ``out`` as soon as it runs."""
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "OMP_NUM_THREADS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "DRIFTWATCH_HOME": str(settings.home),
        "DRIFTWATCH_REDIS_URL": settings.redis_url,
        "DRIFTWATCH_STREAM_PREFIX": settings.stream_prefix,
        "DRIFTWATCH_STREAM_MAXLEN": str(settings.stream_maxlen),
    }
    ours_bodies, mlflow_bodies = bodies(workdir)
    if not skip_mlflow:
        base = f"http://127.0.0.1:{free_port()}"
        model = f"models:/{settings.model_name}@{PRODUCTION}"
        command = [str(BIN / "mlflow"), "models", "serve", "-m", model, "--env-manager", "local"]
        command += ["-h", "127.0.0.1", "-p", base.rsplit(":", 1)[1]]
        process = start(MLFLOW, command, env, f"{base}/ping", workdir / "mlflow.log")
        out.append(Server(MLFLOW, f"{base}/invocations", mlflow_bodies, process))
    for index, (name, overrides) in enumerate(OURS_CONFIGS.items()):
        port = free_port()
        command = [str(BIN / "driftwatch"), "serve", "--port", str(port), "--log-level", "warning"]
        base = f"http://127.0.0.1:{port}"
        log = workdir / f"driftwatch-{index}.log"
        process = start(name, command, {**env, **overrides}, f"{base}/health/ready", log)
        out.append(Server(name, f"{base}/predict", ours_bodies, process))


def bodies(workdir: Path) -> tuple[dict[int, Path], dict[int, Path]]:
    """(our bodies, MLflow bodies) by rows per request, written as files for wrk."""
    frame = generate("stable", rows=100, seed=11).frame[list(FEATURE_NAMES)].astype(object)
    records = frame.to_dict("records")
    ours, theirs = {}, {}
    for rows in (1, 100):
        ours[rows] = workdir / f"ours-{rows}.json"
        ours[rows].write_text(json.dumps(records[0] if rows == 1 else records[:rows]))
        split = {"columns": list(FEATURE_NAMES), "data": frame.head(rows).values.tolist()}
        theirs[rows] = workdir / f"mlflow-{rows}.json"
        theirs[rows].write_text(json.dumps({"dataframe_split": split}))
    return ours, theirs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bus_counts(server: Server) -> str:
    """Rows our server published and dropped, from its own metrics."""
    text = httpx.get(server.url.replace("/predict", "/metrics")).text
    totals = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    published = totals.get("driftwatch_prediction_rows_published_total", 0)
    dropped = totals.get("driftwatch_prediction_rows_dropped_total", 0)
    return f"{server.name}: {published:,.0f} rows published to the bus, {dropped:,.0f} dropped"


def report(medians: dict[tuple[str, int], Run]) -> None:
    print(
        "\n| server | rows/request | req/s | rows/s | p50 ms | p99 ms | CPU ms/request | errors |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (name, rows), m in medians.items():
        print(
            f"| {name} | {rows} | {m.requests_per_s:,.0f} | {m.requests_per_s * rows:,.0f} | "
            f"{m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.cpu_ms:.2f} | {m.errors} |"
        )
    for rows in (1, 100):
        ours, mlflow = medians.get(("driftwatch", rows)), medians.get((MLFLOW, rows))
        off = medians.get(("driftwatch, publishing off", rows))
        if ours and mlflow:
            print(
                f"{rows}-row: throughput x{ours.requests_per_s / mlflow.requests_per_s:.1f} of "
                f"MLflow's, p99 {ours.p99_ms / mlflow.p99_ms:.2f} of MLflow's"
            )
        if ours and off:
            print(
                f"{rows}-row: publishing costs {1 - ours.requests_per_s / off.requests_per_s:.1%}"
                f" of throughput and {ours.cpu_ms / off.cpu_ms - 1:.1%} more CPU per request"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="Seconds per measured run.")
    parser.add_argument("--rounds", type=int, default=3, help="Runs per server; median reported.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="driftwatch-bench-"))
    valkey = start_embedded()
    servers: list[Server] = []
    try:
        settings = Settings(
            home=workdir / "var",
            redis_url=valkey.connection_url + "/0",
            stream_prefix=f"bench-{uuid.uuid4().hex[:8]}",
            stream_maxlen=200,
        )
        print(f"training and registering the baseline model in {settings.home} ...")
        trained = train_and_register(generate("baseline", 20_000, 1).frame, settings, threads=1)
        promote(settings, trained.version, PRODUCTION)
        start_servers(settings, workdir, args.skip_mlflow, servers)
        medians = measure(servers, args)
        for server in (server for server in servers if server.name != MLFLOW):
            print(bus_counts(server))
        report(medians)
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(timeout=30)
        valkey.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
