"""What one system did over one scenario, recorded the same way for DriftWatch and the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from decision_scoring import WindowVerdict

from driftwatch.training import FraudModel


@dataclass(frozen=True)
class ServedWindow:
    """A window as production served it.

    Attributes:
        index: The window's position (the step it was served at).
        model: Key of the model that scored it (a registry version, or the baseline's own key).
        frame: Its rows with ``is_fraud`` and the production score.
    """

    index: int
    model: str
    frame: pd.DataFrame


@dataclass
class SystemRun:
    """The decisions of one system on one scenario, and what production served meanwhile.

    Attributes:
        system: ``DriftWatch`` or ``naive``.
        verdicts: One per window.
        detection_steps: Steps at which the system raised a new alarm (an incident, or a flag).
        incidents: ``type -> action`` per new incident, in order.
        releases: Release outcomes, in order.
        notes: ``outcome: reason`` of each release, for the README's explanations.
        promotions: (step, incident key) per move of production.
        served: Every window as served.
        models: The models that served, by key (for judging promotions on later traffic).
        initial_model: Key of the pre-drift production model.
    """

    system: str
    initial_model: str
    verdicts: list[WindowVerdict] = field(default_factory=list)
    detection_steps: list[int] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    releases: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    promotions: list[tuple[int, str]] = field(default_factory=list)
    served: list[ServedWindow] = field(default_factory=list)
    models: dict[str, FraudModel] = field(default_factory=dict)
