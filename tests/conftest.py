"""Shared fixtures live in tests/fixtures, one module per kind of resource."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.bus",
    "tests.fixtures.data",
    "tests.fixtures.registry",
]
