"""The Redis-backed window store: rows and labels persisted before their event is acked.

Layout, under ``{prefix}:monitor`` (``K``), per model version ``V`` (JSON ``[name, version]``):

- ``K:versions``          set of every ``V`` that has received rows
- ``K:open:V``            list, the open window's rows in arrival order (one JSON row per item)
- ``K:state:V``           hash, ``seq`` = windows closed so far; closers WATCH it
- ``K:closed:V``          list, ids of the closed windows still open to late labels
- ``K:window:ID``         hash: ``rows`` (the window's rows), ``threshold``, ``revision``,
                          ``labeled`` (labels the latest revision used), ``summary`` (its JSON)
- ``K:labels``            hash, request_id -> "0"/"1", every label received
- ``K:labels:seq``        counter bumped by every label event; ``K:labels:last`` its cause

Handlers only append (``queue_rows``, ``queue_labels``), which commutes with everything else, so
any number of replicas may ingest concurrently. Closing and re-scoring belong to the closer,
whose commits WATCH the version's state or the window's hash (see ``closer``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pandas as pd
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from driftwatch.contracts.events import LabelFeedback, PredictionBatch
from driftwatch.contracts.features import LABEL, SCORE, TIMESTAMP
from driftwatch.settings import Settings

REQUEST_ID = "request_id"


@dataclass(frozen=True, slots=True, order=True)
class ModelVersion:
    """Windows are kept per model version: each is compared with its own reference."""

    name: str
    version: str

    @property
    def key(self) -> str:
        return json.dumps([self.name, self.version])

    @classmethod
    def parse(cls, key: str | bytes) -> ModelVersion:
        name, version = json.loads(key)
        return cls(name, version)


@dataclass(frozen=True, slots=True)
class Cause:
    """The event a summary answers: its id and its correlation chain."""

    event_id: UUID
    correlation_id: UUID


def encode_rows(batch: PredictionBatch, arrived: float) -> list[str]:
    """One JSON item per scored row, carrying what a window needs and the batch it came in."""
    common = {"t": batch.threshold, "a": arrived, "b": str(batch.event_id)}
    common["c"] = str(batch.correlation_id)
    return [
        json.dumps({"r": row.model_dump(mode="json"), "s": score, "q": request_id, **common})
        for row, score, request_id in zip(batch.rows, batch.scores, batch.request_ids, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class WindowRows:
    """A window's rows as stored: decoded once, then turned into a frame with the labels known."""

    items: list[dict[str, Any]]

    @classmethod
    def decode(cls, raw: Sequence[str | bytes]) -> WindowRows:
        return cls([json.loads(item) for item in raw])

    @classmethod
    def from_json(cls, raw: str | bytes) -> WindowRows:
        """The inverse of ``encode``: a closed window's rows as stored in its hash."""
        return cls(json.loads(raw))

    def encode(self) -> str:
        return json.dumps(self.items)

    @property
    def request_ids(self) -> list[str]:
        return [item["q"] for item in self.items]

    @property
    def threshold(self) -> float:
        """The decision threshold the rows were scored at (the latest batch's)."""
        return float(self.items[-1]["t"])

    @property
    def first_arrival(self) -> float:
        return float(self.items[0]["a"])

    @property
    def cause(self) -> Cause:
        """The batch that completed the window: the summary answers it."""
        last = self.items[-1]
        return Cause(UUID(last["b"]), UUID(last["c"]))

    def frame(self, labels: Sequence[bytes | str | None]) -> pd.DataFrame:
        """Features, score, request id and label (null until known), in arrival order."""
        frame = pd.DataFrame.from_records([item["r"] for item in self.items])
        frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP], utc=True, format="ISO8601")
        frame[SCORE] = [item["s"] for item in self.items]
        frame[REQUEST_ID] = self.request_ids
        frame[LABEL] = pd.array(
            [None if value is None else int(value) for value in labels], dtype="Int64"
        )
        return frame


class WindowStore:
    """Keys and queued writes of the monitor's windows; reads go through ``redis``."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.root = f"{settings.stream_prefix}:monitor"

    def open_key(self, mv: ModelVersion) -> str:
        return f"{self.root}:open:{mv.key}"

    def state_key(self, mv: ModelVersion) -> str:
        return f"{self.root}:state:{mv.key}"

    def closed_key(self, mv: ModelVersion) -> str:
        return f"{self.root}:closed:{mv.key}"

    def window_key(self, window_id: str) -> str:
        return f"{self.root}:window:{window_id}"

    @property
    def versions_key(self) -> str:
        return f"{self.root}:versions"

    @property
    def labels_key(self) -> str:
        return f"{self.root}:labels"

    @property
    def labels_seq_key(self) -> str:
        return f"{self.root}:labels:seq"

    @property
    def labels_last_key(self) -> str:
        return f"{self.root}:labels:last"

    def queue_rows(self, pipe: Pipeline, mv: ModelVersion, rows: Sequence[str]) -> None:
        """Append rows to the version's open window (inside the handler's commit)."""
        pipe.sadd(self.versions_key, mv.key)
        pipe.rpush(self.open_key(mv), *rows)

    def queue_labels(self, pipe: Pipeline, feedback: LabelFeedback) -> None:
        """Record labels and bump the sequence the closer watches for late labels."""
        pipe.hset(
            self.labels_key,
            mapping={pair.request_id: int(pair.is_fraud) for pair in feedback.labels},
        )
        pipe.incr(self.labels_seq_key)
        cause = {"b": str(feedback.event_id), "c": str(feedback.correlation_id)}
        pipe.set(self.labels_last_key, json.dumps(cause))

    async def versions(self) -> list[ModelVersion]:
        return sorted(
            ModelVersion.parse(key) for key in await self.redis.smembers(self.versions_key)
        )

    async def labels_seq(self) -> int:
        return int(await self.redis.get(self.labels_seq_key) or 0)

    async def labels_cause(self) -> Cause | None:
        raw = await self.redis.get(self.labels_last_key)
        if raw is None:
            return None
        data = json.loads(raw)
        return Cause(UUID(data["b"]), UUID(data["c"]))
