"""Database: the Timestream for InfluxDB read-replica cluster, private, in three subnets.

Retained on stack deletion and on replacement, like the instance product's instance: a change to a
create-only property (in cfn-lint's bundled schema: name, credentials, organization, bucket,
subnets, security groups, storage, deployment type, network type) would otherwise create a new,
empty cluster and delete the old one. DbInstanceType, DbParameterGroupIdentifier, FailoverMode,
Port, LogDeliveryConfiguration and MaintenanceSchedule change in place.
"""

from __future__ import annotations

from troposphere import GetAtt, If
from troposphere.timestream import InfluxDBCluster, MaintenanceSchedule

from ..common import Context, retained
from ..timestream_influxdb import names
from ..timestream_influxdb.database import Database, instance_name
from ..timestream_influxdb.network import SecurityGroups
from ..timestream_influxdb.parameters import DEFAULT_TIMEZONE


def add_cluster(ctx: Context, sgs: SecurityGroups, password: If) -> Database:
    """The cluster, behind the database security group, never publicly accessible.

    ``password`` is what the Password property receives (see ``secrets.add_admin_password``).
    Its name is the instance product's instance name: the two products are one database per
    project and environment, and their secrets and log groups have the same names.
    """
    p = ctx.form
    cluster = ctx.add(
        retained(
            InfluxDBCluster(
                "InfluxDBCluster",
                Name=instance_name(ctx.naming),
                DeploymentType=p.ref("DeploymentType"),
                FailoverMode=p.ref("FailoverMode"),
                DbInstanceType=p.ref("DbInstanceClass"),
                DbStorageType=p.ref("DbStorageType"),
                AllocatedStorage=p.ref("AllocatedStorage"),
                NetworkType=p.ref("NetworkType"),
                Port=p.ref("Port"),
                PubliclyAccessible=False,
                VpcSubnetIds=p.ref("SubnetIds"),
                VpcSecurityGroupIds=[GetAtt(sgs.database, "GroupId")],
                Username=p.ref("Username"),
                Password=password,
                Organization=p.ref("Organization"),
                Bucket=p.ref("Bucket"),
                DbParameterGroupIdentifier=p.if_given("DbParameterGroupIdentifier"),
                MaintenanceSchedule=p.if_given(
                    "MaintenanceWindow",
                    MaintenanceSchedule(
                        PreferredMaintenanceWindow=p.ref("MaintenanceWindow"),
                        Timezone=p.if_given("MaintenanceTimezone", otherwise=DEFAULT_TIMEZONE),
                    ),
                ),
                # A plain dict: troposphere 4.11.1 types this property with the Timestream *Table*
                # class (EncryptionOption required, no Enabled); the cluster's schema wants
                # S3Configuration {BucketName, Enabled}, as the instance's.
                LogDeliveryConfiguration=p.if_given(
                    "EngineLogBucket",
                    {"S3Configuration": {"BucketName": p.ref("EngineLogBucket"), "Enabled": True}},
                ),
                Tags=ctx.naming.tags(names.INSTANCE),
            )
        )
    )
    return Database(cluster, kind="cluster", id_output="DbClusterId", arn_output="DbClusterArn", reader=True)
