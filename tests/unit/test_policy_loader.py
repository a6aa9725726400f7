"""The policy loader: shipped files load, bad files are refused naming file, line and key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from driftwatch.contracts.policy import (
    SHIPPED_POLICIES,
    LoadedPolicy,
    PolicyError,
    load_policy,
    load_shipped_policy,
    parse_policy,
    policy_in_force,
)

REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"
PROMOTION_TEXT = (REPO_POLICIES / "promotion.yaml").read_text()


def write_variant(tmp_path: Path, old: str, new: str, name: str = "policy.yaml") -> Path:
    """promotion.yaml with one exact piece of text replaced (it must occur once)."""
    assert PROMOTION_TEXT.count(old) == 1, old
    path = tmp_path / name
    path.write_text(PROMOTION_TEXT.replace(old, new))
    return path


def line_of(path: Path, fragment: str) -> int:
    """1-based line of the first line of ``path`` containing ``fragment``."""
    lines = path.read_text().splitlines()
    return next(number for number, text in enumerate(lines, 1) if fragment in text)


def refused(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value


@pytest.mark.parametrize("name", SHIPPED_POLICIES)
def test_every_shipped_policy_loads_from_package_data_and_from_the_repo(name: str) -> None:
    shipped = load_shipped_policy(name)
    from_repo = load_policy(REPO_POLICIES / f"{name}.yaml")

    assert shipped.policy == from_repo.policy
    assert shipped.warnings == ()
    assert shipped.sha256 == from_repo.sha256
    assert (
        shipped.sha256 == hashlib.sha256((REPO_POLICIES / f"{name}.yaml").read_bytes()).hexdigest()
    )


def test_promotion_policy_holds_exactly_the_design_values() -> None:
    loaded = load_shipped_policy("promotion")

    assert loaded.version == 3
    assert loaded.policy.model_dump() == {
        "version": 3,
        "severity_thresholds": {"low": 0.1, "medium": 0.3, "high": 0.5},
        "performance_thresholds": {"low": 0.01, "medium": 0.03, "high": 0.08},
        "quality_gates": {
            "min_auc": 0.82,
            "min_average_precision": 0.20,
            "max_regression_vs_champion": 0.01,
            "min_labeled_rows": 1000,
        },
        "drift_policy": {
            "on_none": {"action": "noop"},
            "on_low": {"action": "noop"},
            "on_medium": {"action": "retrain_and_evaluate"},
            "on_high": {"action": "retrain_and_evaluate"},
            "by_incident_type": {"shock": {"action": "hold_for_approval"}},
        },
        "incidents": {
            "cooldown_windows": 3,
            "resolve_after_clean_windows": 2,
            "rollback_within_windows": 5,
        },
        "release_policy": {
            "promote_if_quality_gates_pass": True,
            "promote_alias": "staging",
            "require_approval": False,
        },
    }


def test_demo_and_strict_differ_from_promotion_only_where_they_say() -> None:
    promotion = load_shipped_policy("promotion").policy.model_dump(exclude={"version"})
    demo = load_shipped_policy("demo").policy.model_dump(exclude={"version"})
    strict = load_shipped_policy("strict").policy.model_dump(exclude={"version"})

    promotion["release_policy"]["promote_alias"] = "production"
    promotion["quality_gates"]["max_regression_vs_champion"] = 0.05
    assert demo == promotion
    promotion["release_policy"]["promote_alias"] = "staging"
    promotion["quality_gates"]["max_regression_vs_champion"] = 0.01
    promotion["release_policy"]["require_approval"] = True
    assert strict == promotion


def test_policy_in_force_is_the_configured_file_else_the_shipped_promotion(
    tmp_path: Path,
) -> None:
    custom = write_variant(tmp_path, "version: 3", "version: 4")

    assert policy_in_force(None) == load_shipped_policy("promotion")
    assert policy_in_force(custom).version == 4
    assert policy_in_force(custom).path == custom


def test_unknown_shipped_name_is_refused() -> None:
    with pytest.raises(ValueError, match="promotion, demo, strict"):
        load_shipped_policy("lenient")


@pytest.mark.parametrize(
    ("old", "new", "at", "key", "message"),
    [
        pytest.param(
            "version: 3",
            "version: 3\ncolour: blue",
            "colour:",
            "colour",
            "unknown key",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "  min_auc: 0.82",
            "  min_auc: 0.82\n  min_acu: 0.8",
            "min_acu",
            "quality_gates.min_acu",
            "unknown key",
            id="unknown-nested-key",
        ),
        pytest.param(
            "version: 3",
            'version: "3"',
            "version:",
            "version",
            "valid integer",
            id="string-for-int",
        ),
        pytest.param(
            "min_labeled_rows: 1000 ",
            "min_labeled_rows: 1000.5 ",
            "min_labeled_rows",
            "quality_gates.min_labeled_rows",
            "valid integer",
            id="float-for-int",
        ),
        pytest.param(
            "  min_auc: 0.82",
            "  min_auc: high",
            "min_auc",
            "quality_gates.min_auc",
            "valid number",
            id="word-for-number",
        ),
        pytest.param(
            "  min_auc: 0.82",
            "  min_auc: 1.5",
            "min_auc",
            "quality_gates.min_auc",
            "less than or equal to 1",
            id="out-of-range",
        ),
        pytest.param(
            "promote_if_quality_gates_pass: true",
            "promote_if_quality_gates_pass: maybe",
            "promote_if_quality_gates_pass",
            "release_policy.promote_if_quality_gates_pass",
            "valid boolean",
            id="word-for-bool",
        ),
        pytest.param(
            "on_high:   {action: retrain_and_evaluate}",
            "on_high:   {action: retrain}",
            "on_high:",
            "drift_policy.on_high.action",
            "'retrain_and_evaluate'",
            id="unknown-action",
        ),
        pytest.param(
            "    shock: {action",
            "    shok: {action",
            "shok:",
            "drift_policy.by_incident_type.shok",
            "'feature_drift'",
            id="unknown-incident-type",
        ),
        pytest.param(
            "promote_alias: staging ",
            "promote_alias: canary ",
            "promote_alias",
            "release_policy.promote_alias",
            "'staging' or 'production'",
            id="unknown-alias",
        ),
        pytest.param(
            "  resolve_after_clean_windows: 2\n",
            "",
            "incidents:",
            "incidents.resolve_after_clean_windows",
            "Field required",
            id="missing-key-at-its-parent",
        ),
        pytest.param(
            "  medium: 0.3",
            "  medium: 0.7",
            "severity_thresholds:",
            "severity_thresholds",
            "low <= medium <= high",
            id="thresholds-not-ascending",
        ),
        pytest.param(
            "  min_auc: 0.82",
            "  min_auc: 0.82\n  min_auc: 0.5",
            "min_auc: 0.5",
            "quality_gates.min_auc",
            "duplicate key (first at line",
            id="duplicate-key",
        ),
    ],
)
def test_each_kind_of_error_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, at: str, key: str, message: str
) -> None:
    path = write_variant(tmp_path, old, new)

    error = refused(path)

    assert (error.file, error.line, error.key) == (path, line_of(path, at), key)
    assert message in error.issues[0].message
    assert str(error).startswith(f"{path}:{line_of(path, at)}: {key}: ")


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("  low: 0.1: x", "mapping values are not allowed here"),
        ("\tlow: 0.1", "found character '\\t' that cannot start any token"),
    ],
)
def test_yaml_syntax_error_names_file_and_line(tmp_path: Path, bad_line: str, problem: str) -> None:
    path = write_variant(tmp_path, "  low: 0.1\n", f"{bad_line}\n")

    error = refused(path)

    assert (error.line, error.key) == (line_of(path, bad_line), None)
    assert str(error) == f"{path}:{error.line}: YAML syntax error: {problem}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "a policy is a YAML mapping", id="empty"),
        pytest.param("- noop\n- rollback\n", "a policy is a YAML mapping", id="list"),
        pytest.param("a: 1\n---\nb: 2\n", "YAML syntax error", id="two-documents"),
    ],
)
def test_a_file_that_is_not_one_mapping_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)

    assert message in str(refused(path))


def test_unreadable_file_is_refused_without_a_line(tmp_path: Path) -> None:
    error = refused(tmp_path / "missing.yaml")

    assert (error.line, error.key) == (None, None)
    assert (
        str(error)
        == f"{tmp_path / 'missing.yaml'}: cannot read policy file: No such file or directory"
    )


def test_every_error_is_reported_in_file_order(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    text = PROMOTION_TEXT.replace("  min_auc: 0.82", "  min_auc: 2").replace(
        "version: 3", "version: 3\nextra: 1"
    )
    path.write_text(text)

    error = refused(path)

    assert [(issue.line, issue.key) for issue in error.issues] == [
        (line_of(path, "extra:"), "extra"),
        (line_of(path, "min_auc"), "quality_gates.min_auc"),
    ]
    assert error.lines() == str(error).splitlines()


@pytest.mark.parametrize(
    ("stage", "alias"),
    [("Staging", "staging"), ("Production", "production"), ("production", "production")],
)
def test_promote_stage_is_a_deprecated_spelling_of_promote_alias(
    tmp_path: Path, stage: str, alias: str
) -> None:
    path = write_variant(tmp_path, "promote_alias: staging ", f"promote_stage: {stage} ")

    loaded = load_policy(path)

    assert loaded.policy.release_policy.promote_alias == alias
    assert loaded.warnings == (
        f"{path}:{line_of(path, 'promote_stage')}: release_policy.promote_stage: "
        f"deprecated, use promote_alias: {alias}",
    )


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("promote_stage: Archived ", "must be Staging or Production, got 'Archived'"),
        ("promote_alias: staging\n  promote_stage: Staging ", "give promote_alias only"),
    ],
)
def test_a_bad_promote_stage_is_refused_at_its_line(
    tmp_path: Path, replacement: str, message: str
) -> None:
    path = write_variant(tmp_path, "promote_alias: staging ", replacement)

    error = refused(path)

    assert (error.line, error.key) == (
        line_of(path, "promote_stage"),
        "release_policy.promote_stage",
    )
    assert message in str(error)


def test_parse_policy_hashes_the_bytes_it_was_given() -> None:
    data = (REPO_POLICIES / "strict.yaml").read_bytes()

    loaded = parse_policy(data, Path("strict.yaml"))

    assert loaded == LoadedPolicy(
        policy=loaded.policy,
        sha256=hashlib.sha256(data).hexdigest(),
        path=Path("strict.yaml"),
    )
    assert loaded.policy.release_policy.require_approval is True
