"""Parameter group: the database's engine parameters as code, in a group a custom resource makes.

EngineParameters (a JSON object of InfluxDB v2 engine parameters, as botocore's model names and
types them) makes the custom resource ``EngineParameterGroup`` (``functions/parameter_group.py``):
it finds or creates a DB parameter group with exactly those parameters, named from its content,
and switches the instance (UpdateDbInstance) or the read-replica cluster (UpdateDbCluster) to it
(their dbParameterGroupIdentifier); its physical id is the group's id. Empty EngineParameters makes
no group, and DbParameterGroupIdentifier (an existing group, set on the instance or cluster itself)
or the service default applies; a Rule refuses both at once.

The Timestream for InfluxDB API can neither update nor delete a parameter group (botocore's model
has CreateDbParameterGroup, GetDbParameterGroup and ListDbParameterGroups only), so a change of
EngineParameters makes a new group and the database switches to it; old groups stay in the account.

Why the custom resource applies the group rather than the instance's own DbParameterGroupIdentifier
taking its id: the instance is retained, and a retained resource must refer only to retained ones
(cfn-lint rule E9103 of this project: stack deletion would delete what it still uses). A resource
the instance referred to would be retained, and with it, through its ServiceToken, the function, its
role and its log group. So the group resource refers to the instance instead, as the backup resource
does, and is deleted with the stack - a Delete that leaves the group and the instance as they are.
The read-replica cluster is retained too, and its DbParameterGroupIdentifier (updatable in place,
cfn-lint's bundled schema of AWS::Timestream::InfluxDBCluster) would tie it to the group resource in
the same way: the same design holds, the function switches the cluster (UpdateDbCluster), and the
cluster's own property stays the launch form's existing group.

The function is always present (only the resource depends on the condition), so emptying and
setting EngineParameters again never re-creates its named log group.
"""

from __future__ import annotations

from awacs import timestream_influxdb as tsi
from awacs.aws import Allow, Condition, ForAllValuesStringEquals, Statement, StringEquals
from troposphere import AWS_STACK_ID, GetAtt, Ref, Sub
from troposphere.timestream import InfluxDBCluster, InfluxDBInstance

from ..common import MANAGED_BY, TAG_KEYS, Context, checkov_skips
from . import names
from .backup import DbResource, cluster_node_statements, db_resource
from .custom_resources import (
    FUNCTION_CHECKOV_SKIPS,
    OUTSIDE_VPC_SKIP,
    CustomResource,
    add_custom_resource,
    add_function,
)
from .database import Database
from .encryption import ProductKey
from .engine_parameters import INFLUXDB_V2
from .functions.parameter_group import CONFIGURED
from .parameters import HAS_ENGINE_PARAMETERS

# A few List pages, one Create, UpdateDbInstance/UpdateDbCluster retried every 20 s while the
# database is busy with another change (the backup resource configures it at the same time), then
# GetDbInstance/GetDbCluster read until the database is AVAILABLE again after the switch (a restart).
# Lambda's maximum (cfn-lint's bundled schema for AWS::Lambda::Function: "the maximum allowed value
# is 900 seconds"), since how long a restart takes is documented nowhere; the ServiceTimeout is this
# plus custom_resources.ANSWER_GRACE (cfn-lint rule E9106 wants it above the Timeout).
TIMEOUT = 900
#: Logical id of the parameter group resource; the function refuses requests for any other.
PARAMETER_GROUP_RESOURCE = "EngineParameterGroup"
TSI_ARN = "arn:${AWS::Partition}:timestream-influxdb:${AWS::Region}:${AWS::AccountId}"
ENVIRONMENT_SKIP = {
    "CKV_AWS_173": (
        "The parameter group function's environment holds no secret (its properties' values: "
        "engine parameters, names and ids; the stack id, a logical id), and Lambda encrypts "
        "environment variables at rest with an AWS managed key in any case"
    ),
}


def add_parameter_group(
    ctx: Context,
    key: ProductKey,
    instance: InfluxDBInstance | InfluxDBCluster | Database,
    engine: str = INFLUXDB_V2,
) -> CustomResource:
    """The parameter group function, its role and the group resource, when EngineParameters is given;
    ``instance`` is the product's instance or read-replica cluster, ``engine`` the member of the
    model's Parameters union its EngineParameters are (InfluxDB v2's by default)."""
    database = db_resource(instance)
    properties = {
        **database.properties(),
        "Engine": engine,
        "EngineParameters": ctx.ref("EngineParameters"),
        "ProjectName": ctx.ref("ProjectName"),
        "Environment": ctx.ref("Environment"),
    }
    fn = add_function(
        ctx,
        key,
        title="ParameterGroupFunction",
        suffix=names.PARAMETER_GROUP_FUNCTION,
        module="parameter_group",
        statements=parameter_group_statements(database),
        timeout=TIMEOUT,
        environment={
            **{CONFIGURED[name]: value for name, value in properties.items()},
            "STACK_ID": Ref(AWS_STACK_ID),
            "LOGICAL_RESOURCE_ID": PARAMETER_GROUP_RESOURCE,
        },
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


def tagged_by_this_stack() -> Condition:
    """The request tags the function sends (functions/parameter_group.py): this project's and
    environment's, managed by CloudFormation, and no other keys."""
    return Condition(
        [
            StringEquals(
                {
                    "aws:RequestTag/Project": Ref("ProjectName"),
                    "aws:RequestTag/Environment": Ref("Environment"),
                    "aws:RequestTag/ManagedBy": MANAGED_BY,
                }
            ),
            ForAllValuesStringEquals({"aws:TagKeys": list(TAG_KEYS)}),
        ]
    )


def group_statements() -> list[Statement]:
    """What a parameter group function needs to find, read and make this stack's groups."""
    # The Service Authorization Reference (as parliament's bundled copy has it): ListDbParameterGroups
    # and CreateDbParameterGroup take no resource type, so "*"; CreateDbParameterGroup takes the
    # aws:RequestTag and aws:TagKeys condition keys, and with tags also authorizes TagResource, whose
    # resource is the new group's ARN - made from an id the service generates, hence the wildcard.
    return [
        Statement(
            Sid="FindParameterGroups",
            Effect=Allow,
            Action=[tsi.ListDbParameterGroups],
            Resource=["*"],
        ),
        Statement(
            Sid="CreateThisStacksParameterGroups",
            Effect=Allow,
            Action=[tsi.CreateDbParameterGroup],
            Resource=["*"],
            Condition=tagged_by_this_stack(),
        ),
        Statement(
            Sid="TagThisStacksNewParameterGroups",
            Effect=Allow,
            Action=[tsi.TagResource],
            Resource=[Sub(TSI_ARN + ":db-parameter-group/*")],
            Condition=tagged_by_this_stack(),
        ),
        # GetDbParameterGroup's resource is the group (db-parameter-group*), whose id is generated:
        # the function reads a group found by name to check it holds the wanted parameters.
        Statement(
            Sid="ReadParameterGroupsFoundByName",
            Effect=Allow,
            Action=[tsi.GetDbParameterGroup],
            Resource=[Sub(TSI_ARN + ":db-parameter-group/*")],
        ),
    ]


def parameter_group_statements(
    database: InfluxDBInstance | InfluxDBCluster | Database | DbResource,
) -> list[Statement]:
    """:func:`group_statements`, and reading and switching the group of ``database``."""
    db = db_resource(database)
    read, update = db.read_and_update
    return [
        *group_statements(),
        Statement(
            Sid=f"ReadThis{db.noun}sParameterGroup",
            Effect=Allow,
            Action=[read],
            Resource=[GetAtt(db.resource, "Arn")],
        ),
        # UpdateDbInstance or UpdateDbCluster naming a group is authorized on the instance or
        # cluster and on the group (the reference's db-parameter-group resource type for both),
        # whose ARN holds a generated id.
        Statement(
            Sid=f"SwitchThis{db.noun}sParameterGroup",
            Effect=Allow,
            Action=[update],
            Resource=[GetAtt(db.resource, "Arn"), Sub(TSI_ARN + ":db-parameter-group/*")],
        ),
        *(cluster_node_statements("SwitchTheClustersNodes") if db.is_cluster else []),
    ]
