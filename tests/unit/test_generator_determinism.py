"""Same scenario, rows and seed give the same bytes; anything else gives other data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from driftwatch.contracts.features import FEATURE_NAMES
from driftwatch.generator import generate, write_dataset


@pytest.mark.parametrize("scenario", ["baseline", "black_friday"])
def test_same_inputs_give_byte_identical_parquet_and_sidecar(scenario: str, tmp_path: Path) -> None:
    first = write_dataset(generate(scenario, 5_000, 11), tmp_path / "a" / "data.parquet")
    second = write_dataset(generate(scenario, 5_000, 11), tmp_path / "b" / "data.parquet")
    assert first.read_bytes() == second.read_bytes()
    sidecar = Path(f"{first}.meta.json")
    assert sidecar.read_bytes() == Path(f"{second}.meta.json").read_bytes()


def test_another_seed_gives_other_data() -> None:
    one = generate("baseline", 2_000, 1).frame
    two = generate("baseline", 2_000, 2).frame
    assert not one[list(FEATURE_NAMES)].equals(two[list(FEATURE_NAMES)])


def test_stable_is_an_independent_draw_not_a_copy_of_baseline() -> None:
    baseline = generate("baseline", 2_000, 1).frame[list(FEATURE_NAMES)]
    stable = generate("stable", 2_000, 1).frame[list(FEATURE_NAMES)]
    assert (baseline["transaction_amount"] != stable["transaction_amount"]).mean() > 0.9


def test_generation_leaves_no_global_random_state_behind() -> None:
    import numpy as np

    before = np.random.get_state()[1].copy()
    generate("baseline", 100, 1)
    assert (np.random.get_state()[1] == before).all()
    pd.testing.assert_frame_equal(
        generate("feature_drift", 500, 9).frame, generate("feature_drift", 500, 9).frame
    )
