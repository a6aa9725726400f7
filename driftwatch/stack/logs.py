"""``driftwatch logs``: the last lines of the stack's logs, or a live tail of them.

Every service appends to ``$DRIFTWATCH_HOME/logs/<service>.log`` (the supervisor writes its own
start, exit and restart notes there too), so reading the files is all a tail needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

FOLLOW_POLL_S = 0.2


def log_files(logs_dir: Path, service: str | None) -> list[Path]:
    """The log of ``service``, or every log in ``logs_dir``.

    Raises:
        FileNotFoundError: no such service log (the message lists the ones there are).
    """
    if service is None:
        return sorted(logs_dir.glob("*.log"))
    path = logs_dir / f"{service}.log"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(logs_dir.glob("*.log"))) or "none yet"
        raise FileNotFoundError(f"no log for {service!r} in {logs_dir} (logs: {known})")
    return [path]


def last_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path``, read from the end so big logs cost little."""
    block = 8192
    with path.open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= count:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:] if count > 0 else []


def follow(
    paths: list[Path], stop: Callable[[], bool] = lambda: False
) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, line)`` for every line appended to ``paths`` from now on, until ``stop()``.

    A log that is truncated or replaced is read again from its start.
    """
    offsets = {path: path.stat().st_size if path.exists() else 0 for path in paths}
    partial = dict.fromkeys(paths, "")
    while not stop():
        quiet = True
        for path in paths:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[path]:
                offsets[path] = 0
            if size == offsets[path]:
                continue
            with path.open("rb") as handle:
                handle.seek(offsets[path])
                chunk = handle.read(size - offsets[path])
            offsets[path] = size
            quiet = False
            text = partial[path] + chunk.decode("utf-8", errors="replace")
            *complete, partial[path] = text.split("\n")
            for line in complete:
                yield path, line
        if quiet:
            time.sleep(FOLLOW_POLL_S)
