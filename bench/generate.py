"""Generator figures: throughput per scenario and, with --quality, what a baseline model sees.

Run:
    .venv/bin/python bench/generate.py                 # 1M rows of every scenario
    .venv/bin/python bench/generate.py --quality       # plus AUC/AP of a baseline-trained model

Throughput: best-of-``--repeat`` seconds to generate and to write Parquet, file size, fraud rate.
Quality: a HistGradientBoosting model fitted on baseline (40k rows, seed 1), scored on 40k rows
(seed 2) of each scenario, restricted to the rows where every drift is at full strength.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from driftwatch.contracts.features import FEATURE_NAMES, LABEL
from driftwatch.generator import GeneratedData, generate, list_scenarios, write_dataset


def throughput(names: list[str], rows: int, seed: int, repeat: int) -> None:
    """Print generation and write times for ``rows`` rows of each scenario."""
    print(f"{'scenario':<14} {'rows':>9} {'generate_s':>10} {'write_s':>8} {'MB':>6} {'fraud':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            gen_s, write_s = float("inf"), float("inf")
            for _ in range(repeat):
                began = time.perf_counter()
                data = generate(name, rows, seed)
                gen_s = min(gen_s, time.perf_counter() - began)
                began = time.perf_counter()
                path = write_dataset(data, Path(folder) / f"{name}.parquet")
                write_s = min(write_s, time.perf_counter() - began)
            size_mb = path.stat().st_size / 1e6
            rate = data.ground_truth.fraud_rate
            print(
                f"{name:<14} {rows:>9,} {gen_s:>10.2f} {write_s:>8.2f} {size_mb:>6.1f} {rate:>6.2%}"
            )


def full_strength(data: GeneratedData) -> pd.DataFrame:
    """Rows where every drift of the data set is at full strength (all rows without drifts)."""
    frame = data.frame
    for drift in data.ground_truth.drifts:
        start = drift.full_row if drift.full_row is not None else len(frame)
        frame = frame.iloc[
            (frame.index >= start) & (frame.index < (drift.end_row or len(data.frame)))
        ]
    return frame


def quality(names: list[str]) -> None:
    """Print fraud rate, ROC AUC and AP of a baseline-trained model on each scenario."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score, roc_auc_score
    from threadpoolctl import threadpool_limits

    def features(frame: pd.DataFrame) -> pd.DataFrame:
        x = frame[list(FEATURE_NAMES)].copy()
        for column in ("merchant_category", "channel"):
            x[column] = x[column].astype("category")
        return x

    train = generate("baseline", 40_000, 1).frame
    model = HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_iter=200, learning_rate=0.05, random_state=0
    )
    with threadpool_limits(limits=1):
        model.fit(features(train), train[LABEL])
        print(f"\n{'scenario':<14} {'rows':>7} {'fraud':>6} {'auc':>6} {'ap':>6}")
        for name in names:
            rows = full_strength(generate(name, 40_000, 2))
            scores = model.predict_proba(features(rows))[:, 1]
            auc = roc_auc_score(rows[LABEL], scores)
            ap = average_precision_score(rows[LABEL], scores)
            print(f"{name:<14} {len(rows):>7,} {rows[LABEL].mean():>6.2%} {auc:>6.3f} {ap:>6.3f}")


def main() -> None:
    """Parse arguments and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", action="append", help="default: every shipped scenario")
    parser.add_argument("--quality", action="store_true", help="also score a baseline model")
    args = parser.parse_args()
    names = args.scenario or [s.name for s in list_scenarios()]
    throughput(names, args.rows, args.seed, args.repeat)
    if args.quality:
        quality(names)


if __name__ == "__main__":
    main()
