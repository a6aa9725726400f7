"""write_dataset: Parquet or CSV plus sidecar, atomically, nothing partial on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from driftwatch.generator import GeneratedData, generate, meta_path, write_dataset
from driftwatch.generator import writer as writer_module


def test_parquet_round_trips_with_dtypes(
    baseline_parquet: Path, baseline_frame: pd.DataFrame
) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(baseline_parquet), baseline_frame)


def test_parquet_footer_has_nothing_time_varying(baseline_parquet: Path) -> None:
    metadata = pq.read_metadata(baseline_parquet)
    assert metadata.created_by.startswith("parquet-cpp-arrow")
    assert set(metadata.metadata) == {b"pandas", b"ARROW:schema"}


def test_sidecar_holds_config_and_ground_truth(
    baseline_parquet: Path, baseline_data: GeneratedData
) -> None:
    meta = json.loads(meta_path(baseline_parquet).read_text())
    assert meta["scenario"]["name"] == "baseline"
    assert meta["rows"] == 20_000
    assert meta["seed"] == 1
    assert meta["ground_truth"]["shifted_columns"] == []
    assert meta["ground_truth"]["fraud_rate"] == baseline_data.ground_truth.fraud_rate
    assert meta["columns"]["timestamp"] == "datetime64[ns, UTC]"


def test_csv_when_the_path_says_so(tmp_path: Path) -> None:
    data = generate("feature_drift", 300, 2)
    path = write_dataset(data, tmp_path / "nested" / "fd.csv")
    back = pd.read_csv(path)
    assert list(back.columns) == list(data.frame.columns)
    assert back["transaction_id"].tolist() == data.frame["transaction_id"].tolist()
    assert pd.to_datetime(back["timestamp"]).equals(data.frame["timestamp"])
    assert meta_path(path).name == "fd.csv.meta.json"


def test_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_module.pq, "write_table", explode)
    with pytest.raises(OSError, match="No space"):
        write_dataset(generate("baseline", 100, 1), tmp_path / "data.parquet")
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    write_dataset(generate("baseline", 500, 1), path)
    write_dataset(generate("baseline", 200, 1), path)
    assert len(pd.read_parquet(path)) == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "data.parquet.meta.json"]


def test_unwritable_directory_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises((FileExistsError, NotADirectoryError)):
        write_dataset(generate("baseline", 10, 1), blocker / "data.parquet")
