"""Database: the Timestream for InfluxDB instance, private, in the given subnets.

Retained on stack deletion and on replacement: a change to a create-only property (name,
credentials, organization, bucket, subnets, security groups, network type) would otherwise
create a new, empty database and delete the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troposphere import AWSObject, GetAtt, If
from troposphere.timestream import InfluxDBInstance, MaintenanceSchedule

from ..common import Context, Naming, retained
from . import names
from .network import SecurityGroups
from .parameters import DEFAULT_TIMEZONE


def add_instance(ctx: Context, sgs: SecurityGroups, password: If) -> InfluxDBInstance:
    """The instance, behind the database security group, never publicly accessible.

    ``password`` is what the Password property receives (see :func:`.secrets.add_admin_password`).
    """
    p = ctx.form
    return ctx.add(
        retained(
            InfluxDBInstance(
                "InfluxDBInstance",
                **shared_properties(ctx, sgs, password, DeploymentType=p.ref("DeploymentType")),
            )
        )
    )


def shared_properties(ctx: Context, sgs: SecurityGroups, password: If, **specific: Any) -> dict:
    """The properties an instance and a read-replica cluster of InfluxDB 2 share (the same names
    and meaning in cfn-lint's bundled schemas of both types), with the type's own ``specific`` ones
    after the name: :func:`engine_neutral_properties`, InfluxDB 2's storage, credentials,
    organization and bucket, and the launch form's parameter group."""
    p = ctx.form
    return engine_neutral_properties(
        ctx,
        sgs,
        **specific,
        DbStorageType=p.ref("DbStorageType"),
        AllocatedStorage=p.ref("AllocatedStorage"),
        Username=p.ref("Username"),
        Password=password,
        Organization=p.ref("Organization"),
        Bucket=p.ref("Bucket"),
        DbParameterGroupIdentifier=p.if_given("DbParameterGroupIdentifier"),
    )


def engine_neutral_properties(ctx: Context, sgs: SecurityGroups, **specific: Any) -> dict:
    """The properties every database of the catalog has, InfluxDB 2 or 3, instance or cluster,
    with the ``specific`` ones after the name: a private database behind the database security
    group, named after the project and environment, with the launch form's size, network,
    maintenance window and engine-log bucket."""
    p = ctx.form
    return dict(
        Name=instance_name(ctx.naming),
        **specific,
        DbInstanceType=p.ref("DbInstanceClass"),
        NetworkType=p.ref("NetworkType"),
        Port=p.ref("Port"),
        PubliclyAccessible=False,
        VpcSubnetIds=p.ref("SubnetIds"),
        VpcSecurityGroupIds=[GetAtt(sgs.database, "GroupId")],
        MaintenanceSchedule=p.if_given(
            "MaintenanceWindow",
            MaintenanceSchedule(
                PreferredMaintenanceWindow=p.ref("MaintenanceWindow"),
                Timezone=p.if_given("MaintenanceTimezone", otherwise=DEFAULT_TIMEZONE),
            ),
        ),
        # A plain dict: troposphere 4.11.1 types this property with the Timestream *Table* class
        # (EncryptionOption required, no Enabled); both schemas want S3Configuration {BucketName, Enabled}.
        LogDeliveryConfiguration=p.if_given(
            "EngineLogBucket",
            {"S3Configuration": {"BucketName": p.ref("EngineLogBucket"), "Enabled": True}},
        ),
        Tags=ctx.naming.tags(names.INSTANCE),
    )


def instance_name(naming: Naming):
    """``{project}-{environment}-influxdb``: the instance Name and the metrics' DbInstanceName."""
    return naming.name(names.INSTANCE)


@dataclass(frozen=True)
class Database:
    """What the shared steps (outputs) need of a product's database, an instance or a cluster.

    ``kind`` is the noun the outputs' descriptions use; ``id_output`` and ``arn_output`` name the
    outputs of its ``Id`` and ``Arn`` attributes; ``reader`` says it has a ``ReaderEndpoint``
    attribute (a read-replica cluster: cfn-lint's bundled schema for AWS::Timestream::InfluxDBCluster
    lists it among the read-only properties, the instance's does not).
    """

    resource: AWSObject
    kind: str = "instance"
    id_output: str = "DbInstanceId"
    arn_output: str = "DbInstanceArn"
    reader: bool = False

    def endpoint(self) -> GetAtt:
        """The host name clients write to (an instance's only endpoint, a cluster's writer)."""
        return GetAtt(self.resource, "Endpoint")

    def reader_endpoint(self) -> GetAtt:
        """The host name of the read replicas, for query-only clients."""
        if not self.reader:
            raise ValueError(f"an InfluxDB {self.kind} has no reader endpoint")
        return GetAtt(self.resource, "ReaderEndpoint")


def as_database(database: AWSObject | Database) -> Database:
    """``database`` as a :class:`Database`: a bare resource is the product's instance."""
    return database if isinstance(database, Database) else Database(database)
