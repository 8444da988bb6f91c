"""Parameter group: the cluster's InfluxDB 3 engine parameters as code, in a group a custom resource
makes and the cluster's own DbParameterGroupIdentifier takes.

EngineParameters (a JSON object of the launch form's engine's parameters, InfluxDBv3Core or
InfluxDBv3Enterprise as botocore's model names and types them) makes the custom resource
``EngineParameterGroup`` (``functions/influxdb3_parameter_group.py``): it finds or creates a group
holding the parameters of the service-defined group the launch form chose with the given ones laid
over them (on Enterprise the node counts are the service-defined group's, never given), named
from its content; its attribute Id is the cluster's DbParameterGroupIdentifier. The resource
DependsOn the engine guard, so an update that changes the engine or topology is refused before a
group of the other engine is made (a group can never be deleted). Empty EngineParameters makes no
group, and the cluster uses the service-defined group of its engine and topology.

Why the cluster refers to the group here, while the InfluxDB 2 products' function switches the
instance or cluster itself: an InfluxDB 3 cluster always names a group (the engine is the group),
so CloudFormation must create it with the custom group when there is one, and every later update
in place keeps the template's group; a group switched behind CloudFormation's back would be
switched back by the first update that sends the template's. The cluster is retained and the group
resource is not, against this project's rule E9103: the group resource's Delete does nothing (the
API cannot delete a group) and the cluster keeps using the group, so deleting it with the stack
takes nothing from the cluster (see ``database.CLUSTER_LINT_SKIPS``).

A change of EngineParameters makes a new group, and CloudFormation updates the cluster in place to
it (AWS documents a restart); emptying EngineParameters returns the cluster to the service-defined
group. Old groups stay in the account: the API has no operation that deletes one.

The function is always present (only the resource depends on the condition), so emptying and
setting EngineParameters again never re-creates its named log group.
"""

from __future__ import annotations

from awacs import timestream_influxdb as tsi
from awacs.aws import Allow, Statement
from troposphere import AWS_STACK_ID, BaseAWSObject, If, Ref, Sub

from ..common import Context, checkov_skips
from ..timestream_influxdb import names
from ..timestream_influxdb.custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    CustomResource,
    add_custom_resource,
    add_function,
)
from ..timestream_influxdb.encryption import ProductKey
from ..timestream_influxdb.parameter_group import (
    ENVIRONMENT_SKIP,
    PARAMETER_GROUP_RESOURCE,
    group_statements,
)
from ..timestream_influxdb.parameters import HAS_ENGINE_PARAMETERS
from . import functions, service
from .database import ENTERPRISE, parameter_group
from .functions.influxdb3_parameter_group import CONFIGURED

#: A few List pages, one Get of the service-defined group, one Create: no database is changed or
#: waited for (CloudFormation updates the cluster).
TIMEOUT = 120


def model_engine() -> If:
    """The engine parameter set of the launch form's engine."""
    return If(ENTERPRISE, service.MODEL_ENGINES[service.ENTERPRISE], service.MODEL_ENGINES[service.CORE])


def read_service_group() -> Statement:
    """Reading the service-defined group of the launch form's engine and topology, whichever account
    owns it: the service documents no ARN for its own groups, and a group's ARN names an account."""
    return Statement(
        Sid="ReadTheServiceDefinedParameterGroup",
        Effect=Allow,
        Action=[tsi.GetDbParameterGroup],
        Resource=[
            Sub(
                "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:*:db-parameter-group/${Group}",
                Group=parameter_group(),
            )
        ],
    )


def add_parameter_group(ctx: Context, key: ProductKey, guard: BaseAWSObject) -> CustomResource:
    """The parameter group function, its role and the group resource (when EngineParameters is
    given), after ``guard`` (the engine guard); the cluster takes the resource's Id
    (:func:`.database.add_cluster`)."""
    properties = {
        "Engine": model_engine(),
        "EngineParameters": ctx.ref("EngineParameters"),
        "ServiceParameterGroup": parameter_group(),
        "ProjectName": ctx.ref("ProjectName"),
        "Environment": ctx.ref("Environment"),
    }
    fn = add_function(
        ctx,
        key,
        title="ParameterGroupFunction",
        suffix=names.PARAMETER_GROUP_FUNCTION,
        module="influxdb3_parameter_group",
        # The role may change no database: CloudFormation updates the cluster.
        statements=[*group_statements(), read_service_group()],
        timeout=TIMEOUT,
        environment={
            **{CONFIGURED[name]: value for name, value in properties.items()},
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": PARAMETER_GROUP_RESOURCE,
        },
        directory=functions.HERE,
    )
    fn.function.Metadata = checkov_skips({**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ENVIRONMENT_SKIP})
    group = add_custom_resource(
        ctx,
        PARAMETER_GROUP_RESOURCE,
        "InfluxDBParameterGroup",
        fn,
        properties=properties,
        condition=HAS_ENGINE_PARAMETERS,
    )
    # Updated after the guard, which refuses an engine or topology change: otherwise CloudFormation
    # may update both at once, and a group of the refused engine would stay in the account.
    group.DependsOn = [guard.title]
    return group


__all__ = ["add_parameter_group", "model_engine", "read_service_group"]
