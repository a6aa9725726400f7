"""Shared fixtures live in tests/fixtures, one module per kind of resource.

OpenMP is pinned to one thread before scikit-learn loads: on 2 shared cores its default thread
pool turns a one-second model fit into half a minute, and subprocesses inherit the setting. The
system tools that scripts/test-tools.sh unpacked without root (.venv/tools) go on PATH, so a plain
``pytest`` finds them as ``make test`` does.
"""

import os
from pathlib import Path

_TOOLS_BIN = Path(__file__).resolve().parent.parent / ".venv" / "tools" / "usr" / "bin"
if _TOOLS_BIN.is_dir():
    os.environ["PATH"] = f"{_TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.bus",
    "tests.fixtures.data",
    "tests.fixtures.registry",
    "tests.fixtures.stack",
]
