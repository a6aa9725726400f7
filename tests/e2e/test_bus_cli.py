"""``driftwatch publish event`` and ``driftwatch watch`` run as a user runs them, as processes."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from driftwatch.settings import Settings
from tests.fixtures.bus import free_port
from tests.fixtures.services import settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

DRIFTWATCH = Path(sys.executable).with_name("driftwatch")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "v1"
ENVELOPE = ("event_id", "occurred_at", "producer", "correlation_id", "causation_id")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DRIFTWATCH), *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


async def test_publish_then_watch(bus_redis: Redis, bus_settings: Settings, tmp_path: Path) -> None:
    plan_id = str(uuid.uuid4())
    incident = json.loads((FIXTURES / "DriftDetected.json").read_text())
    incident_file = tmp_path / "incident.json"
    incident_file.write_text(json.dumps({k: v for k, v in incident.items() if k not in ENVELOPE}))

    approved = _cli(
        bus_settings,
        "publish",
        "event",
        "PlanApproved",
        "--data",
        json.dumps({"plan_id": plan_id, "who": "alice"}),
    )
    detected = _cli(bus_settings, "publish", "event", "DriftDetected", "--file", str(incident_file))

    assert (approved.returncode, detected.returncode) == (0, 0), approved.stderr + detected.stderr
    approved_id, detected_id = approved.stdout.strip(), detected.stdout.strip()
    assert "published PlanApproved to" in approved.stderr

    listed = _cli(bus_settings, "watch", "--since", "0", "--json")
    records = _json_lines(listed.stdout)
    assert listed.returncode == 0
    assert [(r["stream"], r["event"]["event_id"]) for r in records] == [
        ("approvals", approved_id),
        ("incidents", detected_id),
    ]
    first = records[0]["event"]
    assert (first["plan_id"], first["who"], first["schema_version"]) == (plan_id, "alice", 1)
    assert first["producer"].startswith("driftwatch-cli@")
    assert records[1]["event"]["correlation_id"] != first["correlation_id"]

    incidents = _cli(bus_settings, "watch", "--since", "10m", "--stream", "incidents")
    (line,) = incidents.stdout.splitlines()
    assert "incidents" in line
    assert "DriftDetected" in line
    assert "severity=high" in line
    assert "action=retrain_and_evaluate" in line
    assert uuid.UUID(records[1]["event"]["correlation_id"]).hex[:8] in line

    from_now = _cli(bus_settings, "watch")
    assert (from_now.returncode, from_now.stdout) == (0, "")


def _read_line(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    buffer = b""
    while not buffer.endswith(b"\n"):
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no line from watch within {timeout_s:.0f} s")
        chunk = os.read(process.stdout.fileno(), 1)
        if not chunk:
            raise AssertionError("watch exited early")
        buffer += chunk
    return buffer.decode()


async def test_watch_follow_prints_new_events_and_stops_cleanly_on_ctrl_c(
    bus_redis: Redis, bus_settings: Settings
) -> None:
    watcher = subprocess.Popen(
        [str(DRIFTWATCH), "watch", "--follow", "--json", "--since", "0"],
        env=settings_env(bus_settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ids = []
        for who in ("first", "second"):
            published = _cli(
                bus_settings,
                "publish",
                "event",
                "PlanApproved",
                "--data",
                json.dumps({"plan_id": str(uuid.uuid4()), "who": who}),
            )
            ids.append(published.stdout.strip())
            assert json.loads(_read_line(watcher))["event"]["event_id"] == ids[-1]
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=10) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_commands_say_so_when_no_redis_answers(settings: Settings) -> None:
    nowhere = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    data = json.dumps({"plan_id": str(uuid.uuid4()), "who": "a"})

    published = _cli(nowhere, "publish", "event", "PlanApproved", "--data", data)
    watched = _cli(nowhere, "watch", "--since", "0")

    for result in (published, watched):
        assert result.returncode == 1
        assert "no Redis answers at redis://127.0.0.1:" in result.stderr
        assert "Traceback" not in result.stderr
