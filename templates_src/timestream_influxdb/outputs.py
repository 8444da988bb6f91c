"""Outputs: what a Lambda client or another stack needs, each exported as ``${AWS::StackName}-<Name>``.

Outputs carry names, ARNs and addresses, never a secret value. The database is the product's
instance or a :class:`~.database.Database` (a read-replica cluster adds its reader endpoint and URL
for query-only clients, in the outputs and in LambdaEnvironmentVariables).
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
from .database import Database, as_database
from .encryption import ProductKey
from .network import SecurityGroups
from .secrets import Secrets, token_secret_name

URL = "https://${Endpoint}:${Port}"
READER_URL = "https://${ReaderEndpoint}:${Port}"


def add_outputs(
    ctx: Context,
    instance: InfluxDBInstance | Database,
    sgs: SecurityGroups,
    secrets: Secrets,
    role: Role,
    key: ProductKey,
    log_group: LogGroup,
    dashboard: Dashboard | None,
) -> None:
    """Every output a Lambda client or another stack needs, exported under the stack's name
    (DashboardUrl only when there is a ``dashboard``)."""
    naming = ctx.naming
    db = as_database(instance)
    endpoint = db.endpoint()
    url = Sub(URL, Endpoint=endpoint)
    out = partial(export_output, ctx.template)
    if db.reader:
        out("Endpoint", endpoint, "InfluxDB writer host name (no scheme, no port)")
        out("ReaderEndpoint", db.reader_endpoint(), "InfluxDB reader host name, for queries only")
    else:
        out("Endpoint", endpoint, "InfluxDB host name (no scheme, no port)")
    out("Port", ctx.ref("Port"), "InfluxDB port")
    if db.reader:
        out("Url", url, "InfluxDB writer URL for clients (https://endpoint:port)")
        out(
            "ReaderUrl",
            Sub(READER_URL, ReaderEndpoint=db.reader_endpoint()),
            "InfluxDB reader URL for query-only clients",
        )
    else:
        out("Url", url, "InfluxDB URL for clients (https://endpoint:port)")
    out(db.arn_output, GetAtt(db.resource, "Arn"), f"ARN of the InfluxDB {db.kind}")
    out(db.id_output, GetAtt(db.resource, "Id"), f"Identifier of the InfluxDB {db.kind}")
    out("LambdaRoleArn", GetAtt(role, "Arn"), "ARN of the role for the Lambda clients")
    out("SecurityGroupId", GetAtt(sgs.database, "GroupId"), f"Security group of the InfluxDB {db.kind}")
    out(
        "LambdaSecurityGroupId",
        GetAtt(sgs.client, "GroupId"),
        "Security group to attach to the Lambda clients",
    )
    out("CredentialsSecretArn", Ref(secrets.credentials), "Secret with the connection details (JSON)")
    out("TokenSecretArn", Ref(secrets.token), "Secret with the raw InfluxDB API token")
    out(
        "ManagedSecretArn",
        GetAtt(db.resource, "InfluxAuthParametersSecretArn"),
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
    if dashboard is not None:
        out(
            "DashboardUrl",
            Sub(
                "https://console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
                "#dashboards/dashboard/${Dashboard}",
                Dashboard=Ref(dashboard),
            ),
            f"CloudWatch dashboard of the {db.kind}",
        )
    reader = {"ReaderEndpoint": db.reader_endpoint()} if db.reader else {}
    out(
        "LambdaEnvironmentVariables",
        Sub(
            lambda_environment_template(reader=db.reader),
            Endpoint=endpoint,
            **reader,
            CredentialsSecretArn=Ref(secrets.credentials),
            TokenSecretName=token_secret_name(naming),
            LogGroupName=Ref(log_group),
        ),
        "JSON object of environment variables for a Lambda client",
    )


def lambda_environment_template(reader: bool = False) -> str:
    """The environment variables the platform's Lambda clients read, as an Fn::Sub JSON string;
    with ``reader``, also the reader endpoint and URL (``${ReaderEndpoint}``) for query-only clients."""
    env = {
        "INFLUXDB_ENDPOINT": "${Endpoint}",
        "INFLUXDB_PORT": "${Port}",
        "INFLUXDB_URL": URL,
        **(
            {"INFLUXDB_READER_ENDPOINT": "${ReaderEndpoint}", "INFLUXDB_READER_URL": READER_URL}
            if reader
            else {}
        ),
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
