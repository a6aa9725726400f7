"""Monitor figures: time per window against bare Evidently and SciPy, and the stable false alarms.

Run:
    .venv/bin/python bench/monitor.py timing                 # 5k, 50k, 200k rows x 12 columns
    .venv/bin/python bench/monitor.py timing --sizes 5000 --repeat 1
    .venv/bin/python bench/monitor.py false-alarms           # 120 stable windows of 2000 rows

Both fit the baseline model once (20k rows, seed 0) and score every frame with it. Frames have
12 columns: the ten features, the score and the label.

timing, per size (current = that many ``feature_drift`` rows, reference = that many baseline
rows), best of ``--repeat``, wall and CPU seconds of this process (CPU is steadier on a shared
machine):
  ours         ``judge_window``: time matching, Evidently DataDriftPreset on the features and
               the score, significance gate, AUC/AP/precision/recall with the bootstrap bound
               (2000 draws), volume.
  drift part   ``judge_window`` without performance and volume: matching, Evidently, the gate.
  evidently    bare ``Report([DataDriftPreset(...)])`` on the same 11 drift columns, same tests.
  scipy        per-column KS (numbers) / chi-square (categories): the floor.
  write        ours again for the files: Evidently HTML, summary.json, window Parquet (apart).
  overhead     ours / evidently, and drift part / evidently, on CPU seconds of computation.

false-alarms: consecutive windows of the ``stable`` scenario (a fresh draw of the baseline world,
every row labeled), each judged exactly as the stream monitor judges a window against the model's
scored 25 % holdout (what a registered version carries as its reference); prints how many came
out above ``none`` and the largest statistics seen.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd

from driftwatch.contracts.features import FEATURE_NAMES, SCORE, TIMESTAMP
from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.generator import generate
from driftwatch.monitor.assess import Reference, judge_window, window_seed
from driftwatch.monitor.columns import ColumnMapping
from driftwatch.monitor.drift import DriftTests, compute_drift
from driftwatch.monitor.significance import two_sample_p_value
from driftwatch.monitor.timematch import matched_reference
from driftwatch.training.fit import fit_and_evaluate
from driftwatch.training.pipeline import FraudModel

HOLDOUT_SHARE = 0.25


def fitted_model() -> tuple[FraudModel, pd.DataFrame]:
    fitted = fit_and_evaluate(generate("baseline", 20_000, 1).frame, seed=0)
    return fitted.model, fitted.holdout


def scored(model: FraudModel, scenario: str, rows: int, seed: int, skip: int = 0) -> pd.DataFrame:
    frame = generate(scenario, skip + rows, seed).frame.iloc[skip:].reset_index(drop=True)
    return frame.assign(**{SCORE: model.predict_proba(frame)})


def clocked(
    repeat: int, work: Callable[..., Any], *args: Any, **kwargs: Any
) -> tuple[float, float, Any]:
    """Best wall and CPU seconds of ``repeat`` calls of ``work(*args, **kwargs)``, last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work(*args, **kwargs)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def bare_evidently(reference: pd.DataFrame, current: pd.DataFrame, tests: DriftTests) -> Any:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    mapping = ColumnMapping.default()
    definition = DataDefinition(
        numerical_columns=[*mapping.numerical, SCORE], categorical_columns=list(mapping.categorical)
    )
    columns = [*FEATURE_NAMES, SCORE]
    report = Report(
        [
            DataDriftPreset(
                columns=columns,
                num_method=tests.num_test,
                cat_method=tests.cat_test,
                num_threshold=tests.num_threshold,
                cat_threshold=tests.cat_threshold,
            )
        ]
    )
    return report.run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )


def drift_part(reference: Reference, current: pd.DataFrame, tests: DriftTests) -> Any:
    """What ``judge_window`` does for drift alone: time matching, Evidently, the gate."""
    compared = matched_reference(reference.frame, current[TIMESTAMP], TIMESTAMP, seed=1)
    return compute_drift(compared, current, reference.mapping, tests)


def scipy_floor(reference: pd.DataFrame, current: pd.DataFrame) -> list[float]:
    mapping = ColumnMapping.default()
    return [
        two_sample_p_value(reference[name], current[name], mapping.kind(name))
        for name in [*FEATURE_NAMES, SCORE]
    ]


def timing(sizes: list[int], repeat: int) -> None:
    model, _ = fitted_model()
    print(
        "| rows | ours s (cpu) | ours, drift part s (cpu) | Evidently preset s (cpu) |"
        " SciPy KS/chi2 s | overhead | overhead, drift part | report files s | reference prep s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        print(time_size(model, size, repeat), flush=True)


def time_size(model: FraudModel, size: int, repeat: int) -> str:
    """One table row: ``size`` current rows against ``size`` reference rows."""
    import tempfile
    from pathlib import Path

    from driftwatch.contracts.events import MonitoringSummary
    from driftwatch.monitor.reports import WindowPaths, write_window

    policy = load_shipped_policy().policy
    tests = DriftTests()
    reference_frame = scored(model, "baseline", size, seed=3)
    current = scored(model, "feature_drift", size, seed=4)
    prep_wall, _, reference = clocked(1, Reference.build, reference_frame)
    ours_wall, ours_cpu, judgement = clocked(
        repeat, judge_window, reference, current, tests=tests, policy=policy, threshold=0.5, seed=1
    )
    drift_wall, drift_cpu, _ = clocked(repeat, drift_part, reference, current, tests)
    bare_wall, bare_cpu, _ = clocked(repeat, bare_evidently, reference_frame, current, tests)
    floor_wall, _, _ = clocked(repeat, scipy_floor, reference_frame, current)
    summary = MonitoringSummary(
        window_id="bench",
        revision=0,
        window_start=current.timestamp.min(),
        window_end=current.timestamp.max(),
        model_name="bench",
        model_version="1",
        n_reference=size,
        n_current=size,
        **judgement.summary_fields(),
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = WindowPaths.of(Path(tmp), "bench")
        write_wall, _, _ = clocked(1, write_window, paths, summary, current, judgement.snapshot)
    return (
        f"| {size:,} | {ours_wall:.2f} ({ours_cpu:.2f}) | {drift_wall:.2f} ({drift_cpu:.2f}) "
        f"| {bare_wall:.2f} ({bare_cpu:.2f}) | {floor_wall:.3f} | {ours_cpu / bare_cpu:.2f} "
        f"| {drift_cpu / bare_cpu:.2f} | {write_wall:.2f} | {prep_wall:.2f} |"
    )


def false_alarms(windows: int, rows: int, seed: int) -> None:
    model, holdout = fitted_model()
    reference = Reference.build(holdout, traffic_share=HOLDOUT_SHARE)
    policy = load_shipped_policy()
    stable = scored(model, "stable", windows * rows, seed=seed)
    severities: Counter[str] = Counter()
    drifted: Counter[str] = Counter()
    largest: dict[str, float] = {}
    lowest_bounds, seconds = [], []
    for index in range(windows):
        window = stable.iloc[index * rows : (index + 1) * rows]
        started = time.perf_counter()
        judgement = judge_window(
            reference,
            window,
            tests=DriftTests(),
            policy=policy.policy,
            threshold=model.threshold,
            seed=window_seed(f"stable-{index}"),
        )
        seconds.append(time.perf_counter() - started)
        severities[judgement.severity] += 1
        for column in judgement.drift.columns:
            largest[column.column] = max(largest.get(column.column, 0.0), column.statistic)
            drifted[column.column] += column.drifted
        performance = judgement.labels.performance
        if performance is not None and performance.auc_drop_lower is not None:
            lowest_bounds.append(performance.auc_drop_lower)
    above = windows - severities["none"]
    print(f"stable, seed {seed}: {windows} windows of {rows} rows vs {len(reference)} reference")
    print(f"windows above none: {above} ({above / windows:.1%}); by severity {dict(severities)}")
    print(f"columns flagged: {dict(+drifted) or 'none'}")
    statistics_seen = ", ".join(f"{name} {value:.3f}" for name, value in largest.items())
    print(f"largest statistic per column (threshold 0.1): {statistics_seen}")
    low = policy.policy.performance_thresholds.low
    print(f"largest AUC-drop lower bound: {max(lowest_bounds):+.4f} (policy low: {low})")
    print(f"median seconds per window: {statistics.median(seconds):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    timing_args = sub.add_parser("timing", help="time per window vs Evidently and SciPy")
    timing_args.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 200_000])
    timing_args.add_argument("--repeat", type=int, default=2)
    alarms = sub.add_parser("false-alarms", help="windows above none on the stable scenario")
    alarms.add_argument("--windows", type=int, default=120)
    alarms.add_argument("--rows", type=int, default=2000)
    alarms.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.command == "timing":
        timing(args.sizes, args.repeat)
    else:
        false_alarms(args.windows, args.rows, args.seed)


if __name__ == "__main__":
    main()
