"""Lambda-backed custom resources: a function with its own log group and role, and the resource.

The function's code is a module of :mod:`.functions`, inlined into ``Code.ZipFile`` at build
time (through the template's ``FunctionCode`` mapping, see :func:`zip_file`). Each function logs to a log group of its own (retention from LogRetentionDays, encrypted
with the product's key when StorageEncrypted) and runs with a role that may write only there,
plus the statements its work needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awacs import logs
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import FindInMap, GetAtt, Join, Ref, Template
from troposphere.awslambda import Code, Function, LoggingConfig, VPCConfig
from troposphere.cloudformation import AWSCustomObject
from troposphere.iam import Policy, Role
from troposphere.kms import Key
from troposphere.logs import LogGroup

from ..common import Naming, ParameterForm, checkov_skips
from . import service
from .access import POLICY_VERSION, lambda_trust_policy
from .encryption import key_arn_if_encrypted
from .functions import HANDLER, own_code, shared_code

#: The Mappings entry holding the functions' code: the shared part once, each function's own part.
CODE_MAPPING, SHARED_KEY, CODE_ATTRIBUTE = "FunctionCode", "Shared", "Py"
#: Seconds CloudFormation waits for an answer beyond the function's own timeout.
ANSWER_GRACE = 60

# checkov's Lambda checks assume a function serving traffic; a custom-resource handler is called
# by CloudFormation only, once per stack operation. Reviewed in tests/test_checkov.py.
# Short: the reasons ship in the template, which is near the deploy size limit.
FUNCTION_CHECKOV_SKIPS = {
    "CKV_AWS_115": "Called once per stack operation; reserved concurrency fails in accounts at the unreserved minimum",
    "CKV_AWS_116": "CloudFormation is the only caller and waits for the answer: a failure fails the stack, no event to re-drive",
}
OUTSIDE_VPC_SKIP = {
    "CKV_AWS_117": "Calls AWS APIs only, never the database: runs outside the VPC, needing no NAT or endpoints",
}


@dataclass(frozen=True)
class LambdaFunction:
    function: Function
    role: Role
    log_group: LogGroup


class CustomResource(AWSCustomObject):
    """A ``Custom::<Name>`` resource; its properties other than these two are free-form."""

    resource_type = "AWS::CloudFormation::CustomResource"
    props = {"ServiceToken": (str, True), "ServiceTimeout": (int, False)}


def add_function(
    t: Template,
    p: ParameterForm,
    naming: Naming,
    key: Key,
    *,
    title: str,
    suffix: str,
    module: str,
    statements: list[Statement],
    timeout: int,
    vpc: VPCConfig | None = None,
    managed_policies: list | None = None,
    condition: str | None = None,
) -> LambdaFunction:
    """Log group, role (its log group plus ``statements``) and function running ``functions/<module>.py``.

    With ``condition``, all three exist only when it holds.
    """
    when = {"Condition": condition} if condition else {}
    log_group = t.add_resource(
        LogGroup(
            f"{title}LogGroup",
            **when,
            LogGroupName=naming.name(suffix),
            RetentionInDays=p.ref("LogRetentionDays"),
            KmsKeyId=key_arn_if_encrypted(key),
            Tags=naming.tags(suffix),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    role = t.add_resource(
        Role(
            f"{title}Role",
            **when,
            AssumeRolePolicyDocument=lambda_trust_policy(),
            Policies=[
                Policy(
                    PolicyName=suffix,
                    PolicyDocument=PolicyDocument(
                        Version=POLICY_VERSION,
                        Statement=[
                            Statement(
                                Sid="WriteOwnLogGroup",
                                Effect=Allow,
                                Action=[logs.CreateLogStream, logs.PutLogEvents],
                                # The Arn attribute of a log group ends in ":*": its streams.
                                Resource=[GetAtt(log_group, "Arn")],
                            ),
                            *statements,
                        ],
                    ),
                )
            ],
            **({"ManagedPolicyArns": managed_policies} if managed_policies else {}),
            Tags=naming.tags(suffix),
        )
    )
    props: dict[str, Any] = {"VpcConfig": vpc} if vpc is not None else {}
    skips = FUNCTION_CHECKOV_SKIPS if vpc is not None else {**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP}
    function = t.add_resource(
        Function(
            title,
            **when,
            Runtime=service.LAMBDA_RUNTIME,
            Handler=HANDLER,
            Code=Code(ZipFile=zip_file(t, module)),
            Role=GetAtt(role, "Arn"),
            Timeout=timeout,
            LoggingConfig=LoggingConfig(LogGroup=Ref(log_group)),
            Tags=naming.tags(suffix),
            Metadata=checkov_skips(skips),
            **props,
        )
    )
    return LambdaFunction(function=function, role=role, log_group=log_group)


def zip_file(t: Template, module: str) -> Join:
    """``Code.ZipFile`` of ``functions/<module>.py``: the shared code and the function's own, joined.

    Both parts live in the template's ``FunctionCode`` mapping, so the code every function
    shares is written once: the template must stay under the 51,200-byte deploy limit.
    """
    key = module.title().replace("_", "")
    code = t.mappings.setdefault(CODE_MAPPING, {})
    code[SHARED_KEY] = {CODE_ATTRIBUTE: shared_code()}
    code[key] = {CODE_ATTRIBUTE: own_code(module)}
    return Join("", [FindInMap(CODE_MAPPING, part, CODE_ATTRIBUTE) for part in (SHARED_KEY, key)])


def add_custom_resource(
    t: Template,
    title: str,
    type_name: str,
    fn: LambdaFunction,
    timeout: int,
    condition: str | None = None,
    **properties: Any,
) -> CustomResource:
    """The ``Custom::<type_name>`` resource served by ``fn``; it answers within ``timeout`` + grace."""
    kind = type(type_name, (CustomResource,), {"resource_type": f"Custom::{type_name}"})
    when = {"Condition": condition} if condition else {}
    return t.add_resource(
        kind(
            title,
            **when,
            ServiceToken=GetAtt(fn.function, "Arn"),
            ServiceTimeout=timeout + ANSWER_GRACE,
            **properties,
        )
    )
