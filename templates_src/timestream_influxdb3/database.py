"""Database: the Timestream for InfluxDB 3 cluster, private, behind the database security group.

The engine is the service-defined parameter group (DbParameterGroupIdentifier; EngineType is
read-only in cfn-lint's bundled schema for AWS::Timestream::InfluxDBCluster), or with
EngineParameters a group of the same engine the stack makes (:mod:`.parameter_group`). No Username,
Password, Organization, Bucket, AllocatedStorage, DeploymentType or DbStorageType: see
:mod:`.parameters`. Retained on stack deletion and on replacement, like the instance product's
instance: its data must outlive the stack. Port, DbInstanceType, DbParameterGroupIdentifier,
LogDeliveryConfiguration and MaintenanceSchedule change in place (not create-only in the schema).
"""

from __future__ import annotations

from troposphere import And, BaseAWSObject, Equals, GetAtt, If
from troposphere.ec2 import SecurityGroupRule
from troposphere.timestream import InfluxDBCluster

from ..common import Context, retained
from ..timestream_influxdb.database import Database, engine_neutral_properties
from ..timestream_influxdb.network import SecurityGroups
from ..timestream_influxdb.parameters import HAS_ENGINE_PARAMETERS
from . import service

#: cfn-lint rules the cluster skips, each with its written reason (resource Metadata, cfn-lint's
#: ``ignore_checks``; the reason stays here, as cfn-lint's Metadata has no place for one).
CLUSTER_LINT_SKIPS = {
    "E9103": (
        "The cluster's DependsOn on the engine guard only orders an update (the guard is updated, "
        "and refuses an engine change, before the cluster); the cluster never uses the guard, whose "
        "Delete does nothing, so its deletion with the stack is harmless. The cluster takes the Id "
        "of the engine parameter group resource, whose Delete does nothing either (the API cannot "
        "delete a group): the cluster keeps the group it uses. Everything else the cluster refers "
        "to is retained: tests/test_influxdb3_template.py checks it as E9103 would."
    ),
}
#: True when Engine is Enterprise (any topology).
ENTERPRISE = "IsEnterprise"
#: True when Engine is Enterprise and EnterpriseNodes is 1.
ENTERPRISE_ONE_NODE = "IsEnterpriseOneNode"


def add_engine_conditions(ctx: Context) -> None:
    """The engine's conditions (:data:`ENTERPRISE`, :data:`ENTERPRISE_ONE_NODE`)."""
    ctx.add_condition(ENTERPRISE, Equals(ctx.ref("Engine"), service.ENTERPRISE))
    ctx.add_condition(
        ENTERPRISE_ONE_NODE,
        And(Equals(ctx.ref("Engine"), service.ENTERPRISE), Equals(ctx.ref("EnterpriseNodes"), "1")),
    )


def parameter_group() -> If:
    """The service-defined parameter group of the launch form's engine and topology."""
    groups = service.PARAMETER_GROUPS
    return If(
        ENTERPRISE_ONE_NODE,
        groups[(service.ENTERPRISE, "1")],
        If(ENTERPRISE, groups[(service.ENTERPRISE, "3")], groups[(service.CORE, "")]),
    )


def object_store_egress(ctx: Context) -> list[SecurityGroupRule]:
    """The database group's egress: to Amazon S3 through the VPC's gateway endpoint (its prefix
    list), all protocols, as the Terraform AWS provider's acceptance test of a private InfluxDB 3
    cluster allows it; nothing else."""
    return [
        SecurityGroupRule(
            Description="Object store: Amazon S3 through the VPC's gateway endpoint",
            IpProtocol="-1",
            DestinationPrefixListId=ctx.ref("S3PrefixListId"),
        )
    ]


def add_cluster(
    ctx: Context, sgs: SecurityGroups, guard: BaseAWSObject, engine_group: BaseAWSObject
) -> Database:
    """The cluster, never publicly accessible, named like the instance product's instance; it
    DependsOn ``guard`` (the engine guard), which CloudFormation therefore updates first: an engine
    change fails there and rolls back before DbParameterGroupIdentifier is changed in place. With
    EngineParameters its group is ``engine_group``'s (the parameter group resource), else the
    service-defined group of its engine and topology."""
    group = If(HAS_ENGINE_PARAMETERS, GetAtt(engine_group, "Id"), parameter_group())
    cluster = ctx.add(
        retained(
            InfluxDBCluster(
                "InfluxDBCluster",
                # No storage, credentials, organization or bucket: InfluxDB 3 takes none of them.
                **engine_neutral_properties(ctx, sgs, DbParameterGroupIdentifier=group),
                DependsOn=[guard.title],
                Metadata={"cfn-lint": {"config": {"ignore_checks": sorted(CLUSTER_LINT_SKIPS)}}},
            )
        )
    )
    return Database(cluster, kind="cluster", id_output="DbClusterId", arn_output="DbClusterArn")


__all__ = ["ENTERPRISE", "add_cluster", "add_engine_conditions", "object_store_egress", "parameter_group"]
