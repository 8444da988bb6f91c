"""The Guard rules in tooling/gates/rules/: each one fires on its fixture, and the real templates pass them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from tooling.gates import guard

FIXTURES = ROOT / "tests" / "fixtures" / "guard"
OUTPUTS = sorted((ROOT / "output").glob("*.yaml"))

# Which resources (or outputs) each fixture breaks: the rule must name every one of them.
EXPECTED = {
    "INFLUXDB_NOT_PUBLIC": {"PublicInstance"},
    "SG_NO_INGRESS_FROM_ANYWHERE": {"OpenGroup", "OpenIpv6Ingress"},
    "SG_RULE_HAS_DESCRIPTION": {"QuietGroup", "QuietIngress"},
    "STATEFUL_RETAINED": {
        "DeletedSecret",
        "UnretainedLogGroup",
        "ReplacedInstance",
        "SecretClaimingToBeLogs",
    },
    "KMS_KEY_ROTATES": {"StaticKey"},
    "ENCRYPTED_WITH_TEMPLATE_KEY": {"DefaultKeySecret"},
    "IAM_NO_WILDCARD_ACTION": {"AdminRole", "AdminPolicy"},
    "IAM_NO_NOT_ACTION": {"AlmostAdminPolicy"},
    "LAMBDA_ROLE_TRUSTS_ONLY_LAMBDA": {"SharedRole", "CrossAccountRole"},
    "OUTPUT_NO_SECRET_VALUE": {"ConnectionString", "ResolvedPassword", "SubWithVariables"},
    "OUTPUT_NO_NOECHO_PARAMETER": {"Credential"},  # the parameter whose value leaks
}


def rule_names() -> set[str]:
    names = set()
    for path in guard.rule_files():
        names |= set(re.findall(r"^rule\s+(\w+)", path.read_text(), flags=re.M))
    return names


def check(path: Path):
    return guard.check_texts({str(path): path.read_text()}).findings


def test_every_rule_has_a_failing_fixture():
    assert rule_names() == set(EXPECTED) == {p.stem for p in FIXTURES.glob("*.yaml")}


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_rule_fires_on_its_fixture_and_only_it(rule):
    findings = check(FIXTURES / f"{rule}.yaml")
    assert {f.rule for f in findings} == {rule}
    assert {f.resource for f in findings} == EXPECTED[rule]
    for f in findings:
        assert f.checker == "guard" and f.file.endswith(f"{rule}.yaml") and f.message


@pytest.mark.parametrize("path", OUTPUTS, ids=lambda p: p.name)
def test_real_templates_pass_every_rule(path):
    assert check(path) == []


def test_compliant_variants_pass():
    """The rules are not just always-failing: an absent PubliclyAccessible, a described rule
    from a narrow CIDR and an output of a secret's ARN are all fine."""
    text = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Password: {Type: String, NoEcho: true}
Resources:
  Instance:
    Type: AWS::Timestream::InfluxDBInstance
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties: {Name: private-db}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: narrow
      SecurityGroupIngress:
        - {Description: from the VPC, IpProtocol: tcp, FromPort: 8086, ToPort: 8086, CidrIp: 10.0.0.0/16}
  Secret:
    Type: AWS::SecretsManager::Secret
    DeletionPolicy: RetainExceptOnCreate
    UpdateReplacePolicy: Retain
Outputs:
  SecretArn: {Value: !Ref Secret}
"""
    assert guard.check_texts({"ok.yaml": text}).findings == []


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_stateful_retained_exempts_only_a_log_group_that_says_it_is_a_functions_own(declared):
    """A log group may be deleted only when it says whose function logs it holds; any other log
    group is data; RetainExceptOnCreate counts as retained."""
    text = (
        """
Resources:
  FunctionLogs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Delete
    UpdateReplacePolicy: Delete
"""
        + ("    Metadata: {FunctionLogs: Function}\n" if declared else "")
        + """    Properties: {RetentionInDays: 7}
  KeptLogs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: RetainExceptOnCreate
    UpdateReplacePolicy: Retain
    Properties: {RetentionInDays: 7}
"""
    )
    findings = guard.check_texts({"t.yaml": text}).findings
    assert {(f.rule, f.resource) for f in findings} == (
        set() if declared else {("STATEFUL_RETAINED", "FunctionLogs")}
    )


def test_a_broken_rules_file_is_a_finding_not_a_pass(tmp_path):
    (tmp_path / "bad.guard").write_text("rule BROKEN { Resources.*[ Type == ")
    findings = guard.check_texts({"t.yaml": "Resources: {}\n"}, rules_dir=tmp_path).findings
    assert [f.rule for f in findings] == ["ERROR"]


def test_no_rules_is_a_finding_not_a_pass(tmp_path):
    findings = guard.check_texts({"t.yaml": "Resources: {}\n"}, rules_dir=tmp_path).findings
    assert [f.rule for f in findings] == ["ERROR"]
