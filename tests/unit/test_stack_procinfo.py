"""Process identity and port facts the supervisor and ``down`` rely on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from driftwatch.stack.procinfo import (
    command_line,
    free_port,
    is_same_process,
    port_is_free,
    port_owner,
    signal_group,
    start_time,
)


def test_a_process_is_known_by_pid_and_start_time() -> None:
    mine = start_time(os.getpid())

    assert mine is not None
    assert is_same_process(os.getpid(), mine)
    assert not is_same_process(os.getpid(), mine + "0")
    assert not is_same_process(os.getpid(), None)


def test_an_exited_process_has_no_start_time() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()

    assert start_time(child.pid) is None


def test_a_reused_pid_is_never_signalled() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not signal_group(child.pid, "not its start time")
        assert child.poll() is None
        assert signal_group(child.pid, start_time(child.pid), signal.SIGTERM)
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        child.kill()


def test_the_owner_of_a_taken_port_is_named() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        assert not port_is_free(port)
        owner = port_owner(port)

    assert owner.startswith(f"pid {os.getpid()} (")
    assert "pytest" in owner or "python" in owner
    assert port_is_free(port)


def test_free_port_and_command_line() -> None:
    assert port_is_free(free_port())
    assert "python" in command_line(os.getpid()) or "pytest" in command_line(os.getpid())
