"""Generator throughput: time to generate and to write N rows of each scenario.

Run: .venv/bin/python bench/generate.py [--rows 1000000] [--scenario NAME ...]
Prints one line per scenario: generation seconds, Parquet write seconds, file size, fraud rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from driftwatch.generator import generate, list_scenarios, write_dataset


def main() -> None:
    """Time generate() and write_dataset() per scenario (best of ``--repeat`` runs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", action="append", help="default: every shipped scenario")
    args = parser.parse_args()
    names = args.scenario or [s.name for s in list_scenarios()]
    print(f"{'scenario':<14} {'rows':>9} {'generate_s':>10} {'write_s':>8} {'MB':>6} {'fraud':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            gen_s, write_s = float("inf"), float("inf")
            for _ in range(args.repeat):
                began = time.perf_counter()
                data = generate(name, args.rows, args.seed)
                gen_s = min(gen_s, time.perf_counter() - began)
                began = time.perf_counter()
                path = write_dataset(data, Path(folder) / f"{name}.parquet")
                write_s = min(write_s, time.perf_counter() - began)
            size_mb = path.stat().st_size / 1e6
            rate = data.ground_truth.fraud_rate
            print(
                f"{name:<14} {args.rows:>9,} {gen_s:>10.2f} {write_s:>8.2f} {size_mb:>6.1f} "
                f"{rate:>6.2%}"
            )


if __name__ == "__main__":
    main()
