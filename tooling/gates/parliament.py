"""parliament over every IAM policy document of a template, with intrinsics made concrete.

parliament reads plain policy JSON, so each document is first resolved the way CloudFormation
would resolve it in a sample account: pseudo parameters and parameters get sample values,
``Ref``/``Fn::GetAtt`` of a resource become an ARN of that resource's type, ``Fn::If`` takes its
first branch (the one that adds the document's permissions) and ``AWS::NoValue`` drops the item.

Documents checked: inline role policies, AWS::IAM::Policy and AWS::IAM::ManagedPolicy, and KMS
key policies. Trust policies are left to the Guard rules (they have no Resource to check).
A finding above LOW, and any unknown action or service prefix, fails the gate. "Unknown" means
unknown to awacs too: parliament's IAM database is older than awacs' (generated from AWS's service
authorization reference), so an action only parliament has not heard of (a new one, such as
logs:PutLogGroupDeletionProtection) is not a finding, while a misspelt one is.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version
from typing import Any

import yaml
from cfn_flip import to_json

from ..cfn.intrinsics import SUB_VARIABLE, sub_parts
from .base import Done, Finding, Gate, GateResult, RunContext, source_of

NAME = "parliament"
SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
ALWAYS_FAIL = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX"}

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": "sample-stack",
    "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/sample-stack/0",
    "AWS::URLSuffix": "amazonaws.com",
}
_A = f"{REGION}:{ACCOUNT}"
#: (Ref value, Arn attribute) of a sample resource of each type; ``{id}`` is the logical id.
SAMPLE_ARNS: dict[str, tuple[str, str]] = {
    "AWS::SecretsManager::Secret": (f"arn:aws:secretsmanager:{_A}:secret:{{id}}-AbCdEf",) * 2,
    "AWS::KMS::Key": (
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        f"arn:aws:kms:{_A}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    "AWS::KMS::Alias": ("alias/{id}", f"arn:aws:kms:{_A}:alias/{{id}}"),
    "AWS::Logs::LogGroup": ("{id}", f"arn:aws:logs:{_A}:log-group:{{id}}:*"),
    "AWS::IAM::Role": ("{id}", f"arn:aws:iam::{ACCOUNT}:role/{{id}}"),
    "AWS::IAM::ManagedPolicy": (f"arn:aws:iam::{ACCOUNT}:policy/{{id}}",) * 2,
    "AWS::S3::Bucket": ("{id}", "arn:aws:s3:::{id}"),
    "AWS::SNS::Topic": (f"arn:aws:sns:{_A}:{{id}}",) * 2,
    "AWS::SQS::Queue": (f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{id}}", f"arn:aws:sqs:{_A}:{{id}}"),
    "AWS::Lambda::Function": ("{id}", f"arn:aws:lambda:{_A}:function:{{id}}"),
    "AWS::Timestream::InfluxDBInstance": ("{id}", f"arn:aws:timestream-influxdb:{_A}:db-instance/{{id}}"),
    # Ref gives the Id (the primaryIdentifier in cfn-lint's bundled schema); its Arn pattern has db-cluster/<id>.
    "AWS::Timestream::InfluxDBCluster": ("{id}", f"arn:aws:timestream-influxdb:{_A}:db-cluster/{{id}}"),
    "AWS::EC2::SecurityGroup": ("sg-0123456789abcdef0", "sg-0123456789abcdef0"),
    "AWS::CloudWatch::Alarm": ("{id}", f"arn:aws:cloudwatch:{_A}:alarm:{{id}}"),
    "AWS::ServiceCatalog::Portfolio": (
        "port-abcdefghijklm",
        f"arn:aws:catalog:{_A}:portfolio/port-abcdefghijklm",
    ),
    "AWS::ServiceCatalog::CloudFormationProduct": (
        "prod-abcdefghijklm",
        f"arn:aws:catalog:{_A}:product/prod-abcdefghijklm",
    ),
}
GETATT_SAMPLES = {
    "GroupId": "sg-0123456789abcdef0",
    "Endpoint": "sample.example.com",
    # A Timestream for InfluxDB database's own secret: its service-linked role names the secrets it
    # makes READONLY-InfluxDB-auth-parameters-* (AmazonTimestreamInfluxDBServiceRolePolicy).
    "InfluxAuthParametersSecretArn": f"arn:aws:secretsmanager:{_A}:secret:READONLY-InfluxDB-auth-parameters-AbCdEf",
}


class Unresolvable(ValueError):
    """An intrinsic this resolver does not know; reported as a finding, never skipped."""


def fingerprint() -> str:
    return f"parliament {version('parliament')}\n" + source_of(__file__)


def check_texts(texts: dict[str, str]) -> GateResult:
    start = time.perf_counter()
    result = GateResult(NAME, checked=list(texts))
    for filename, text in texts.items():
        result.findings += check_text(text, filename)
    result.seconds = time.perf_counter() - start
    return result


def check_text(text: str, filename: str) -> list[Finding]:
    try:
        template = json.loads(to_json(text))
    except (ValueError, yaml.YAMLError) as err:
        return [Finding(filename, NAME, "ERROR", "-", f"not a YAML or JSON template: {err}")]
    findings: list[Finding] = []
    for resource, where, document in policy_documents(template):
        try:
            concrete = Resolver(template).resolve(document)
        except Unresolvable as err:
            findings.append(Finding(filename, NAME, "UNRESOLVED_INTRINSIC", resource, f"{where}: {err}"))
            continue
        findings += [
            Finding(filename, NAME, issue, resource, f"{where}: {detail}")
            for issue, detail in lint_document(concrete)
        ]
    return sorted(findings)


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(logical id, which document, document) for every IAM policy document to lint."""
    for name, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::IAM::Role":
            for i, policy in enumerate(props.get("Policies") or []):
                label = policy.get("PolicyName", i) if isinstance(policy, dict) else i
                yield (
                    name,
                    f"Policies[{label}]",
                    policy.get("PolicyDocument") if isinstance(policy, dict) else policy,
                )
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            yield name, "PolicyDocument", props.get("PolicyDocument")
        elif kind == "AWS::KMS::Key" and "KeyPolicy" in props:
            yield name, "KeyPolicy", props["KeyPolicy"]


def lint_document(document: Any) -> list[tuple[str, str]]:
    """(issue, detail) for each parliament finding that fails the gate."""
    from parliament import analyze_policy_string, enhance_finding

    policy = analyze_policy_string(json.dumps(document))
    failing = []
    for finding in policy.findings:
        finding = enhance_finding(finding)
        if finding.issue in ALWAYS_FAIL and awacs_knows((finding.location or {}).get("string", "")):
            continue
        if finding.issue in ALWAYS_FAIL or SEVERITIES.index(finding.severity) > SEVERITIES.index("LOW"):
            detail = finding.detail if finding.detail else finding.title
            failing.append((finding.issue, f"{finding.severity}: {finding.title}: {_short(detail)}"))
    return failing


def awacs_knows(action: str) -> bool:
    """True when awacs defines ``action`` (``service:Name``), i.e. AWS's reference lists it."""
    from awacs.aws import Action

    prefix, _, name = action.partition(":")
    if not prefix or not name or "*" in action or "?" in action:
        return False
    module = _awacs_modules().get(prefix.lower())
    constant = getattr(module, name, None) if module else None
    return isinstance(constant, Action) and getattr(constant, "action", None) == name


@cache
def _awacs_modules() -> dict[str, Any]:
    """awacs' service modules by IAM prefix (``lambda`` is ``awacs.awslambda``)."""
    import importlib
    import pkgutil

    import awacs

    modules = {}
    for info in pkgutil.iter_modules(awacs.__path__):
        try:
            module = importlib.import_module(f"awacs.{info.name}")
        except ImportError:
            continue
        prefix = getattr(module, "prefix", None)
        if isinstance(prefix, str):
            modules[prefix.lower()] = module
    return modules


def _short(detail: Any) -> str:
    text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


class Resolver:
    """CloudFormation intrinsics replaced with sample values of one imaginary deployment."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources = template.get("Resources") or {}
        self.parameters = template.get("Parameters") or {}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(arg)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.resolve(items))
            if key == "Fn::If":
                return self.resolve(arg[1])
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key.startswith("Fn::") or key == "Condition":
                raise Unresolvable(f"no sample value for {key}")
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            return self.parameter(name)
        if name in self.resources:
            return self.sample(name)[0]
        raise Unresolvable(f"Ref to unknown name {name!r}")

    def get_att(self, arg: Any) -> str:
        name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
        if name not in self.resources:
            raise Unresolvable(f"Fn::GetAtt of unknown resource {name!r}")
        if attribute == "Arn":
            return self.sample(name)[1]
        if attribute in GETATT_SAMPLES:
            return GETATT_SAMPLES[attribute]
        raise Unresolvable(f"no sample value for Fn::GetAtt {name}.{attribute}")

    def sub(self, arg: Any) -> str:
        text, variables = sub_parts(arg)
        values = {k: self.resolve(v) for k, v in variables.items()}

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                return str(self.get_att(name))
            return str(self.ref(name))

        return SUB_VARIABLE.sub(value, text)

    def parameter(self, name: str) -> Any:
        spec = self.parameters[name]
        default = spec.get("Default")
        if spec.get("Type", "String").startswith("List<") or spec.get("Type") == "CommaDelimitedList":
            return default.split(",") if default else [f"sample-{name.lower()}"]
        if default not in (None, ""):
            return str(default)
        return f"sample-{name.lower()}"

    def sample(self, name: str) -> tuple[str, str]:
        kind = self.resources[name].get("Type", "")
        if kind not in SAMPLE_ARNS:
            raise Unresolvable(f"no sample ARN for {kind} (add one to SAMPLE_ARNS in the parliament gate)")
        ref, arn = SAMPLE_ARNS[kind]
        return ref.format(id=name.lower()), arn.format(id=name.lower())


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


def start(texts: dict[str, str], context: RunContext) -> Done:
    return Done(check_texts(texts))


GATE = Gate(
    name=NAME,
    does="parliament over every IAM policy document",
    fingerprint=fingerprint,
    start=start,
)
