"""The Guard rules in tooling/gates/rules/: each one fires on its fixture, and the real templates pass them all."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import cfn_flip
import pytest

from conftest import ROOT
from tooling import toolenv
from tooling.cfn import intrinsics
from tooling.gates import guard

# The Guard gate: most tests run the cfn-guard binary over a template or a fixture.
pytestmark = pytest.mark.slow
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


def exported_function_log_groups(template: dict) -> set[str]:
    """Log groups that declare Metadata.FunctionLogs yet are referenced from Outputs (Ref,
    Fn::GetAtt, Fn::Sub, inside any other intrinsic)."""
    resources = template.get("Resources", {})
    declared = {
        name
        for name, r in resources.items()
        if r.get("Type") == "AWS::Logs::LogGroup" and "FunctionLogs" in (r.get("Metadata") or {})
    }
    return declared & set(intrinsics.resources_in(list(template.get("Outputs", {}).values()), resources))


@pytest.mark.parametrize("path", [*OUTPUTS, FIXTURES / "STATEFUL_RETAINED.yaml"], ids=lambda p: p.name)
def test_an_exported_log_group_is_data_even_if_it_says_it_holds_function_logs(path):
    """STATEFUL_RETAINED lets a log group that declares Metadata.FunctionLogs be deleted. A log
    group the template exports is read by others as data, whatever it declares: it must not be
    exempt. cfn-guard 3.1.1 cannot express "referenced from Outputs" reliably (a filter over
    Outputs.*.Value leaves every value unresolved as soon as one output is a plain string or a
    list such as Fn::If, and Fn::Sub strings name resources inside text), so this check is here,
    on every built template and on the rule's fixture, where it must fire."""
    template = cfn_flip.load(path.read_text())[0]
    expected = {"ExportedFunctionLogGroup"} if path.parent == FIXTURES else set()
    assert exported_function_log_groups(template) == expected
    assert not expected & {f.resource for f in check(path)}  # the Guard rule cannot see it


def test_a_broken_rules_file_is_a_finding_not_a_pass(tmp_path):
    (tmp_path / "bad.guard").write_text("rule BROKEN { Resources.*[ Type == ")
    findings = guard.check_texts({"t.yaml": "Resources: {}\n"}, rules_dir=tmp_path).findings
    assert [f.rule for f in findings] == ["ERROR"]


def test_no_rules_is_a_finding_not_a_pass(tmp_path):
    findings = guard.check_texts({"t.yaml": "Resources: {}\n"}, rules_dir=tmp_path).findings
    assert [f.rule for f in findings] == ["ERROR"]


def test_the_engine_is_the_locked_official_binary():
    lock = toolenv.lock_file(guard.ENGINE).read_text()
    assert re.search(
        r"^cdklabs-cdk-validator-cfnguard==0\.0\.62 \\\n\s+--hash=sha256:[0-9a-f]{64}$", lock, re.M
    )
    binary = guard.engine()
    assert toolenv.is_ready(guard.ENGINE) and binary.parent.parent == toolenv.env_path(guard.ENGINE)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"cfn-guard {guard.ENGINE_VERSION}"


def test_the_fingerprint_holds_the_lock_and_the_rules():
    printed = guard.fingerprint()
    assert toolenv.lock_file(guard.ENGINE).read_text() in printed
    assert all(p.read_text() in printed for p in guard.rule_files())


@pytest.mark.parametrize(
    ("system", "machine", "member"),
    [
        ("Linux", "x86_64", "package/bin/ubuntu/x86_64/cfn-guard"),
        ("Linux", "aarch64", "package/bin/ubuntu/aarch64/cfn-guard"),
        ("Darwin", "arm64", "package/bin/macos/aarch64/cfn-guard"),
        ("Darwin", "x86_64", "package/bin/macos/x86_64/cfn-guard"),
    ],
)
def test_each_supported_platform_has_its_binary(system, machine, member):
    assert guard.bundle_member(system, machine) == member


def test_a_platform_without_an_official_binary_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(guard.platform, "system", lambda: "Windows")
    monkeypatch.setattr(guard.platform, "machine", lambda: "AMD64")
    with pytest.raises(toolenv.ToolEnvError, match="no official cfn-guard binary for Windows AMD64"):
        guard.bundle_member()


def test_an_environment_without_the_bundle_is_not_ready(tmp_path):
    with pytest.raises(toolenv.ToolEnvError, match="cannot take package/bin/"):
        guard.install_binary(tmp_path)
    assert not (tmp_path / "bin" / "cfn-guard").exists()


@pytest.mark.slow  # runs pip (in a new virtual environment) to try to make the tool environment
def test_a_tool_environment_that_cannot_be_made_fails_the_gate(tmp_path, monkeypatch):
    """A missing environment is created on first use; one that cannot be is never a pass."""
    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "cfn-guard.lock").write_text("no-such-package-xyz==0.0.1 --hash=sha256:00\n")
    monkeypatch.setattr(toolenv, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(toolenv, "ENV_DIR", tmp_path / ".tools")
    monkeypatch.setattr(toolenv, "ROOT", tmp_path)
    result = guard.check_texts({"t.yaml": OUTPUTS[0].read_text()}, log=lambda _: None)
    assert [(f.rule, f.file) for f in result.findings] == [("ERROR", "t.yaml")]
    assert "tool environment" in result.findings[0].message
    assert not toolenv.is_ready(guard.ENGINE)


def test_findings_name_the_line_of_the_failing_value():
    path = FIXTURES / "SG_NO_INGRESS_FROM_ANYWHERE.yaml"
    lines = path.read_text().splitlines()
    by_resource = {f.resource: f.line for f in check(path)}
    assert lines[by_resource["OpenGroup"] - 1].strip() == "CidrIp: 0.0.0.0/0"
    assert lines[by_resource["OpenIpv6Ingress"] - 1].strip() == "CidrIpv6: ::/0"


def test_an_unreadable_template_is_a_finding_and_the_others_are_still_checked():
    fixture = FIXTURES / "KMS_KEY_ROTATES.yaml"
    texts = {"bad.yaml": "Resources: {Key: [\n", str(fixture): fixture.read_text()}
    findings = guard.check_texts(texts).findings
    assert {(f.file, f.rule) for f in findings} == {("bad.yaml", "ERROR"), (str(fixture), "KMS_KEY_ROTATES")}


def test_a_broken_rules_file_does_not_hide_the_others(tmp_path):
    (tmp_path / "bad.guard").write_text("rule BROKEN { Resources.*[ Type == ")
    (tmp_path / "data.guard").write_text((guard.RULES_DIR / "data.guard").read_text())
    fixture = FIXTURES / "KMS_KEY_ROTATES.yaml"
    findings = guard.check_texts({"k.yaml": fixture.read_text()}, rules_dir=tmp_path).findings
    assert {f.rule for f in findings} == {"ERROR", "KMS_KEY_ROTATES"}
    assert any(f.rule == "ERROR" and f.message.startswith("bad.guard: ") for f in findings)


@pytest.mark.parametrize(
    ("stdout", "stderr", "returncode"),
    [
        ("", "Error occurred Parser Error", 255),  # no report
        ("[]", "", 0),  # a report for no template
        ('[{"name": "DATA_STDIN[1]", "not_compliant": []}]', "", 5),  # status 5 without a broken rules file
        ("[{", "", 19),  # a report cut short
    ],
)
def test_an_incomplete_report_is_never_a_pass(stdout, stderr, returncode):
    assert guard.parse(stdout, stderr, returncode, ["t.yaml"], ["a.guard"]) is None
