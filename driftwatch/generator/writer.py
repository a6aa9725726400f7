"""Write a generated data set and its ``.meta.json`` sidecar atomically.

Both files are written to temporaries beside their targets and renamed into place, so a failed
write leaves no partial file. Parquet bytes depend only on the data: pyarrow's footer holds the
library version and the schema, nothing time-varying, so a re-run is byte-identical.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftwatch.generator.dataset import GeneratedData

FORMAT_VERSION = 1  # bumped when the sidecar's shape changes


def meta_path(path: Path) -> Path:
    """The sidecar of ``path``: ``PATH.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def metadata(data: GeneratedData, path: Path) -> dict[str, Any]:
    """The sidecar content: exact config, ground truth and the column layout."""
    return {
        "format_version": FORMAT_VERSION,
        "file": path.name,
        "scenario": data.scenario.model_dump(mode="json"),
        "rows": len(data.frame),
        "seed": data.ground_truth.seed,
        "start": data.ground_truth.start,
        "columns": {name: str(dtype) for name, dtype in data.frame.dtypes.items()},
        "ground_truth": data.ground_truth.to_dict(),
    }


def write_dataset(data: GeneratedData, path: Path) -> Path:
    """Write ``data`` to ``path`` (Parquet, or CSV when it ends in ``.csv``) plus its sidecar.

    Missing parent directories are created.

    Returns:
        ``path``.

    Raises:
        OSError: the directory cannot be created or written; nothing is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar = json.dumps(metadata(data, path), indent=2, sort_keys=True) + "\n"
    is_csv = path.suffix.lower() == ".csv"
    with _Staged(path) as data_tmp, _Staged(meta_path(path)) as meta_tmp:
        if is_csv:
            data.frame.to_csv(data_tmp, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        else:
            table = pa.Table.from_pandas(data.frame, preserve_index=False)
            pq.write_table(table, data_tmp, compression="zstd")
        meta_tmp.write_text(sidecar, encoding="utf-8")
        os.replace(data_tmp, path)
        os.replace(meta_tmp, meta_path(path))
    return path


class _Staged:
    """A temporary file beside ``target``, removed on exit unless it was renamed into place."""

    def __init__(self, target: Path) -> None:
        self._target = target

    def __enter__(self) -> Path:
        # Not mkstemp: its 0600 mode would survive the rename; "x" keeps the umask's mode.
        self._path = self._target.with_name(f".{self._target.name}.{secrets.token_hex(6)}.tmp")
        self._path.open("x").close()
        return self._path

    def __exit__(self, *_: object) -> None:
        self._path.unlink(missing_ok=True)
