"""The policy in force for a running agent: reloaded when its file changes, never lost to a typo.

An agent reads its policy through ``PolicyWatch.current()`` on every event, which re-reads the file
when its bytes changed, so an edit takes effect at the next event without a restart. A file that
fails validation is refused: every issue is logged as ``FILE:LINE: key: message``,
``driftwatch_policy_reload_failures_total`` counts it, and the last good policy stays in force.
A background task (``watch``) does the same check on an interval, so a bad edit shows in the logs
and the metric even when no event arrives.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from contextlib import suppress
from functools import cache
from pathlib import Path

from faststream import FastStream
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from driftwatch.contracts.policy import (
    LoadedPolicy,
    PolicyError,
    PolicyIssue,
    parse_policy,
    policy_in_force,
)

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 2.0
"""How often ``watch`` looks at the file between events."""


@cache
def reload_failures(registry: CollectorRegistry = REGISTRY) -> Counter:
    """``driftwatch_policy_reload_failures_total{agent}``: edits refused, last good policy kept."""
    return Counter(
        "driftwatch_policy_reload_failures",
        "Policy file edits an agent refused; it kept running under its last good policy.",
        ["agent"],
        registry=registry,
    )


class PolicyWatch:
    """The policy one agent runs under, following its file.

    Attributes:
        agent: The agent's name, the metric's label.
        path: The watched file; None runs the shipped default, which never changes.
    """

    def __init__(self, agent: str, path: Path | None) -> None:
        """Load the policy at start.

        Raises:
            PolicyError: the file is unusable at start; with no good policy to keep, the agent
                must not run.
        """
        self.agent = agent
        self.path = path
        self._loaded = policy_in_force(path)
        self._seen = self._loaded.sha256
        reload_failures().labels(agent)  # exported at 0 from the start, so alerts can use it

    def current(self) -> LoadedPolicy:
        """The policy in force, after picking up any change to the file."""
        if self.path is None:
            return self._loaded
        try:
            data = self.path.read_bytes()
        except OSError as error:
            self._refuse(_unreadable(self.path, error), f"unreadable:{error.errno}")
            return self._loaded
        digest = hashlib.sha256(data).hexdigest()
        if digest == self._seen:
            return self._loaded
        try:
            loaded = parse_policy(data, self.path)
        except PolicyError as error:
            self._refuse(error, digest)
            return self._loaded
        self._seen = digest
        if loaded.version <= self._loaded.version:
            logger.warning(
                "policy %s changed but its version went %d -> %d: bump it on every change, "
                "plans tell policies apart by version",
                self.path,
                self._loaded.version,
                loaded.version,
            )
        logger.info(
            "policy %s reloaded: version %d -> %d (sha256 %s)",
            self.path,
            self._loaded.version,
            loaded.version,
            loaded.sha256[:12],
        )
        self._loaded = loaded
        return loaded

    async def watch(self, interval_s: float = POLL_INTERVAL_S) -> None:
        """Check the file every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            self.current()

    def _refuse(self, error: PolicyError, seen: str) -> None:
        """Log and count a bad file once per distinct content, keeping the last good policy."""
        if seen == self._seen:
            return
        self._seen = seen
        reload_failures().labels(self.agent).inc()
        for line in error.lines():
            logger.error("policy refused: %s", line)
        logger.error(
            "%s keeps policy version %d (sha256 %s) from %s",
            self.agent,
            self._loaded.version,
            self._loaded.sha256[:12],
            self._loaded.path,
        )


def _unreadable(path: Path, error: OSError) -> PolicyError:
    message = f"cannot read policy file: {error.strerror or error}"
    return PolicyError(path, [PolicyIssue(line=None, key=None, message=message)])


def follow_policy(app: FastStream, policies: PolicyWatch) -> None:
    """Run ``policies.watch()`` for as long as ``app`` runs."""
    tasks: list[asyncio.Task[None]] = []

    async def start() -> None:
        tasks.append(asyncio.create_task(policies.watch()))

    async def stop() -> None:
        while tasks:
            task = tasks.pop()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app.after_startup(start)
    app.on_shutdown(stop)
