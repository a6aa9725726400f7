"""Decision quality: DriftWatch's detections and releases scored against the generator's truth.

Run:
    .venv/bin/python bench/decisions.py            # every scenario, full length (~11 min, 2 cores)
    .venv/bin/python bench/decisions.py --quick    # the first windows of each (~3.5 min)
    .venv/bin/python bench/decisions.py --scenarios stable concept_drift --keep var/bench

Per scenario, windows of 2000 rows (the monitor's default) go through the real monitor window
computation and the real Sentinel, Planner and Release handlers on a real Redis, in one process
(``decision_bus``); labels arrive one window after their traffic. Beside it, on the same windows,
the naive baseline: Evidently's default dataset-drift flag, retrain when flagged, promote when the
candidate's AUC reaches 0.82 (``decision_naive``). Prints one table, then issue 9's targets as met
or missed. Runs on an embedded Valkey of its own unless ``--redis-url`` names a server (then under
its own key prefix per scenario, deleted afterwards): a shared server's keys can be deleted under
a long run by whoever else uses it. Fixed seeds: the same command gives the same decisions.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_SEED = 11
SCENARIOS = ("stable", "feature_drift", "concept_drift", "black_friday")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows per scenario")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument(
        "--policy",
        default="demo",
        help="shipped policy the agents run under (demo promotes to "
        "production, so 'AUC after the release' exists)",
    )
    parser.add_argument("--keep", type=Path, help="keep reports, registry and logs in this folder")
    parser.add_argument("--redis-url", help="run on this Redis instead of an embedded Valkey")
    return parser.parse_args(argv)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load:.1f} at the end"
    )


async def run(args: argparse.Namespace, home: Path) -> int:
    # Imported here, after main() pinned OpenMP: the booster's thread pool reads it when it loads.
    from decision_report import release_notes, table
    from decision_stack import Bench, run_scenario
    from decision_targets import render, verdicts
    from decision_world import WINDOWS, baseline_frame

    from driftwatch.bus.server import start_embedded
    from driftwatch.contracts.policy import load_shipped_policy

    server = None if args.redis_url else start_embedded()
    redis_url = args.redis_url if server is None else server.connection_url + "/0"
    worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    bench = Bench(
        redis_url=redis_url,
        home=home,
        policy_path=load_shipped_policy(args.policy).path,
        baseline=baseline_frame(args.seed),
        seed=args.seed,
        worker=worker,
    )
    rows, began = [], time.perf_counter()
    try:
        for name in args.scenarios:
            windows = WINDOWS[name][1 if args.quick else 0]
            print(f"… {name}: {windows} windows", file=sys.stderr, flush=True)
            found, seconds = await run_scenario(bench, name, windows)
            print(f"  {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
            rows += found
    finally:
        worker.shutdown()
        if server is not None:
            server.stop()
    print(
        f"Decision quality, seed {args.seed}, policy {args.policy!r}, {machine()}, "
        f"{time.perf_counter() - began:.0f} s in all\n"
    )
    print(table(rows))
    print("\nReleases:")
    print(release_notes(rows))
    print()
    print(render(verdicts(rows)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 shared cores: a threaded fit crawls
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.basicConfig(level=logging.ERROR)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        return asyncio.run(run(args, args.keep.resolve()))
    with tempfile.TemporaryDirectory(prefix="driftwatch-decisions-") as folder:
        return asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
