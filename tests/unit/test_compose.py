"""docker-compose.yml, infra/Dockerfile and .env.example, checked without a Docker engine.

The Compose file must validate against the Compose Specification's JSON Schema (vendored by the
check-jsonschema package), every service must run a command that exists, every path it builds
from or mounts must exist, and no secret may have a default.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer.main
import yaml

from driftwatch.cli import app

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DRIFTWATCH_SERVICES = ("api", "monitor", "sentinel", "planner", "release", "audit")
SECRETS = ("REDIS_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "DRIFTWATCH_API_TOKEN")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def test_the_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())

    jsonschema.validate(compose, schema, cls=jsonschema.Draft7Validator)


def test_it_runs_the_whole_system(services: dict[str, dict[str, Any]]) -> None:
    expected = {"redis", "mlflow", *DRIFTWATCH_SERVICES, "prometheus", "grafana"}
    assert set(services) == expected


@pytest.mark.parametrize("name", DRIFTWATCH_SERVICES)
def test_every_driftwatch_service_runs_a_real_cli_command(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service.get("entrypoint") is None  # the image's: driftwatch
    assert _entrypoint() == ["driftwatch"]
    _resolve(typer.main.get_command(app), service["command"])


def test_the_tracking_server_runs_a_real_mlflow_command(
    services: dict[str, dict[str, Any]],
) -> None:
    import mlflow.cli

    mlflow_service = services["mlflow"]
    assert mlflow_service["entrypoint"] == ["mlflow"]
    command = _resolve(mlflow.cli.cli, mlflow_service["command"])
    assert command.name == "server"
    assert "--serve-artifacts" in mlflow_service["command"]
    assert any(volume.startswith("mlflow-data:") for volume in mlflow_service["volumes"])


def test_every_build_context_dockerfile_and_bind_mount_exists(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        build = service.get("build")
        if build is not None:
            assert (REPO / build["context"]).is_dir(), name
            assert (REPO / build["context"] / build["dockerfile"]).is_file(), name
        else:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]), f"{name}: pin a tag"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_one_image_is_built_for_every_driftwatch_process(
    services: dict[str, dict[str, Any]],
) -> None:
    built = {name for name, service in services.items() if "build" in service}
    assert built == {"mlflow", *DRIFTWATCH_SERVICES}
    assert {services[name]["image"] for name in built} == {"driftwatch:local"}


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        assert "test" in service["healthcheck"], name
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
    for name in DRIFTWATCH_SERVICES:
        assert set(services[name]["depends_on"]) == {"redis", "mlflow"}


def test_secrets_come_from_env_and_have_no_defaults(compose_text: str) -> None:
    example = _env_example()
    for secret in SECRETS:
        uses = re.findall(r"\$\{" + secret + r"(:?[?-][^}]*)?\}", compose_text)
        assert uses, f"{secret} is not used"
        assert all(not use.startswith((":-", "-")) for use in uses), f"{secret} has a default"
        assert example[secret] == "", f".env.example must not carry a value for {secret}"
    assert "requirepass" in compose_text
    assert ".env" in (REPO / ".gitignore").read_text().split()


def test_every_variable_compose_reads_is_in_env_example(compose_text: str) -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", compose_text))
    assert used <= set(_env_example())


def test_the_image_is_slim_non_root_and_caches_its_dependencies() -> None:
    dockerfile = (REPO / "infra" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert all("slim" in stage for stage in stages)
    user = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert user
    assert user[-1] not in ("root", "0")
    lines = dockerfile.splitlines()
    copy_pyproject = next(i for i, line in enumerate(lines) if line.startswith("COPY pyproject"))
    install_deps = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    copy_code = next(i for i, line in enumerate(lines) if line.startswith("COPY driftwatch"))
    assert copy_pyproject < install_deps < copy_code


def _entrypoint() -> list[str]:
    dockerfile = (REPO / "infra" / "Dockerfile").read_text()
    found = re.findall(r"^ENTRYPOINT (.+)$", dockerfile, flags=re.MULTILINE)
    return json.loads(found[-1])


def _resolve(group: Any, argv: list[str]) -> Any:
    """The (click or Typer) command ``argv`` names, failing on an unknown command or option."""
    command = group
    words = list(argv)
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        name = words.pop(0)
        found = command.commands.get(name)
        assert found is not None, f"no command {name!r} in {argv}"
        command = found
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in words:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in options, f"{word} is not an option of {argv}"
    return command


def _env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values
