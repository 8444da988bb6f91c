"""The database resource: the InfluxDB 3 database of the Lambda clients and, on Enterprise, their
token, made by a custom resource at first launch (functions/influxdb3_database.py and its worker
functions/influxdb3_worker.py, in this package's ``functions/``).

The instance product's API-token design, for InfluxDB 3: the function that answers CloudFormation
runs outside the VPC and reads the admin token from the secret the service made for the cluster
(the cluster's InfluxAuthParametersSecretArn attribute); the worker runs in SubnetIds with the client
security group and only talks HTTP to the cluster. The token secret (Enterprise only) is the
product's own, encrypted with the product's key when StorageEncrypted, retained like every secret
that protects data.
"""

from __future__ import annotations

from dataclasses import dataclass

from awacs import secretsmanager
from awacs.aws import Allow, Statement
from troposphere import AWS_STACK_ID, GetAtt, If, Ref, Sub
from troposphere.awslambda import VPCConfig
from troposphere.iam import ManagedPolicy
from troposphere.secretsmanager import Secret

from ..common import BuildError, Context, checkov_skips
from ..timestream_influxdb import names
from ..timestream_influxdb.custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    CustomResource,
    add_custom_resource,
    add_function,
    grant_read_stack_status,
)
from ..timestream_influxdb.database import Database
from ..timestream_influxdb.encryption import ProductKey
from ..timestream_influxdb.influx_token import CLIENT_EGRESS, WORKER_CHECKOV_SKIPS
from ..timestream_influxdb.network import SecurityGroups
from ..timestream_influxdb.outputs import URL
from ..timestream_influxdb.secrets import add_product_secret
from . import functions
from .database import ENTERPRISE, parameter_group

#: Logical id of the database resource; the function refuses requests for any other.
DATABASE_RESOURCE = "InfluxDB3Database"
#: Name suffixes of the two functions (inside the product key's log-group pattern "influxdb-*").
FUNCTION = "influxdb-database"
WORKER_FUNCTION = "influxdb-database-worker"
#: Seconds the function may run: three worker invocations at most (INVOCATIONS, each bounded by
#: worker_call.INVOKE_TIMEOUT, 105), the wait for an Inactive worker (worker_call.ACTIVE_WAIT, 90),
#: the margin kept to answer CloudFormation (cfn_response.MARGIN, 35): 440, and 10 s for the secret
#: reads and writes.
TIMEOUT = 450
#: Seconds the worker may run: each request is given up on after 3 tries of 10 s, with back-off.
WORKER_TIMEOUT = 90
#: Logical id of the engine guard (the cluster DependsOn it), its function's name suffix and its
#: Timeout: no AWS call, only the answer to CloudFormation (cfn_response.MARGIN, 35) and a margin.
ENGINE_GUARD = "EngineGuard"
GUARD_FUNCTION = "influxdb-engine-guard"
GUARD_TIMEOUT = 60
#: The token secret's name suffix (the instance product's token secret name: one per environment).
TOKEN_SECRET = names.TOKEN_SECRET
ENVIRONMENT_SKIP = {
    "CKV_AWS_173": (
        "The function's environment holds no secret (a URL, a database name, the engine, ARNs, a "
        "function name, the stack id, a logical id), and Lambda encrypts environment variables at "
        "rest with an AWS managed key in any case"
    ),
}


@dataclass(frozen=True)
class ClientSecrets:
    """The secrets the Lambda clients read: the connection details, and the token's (the product's
    token secret on Enterprise, the service's admin secret on Core); :meth:`grant_read` is what
    :func:`templates_src.timestream_influxdb.access.add_lambda_role` asks of it."""

    credentials: Secret
    token: Secret
    token_arn: If

    def grant_read(self, sid: str = "ReadInfluxDBSecrets") -> Statement:
        return Statement(
            Sid=sid,
            Effect=Allow,
            Action=[secretsmanager.GetSecretValue],
            Resource=[Ref(self.credentials), self.token_arn],
        )


def add_engine_guard(ctx: Context, key: ProductKey) -> CustomResource:
    """The engine guard (functions/influxdb3_engine_guard.py): the cluster and the parameter group
    resource DependsOn it, so an update that changes the service-defined parameter group fails
    here, before either is changed. Its function references nothing of the cluster (its role may
    write only its own log group)."""
    fn = add_function(
        ctx,
        key,
        title="EngineGuardFunction",
        suffix=GUARD_FUNCTION,
        module="influxdb3_engine_guard",
        statements=[],
        timeout=GUARD_TIMEOUT,
        directory=functions.HERE,
    )
    return add_custom_resource(
        ctx,
        ENGINE_GUARD,
        "InfluxDB3EngineGuard",
        fn,
        properties={
            "Engine": ctx.ref("Engine"),
            "EnterpriseNodes": ctx.ref("EnterpriseNodes"),
            "ParameterGroup": parameter_group(),
        },
    )


def add_secrets(ctx: Context, key: ProductKey, cluster: Database) -> ClientSecrets:
    """The connection details (JSON, no credential) and the Enterprise token secret (no value until
    the database resource stores the token)."""
    credentials = add_product_secret(
        ctx,
        key,
        "CredentialsSecret",
        names.CREDENTIALS_SECRET,
        "InfluxDB 3 connection details for the Lambda clients (JSON, no credentials)",
        SecretString=Sub(
            '{"endpoint":"${Endpoint}","port":${Port},"url":"https://${Endpoint}:${Port}",'
            '"database":"${Database}","engine":"${Engine}"}',
            Endpoint=cluster.endpoint(),
        ),
    )
    # Not conditional: a retained, named secret that a condition removed would block its own
    # re-creation; on Core it keeps no value.
    token = add_product_secret(
        ctx,
        key,
        "TokenSecret",
        TOKEN_SECRET,
        'InfluxDB 3 Enterprise token of the Lambda clients: JSON {"token", "database", '
        '"token_name"}, read and write on the database only; no value on Core',
    )
    token_arn = If(ENTERPRISE, Ref(token), GetAtt(cluster.resource, "InfluxAuthParametersSecretArn"))
    return ClientSecrets(credentials=credentials, token=token, token_arn=token_arn)


def add_database(
    ctx: Context,
    key: ProductKey,
    sgs: SecurityGroups,
    vpc_access: ManagedPolicy,
    cluster: Database,
    secrets: ClientSecrets,
) -> CustomResource:
    """The worker in the VPC, the function outside it, and the database resource."""
    url = Sub(URL, Endpoint=cluster.endpoint())
    admin_secret = GetAtt(cluster.resource, "InfluxAuthParametersSecretArn")
    token_secret = Ref(secrets.token)
    worker = add_function(
        ctx,
        key,
        title="DatabaseWorkerFunction",
        suffix=WORKER_FUNCTION,
        module="influxdb3_worker",
        statements=[],  # no AWS API: its log group, and the network interfaces in the VPC
        managed_policies=[Ref(vpc_access)],
        timeout=WORKER_TIMEOUT,
        vpc=VPCConfig(SubnetIds=ctx.ref("SubnetIds"), SecurityGroupIds=[GetAtt(sgs.client, "GroupId")]),
        directory=functions.HERE,
    )
    worker.function.Metadata = checkov_skips(WORKER_CHECKOV_SKIPS)
    fn = add_function(
        ctx,
        key,
        title="DatabaseFunction",
        suffix=FUNCTION,
        module="influxdb3_database",
        statements=[
            # The service's admin secret (its key is the service's: aws/secretsmanager is assumed,
            # as for every secret that names no key) and the product's token secret.
            Statement(
                Sid="ReadAdminTokenAndToken",
                Effect=Allow,
                Action=[secretsmanager.GetSecretValue],
                Resource=[admin_secret, Ref(secrets.token)],
            ),
            Statement(
                Sid="StoreToken",
                Effect=Allow,
                Action=[secretsmanager.PutSecretValue],
                Resource=[Ref(secrets.token)],
            ),
            key.grant_secrets_use(sid="SecretsWithKey"),
            worker.grant_invoke(sid="InvokeWorker"),
            worker.grant_get(sid="WaitForWorker"),
            grant_read_stack_status(),
        ],
        timeout=TIMEOUT,
        environment={
            "INFLUXDB_URL": url,
            "ADMIN_SECRET_ARN": admin_secret,
            "TOKEN_SECRET_ARN": token_secret,
            "ENGINE": ctx.ref("Engine"),
            "DATABASE": ctx.ref("Database"),
            "WORKER_FUNCTION_NAME": Ref(worker.function),
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": DATABASE_RESOURCE,
        },
        directory=functions.HERE,
    )
    fn.function.Metadata = checkov_skips({**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ENVIRONMENT_SKIP})
    database = add_custom_resource(
        ctx,
        DATABASE_RESOURCE,
        "InfluxDB3Database",
        fn,
        properties={
            "Url": url,
            "Database": ctx.ref("Database"),
            "Engine": ctx.ref("Engine"),
            "TokenSecretArn": token_secret,
        },
    )
    # Made once the worker can reach the cluster; on delete, the token is revoked before that path goes.
    if CLIENT_EGRESS not in ctx.template.resources:
        raise BuildError(f"the database resource needs the rule {CLIENT_EGRESS} (network.py)")
    database.DependsOn = [CLIENT_EGRESS, worker.function.title]
    return database
