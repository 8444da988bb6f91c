"""parliament over every IAM policy document, once CloudFormation intrinsics are made concrete."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, yaml_data
from tooling.gates import parliament

# Every test runs parliament (the IAM gate).
pytestmark = pytest.mark.slow
OUTPUTS = sorted((ROOT / "output").glob("*.yaml"))
BROKEN = ROOT / "tests" / "fixtures" / "parliament" / "broken.yaml"


def template(path):
    return yaml_data(path.read_text())


@pytest.mark.parametrize("path", OUTPUTS, ids=lambda p: p.name)
def test_every_policy_of_the_real_templates_is_clean(path):
    documents = list(parliament.policy_documents(template(path)))
    if not documents:
        pytest.skip(f"{path.name} has no IAM policy document")
    assert parliament.check_text(path.read_text(), str(path)) == []


def test_every_policy_document_is_found():
    """Inline role policies, policy resources and key policies, of whatever resources a template has."""
    for path in OUTPUTS:
        t = template(path)
        expected = set()
        for name, resource in t["Resources"].items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                expected |= {(name, f"Policies[{p['PolicyName']}]") for p in props.get("Policies", [])}
            elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                expected.add((name, "PolicyDocument"))
            elif resource["Type"] == "AWS::KMS::Key":
                expected.add((name, "KeyPolicy"))
        assert {(r, w) for r, w, _ in parliament.policy_documents(t)} == expected
    product = template(ROOT / "output" / "timestream-influxdb.yaml")
    assert {
        ("LambdaExecutionRole", "Policies[influxdb-client]"),
        ("LambdaKmsPolicy", "PolicyDocument"),
        ("KmsKey", "KeyPolicy"),
    } <= {(r, w) for r, w, _ in parliament.policy_documents(product)}


def test_resolved_documents_have_no_intrinsics_left():
    path = ROOT / "output" / "timestream-influxdb.yaml"
    t = template(path)
    for _, _, document in parliament.policy_documents(t):
        text = json.dumps(parliament.Resolver(t).resolve(document))
        assert "Fn::" not in text and '"Ref"' not in text and "${" not in text


def test_broken_policies_are_found_with_their_resources():
    findings = parliament.check_text(BROKEN.read_text(), str(BROKEN))
    assert {(f.rule, f.resource) for f in findings} == {
        ("RESOURCE_MISMATCH", "MismatchedPolicy"),
        ("UNKNOWN_ACTION", "MisspeltPolicy"),  # LOW, but unknown actions always fail
    }
    assert all(f.checker == "parliament" and f.file == str(BROKEN) for f in findings)


def test_resolver_substitutes_like_cloudformation():
    t = {
        "Parameters": {"Bucket": {"Type": "String", "Default": "data"}, "Env": {"Type": "String"}},
        "Resources": {"Key": {"Type": "AWS::KMS::Key"}, "Secret": {"Type": "AWS::SecretsManager::Secret"}},
    }
    r = parliament.Resolver(t)
    assert (
        r.resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${Env}/*"})
        == "arn:aws:s3:::data/sample-env/*"
    )
    assert r.resolve({"Fn::GetAtt": ["Key", "Arn"]}).startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert r.resolve({"Ref": "Secret"}).startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
    assert r.resolve(["a", {"Ref": "AWS::NoValue"}, {"Fn::If": ["C", "b", "c"]}]) == ["a", "b"]
    assert r.resolve({"Fn::Sub": ["${X}-${AWS::Region}", {"X": {"Ref": "Env"}}]}) == "sample-env-us-east-1"


def test_an_unresolvable_intrinsic_is_a_finding_not_a_pass():
    text = """
Resources:
  Thing: {Type: AWS::Made::Up}
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: !GetAtt Thing.Arn}
"""
    findings = parliament.check_text(text, "t.yaml")
    assert [(f.rule, f.resource) for f in findings] == [("UNRESOLVED_INTRINSIC", "Policy")]


def test_an_action_newer_than_parliaments_database_is_known_through_awacs():
    """parliament's IAM database predates some actions AWS lists (awacs has them): not a finding;
    a misspelt action stays one."""
    statement = {"Effect": "Allow", "Resource": "*", "Action": ["logs:PutLogGroupDeletionProtection"]}
    assert parliament.lint_document({"Version": "2012-10-17", "Statement": [statement]}) == []
    statement["Action"] = ["logs:PutLogGroupDeletionProtektion"]
    assert [i for i, _ in parliament.lint_document({"Version": "2012-10-17", "Statement": [statement]})] == [
        "UNKNOWN_ACTION"
    ]
