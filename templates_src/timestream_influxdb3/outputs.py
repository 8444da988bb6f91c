"""Outputs of the InfluxDB 3 product, each exported as ``${AWS::StackName}-<Name>``.

The instance product's :func:`~templates_src.timestream_influxdb.outputs.add_outputs` speaks of
InfluxDB 2 (organization, bucket, its own token secret, the influxdb-client variables); an InfluxDB
3 client needs the host URL, the database and the token's secret. The shared part (the addresses,
the role, the security groups, the key, the log group) is the same ``export_output`` with the same
names; the token's secret and LambdaEnvironmentVariables are this product's.
"""

from __future__ import annotations

import json
from functools import partial

from troposphere import GetAtt, Ref, Sub
from troposphere.iam import Role
from troposphere.logs import LogGroup

from ..common import Context, export_output
from ..timestream_influxdb.database import Database
from ..timestream_influxdb.encryption import ProductKey
from ..timestream_influxdb.network import SecurityGroups
from ..timestream_influxdb.outputs import URL
from .functions.influxdb3_database import ADMIN_TOKEN_KEY
from .setup import ClientSecrets


def lambda_environment_template() -> str:
    """The environment variables of an InfluxDB 3 Lambda client, as an Fn::Sub JSON string.

    INFLUXDB_TOKEN_SECRET_KEY is the JSON key of the token in that secret: "token" in the
    product's Enterprise secret, the service's key (not confirmed by AWS: see
    functions/influxdb3_database.py ADMIN_TOKEN_KEY) in the admin secret a Core client reads.
    """
    env = {
        "INFLUXDB_ENDPOINT": "${Endpoint}",
        "INFLUXDB_PORT": "${Port}",
        "INFLUXDB_URL": URL,
        # The official InfluxDB 3 clients take the host URL and the database by these names.
        "INFLUX_HOST": URL,
        "INFLUX_DATABASE": "${Database}",
        "INFLUXDB_DATABASE": "${Database}",
        "INFLUXDB_ENGINE": "${Engine}",
        "INFLUXDB_SECRET_ARN": "${CredentialsSecretArn}",
        "INFLUXDB_TOKEN_SECRET_ARN": "${TokenSecretArn}",
        "INFLUXDB_TOKEN_SECRET_KEY": ADMIN_TOKEN_KEY,
        "INFLUXDB_LOG_GROUP": "${LogGroupName}",
    }
    return json.dumps(env, separators=(",", ":"))


def add_outputs(
    ctx: Context,
    cluster: Database,
    sgs: SecurityGroups,
    secrets: ClientSecrets,
    role: Role,
    key: ProductKey,
    log_group: LogGroup,
) -> None:
    """Every output a Lambda client or another stack needs."""
    endpoint = cluster.endpoint()
    out = partial(export_output, ctx.template)
    out("Endpoint", endpoint, "InfluxDB 3 host name (no scheme, no port)")
    out("Port", ctx.ref("Port"), "InfluxDB 3 port")
    out("Url", Sub(URL, Endpoint=endpoint), "InfluxDB 3 host URL for clients (https://endpoint:port)")
    out("Database", ctx.ref("Database"), "InfluxDB 3 database of the Lambda clients")
    out(cluster.arn_output, GetAtt(cluster.resource, "Arn"), "ARN of the InfluxDB 3 cluster")
    out(cluster.id_output, GetAtt(cluster.resource, "Id"), "Identifier of the InfluxDB 3 cluster")
    out("LambdaRoleArn", GetAtt(role, "Arn"), "ARN of the role for the Lambda clients")
    out("SecurityGroupId", GetAtt(sgs.database, "GroupId"), "Security group of the InfluxDB 3 cluster")
    out(
        "LambdaSecurityGroupId",
        GetAtt(sgs.client, "GroupId"),
        "Security group to attach to the Lambda clients",
    )
    out("CredentialsSecretArn", Ref(secrets.credentials), "Secret with the connection details (JSON)")
    out(
        "TokenSecretArn",
        secrets.token_arn,
        "Secret with the clients' token (Enterprise: read/write on the database; Core: the admin token)",
    )
    out(
        "ManagedSecretArn",
        GetAtt(cluster.resource, "InfluxAuthParametersSecretArn"),
        "Secret the service created with the admin token",
    )
    out(
        "KmsKeyArn",
        key.arn(),
        "Customer-managed KMS key of the secrets and the log groups",
        condition=key.condition,
    )
    out("LogGroupName", Ref(log_group), "Log group for the Lambda clients")
    out(
        "LambdaEnvironmentVariables",
        Sub(
            lambda_environment_template(),
            Endpoint=endpoint,
            CredentialsSecretArn=Ref(secrets.credentials),
            TokenSecretArn=secrets.token_arn,
            LogGroupName=Ref(log_group),
        ),
        "JSON object of environment variables for a Lambda client",
    )
