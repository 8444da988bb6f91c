"""Outputs: what a Lambda client or another stack needs, each exported as ``${AWS::StackName}-<Name>``.

Outputs carry names, ARNs and addresses, never a secret value.
"""

from __future__ import annotations

import json
from functools import partial

from troposphere import GetAtt, Ref, Sub
from troposphere.cloudwatch import Dashboard
from troposphere.iam import Role
from troposphere.logs import LogGroup
from troposphere.timestream import InfluxDBInstance

from ..common import Context, export_output
from .encryption import ProductKey
from .network import SecurityGroups
from .secrets import Secrets, token_secret_name

URL = "https://${Endpoint}:${Port}"


def add_outputs(
    ctx: Context,
    instance: InfluxDBInstance,
    sgs: SecurityGroups,
    secrets: Secrets,
    role: Role,
    key: ProductKey,
    log_group: LogGroup,
    dashboard: Dashboard,
) -> None:
    """Every output a Lambda client or another stack needs, exported under the stack's name."""
    naming = ctx.naming
    endpoint = GetAtt(instance, "Endpoint")
    url = Sub(URL, Endpoint=endpoint)
    out = partial(export_output, ctx.template)
    out("Endpoint", endpoint, "InfluxDB host name (no scheme, no port)")
    out("Port", ctx.ref("Port"), "InfluxDB port")
    out("Url", url, "InfluxDB URL for clients (https://endpoint:port)")
    out("DbInstanceArn", GetAtt(instance, "Arn"), "ARN of the InfluxDB instance")
    out("DbInstanceId", GetAtt(instance, "Id"), "Identifier of the InfluxDB instance")
    out("LambdaRoleArn", GetAtt(role, "Arn"), "ARN of the role for the Lambda clients")
    out("SecurityGroupId", GetAtt(sgs.database, "GroupId"), "Security group of the InfluxDB instance")
    out(
        "LambdaSecurityGroupId",
        GetAtt(sgs.client, "GroupId"),
        "Security group to attach to the Lambda clients",
    )
    out("CredentialsSecretArn", Ref(secrets.credentials), "Secret with the connection details (JSON)")
    out("TokenSecretArn", Ref(secrets.token), "Secret with the raw InfluxDB API token")
    out(
        "ManagedSecretArn",
        GetAtt(instance, "InfluxAuthParametersSecretArn"),
        "Secret the service created with the admin credentials",
    )
    out(
        "KmsKeyArn",
        key.arn(),
        "Customer-managed KMS key of the secrets and the log groups",
        condition=key.condition,
    )
    out("LogGroupName", Ref(log_group), "Log group for the Lambda clients")
    out(
        "MetricsNamespace",
        naming.metrics_namespace(),
        "CloudWatch namespace the Lambda clients may publish to",
    )
    out(
        "DashboardUrl",
        Sub(
            "https://console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
            "#dashboards/dashboard/${Dashboard}",
            Dashboard=Ref(dashboard),
        ),
        "CloudWatch dashboard of the instance",
    )
    out(
        "LambdaEnvironmentVariables",
        Sub(
            lambda_environment_template(),
            Endpoint=endpoint,
            CredentialsSecretArn=Ref(secrets.credentials),
            TokenSecretName=token_secret_name(naming),
            LogGroupName=Ref(log_group),
        ),
        "JSON object of environment variables for a Lambda client",
    )


def lambda_environment_template() -> str:
    """The environment variables the platform's Lambda clients read, as an Fn::Sub JSON string."""
    env = {
        "INFLUXDB_ENDPOINT": "${Endpoint}",
        "INFLUXDB_PORT": "${Port}",
        "INFLUXDB_URL": URL,
        "INFLUXDB_DATABASE": "${Bucket}",
        "INFLUXDB_ORG": "${Organization}",
        "INFLUXDB_BUCKET": "${Bucket}",
        "INFLUXDB_SECRET_ARN": "${CredentialsSecretArn}",
        "INFLUXDB_TOKEN_SECRET_NAME": "${TokenSecretName}",
        "INFLUXDB_LOG_GROUP": "${LogGroupName}",
        # influxdb-client's from_env_properties() reads these names.
        "INFLUXDB_V2_URL": URL,
        "INFLUXDB_V2_ORG": "${Organization}",
    }
    return json.dumps(env, separators=(",", ":"))
