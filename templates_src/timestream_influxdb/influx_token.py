"""API token: an InfluxDB authorization for the Lambda clients, made by a custom resource.

Two functions, both always present (so switching InfluxDBToken on and off never re-creates a
named log group); only the token resource depends on the condition CreateInfluxDBToken (added
here: InfluxDBToken is empty).

- ``TokenFunction`` (``functions/api_token.py``) runs outside the VPC and is the resource's
  ServiceToken: a custom resource answers through a pre-signed Amazon S3 URL, which a function in
  private subnets without a NAT gateway or an S3 endpoint could never reach. It reads the admin
  password from the admin password secret, keeps the token in the token secret, and takes its
  configuration (URL, secrets, worker, stack) from its environment, not from the request.
- ``TokenWorkerFunction`` (``functions/token_worker.py``) runs in SubnetIds with the client
  security group and only talks HTTP to InfluxDB; the token function invokes it synchronously.
  It calls no AWS API, so the subnets need no route out of the VPC.

The token is read and write on the configured bucket only. A given InfluxDBToken is stored by the
token secret itself and no token is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWS_STACK_ID, Equals, GetAtt, Ref, Sub
from troposphere.awslambda import VPCConfig
from troposphere.iam import ManagedPolicy
from troposphere.timestream import InfluxDBInstance

from ..common import BuildError, Context, checkov_skips
from . import names
from .custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    CustomResource,
    LambdaFunction,
    add_custom_resource,
    add_function,
    grant_read_stack_status,
)
from .encryption import ProductKey
from .network import SecurityGroups
from .outputs import URL
from .secrets import Secrets

# Seconds the token function may run: the wait for a new instance (api_token.SETTLE, 30), three
# worker invocations at most (api_token.INVOCATIONS, each bounded by worker_call.INVOKE_TIMEOUT, 105),
# the wait for an Inactive worker to turn Active (worker_call.ACTIVE_WAIT, 90), and the margin kept to
# answer CloudFormation (cfn_response.MARGIN, 35): 470, and 10 s for the refused invocation and the
# secret reads; tests/test_token_function.py checks the sum. The custom resource's ServiceTimeout
# is this plus custom_resources.ANSWER_GRACE (cfn-lint rule E9106 wants it above the Timeout).
TIMEOUT = 480
# Seconds the worker may run: each InfluxDB request is given up on after 3 tries of 10 s; 15 s
# below worker_call.INVOKE_TIMEOUT at least (a cold start in the VPC adds its initialization), so
# the token function hears of the worker's own timeout.
WORKER_TIMEOUT = 90
#: Logical id of the token resource; the function refuses requests for any other.
TOKEN_RESOURCE = "InfluxDBApiToken"
#: True when InfluxDBToken is empty: the stack makes the token.
CREATE_TOKEN = "CreateInfluxDBToken"
#: The rule that lets the client security group reach the database (network.py): the token is
#: made after it and revoked before it goes.
CLIENT_EGRESS = "LambdaClientToInfluxDBEgress"
# The worker is not a custom-resource handler: the token function is its only caller.
WORKER_CHECKOV_SKIPS = {
    "CKV_AWS_115": (
        "Only the token function invokes the worker, once or a few times per stack operation, so "
        "there is no load to cap; reserving concurrency would fail in accounts already at the "
        "minimum of unreserved concurrency, as new accounts are"
    ),
    "CKV_AWS_116": (
        "The token function invokes the worker synchronously and handles its errors; a dead-letter "
        "queue receives only failed asynchronous invocations"
    ),
}

ENVIRONMENT_SKIP = {
    "CKV_AWS_173": (
        "The token function's environment holds no secret (a URL, a user name, an org and bucket "
        "name, ARNs, a function name, the stack id, a logical id), and Lambda encrypts environment variables at rest with an AWS managed "
        "key in any case"
    ),
}


@dataclass(frozen=True)
class ApiToken:
    """What :func:`add_token` made: the token resource (it exists when ``condition`` holds), its
    function, the worker in the VPC and the InfluxDB URL they reach; the token rotation
    (:mod:`.token_rotation`) reuses the worker, URL and condition."""

    resource: CustomResource
    function: LambdaFunction
    worker: LambdaFunction
    url: Sub
    condition: str


def add_token(
    ctx: Context,
    key: ProductKey,
    sgs: SecurityGroups,
    vpc_access: ManagedPolicy,
    instance: InfluxDBInstance,
    secrets: Secrets,
) -> ApiToken:
    """The worker in the VPC, the token function outside it, and the token resource (when
    InfluxDBToken is empty)."""
    condition = ctx.add_condition(CREATE_TOKEN, Equals(ctx.ref("InfluxDBToken"), ""))
    url = Sub(URL, Endpoint=GetAtt(instance, "Endpoint"))
    worker = add_function(
        ctx,
        key,
        title="TokenWorkerFunction",
        suffix=names.TOKEN_WORKER_FUNCTION,
        module="token_worker",
        statements=[],  # no AWS API: its log group, and the network interfaces in the VPC
        managed_policies=[Ref(vpc_access)],
        timeout=WORKER_TIMEOUT,
        vpc=VPCConfig(SubnetIds=ctx.ref("SubnetIds"), SecurityGroupIds=[GetAtt(sgs.client, "GroupId")]),
    )
    worker.function.Metadata = checkov_skips(WORKER_CHECKOV_SKIPS)
    fn = add_function(
        ctx,
        key,
        title="TokenFunction",
        suffix=names.TOKEN_FUNCTION,
        module="api_token",
        statements=[
            # The admin password and the token it keeps; it writes the token secret only.
            secrets.grant_read(secrets.admin_password, secrets.token, sid="ReadAdminPasswordAndToken"),
            secrets.grant_write(secrets.token, sid="StoreToken"),
            key.grant_secrets_use(sid="SecretsWithKey"),
            worker.grant_invoke(sid="InvokeTokenWorker"),
            # botocore's waiter function_active_v2 polls GetFunction while an idle (Inactive)
            # worker in the VPC is made Active again.
            worker.grant_get(sid="WaitForTokenWorker"),
            grant_read_stack_status(),
        ],
        timeout=TIMEOUT,
        # What the function acts on: a request naming anything else is refused.
        environment={
            "INFLUXDB_URL": url,
            "INFLUXDB_USERNAME": ctx.ref("Username"),
            "ADMIN_PASSWORD_SECRET_ARN": Ref(secrets.admin_password),
            "TOKEN_SECRET_ARN": Ref(secrets.token),
            "ORG": ctx.ref("Organization"),
            "BUCKET": ctx.ref("Bucket"),
            "WORKER_FUNCTION_NAME": Ref(worker.function),
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": TOKEN_RESOURCE,
        },
    )
    fn.function.Metadata = checkov_skips({**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ENVIRONMENT_SKIP})
    token = add_custom_resource(
        ctx,
        TOKEN_RESOURCE,
        "InfluxDBToken",
        fn,
        # Addresses and names only; the function reads the password from the secret.
        properties={
            "Url": url,
            "Org": ctx.ref("Organization"),
            "Bucket": ctx.ref("Bucket"),
            "TokenSecretArn": Ref(secrets.token),
        },
        condition=condition,
    )
    # Made once the worker can reach the instance; on delete, revoked before that path goes.
    if CLIENT_EGRESS not in ctx.template.resources:
        raise BuildError(f"the token resource needs the rule {CLIENT_EGRESS} (network.py)")
    token.DependsOn = [CLIENT_EGRESS, worker.function.title]
    return ApiToken(resource=token, function=fn, worker=worker, url=url, condition=condition)


def marker() -> Sub:
    """The description every authorization of the token resource carries: "<StackId> <logical id>"."""
    return Sub("${AWS::StackId} " + TOKEN_RESOURCE)
