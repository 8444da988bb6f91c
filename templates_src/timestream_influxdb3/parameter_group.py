"""Parameter group: the cluster's InfluxDB 3 engine parameters as code, in a group a custom resource
makes and the cluster's own DbParameterGroupIdentifier takes.

EngineParameters (a JSON object of the launch form's engine's parameters, InfluxDBv3Core or
InfluxDBv3Enterprise as botocore's model names and types them) makes the custom resource
``EngineParameterGroup`` (``functions/influxdb3_parameter_group.py``): it finds or creates a group
with exactly those parameters (on Enterprise, plus the node counts of the service-defined group
EnterpriseNodes chose), named from its content; its attribute Id is the cluster's
DbParameterGroupIdentifier. Empty EngineParameters makes no group and the cluster uses the
service-defined group of its engine and topology, as before.

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

from troposphere import AWS_STACK_ID, If, Ref

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


def add_parameter_group(ctx: Context, key: ProductKey) -> CustomResource:
    """The parameter group function, its role and the group resource (when EngineParameters is
    given); the cluster takes the resource's Id (:func:`.database.add_cluster`)."""
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
        # Reading the service-defined group is ReadParameterGroupsFoundByName's (db-parameter-group/*
        # of this account); the role may change no database.
        statements=group_statements(),
        timeout=TIMEOUT,
        environment={
            **{CONFIGURED[name]: value for name, value in properties.items()},
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": PARAMETER_GROUP_RESOURCE,
        },
        directory=functions.HERE,
    )
    fn.function.Metadata = checkov_skips({**FUNCTION_CHECKOV_SKIPS, **OUTSIDE_VPC_SKIP, **ENVIRONMENT_SKIP})
    return add_custom_resource(
        ctx,
        PARAMETER_GROUP_RESOURCE,
        "InfluxDBParameterGroup",
        fn,
        properties=properties,
        condition=HAS_ENGINE_PARAMETERS,
    )


__all__ = ["add_parameter_group", "model_engine"]
