"""Which running system a command talks to: the local stack in this home, else the settings.

A local stack may use an embedded Redis on its own port and an API on a free port; commands run
from another shell find both through the stack's plan, so ``driftwatch publish scenario`` or
``driftwatch control`` work beside ``driftwatch up`` with no extra environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from driftwatch.settings import Settings
from driftwatch.stack.launcher import running_stack
from driftwatch.stack.plan import RunDir, StackPlan


@dataclass(frozen=True, slots=True)
class Target:
    """A system to talk to.

    Attributes:
        settings: Settings naming its Redis, stream prefix and tracking store.
        api_url: Base URL of its API.
        window_rows: Its monitor's window size.
        plan: The local stack's plan, or None for a system found only through settings
            (Docker Compose, or anything else at DRIFTWATCH_REDIS_URL / port 8000).
    """

    settings: Settings
    api_url: str
    window_rows: int
    plan: StackPlan | None


def resolve_target(settings: Settings) -> Target:
    """The local stack running in ``settings.home`` if any, else what ``settings`` name."""
    live = running_stack(RunDir(settings.home))
    if live is None:
        host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host
        return Target(settings, f"http://{host}:{settings.api_port}", settings.window_rows, None)
    return Target(
        stack_settings(settings, live.plan), live.plan.api_url, live.plan.window_rows, live.plan
    )


def stack_settings(settings: Settings, plan: StackPlan) -> Settings:
    """``settings`` with the Redis, stream prefix and tracking store the stack's processes use."""
    return settings.model_copy(
        update={
            "redis_url": plan.redis_url,
            "stream_prefix": plan.stream_prefix,
            "mlflow_tracking_uri": plan.tracking_uri,
            "window_rows": plan.window_rows,
        }
    )
