"""The local stack's plan: processes, ports, environment, the Prometheus config, Redis choice."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from driftwatch.settings import Settings
from driftwatch.stack.layout import StackOptions, build_plan
from driftwatch.stack.plan import PidRecord, RunDir
from driftwatch.stack.prometheus_config import prometheus_config
from driftwatch.stack.redis_choice import RedisChoice, choose_redis, masked

WORKERS = ["monitor", "sentinel", "planner", "release", "audit"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "var", stream_prefix="unit-stack", api_port=8000)


def existing_redis() -> RedisChoice:
    return RedisChoice("redis://127.0.0.1:6379/0", None, "using the Redis at ...")


def test_default_plan_runs_the_api_monitor_and_agents_on_the_designs_ports(
    settings: Settings,
) -> None:
    plan = build_plan(settings, StackOptions(), existing_redis())

    assert [s.name for s in plan.services] == ["api", *WORKERS]
    assert [s.port for s in plan.services] == [8000, 9101, 9102, 9103, 9104, 9105]
    assert plan.services[0].argv[1:] == ["serve", "--host", "127.0.0.1", "--port", "8000"]
    assert plan.service("sentinel").argv[1:] == ["agent", "sentinel"]  # type: ignore[union-attr]
    assert plan.service("monitor").argv[1:] == ["monitor", "run"]  # type: ignore[union-attr]
    assert plan.api_url == "http://127.0.0.1:8000"
    assert not plan.redis_embedded


def test_every_process_gets_the_stacks_settings_and_its_own_metrics_port(
    settings: Settings,
) -> None:
    policy = Path("/policies/demo.yaml")
    plan = build_plan(
        settings.model_copy(update={"policy_path": policy}), StackOptions(), existing_redis()
    )

    for service in plan.services:
        env = service.env
        assert env["DRIFTWATCH_REDIS_URL"] == "redis://127.0.0.1:6379/0"
        assert env["DRIFTWATCH_STREAM_PREFIX"] == "unit-stack"
        assert env["DRIFTWATCH_HOME"] == str(settings.home)
        assert env["DRIFTWATCH_POLICY_PATH"] == str(policy)
        assert env["MLFLOW_TRACKING_URI"] == settings.tracking_uri
        assert env["OMP_NUM_THREADS"] == "1"
    for name in WORKERS:
        service = plan.service(name)
        assert service is not None
        assert service.env["DRIFTWATCH_METRICS_PORT"] == str(service.port)
        assert service.ready.target == f"http://127.0.0.1:{service.port}/metrics"


def test_free_ports_are_distinct_and_not_the_defaults(settings: Settings) -> None:
    plan = build_plan(settings, StackOptions(free_ports=True), existing_redis())

    ports = [s.port for s in plan.services]
    assert len(set(ports)) == len(ports)
    assert plan.api_url == f"http://127.0.0.1:{ports[0]}"


def test_optional_services_and_a_subset(settings: Settings, monkeypatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    plan = build_plan(settings, StackOptions(mlflow_ui=True, prometheus=True), existing_redis())
    assert [s.name for s in plan.services][-2:] == ["mlflow", "prometheus"]
    assert plan.mlflow_ui_url == "http://127.0.0.1:5000"
    assert plan.prometheus_url == "http://127.0.0.1:9090"

    agents = build_plan(settings, StackOptions(services=("sentinel", "planner")), existing_redis())
    assert [s.name for s in agents.services] == ["sentinel", "planner"]


def test_an_embedded_redis_starts_first(settings: Settings) -> None:
    closed = _closed_port()
    choice = choose_redis(f"redis://127.0.0.1:{closed}/0", settings.home)

    plan = build_plan(settings, StackOptions(), choice)

    assert plan.services[0].name == "redis"
    assert plan.redis_embedded
    assert plan.services[1].env["DRIFTWATCH_REDIS_URL"] == choice.url


def test_the_embedded_server_takes_the_configured_port_when_it_is_free(tmp_path: Path) -> None:
    closed = _closed_port()

    choice = choose_redis(f"redis://localhost:{closed}/0", tmp_path)

    assert choice.url == f"redis://127.0.0.1:{closed}/0"
    assert choice.service is not None
    assert choice.service.argv[1:5] == ["--bind", "127.0.0.1", "--port", str(closed)]
    assert "embedded Valkey" in choice.note
    assert "export" not in choice.note


def test_a_taken_port_moves_the_embedded_server_and_says_how_to_reach_it(tmp_path: Path) -> None:
    with socket.socket() as squatter:  # listens, but does not speak Redis
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        choice = choose_redis(f"redis://127.0.0.1:{port}/0", tmp_path)

    assert choice.url != f"redis://127.0.0.1:{port}/0"
    assert f"export DRIFTWATCH_REDIS_URL={choice.url}" in choice.note


def test_passwords_are_masked_in_what_is_printed() -> None:
    assert masked("redis://:s3cret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert masked("redis://user:s3cret@redis:6379/0") == "redis://user:***@redis:6379/0"
    assert masked("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_prometheus_scrapes_every_metrics_endpoint_by_service_name(settings: Settings) -> None:
    plan = build_plan(settings, StackOptions(), existing_redis())

    config = prometheus_config(plan)

    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {
        "api": ["127.0.0.1:8000"],
        **{name: [f"127.0.0.1:{9101 + i}"] for i, name in enumerate(WORKERS)},
    }
    compose = yaml.safe_load(Path("infra/prometheus/prometheus.yml").read_text())
    assert {job["job_name"] for job in compose["scrape_configs"]} == set(jobs)


def test_plan_and_pid_files_round_trip_and_are_private(settings: Settings) -> None:
    run = RunDir(settings.home)
    plan = build_plan(settings, StackOptions(), existing_redis())

    run.write_plan(plan)
    PidRecord(pid=42, start_time="123", argv=["x"]).write(run.pid_file("api"))

    assert run.read_plan() == plan
    assert PidRecord.read(run.pid_file("api")) == PidRecord(pid=42, start_time="123", argv=["x"])
    assert run.plan_file.stat().st_mode & 0o777 == 0o600
    run.state_file.write_text("{half a file")
    assert run.read_state() is None


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_settings_chosen_in_code_reach_every_process_but_the_token(settings: Settings) -> None:
    chosen = settings.model_copy(update={"window_rows": 8000, "api_token": "s3cret"})

    plan = build_plan(chosen, StackOptions(), existing_redis())

    for service in plan.services:
        assert service.env["DRIFTWATCH_WINDOW_ROWS"] == "8000"
        assert "s3cret" not in service.env.values()
