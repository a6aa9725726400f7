"""Shared fixtures live in tests/fixtures, one module per kind of resource.

OpenMP is pinned to one thread before scikit-learn loads: on 2 shared cores its default thread
pool turns a one-second model fit into half a minute, and subprocesses inherit the setting.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.bus",
    "tests.fixtures.data",
    "tests.fixtures.registry",
    "tests.fixtures.stack",
]
