"""Scenario files: shipped ones load, bad ones are refused with file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from driftwatch.generator import Scenario, ScenarioError, generate, list_scenarios, load_scenario

SHIPPED = {"baseline", "stable", "feature_drift", "concept_drift", "black_friday"}


def test_every_shipped_scenario_loads_with_a_one_line_description() -> None:
    scenarios = list_scenarios()
    assert {s.name for s in scenarios} == SHIPPED
    for scenario in scenarios:
        assert scenario.description
        assert "\n" not in scenario.description


def test_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*baseline"):
        load_scenario("nope")


def test_a_users_file_loads_and_generates(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: older_customers\n"
        "description: Customers ten years older from row 100.\n"
        "drifts:\n"
        "  - name: ageing\n"
        "    incident_type: feature_drift\n"
        "    onset: {row: 100}\n"
        "    features:\n"
        "      customer_age: {shift: 10}\n"
    )
    data = generate(path, 400, 1)
    assert data.scenario.name == "older_customers"
    assert data.ground_truth.shifted_columns == ("customer_age", "account_tenure_days")
    assert (
        data.frame["customer_age"].iloc[100:].mean() > data.frame["customer_age"].iloc[:100].mean()
    )
    assert load_scenario(str(path)) == data.scenario


def _error_for(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return str(caught.value)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = _error_for(tmp_path, "name: x\ndescription: y\ndrifts: [\n  {name: a\n")
    assert f"{tmp_path / 'bad.yaml'}:5: invalid YAML" in message


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = (
        "name: x\n"
        "description: y\n"
        "drifts:\n"
        "  - name: a\n"
        "    incident_type: feature_drift\n"
        "    onset: {row: 1}\n"
        "    features:\n"
        "      transaction_amount: {scale: 2, colour: red}\n"
    )
    message = _error_for(tmp_path, text)
    assert "bad.yaml:8: drifts.0.features.transaction_amount.colour" in message


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        (
            "onset: {row: 1}\n    ramp: {hours: 2}\n    features: {customer_age: {shift: 1}}",
            "all count",
        ),
        ("onset: {row: 1}\n    features: {transaction_hour: {shift: 1}}", "volume"),
        ("onset: {row: 1}\n    features: {colour: {shift: 1}}", "unknown feature"),
        ("onset: {row: 1}\n    features: {channel: {mix: {pos: 0.5}}}", "sum to 1"),
        ("onset: {row: 1}\n    features: {channel: {scale: 2}}", "only 'mix'"),
        ("onset: {row: 1}\n    volume: {multiplier: 2}", "onset in hours"),
        ("onset: {row: 1}\n    fraud: {coefficients: {charm: 1}}", "unknown fraud coefficient"),
        ("onset: {row: 5}\n    end: {row: 5}\n    fraud: {odds_multiplier: 2}", "after onset"),
        ("onset: {row: 1}", "must change"),
    ],
)
def test_invalid_drifts_are_refused_with_their_line(
    tmp_path: Path, drift: str, expected: str
) -> None:
    text = f"name: x\ndescription: y\ndrifts:\n  - name: a\n    incident_type: shock\n    {drift}\n"
    message = _error_for(tmp_path, text)
    assert expected in message
    assert re.search(r"bad\.yaml:[4-7]: drifts\.0", message)  # the drift's line or its key's


def test_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert "must be a mapping" in _error_for(tmp_path, "- just\n- a list\n")


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


def test_scenarios_are_immutable() -> None:
    scenario = load_scenario("baseline")
    assert isinstance(scenario, Scenario)
    with pytest.raises(ValueError, match="frozen"):
        scenario.name = "other"  # type: ignore[misc]
