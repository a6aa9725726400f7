"""Serving figures: ``driftwatch serve`` against ``mlflow models serve``, same model, same client.

Run (needs wrk: ``apt-get install wrk``):
    .venv/bin/python bench/serving.py                      # 15 s per run, 32 connections
    .venv/bin/python bench/serving.py --duration 5 --skip-mlflow

Registers one model (the 20k-row baseline) in a temporary MLflow store, promotes it to
``production`` and serves ``models:/fraud-detector@production`` with each server in turn, one
uvicorn worker each, OpenMP at one thread for both. wrk drives every server with the same
connections and duration (after a 3 s warm-up) with a single-row and a 100-row JSON body; each
server gets its own request format (ours: transactions; MLflow: ``dataframe_split``). Our API
publishes to an embedded Valkey the bench starts and stops (streams capped small), so the bench
never fills a shared Redis. Configurations of ours: micro-batching and publishing on (default),
publishing off, micro-batching off (one request per predict call).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
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
OURS_CONFIGS: dict[str, dict[str, str]] = {
    "driftwatch": {},
    "driftwatch, publishing off": {"DRIFTWATCH_PUBLISH_PREDICTIONS": "false"},
    "driftwatch, batching off": {
        "DRIFTWATCH_MICROBATCH_MAX_ROWS": "1",
        "DRIFTWATCH_MICROBATCH_WAIT_MS": "0",
    },
}
LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("{body}"):read("*a")
"""
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Figures:
    server: str
    rows: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(
    url: str, body_file: Path, connections: int, duration_s: int
) -> tuple[float, float, float, int]:
    """(req/s, p50 ms, p99 ms, non-2xx + socket errors) of one wrk run."""
    script = body_file.with_suffix(".lua")
    script.write_text(LUA.format(body=body_file))
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "30s",  # wrk's default 2 s would cut MLflow's tail off the percentiles
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (_latency_ms(out, q) for q in ("50%", "99%"))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return rate, p50, p99, errors


def _latency_ms(out: str, quantile: str) -> float:
    value, unit = re.search(rf"^\s+{quantile}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * UNITS_MS[unit]


def start(command: list[str], env: dict[str, str], ready_url: str, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{command[0]} exited {process.returncode}; see {log}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"{command[0]} was not ready after 180 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(
    name: str, url: str, bodies: dict[int, Path], args: argparse.Namespace
) -> list[Figures]:
    figures = []
    for rows, body in bodies.items():
        wrk(url, body, args.connections, 3)  # warm-up: first requests, caches, connection setup
        rate, p50, p99, errors = wrk(url, body, args.connections, args.duration)
        figures.append(Figures(name, rows, rate, p50, p99, errors))
        print(
            f"  {name:<28} {rows:>3} rows: {rate:8.0f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
        )
    return figures


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


def bus_counts(metrics_url: str) -> str:
    """Rows published and dropped, read from the server's own metrics."""
    totals = {
        sample.name: sample.value
        for family in text_string_to_metric_families(httpx.get(metrics_url).text)
        for sample in family.samples
    }
    published = totals.get("driftwatch_prediction_rows_published_total", 0)
    dropped = totals.get("driftwatch_prediction_rows_dropped_total", 0)
    return f"{published:,.0f} rows published to the bus, {dropped:,.0f} dropped"


def report(figures: list[Figures]) -> None:
    print("\n| server | rows/request | req/s | rows/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        rows_s = f.requests_per_s * f.rows
        print(
            f"| {f.server} | {f.rows} | {f.requests_per_s:,.0f} | {rows_s:,.0f} | "
            f"{f.p50_ms:.1f} | {f.p99_ms:.1f} | {f.errors} |"
        )
    by = {(f.server, f.rows): f for f in figures}
    for rows in (1, 100):
        ours, mlflow = by.get(("driftwatch", rows)), by.get(("mlflow models serve", rows))
        if ours and mlflow:
            print(
                f"\n{rows}-row: throughput x{ours.requests_per_s / mlflow.requests_per_s:.1f} of "
                f"MLflow's, p99 {ours.p99_ms / mlflow.p99_ms:.2f} of MLflow's"
            )
        off = by.get(("driftwatch, publishing off", rows))
        if ours and off:
            cost = 1 - ours.requests_per_s / off.requests_per_s
            print(f"{rows}-row: publishing costs {cost:.1%} of throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="Seconds per measured run.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-mlflow", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="driftwatch-bench-"))
    valkey = start_embedded()
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
        figures: list[Figures] = []
        if not args.skip_mlflow:
            port = free_port()
            model = f"models:/{settings.model_name}@{PRODUCTION}"
            command = [
                str(BIN / "mlflow"),
                "models",
                "serve",
                "-m",
                model,
                "--env-manager",
                "local",
            ]
            server = start(
                [*command, "-h", "127.0.0.1", "-p", str(port)],
                env,
                f"http://127.0.0.1:{port}/ping",
                workdir / "mlflow.log",
            )
            try:
                url = f"http://127.0.0.1:{port}/invocations"
                figures += measure("mlflow models serve", url, mlflow_bodies, args)
            finally:
                stop(server)
        for name, overrides in OURS_CONFIGS.items():
            port = free_port()
            command = [
                str(BIN / "driftwatch"),
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            log = workdir / f"{name.replace(' ', '_').replace(',', '')}.log"
            server = start(
                command, {**env, **overrides}, f"http://127.0.0.1:{port}/health/ready", log
            )
            try:
                figures += measure(name, f"http://127.0.0.1:{port}/predict", ours_bodies, args)
                print(f"  {name}: {bus_counts(f'http://127.0.0.1:{port}/metrics')}")
            finally:
                stop(server)
        report(figures)
    finally:
        valkey.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
