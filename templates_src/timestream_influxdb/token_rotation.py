"""Rotation of the API token: a Secrets Manager rotation schedule served by the product's function.

``TokenRotationFunction`` (``functions/token_rotation.py``) is always present, like the token
function (switching rotation on and off never re-creates its named log group); it runs outside
the VPC and invokes the token worker for the InfluxDB calls. Only while TokenRotationDays is not 0
AND the stack makes the token (InfluxDBToken empty: a given token is not the stack's to replace)
are there:

- ``TokenRotationPermission``: Secrets Manager may invoke the function, for this account
  (``SourceAccount``) and the token secret only (``SourceArn``), as the Secrets Manager User Guide
  recommends for a rotation function's resource policy;
- ``TokenRotationSchedule``: AWS::SecretsManager::RotationSchedule on the token secret, every
  TokenRotationDays days (``RotationRules.AutomaticallyAfterDays``).

Lifecycle (cfn-lint's bundled schema of AWS::SecretsManager::RotationSchedule; botocore's model of
RotateSecret): creating the schedule calls RotateSecret, which rotates at once by default, so the
schedule DependsOn the token resource (the secret holds a token before the first rotation) and the
permission. An update of the interval calls RotateSecret again; RotateImmediatelyOnUpdate is left
unset (default true: a rotation at once, harmless as the previous token stays valid) because with
false Secrets Manager runs testSecret alone on a pending version whose value is not documented.
Deleting the schedule (rotation turned off, InfluxDBToken given, stack delete) calls
CancelRotateSecret: rotation stops and the secret, which is retained, keeps its last token. On a
stack delete the schedule goes before the token resource it depends on, which then revokes every
token the stack made.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWS_ACCOUNT_ID, And, Condition, Equals, GetAtt, Not, Ref
from troposphere.awslambda import Permission
from troposphere.secretsmanager import RotationRules, RotationSchedule

from ..common import Context, checkov_skips
from . import names
from .custom_resources import OUTSIDE_VPC_SKIP, LambdaFunction, add_function
from .encryption import ProductKey
from .influx_token import ApiToken, marker
from .secrets import Secrets

#: True when TokenRotationDays is not 0.
HAS_ROTATION = "HasTokenRotation"
#: True when the stack makes the token and rotation is on: the schedule and the permission exist.
ROTATE_TOKEN = "RotateInfluxDBToken"
# Seconds a step may run: two worker invocations at most (functions/token_rotation.INVOCATIONS,
# each bounded by worker_call.INVOKE_TIMEOUT, 105), one wait for an Inactive worker (worker_call.ACTIVE_WAIT, 90), and 30 s
# for the Secrets Manager calls; tests/test_token_rotation_function.py checks the sum.
TIMEOUT = 330
# Secrets Manager, not CloudFormation, invokes this function: once per step of a rotation.
ROTATION_CHECKOV_SKIPS = {
    "CKV_AWS_115": (
        "Secrets Manager invokes the rotation function four times per rotation of one secret, days "
        "apart, so there is no load to cap; reserving concurrency would fail in accounts already at "
        "the minimum of unreserved concurrency, as new accounts are"
    ),
    "CKV_AWS_116": (
        "Secrets Manager invokes the rotation function synchronously and retries a failed rotation "
        "itself; a dead-letter queue receives only failed asynchronous invocations"
    ),
}

ROTATION_ENVIRONMENT_SKIP = {
    "CKV_AWS_173": (
        "The rotation function's environment holds no secret (a URL, a user name, an org and bucket "
        "name, secret ARNs, a function name, the marker of the stack's tokens), and Lambda encrypts "
        "environment variables at rest with an AWS managed key in any case"
    ),
}


@dataclass(frozen=True)
class TokenRotation:
    function: LambdaFunction
    permission: Permission
    schedule: RotationSchedule
    condition: str


def add_token_rotation(ctx: Context, key: ProductKey, secrets: Secrets, token: ApiToken) -> TokenRotation:
    """The rotation function, and (rotation on, token made by the stack) its permission and schedule."""
    ctx.add_condition(HAS_ROTATION, Not(Equals(ctx.ref("TokenRotationDays"), "0")))
    condition = ctx.add_condition(ROTATE_TOKEN, And(Condition(token.condition), Condition(HAS_ROTATION)))
    fn = add_function(
        ctx,
        key,
        title="TokenRotationFunction",
        suffix=names.TOKEN_ROTATION_FUNCTION,
        module="token_rotation",
        statements=[
            secrets.grant_read(secrets.admin_password, secrets.token, sid="ReadAdminPasswordAndToken"),
            secrets.grant_write(secrets.token, sid="StorePendingToken"),
            secrets.grant_rotate(secrets.token, sid="MoveTokenLabels"),
            key.grant_secrets_use(sid="SecretsWithKey"),
            token.worker.grant_invoke(sid="InvokeTokenWorker"),
            token.worker.grant_get(sid="WaitForTokenWorker"),
        ],
        timeout=TIMEOUT,
        # What the function acts on: a request for any other secret is refused.
        environment={
            "INFLUXDB_URL": token.url,
            "INFLUXDB_USERNAME": ctx.ref("Username"),
            "ADMIN_PASSWORD_SECRET_ARN": Ref(secrets.admin_password),
            "TOKEN_SECRET_ARN": Ref(secrets.token),
            "ORG": ctx.ref("Organization"),
            "BUCKET": ctx.ref("Bucket"),
            "WORKER_FUNCTION_NAME": Ref(token.worker.function),
            "MARKER": marker(),
        },
    )
    fn.function.Metadata = checkov_skips(
        {**ROTATION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ROTATION_ENVIRONMENT_SKIP}
    )
    permission = ctx.add(
        Permission(
            "TokenRotationPermission",
            Condition=condition,
            Action="lambda:InvokeFunction",
            FunctionName=GetAtt(fn.function, "Arn"),
            Principal="secretsmanager.amazonaws.com",
            SourceAccount=Ref(AWS_ACCOUNT_ID),
            SourceArn=Ref(secrets.token),
        )
    )
    schedule = ctx.add(
        RotationSchedule(
            "TokenRotationSchedule",
            Condition=condition,
            # The first rotation starts when the schedule is made: after the token exists, and once
            # Secrets Manager may invoke the function.
            DependsOn=[token.resource.title, permission.title],
            SecretId=Ref(secrets.token),
            RotationLambdaARN=GetAtt(fn.function, "Arn"),
            RotationRules=RotationRules(AutomaticallyAfterDays=ctx.ref("TokenRotationDays")),
        )
    )
    return TokenRotation(function=fn, permission=permission, schedule=schedule, condition=condition)
