"""Load scenario YAML, shipped or the user's, and say which file and line is wrong."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from driftwatch.generator.scenario import Scenario

_SHIPPED = "scenarios"


class ScenarioError(ValueError):
    """A scenario that cannot be found or is invalid; the message names the file and line."""


def shipped_names() -> list[str]:
    """Names of the scenarios shipped as package data, sorted."""
    folder = resources.files("driftwatch.generator").joinpath(_SHIPPED)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def list_scenarios() -> list[Scenario]:
    """Every shipped scenario, sorted by name."""
    return [load_scenario(name) for name in shipped_names()]


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path.

    A string with a path separator or a ``.yaml``/``.yml`` suffix is a path; anything else is a
    shipped name.

    Raises:
        ScenarioError: unknown name, unreadable file, bad YAML or an invalid scenario; the
            message names the file and, when known, the line.
    """
    as_text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in as_text or as_text.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read scenario file: {exc.strerror}") from exc
        return parse_scenario(text, str(path))
    if as_text not in shipped_names():
        known = ", ".join(shipped_names())
        raise ScenarioError(
            f"unknown scenario {as_text!r}; shipped scenarios: {known} "
            "(a file path needs a '/' or a .yaml suffix)"
        )
    resource = resources.files("driftwatch.generator").joinpath(_SHIPPED, f"{as_text}.yaml")
    return parse_scenario(
        resource.read_text(encoding="utf-8"), f"<package>/{_SHIPPED}/{as_text}.yaml"
    )


def parse_scenario(text: str, source: str) -> Scenario:
    """Validate scenario YAML ``text``; ``source`` names it in error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ScenarioError(f"{source}:{line}: invalid YAML: {exc.problem}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:1: a scenario file must be a mapping of keys")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{source}:{_line_of(node, err['loc'])}: {_dotted(err['loc'])}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ScenarioError("invalid scenario\n  " + "\n  ".join(problems)) from exc


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest YAML node along ``loc`` (the key's line for mappings)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
