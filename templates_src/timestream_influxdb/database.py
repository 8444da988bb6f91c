"""Database: the Timestream for InfluxDB instance, private, in the given subnets.

Retained on stack deletion and on replacement: a change to a create-only property (name,
credentials, organization, bucket, subnets, security groups, network type) would otherwise
create a new, empty database and delete the old one.
"""

from __future__ import annotations

from troposphere import GetAtt, If, NoValue, Template
from troposphere.timestream import InfluxDBInstance, MaintenanceSchedule

from ..common import Naming, ParameterForm
from . import names
from .network import SecurityGroups
from .parameters import CONDITIONS, maintenance_timezone


def add_instance(
    t: Template, p: ParameterForm, naming: Naming, sgs: SecurityGroups, password
) -> InfluxDBInstance:
    """The instance, behind the database security group, never publicly accessible."""
    return t.add_resource(
        InfluxDBInstance(
            "InfluxDBInstance",
            Name=instance_name(naming),
            DbInstanceType=p.ref("DbInstanceClass"),
            DbStorageType=p.ref("DbStorageType"),
            AllocatedStorage=p.ref("AllocatedStorage"),
            DeploymentType=p.ref("DeploymentType"),
            NetworkType=p.ref("NetworkType"),
            Port=p.ref("Port"),
            PubliclyAccessible=False,
            VpcSubnetIds=p.ref("SubnetIds"),
            VpcSecurityGroupIds=[GetAtt(sgs.database, "GroupId")],
            Username=p.ref("Username"),
            Password=password,
            Organization=p.ref("Organization"),
            Bucket=p.ref("Bucket"),
            DbParameterGroupIdentifier=If(
                CONDITIONS.has_parameter_group, p.ref("DbParameterGroupIdentifier"), NoValue
            ),
            MaintenanceSchedule=If(
                CONDITIONS.has_maintenance_window,
                MaintenanceSchedule(
                    PreferredMaintenanceWindow=p.ref("MaintenanceWindow"),
                    Timezone=maintenance_timezone(),
                ),
                NoValue,
            ),
            # A plain dict: troposphere 4.11.1 types this property with the Timestream *Table*
            # class (EncryptionOption required, no Enabled), which is not the instance's shape.
            LogDeliveryConfiguration=If(
                CONDITIONS.has_engine_log_bucket,
                {"S3Configuration": {"BucketName": p.ref("EngineLogBucket"), "Enabled": True}},
                NoValue,
            ),
            Tags=naming.tags(names.INSTANCE),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )


def instance_name(naming: Naming):
    """``{project}-{environment}-influxdb``: the instance Name and the metrics' DbInstanceName."""
    return naming.name(names.INSTANCE)
