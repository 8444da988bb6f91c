"""Lambda-backed custom resources: a function with its own log group and role, and the resource.

A new custom resource costs a function module in :mod:`.functions` (its code, with the
properties it reads declared in ``PROPERTIES``), one builder step that calls :func:`add_function`
and :func:`add_custom_resource`, and their tests.

The function's code is inlined into ``Code.ZipFile`` (handler ``index.handler``) at build time,
see :func:`.functions.inline`. Each function logs to a log group of its own (retention from
LogRetentionDays, encrypted with the product's key when StorageEncrypted, deleted with the
function: its logs are not data) and runs with
a role that may write only there, plus the statements its work needs. The custom resource is made
from the function's declaration: a property it does not read, or one it reads but is not given,
fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from awacs import awslambda, logs
from awacs import cloudformation as cfn
from awacs.aws import Allow, PolicyDocument, Statement
from troposphere import AWS_STACK_ID, GetAtt, Ref
from troposphere.awslambda import Code, Environment, Function, LoggingConfig, VPCConfig
from troposphere.cloudformation import AWSCustomObject
from troposphere.iam import Policy, Role
from troposphere.logs import LogGroup

from ..common import POLICY_VERSION, BuildError, Context, checkov_skips
from . import service
from .access import lambda_trust_policy
from .encryption import ProductKey
from .functions import HANDLER, HERE, declared_properties, inline

#: Seconds CloudFormation waits for an answer beyond the function's own timeout.
ANSWER_GRACE = 60
#: Properties a custom resource always has; the function does not read them.
SERVICE_PROPERTIES = ("ServiceToken", "ServiceTimeout")
#: Prefix of properties that exist only to order a resource after another one (a reference in a
#: property makes CloudFormation wait for the referenced resource, and unlike DependsOn it can
#: be conditional); the function never reads them.
WAIT_FOR = "WaitFor"
#: Metadata key of a function's own log group: the logical id of the function that logs there.
FUNCTION_LOGS = "FunctionLogs"
#: Removal policy of a function's own log group (explicit: cfn-lint's I3011 asks stateful
#: resources to state it).
DELETE = "Delete"

# checkov's Lambda checks assume a function serving traffic; a custom-resource handler is called
# by CloudFormation only, once per stack operation. Reviewed in tests/test_checkov.py.
FUNCTION_CHECKOV_SKIPS = {
    "CKV_AWS_115": (
        "CloudFormation calls this custom-resource handler once per stack operation, so there is "
        "no load to cap; reserving concurrency would fail in accounts already at the minimum of "
        "unreserved concurrency, as new accounts are"
    ),
    "CKV_AWS_116": (
        "CloudFormation is the only caller and waits for the handler's answer: a failure fails "
        "the stack operation, and there is no event a dead-letter queue could re-drive"
    ),
}
OUTSIDE_VPC_SKIP = {
    "CKV_AWS_117": (
        "The handler calls AWS APIs only, never the database, so it runs outside the VPC and "
        "needs no NAT gateway or VPC endpoints"
    ),
}


@dataclass(frozen=True)
class LambdaFunction:
    """A function running ``functions/<module>.py``, with its role and log group."""

    function: Function
    role: Role
    log_group: LogGroup
    module: str
    timeout: int
    condition: str | None = None
    #: the directory of ``module`` (another product's ``functions/`` package, or this one's)
    directory: Path = HERE

    def grant_get(self, sid: str = "GetFunction") -> Statement:
        """Read this function's configuration and state (lambda:GetFunction), nothing else."""
        return Statement(
            Sid=sid, Effect=Allow, Action=[awslambda.GetFunction], Resource=[GetAtt(self.function, "Arn")]
        )

    def grant_invoke(self, sid: str = "InvokeFunction") -> Statement:
        """Invoke this function (and nothing else in Lambda)."""
        return Statement(
            Sid=sid, Effect=Allow, Action=[awslambda.InvokeFunction], Resource=[GetAtt(self.function, "Arn")]
        )


def grant_read_stack_status(sid: str = "ReadOwnStackStatus") -> Statement:
    """Read this stack's status and its resources' (DescribeStacks, DescribeStackResource on its
    own id, nothing else): a function acts on a Delete only while CloudFormation deletes the
    resource (functions/cfn_response.py), since anyone allowed to invoke it can send one."""
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=[cfn.DescribeStacks, cfn.DescribeStackResource],
        Resource=[Ref(AWS_STACK_ID)],
    )


class CustomResource(AWSCustomObject):
    """A ``Custom::<Name>`` resource; its properties other than these two are free-form."""

    resource_type = "AWS::CloudFormation::CustomResource"
    props = {"ServiceToken": (str, True), "ServiceTimeout": (int, False)}


def add_function(
    ctx: Context,
    key: ProductKey,
    *,
    title: str,
    suffix: str,
    module: str,
    statements: list[Statement],
    timeout: int,
    vpc: VPCConfig | None = None,
    managed_policies: list | None = None,
    condition: str | None = None,
    environment: dict[str, Any] | None = None,
    directory: Path = HERE,
) -> LambdaFunction:
    """Log group, role (its log group plus ``statements``) and function running ``functions/<module>.py``.

    With ``condition``, all three exist only when it holds; ``environment`` are its variables;
    ``directory`` is the ``functions/`` package the module is in (default: this product's).
    """
    when = ctx.when(condition)
    # Not retained: the function's own logs are not data, and a retained log group keeps its
    # name, so the next create of a function with that name (a new stack, or InfluxDBToken
    # emptied again) would fail on it. Metadata.FunctionLogs says whose logs it holds: the
    # Guard rule STATEFUL_RETAINED retains every log group that does not say so.
    log_group = ctx.add(
        LogGroup(
            f"{title}LogGroup",
            **when,
            DeletionPolicy=DELETE,
            UpdateReplacePolicy=DELETE,
            Metadata={FUNCTION_LOGS: title},
            LogGroupName=ctx.naming.name(suffix),
            RetentionInDays=ctx.ref("LogRetentionDays"),
            KmsKeyId=key.arn_if_encrypted(),
            Tags=ctx.naming.tags(suffix),
        )
    )
    role = ctx.add(
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
            Tags=ctx.naming.tags(suffix),
        )
    )
    props: dict[str, Any] = {"VpcConfig": vpc} if vpc is not None else {}
    if environment:
        props["Environment"] = Environment(Variables=environment)
    skips = FUNCTION_CHECKOV_SKIPS if vpc is not None else {**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP}
    function = ctx.add(
        Function(
            title,
            **when,
            Runtime=service.LAMBDA_RUNTIME,
            Handler=HANDLER,
            Code=Code(ZipFile=inline(module, directory)),
            Role=GetAtt(role, "Arn"),
            Timeout=timeout,
            LoggingConfig=LoggingConfig(LogGroup=Ref(log_group)),
            Tags=ctx.naming.tags(suffix),
            Metadata=checkov_skips(skips),
            **props,
        )
    )
    return LambdaFunction(function, role, log_group, module, timeout, condition, directory)


def add_custom_resource(
    ctx: Context,
    title: str,
    type_name: str,
    fn: LambdaFunction,
    properties: dict[str, Any],
    wait_for: dict[str, Any] | None = None,
    condition: str | None = None,
) -> CustomResource:
    """The ``Custom::<type_name>`` resource served by ``fn``, with exactly the properties it reads.

    ``properties`` must name exactly the ``PROPERTIES`` of ``fn``'s module, or the build fails.
    ``wait_for`` maps a name to a reference that only orders this resource after another one;
    it becomes the property ``WaitFor<name>``. The resource exists when ``fn`` does (and
    ``condition`` holds, for a resource that is conditional while its function is not), and
    CloudFormation waits for its answer for ``fn``'s timeout plus a grace.
    """
    check_properties(title, fn.module, properties, fn.directory)
    kind = type(type_name, (CustomResource,), {"resource_type": f"Custom::{type_name}"})
    return ctx.add(
        kind(
            title,
            **ctx.when(condition or fn.condition),
            ServiceToken=GetAtt(fn.function, "Arn"),
            ServiceTimeout=fn.timeout + ANSWER_GRACE,
            **properties,
            **{WAIT_FOR + name: ref for name, ref in (wait_for or {}).items()},
        )
    )


def check_properties(title: str, module: str, properties: dict[str, Any], directory: Path = HERE) -> None:
    """Fail the build when ``properties`` are not exactly those ``functions/<module>.py`` reads."""
    # This product's own modules by the one-argument call (tests replace declared_properties so).
    declared = declared_properties(module) if directory == HERE else declared_properties(module, directory)
    for name in properties:
        if name not in declared:
            raise BuildError(
                f"custom resource {title}: property {name} is not read by functions/{module}.py "
                f"(its PROPERTIES: {', '.join(declared)})"
            )
    for name in declared:
        if name not in properties:
            raise BuildError(
                f"custom resource {title}: property {name}, read by functions/{module}.py, is not given"
            )
