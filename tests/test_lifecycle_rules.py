"""The lifecycle rules: each fires on its fixture and not on the clean counterpart, through the
cfn-lint gate itself; they load as cfn-lint loads custom rules; the gate runs them, and the
product template passes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from templates_src.registry import PRODUCTS
from tooling.gates import cfn_lint, lifecycle_rules
from tooling.gates.lifecycle_rules import _model

# Runs cfn-lint over every fixture and the product in every Region group: a gate test.
pytestmark = pytest.mark.slow

FIXTURES = ROOT / "tests" / "fixtures" / "lifecycle"


def lint(path: Path, lifecycle: bool = True) -> list:
    """The cfn-lint gate's findings for one file, with the lifecycle rules on (by default)."""
    return cfn_lint.lint_texts({path.name: path.read_text()}, lifecycle=lifecycle)[path.name]


@pytest.mark.parametrize("rule", lifecycle_rules.ids())
def test_the_rule_fires_on_its_fixture_and_nothing_else_does(rule):
    findings = lint(FIXTURES / f"{rule}_fires.yaml")
    assert findings and {f.rule for f in findings} == {rule}, findings


@pytest.mark.parametrize("rule", lifecycle_rules.ids())
def test_the_clean_counterpart_has_no_finding_at_all(rule):
    assert lint(FIXTURES / f"{rule}_clean.yaml") == []


def test_every_fixture_belongs_to_a_rule():
    names = {p.name for p in FIXTURES.glob("*.yaml")}
    assert names == {f"{r}_{kind}.yaml" for r in lifecycle_rules.ids() for kind in ("fires", "clean")}


def test_findings_name_the_resource_and_what_it_needs():
    (finding,) = lint(FIXTURES / "E9105_fires.yaml")
    assert finding.resource == "Thing" and "FunctionEgress" in finding.message
    found = {(f.resource, f.line) for f in lint(FIXTURES / "E9103_fires.yaml")}
    # The inline rule naming ClientGroup and AuditLogs' DependsOn: both point at the retained resource.
    assert {r for r, _ in found} == {"DatabaseGroup", "AuditLogs"}


def test_ids_are_outside_cfn_lints_own_and_every_rule_is_documented():
    from cfnlint.config import _DEFAULT_RULESDIR
    from cfnlint.rules import Rules

    own = Rules.create_from_directory(_DEFAULT_RULESDIR)
    assert not set(lifecycle_rules.ids()) & set(own.data)
    assert len(set(lifecycle_rules.ids())) == len(lifecycle_rules.RULE_CLASSES)
    for rule in lifecycle_rules.rules():
        assert rule.shortdesc and rule.description and rule.source_url.startswith("https://docs.aws.amazon")
        assert "lifecycle" in rule.tags


def test_cfn_lint_loads_the_rules_from_the_directory_as_from_the_module():
    from cfnlint.rules import Rules

    assert cfn_lint.LIFECYCLE_DIR == lifecycle_rules.RULES_DIR
    assert cfn_lint.LIFECYCLE_MODULE == lifecycle_rules.MODULE
    from_dir = Rules.create_from_directory(str(lifecycle_rules.RULES_DIR))
    from_module = Rules.create_from_module(lifecycle_rules.MODULE)
    assert sorted(from_dir.data) == sorted(from_module.data) == sorted(lifecycle_rules.ids())


def test_the_gate_runs_the_rules():
    fixture = FIXTURES / "W9102_fires.yaml"
    gate = cfn_lint.start({fixture.name: fixture.read_text()}, None).wait()
    assert "W9102" in {f.rule for f in gate.findings}
    assert "W9102" not in {f.rule for f in lint(fixture, lifecycle=False)}


@pytest.mark.parametrize("filename", [spec.filename for spec in PRODUCTS])
def test_every_product_template_passes_the_lifecycle_rules(filename, gate_seed):
    """The cfn-lint gate runs the lifecycle rules (``test_the_gate_runs_the_rules``), and the run's
    seeding build keeps its verdict only for a text it found clean: a product text with that
    verdict passes them. Any other text is linted here, to say which of them it breaks."""
    text = (ROOT / "output" / filename).read_text()
    if gate_seed.passed(cfn_lint.GATE, text):
        return
    found = cfn_lint.lint_texts({filename: text})[filename]
    assert sorted({(f.rule, f.resource) for f in found if f.rule in lifecycle_rules.ids()}) == []


@pytest.mark.parametrize(
    ("type_name", "names"),
    [
        ("AWS::Logs::LogGroup", {"LogGroupName"}),
        ("AWS::KMS::Alias", {"AliasName"}),
        ("AWS::SecretsManager::Secret", {"Name"}),
        ("AWS::EC2::SecurityGroup", {"GroupName"}),
        ("AWS::KMS::Key", set()),
        ("Custom::Thing", set()),
    ],
)
def test_naming_properties_come_from_the_schemas(type_name, names):
    assert _model.naming_properties(type_name) == names


def test_a_db_instance_is_named_by_its_identifier_not_by_its_subnet_group():
    found = _model.naming_properties("AWS::RDS::DBInstance")
    assert "DBInstanceIdentifier" in found and "DBSubnetGroupName" not in found


def test_functions_behind_a_custom_resource_follow_aliases_and_workers():
    every = {
        "Worker": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Environment": {"Variables": {"W": {"Fn::GetAtt": "Worker.Arn"}}}},
        },
        "Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Function"}}},
        "Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Ref": "Live"}}},
    }
    assert _model.functions_behind(every["Thing"], every) == ["Function", "Worker"]


def test_a_deletion_policy_chosen_by_condition_counts_each_branch():
    resource = {"DeletionPolicy": {"Fn::If": ["Keep", "Retain", "Delete"]}}
    assert _model.policy_values(resource["DeletionPolicy"]) == {"Retain", "Delete"}
    assert _model.is_retained(resource) and not _model.is_retained({"DeletionPolicy": "Snapshot"})
