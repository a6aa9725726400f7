"""Facts about operating-system processes and ports, without psutil.

A pid alone does not identify a process: the kernel reuses pids. Every pid the stack records
comes with the process start time, and a signal is sent only when both still match.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

_PROC = Path("/proc")
_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def start_time(pid: int) -> str | None:
    """The start time of ``pid`` as an opaque string, or None when no such process exists.

    Linux: clock ticks since boot (field 22 of /proc/PID/stat); elsewhere: ``ps -o lstart``.
    """
    stat = _PROC / str(pid) / "stat"
    if _PROC.is_dir():
        try:
            text = stat.read_text()
        except OSError:
            return None
        fields = text[text.rindex(")") + 2 :].split()
        return fields[19] if fields[0] != "Z" else None  # a zombie has exited
    ps = shutil.which("ps")
    if ps is None:
        return None
    result = subprocess.run(
        [ps, "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def is_same_process(pid: int, started: str | None) -> bool:
    """True when ``pid`` runs and is the process that started at ``started``."""
    return started is not None and start_time(pid) == started


def command_line(pid: int) -> str:
    """The command line of ``pid`` (shortened), or ``?`` when it cannot be read."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
        text = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        ps = shutil.which("ps")
        if ps is None:
            return "?"
        done = subprocess.run(
            [ps, "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        text = done.stdout.strip()
    return (text[:117] + "...") if len(text) > 120 else (text or "?")


def signal_group(pid: int, started: str | None, signum: int = signal.SIGTERM) -> bool:
    """Send ``signum`` to the process group led by ``pid`` if ``pid`` is still that process.

    Every service runs in its own process group, so its children (uvicorn or MLflow workers)
    get the signal too. Returns False when the process is gone or the pid was reused.
    """
    if not is_same_process(pid, started):
        return False
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):  # not a group leader: signal it alone
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return False
    return True


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could bind ``host:port`` now (same options uvicorn uses)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_owner(port: int) -> str:
    """Who listens on ``port``: ``pid N (command)``, or a hint when that cannot be found out."""
    pids = _listening_pids_proc(port) if _PROC.is_dir() else _listening_pids_lsof(port)
    if not pids:
        return "a process this user cannot see (try: sudo ss -ltnp)"
    return ", ".join(f"pid {pid} ({command_line(pid)})" for pid in sorted(pids))


def _listening_pids_proc(port: int) -> set[int]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (_PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return set()
    owners: set[int] = set()
    for fd_dir in _PROC.glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:  # gone, or not ours to read
            continue
        if any(_link(fd) in inodes for fd in fds):
            owners.add(int(fd_dir.parent.name))
    return owners


def _link(fd: Path) -> str | None:
    try:
        return os.readlink(fd)
    except OSError:  # closed while we looked
        return None


def _listening_pids_lsof(port: int) -> set[int]:
    lsof = shutil.which("lsof")
    if lsof is None:
        return set()
    done = subprocess.run(
        [lsof, "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-t"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {int(token) for token in done.stdout.split() if token.isdigit()}
