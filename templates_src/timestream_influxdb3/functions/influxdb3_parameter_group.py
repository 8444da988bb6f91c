"""Custom resource: a Timestream for InfluxDB DB parameter group of InfluxDB 3 engine parameters,
which the cluster's own DbParameterGroupIdentifier takes.

Properties: Engine (InfluxDBv3Core or InfluxDBv3Enterprise, members of the CreateDbParameterGroup
``parameters`` union in botocore's model); EngineParameters (a JSON object of that engine's
parameters, named and typed as the model names and types them, e.g.
{"queryFileLimit": 500, "gen1Duration": {"durationType": "minutes", "value": 5}});
ServiceParameterGroup (the service-defined group of the launch form's engine and topology:
InfluxDBV3Core, InfluxDBV3Enterprise or InfluxDBV3Enterprise1Node); ProjectName and Environment
(the group's name and tags). The physical id is the group's id, as are the attribute Id (which the
cluster's DbParameterGroupIdentifier takes), Name and Arn.

Unlike the InfluxDB 2 products' function, this one switches nothing: the cluster refers to the
group, so CloudFormation creates the cluster with it, or updates the cluster in place to a new
one (DbParameterGroupIdentifier is updatable, cfn-lint's bundled schema of
AWS::Timestream::InfluxDBCluster); AWS documents that assigning a new group to an InfluxDB 3
cluster restarts it. The function's role may therefore not change any database.

The node counts. An Enterprise group carries the cluster's topology: the model's
InfluxDBv3Enterprise parameters ingestQueryInstances, queryOnlyInstances and dedicatedCompactor
(deprecated in favour of CreateDbCluster's deploymentConfiguration, which CloudFormation's schema
does not have, so they are the only topology a template can set). The launch form's
EnterpriseNodes chose the topology through the service-defined group, and it cannot change after
launch; so the parameters given may not name a node count, and the group gets those of the
service-defined group (GetDbParameterGroup), as the console's "clone" of a group keeps what it
does not change. When that group shows no node count for the engine, no group is made: a group
without them could give the cluster another topology. Core's parameters have no node counts.

The group is found or made by ``parameter_groups`` (a content-derived name, the node counts
included; the API can neither update nor delete a group). A changed content is a new group and a
new physical id: CloudFormation then updates the cluster and sends a Delete for the old id. Every
Delete leaves the group where it is, and says so in its answer's Reason.

Whoever may invoke the function must not make groups for another stack: the template sets each
property's value in the function's environment too (CONFIGURED), with the stack id and the logical
id; a request from elsewhere, or a Create or Update with other properties, is refused. A Delete
calls no API at all.
"""

import boto3

from .cfn_response import properties, run
from .parameter_groups import (
    attributes,
    configuration,
    left_in_place,
    parsed_parameters,
    refuse_unconfigured,
    wanted_group,
)

PROPERTIES = ("Engine", "EngineParameters", "ServiceParameterGroup", "ProjectName", "Environment")
#: The environment variable that holds the configured value of each property.
CONFIGURED = {
    "Engine": "ENGINE",
    "EngineParameters": "ENGINE_PARAMETERS",
    "ServiceParameterGroup": "SERVICE_PARAMETER_GROUP",
    "ProjectName": "PROJECT_NAME",
    "Environment": "ENVIRONMENT",
}
#: The engine parameters that set an Enterprise cluster's topology (botocore's model).
NODE_COUNTS = ("ingestQueryInstances", "queryOnlyInstances", "dedicatedCompactor")


def node_count_problem(parameters, service_group):
    """One line when ``parameters`` (a dict) name a node count; None otherwise."""
    given = [name for name in NODE_COUNTS if isinstance(parameters, dict) and name in parameters]
    if not given:
        return None
    return (
        f"{', '.join(given)}: the node counts are the launch form's EnterpriseNodes, fixed after "
        f"launch; leave them out, and the parameter group takes those of {service_group}"
    )


def node_counts(client, engine, service_group):
    """The node counts of ``service_group`` for ``engine`` ({} for an engine without any)."""
    members = client.meta.service_model.shape_for("Parameters").members[engine].members
    if not any(name in members for name in NODE_COUNTS):
        return {}
    held = client.get_db_parameter_group(identifier=service_group).get("parameters") or {}
    counts = {name: value for name, value in (held.get(engine) or {}).items() if name in NODE_COUNTS}
    if not counts:
        raise ValueError(
            f"refused: the service-defined parameter group {service_group} shows no node counts "
            f"({', '.join(NODE_COUNTS)}) for {engine} (it holds {', '.join(sorted(held)) or 'no parameters'}); "
            "a parameter group without them could change the cluster's topology, so none was made"
        )
    return counts


def act(event, context, client=None, config=None):
    refuse_unconfigured(event, config or configuration(CONFIGURED), PROPERTIES, CONFIGURED, "parameter group")
    if event["RequestType"] == "Delete":
        return left_in_place(event)
    props = properties(event, PROPERTIES)
    client = client or boto3.client("timestream-influxdb")
    engine, service_group = props["Engine"], props["ServiceParameterGroup"]
    parameters = parsed_parameters(client.meta.service_model, engine, props["EngineParameters"])
    problem = node_count_problem(parameters, service_group)
    if problem:
        raise ValueError(problem)
    counts = node_counts(client, engine, service_group)
    group = wanted_group(client, engine, {**parameters, **counts}, props["ProjectName"], props["Environment"])
    kept = f", with the node counts of {service_group}" if counts else ""
    return group["id"], attributes(group), f"the cluster takes {group['id']}{kept}"


def handler(event, context):
    return run(event, context, act)
