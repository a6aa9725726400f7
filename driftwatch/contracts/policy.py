"""The policy schema (policy-as-code) that constrains every decision the agents make.

The loader lives beside the schema so that every process validates a policy file the same way.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from driftwatch.contracts.vocabulary import (
    INCIDENT_TYPES,
    SEVERITIES,
    Action,
    Alias,
    IncidentType,
    Severity,
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LevelThresholds(_Strict):
    """A value at or above ``high`` is high, else at or above ``medium`` medium, and so on."""

    low: float = Field(ge=0)
    medium: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ascending(self) -> LevelThresholds:
        if not self.low <= self.medium <= self.high:
            raise ValueError("thresholds must satisfy low <= medium <= high")
        return self

    def level(self, value: float) -> Severity:
        """The severity level of ``value`` (compared with ``>=``)."""
        if value >= self.high:
            return "high"
        if value >= self.medium:
            return "medium"
        if value >= self.low:
            return "low"
        return "none"


class QualityGates(_Strict):
    """What a candidate must reach before an alias moves to it."""

    min_auc: float = Field(ge=0, le=1, description="Lowest ROC AUC on the recent holdout.")
    min_average_precision: float = Field(ge=0, le=1, description="Lowest average precision.")
    max_regression_vs_champion: float = Field(
        ge=0, le=1, description="Largest AUC drop vs production, on the paired bootstrap bound."
    )
    min_labeled_rows: int = Field(ge=0, description="Fewer labeled rows: the release is deferred.")


class ActionRule(_Strict):
    action: Action


class DriftPolicy(_Strict):
    on_none: ActionRule
    on_low: ActionRule
    on_medium: ActionRule
    on_high: ActionRule
    by_incident_type: dict[IncidentType, ActionRule] = Field(default_factory=dict)

    def action_for(self, severity: Severity, incident_type: IncidentType) -> Action:
        """The action for an incident: its type's override, else its severity's rule."""
        override = self.by_incident_type.get(incident_type)
        if override is not None and severity != "none":
            return override.action
        rule: ActionRule = getattr(self, f"on_{severity}")
        return rule.action


class IncidentPolicy(_Strict):
    cooldown_windows: int = Field(ge=0)
    resolve_after_clean_windows: int = Field(ge=1)
    rollback_within_windows: int = Field(ge=0)


class ReleasePolicy(_Strict):
    promote_if_quality_gates_pass: bool
    promote_alias: Alias
    require_approval: bool = False


PERFORMANCE_INCIDENT_TYPES: frozenset[IncidentType] = frozenset(
    {"concept_drift", "performance_degradation"}
)
"""Types where performance fell: the ones ``incidents.rollback_within_windows`` covers."""

_NOTHING_TO_RUN: frozenset[Action] = frozenset({"noop", "hold_for_approval"})


class PolicyResponse(_Strict):
    """What the policy answers to an incident, and why, in words a reviewer can check."""

    action: Action
    held_action: Action | None = Field(
        None, description="What approval would run, when action is hold_for_approval."
    )
    reason: str


class Policy(_Strict):
    """A whole policy file; ``version`` is bumped on every change and carried into every plan."""

    version: int = Field(ge=1)
    severity_thresholds: LevelThresholds
    performance_thresholds: LevelThresholds
    quality_gates: QualityGates
    drift_policy: DriftPolicy
    incidents: IncidentPolicy
    release_policy: ReleasePolicy

    def respond(
        self, severity: Severity, incident_type: IncidentType, *, rollback_due: bool = False
    ) -> PolicyResponse:
        """The action for an incident, with rollback and approval applied.

        Order: the severity's rule; a type override replaces it, except that a
        ``hold_for_approval`` override holds the response rather than replacing it;
        ``rollback_due`` (a performance incident soon after a promotion, judged by the Planner)
        replaces the response; ``require_approval`` holds whatever is not ``noop``. A held plan
        always says what approval runs: the response, or ``retrain_and_evaluate`` when the
        response would be nothing (``noop``, or a bare hold), since approving nothing would make
        approve and reject the same.

        Args:
            severity: The incident's severity.
            incident_type: The incident's type.
            rollback_due: The incident qualifies for ``incidents.rollback_within_windows``.
        """
        rule: ActionRule = getattr(self.drift_policy, f"on_{severity}")
        response, why = rule.action, [f"drift_policy.on_{severity}: {rule.action}"]
        held = response == "hold_for_approval"
        override = self.drift_policy.by_incident_type.get(incident_type)
        if override is not None and severity != "none":
            why.append(f"by_incident_type.{incident_type}: {override.action}")
            if override.action == "hold_for_approval":
                held = True
            else:
                response = override.action
        if rollback_due:
            response = "rollback"
            why.append(
                "performance fell within incidents.rollback_within_windows="
                f"{self.incidents.rollback_within_windows} windows of a promotion: rollback"
            )
        if self.release_policy.require_approval and response not in _NOTHING_TO_RUN and not held:
            held = True
            why.append("release_policy.require_approval: hold_for_approval")
        if not held:
            return PolicyResponse(action=response, reason="; ".join(why))
        if response in _NOTHING_TO_RUN:
            response = "retrain_and_evaluate"
            why.append("approval runs retrain_and_evaluate")
        return PolicyResponse(
            action="hold_for_approval", held_action=response, reason="; ".join(why)
        )

    def decision_table(
        self, *, rollback_due: bool = False
    ) -> dict[IncidentType, dict[Severity, PolicyResponse]]:
        """Every (incident type, severity) pair and the policy's response, for review."""
        return {
            incident_type: {
                severity: self.respond(severity, incident_type, rollback_due=rollback_due)
                for severity in SEVERITIES
            }
            for incident_type in INCIDENT_TYPES
        }


SHIPPED_POLICIES: tuple[str, ...] = ("promotion", "demo", "strict")
"""Policies shipped as package data under ``driftwatch/policies/NAME.yaml``."""

DEFAULT_POLICY = "promotion"

_STAGE_TO_ALIAS: dict[str, Alias] = {"staging": "staging", "production": "production"}


class PolicyIssue(_Strict):
    """One thing wrong with a policy file, located so an editor can jump to it."""

    line: int | None = Field(description="1-based line in the file; None when unknown.")
    key: str | None = Field(description="Dotted key path, e.g. quality_gates.min_auc.")
    message: str


class PolicyError(ValueError):
    """A policy file that cannot be used; a running consumer keeps its last good policy.

    Attributes:
        file: The file refused.
        issues: Every problem found, in file order where known.
        line: Line of the first issue (None when unknown).
        key: Key path of the first issue (None for syntax errors).
    """

    def __init__(self, file: Path, issues: list[PolicyIssue]) -> None:
        self.file = file
        self.issues = tuple(issues)
        self.line = issues[0].line
        self.key = issues[0].key
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One ``FILE:LINE: key.path: message`` line per issue."""
        return [_located(self.file, issue.line, issue.key, issue.message) for issue in self.issues]


class LoadedPolicy(_Strict):
    """A validated policy with what identifies it in plans: its version and file hash."""

    policy: Policy
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the file's bytes.")
    path: Path
    warnings: tuple[str, ...] = Field((), description="Deprecations, located like errors.")

    @property
    def version(self) -> int:
        return self.policy.version


def load_policy(path: Path | str) -> LoadedPolicy:
    """Read and validate a policy file.

    Raises:
        PolicyError: unreadable file, YAML syntax error, unknown key, wrong type or value; every
            issue names the file, the line and the key.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        message = f"cannot read policy file: {error.strerror or error}"
        raise PolicyError(file, [PolicyIssue(line=None, key=None, message=message)]) from error
    return parse_policy(data, file)


def load_shipped_policy(name: str = DEFAULT_POLICY) -> LoadedPolicy:
    """One of ``SHIPPED_POLICIES``, read from package data so it works from any install."""
    if name not in SHIPPED_POLICIES:
        raise ValueError(f"no shipped policy {name!r}; choose one of {', '.join(SHIPPED_POLICIES)}")
    resource = resources.files("driftwatch").joinpath("policies", f"{name}.yaml")
    return parse_policy(resource.read_bytes(), Path(str(resource)))


def policy_in_force(policy_path: Path | None) -> LoadedPolicy:
    """The policy a process runs under: ``policy_path`` (``Settings.policy_path``) if set, else
    the shipped promotion policy. Takes the path, not ``Settings``, because contracts import
    nothing else of ours."""
    return load_policy(policy_path) if policy_path is not None else load_shipped_policy()


def parse_policy(data: bytes, file: Path) -> LoadedPolicy:
    """Validate policy bytes already read from ``file`` (which only labels the messages).

    Unknown keys and wrong types are errors (strict validation: ``"3"`` is not a version and
    ``1000.0`` is not a row count); ``release_policy.promote_stage`` is translated to
    ``promote_alias`` with a warning.

    Raises:
        PolicyError: see ``load_policy``.
    """
    root, document = _parse_yaml(data, file)
    if not isinstance(document, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        issue = PolicyIssue(line=line, key=None, message="a policy is a YAML mapping of keys")
        raise PolicyError(file, [issue])
    issues, warnings = _duplicate_keys(root), []
    stage_issue: PolicyIssue | None = None
    release = document.get("release_policy")
    if isinstance(release, dict) and "promote_stage" in release:
        stage_issue, warning = _translate_stage(release, root)
        if warning is not None:
            warnings.append(_located(file, warning.line, warning.key, warning.message))
    try:
        policy = Policy.model_validate(document, strict=True)
    except ValidationError as error:
        issues += [_issue(detail, root) for detail in error.errors()]
    if stage_issue is not None:
        # A refused promote_stage also leaves promote_alias missing: report the cause only.
        issues = [i for i in issues if i.key != "release_policy.promote_alias"] + [stage_issue]
    if issues:
        raise PolicyError(file, sorted(issues, key=lambda issue: issue.line or 0))
    digest = hashlib.sha256(data).hexdigest()
    return LoadedPolicy(policy=policy, sha256=digest, path=file, warnings=tuple(warnings))


def _parse_yaml(data: bytes, file: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data, from one parse."""
    loader = yaml.SafeLoader(data)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax error: {error.problem or error.context}"
        raise PolicyError(file, [PolicyIssue(line=line, key=None, message=message)]) from None
    except yaml.YAMLError as error:
        message = f"YAML syntax error: {error}"
        raise PolicyError(file, [PolicyIssue(line=None, key=None, message=message)]) from None
    finally:
        loader.dispose()


def _translate_stage(
    release: dict[str, Any], root: yaml.Node | None
) -> tuple[PolicyIssue | None, PolicyIssue | None]:
    """Rewrite the original design's ``promote_stage: Staging|Production`` in place.

    Returns:
        An error (both spellings given, or an unknown stage) or a deprecation warning.
    """
    key = "release_policy.promote_stage"
    line = _line_of(root, ("release_policy", "promote_stage"))
    stage = release.pop("promote_stage")
    if "promote_alias" in release:
        return PolicyIssue(line=line, key=key, message="give promote_alias only"), None
    alias = _STAGE_TO_ALIAS.get(stage.lower()) if isinstance(stage, str) else None
    if alias is None:
        message = f"must be Staging or Production, got {stage!r} (deprecated: use promote_alias)"
        return PolicyIssue(line=line, key=key, message=message), None
    release["promote_alias"] = alias
    return None, PolicyIssue(line=line, key=key, message=f"deprecated, use promote_alias: {alias}")


def _issue(detail: Any, root: yaml.Node | None) -> PolicyIssue:
    path = tuple(part for part in detail["loc"] if part != "[key]")
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        message = "unknown key"
    key = ".".join(str(part) for part in path) or None
    return PolicyIssue(line=_line_of(root, path), key=key, message=message)


def _line_of(root: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest key of ``path`` present in the file (for a missing key,
    its parent's)."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        line, node = child
    return line


def _child(node: yaml.Node, part: str | int) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node.start_mark.line + 1, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _duplicate_keys(node: yaml.Node | None, prefix: str = "") -> list[PolicyIssue]:
    """YAML keeps the last of two equal keys silently; in a policy that hides an edit."""
    if not isinstance(node, yaml.MappingNode):
        return []
    issues: list[PolicyIssue] = []
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        name = str(key_node.value)
        key, line = f"{prefix}{name}", key_node.start_mark.line + 1
        if name in first_line:
            message = f"duplicate key (first at line {first_line[name]})"
            issues.append(PolicyIssue(line=line, key=key, message=message))
        first_line.setdefault(name, line)
        issues += _duplicate_keys(value_node, f"{key}.")
    return issues


def _located(file: Path, line: int | None, key: str | None, message: str) -> str:
    where = f"{file}:{line}" if line is not None else str(file)
    return f"{where}: {key}: {message}" if key else f"{where}: {message}"
