"""Training figures: fit time of the fraud pipeline at 5k, 50k and 200k rows, plus registration.

Run:
    .venv/bin/python bench/train.py                      # 5k, 50k, 200k rows; all cores and 1
    .venv/bin/python bench/train.py --rows 50000 --threads 1 --repeat 3

Each size is generated once (baseline scenario, seed 1), then fitted ``--repeat`` times per
thread setting; the table shows the best fit (wall clock, the booster's early stopping included)
and the holdout AUC/AP, which must not depend on the thread count. ``--register`` also times the
full ``train_and_register`` (fit, log params/metrics/reference/model, register) at 50k rows into
a throwaway SQLite store: the MLflow part is a roughly fixed cost on top of the fit.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence

from driftwatch.generator import generate
from driftwatch.settings import Settings
from driftwatch.training import fit_and_evaluate, train_and_register

DEFAULT_ROWS = (5_000, 50_000, 200_000)
REGISTER_ROWS = 50_000


def _threads(value: str) -> int | None:
    return None if value == "all" else int(value)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    parser.add_argument(
        "--threads", type=_threads, nargs="+", default=[None, 1], help="'all' or a number"
    )
    parser.add_argument("--repeat", type=int, default=2, help="fits per setting; best is shown")
    parser.add_argument("--register", action="store_true", help="also time train_and_register")
    args = parser.parse_args(argv)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cores: {os.cpu_count()}, load average: {load}")
    print(f"{'rows':>8} {'threads':>7} {'fit s':>7} {'iters':>5} {'AUC':>6} {'AP':>6}")
    for rows in args.rows:
        frame = generate("baseline", rows=rows, seed=1).frame
        for threads in args.threads:
            fits = [fit_and_evaluate(frame, seed=0, threads=threads) for _ in range(args.repeat)]
            best = min(fits, key=lambda fitted: fitted.fit_seconds)
            iterations = best.model.pipeline.named_steps["classify"].n_iter_
            print(
                f"{rows:>8,} {threads or 'all':>7} {best.fit_seconds:>7.2f} {iterations:>5} "
                f"{best.metrics.auc:>6.3f} {best.metrics.average_precision:>6.3f}"
            )
    if args.register:
        frame = generate("baseline", rows=REGISTER_ROWS, seed=1).frame
        with tempfile.TemporaryDirectory(prefix="driftwatch-bench-") as home:
            settings = Settings(home=home, mlflow_tracking_uri=f"sqlite:///{home}/mlflow.db")
            train_and_register(frame.head(5_000), settings)  # store init, imports
            started = time.perf_counter()
            result = train_and_register(frame, settings)
            total = time.perf_counter() - started
        print(
            f"train_and_register {REGISTER_ROWS:,} rows: {total:.2f} s "
            f"(fit {result.fit_seconds:.2f} s; scoring, logging, registering "
            f"{total - result.fit_seconds:.2f} s)"
        )


if __name__ == "__main__":
    main()
