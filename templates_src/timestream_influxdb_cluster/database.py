"""Database: the Timestream for InfluxDB read-replica cluster, private, in three subnets.

Retained on stack deletion and on replacement, like the instance product's instance: a change to a
create-only property (in cfn-lint's bundled schema: name, credentials, organization, bucket,
subnets, security groups, storage, deployment type, network type) would otherwise create a new,
empty cluster and delete the old one. DbInstanceType, DbParameterGroupIdentifier, FailoverMode,
Port, LogDeliveryConfiguration and MaintenanceSchedule change in place.
"""

from __future__ import annotations

from troposphere import If
from troposphere.timestream import InfluxDBCluster

from ..common import Context, retained
from ..timestream_influxdb.database import Database, shared_properties
from ..timestream_influxdb.network import SecurityGroups


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
                **shared_properties(
                    ctx,
                    sgs,
                    password,
                    DeploymentType=p.ref("DeploymentType"),
                    FailoverMode=p.ref("FailoverMode"),
                ),
            )
        )
    )
    return Database(cluster, kind="cluster", id_output="DbClusterId", arn_output="DbClusterArn", reader=True)
