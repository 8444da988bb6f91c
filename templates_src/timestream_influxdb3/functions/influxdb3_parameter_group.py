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

What the group holds: the parameters of the service-defined group (GetDbParameterGroup), with
the ones given laid over them, as the console's "clone" of a group keeps what it does not change;
so the cluster keeps the service's settings except those EngineParameters names. An Enterprise
group also carries the cluster's topology: the model's InfluxDBv3Enterprise parameters
ingestQueryInstances, queryOnlyInstances and dedicatedCompactor (deprecated in favour of
CreateDbCluster's deploymentConfiguration, which CloudFormation's schema does not have, so they are
the only topology a template can set). EnterpriseNodes chose it at launch through the
service-defined group and cannot change, so the parameters given may not name a node count, and
no Enterprise group is made when the service-defined group shows none, or when this function's
botocore does not know them (botocore leaves out what its model lacks: a copy without them could
give the cluster another topology). Core's parameters have no node counts.

The group is found or made by ``parameter_groups`` (a name derived from its whole content, the
service-defined group's parameters included; the API can neither update nor delete a group). A changed content is a new group and a
new physical id: CloudFormation then updates the cluster and sends a Delete for the old id. Every
Delete leaves the group where it is, and says so in its answer's Reason.

Whoever may invoke the function must not make groups for another stack: the template sets each
property's value in the function's environment too (CONFIGURED), with the stack id and the logical
id; a request from elsewhere, or a Create or Update with other properties, is refused. A Delete
calls no API at all.
"""

import boto3
import botocore

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
#: The engines whose parameter sets hold the node counts.
WITH_NODE_COUNTS = ("InfluxDBv3Enterprise",)


def node_count_problem(parameters, service_group):
    """One line when ``parameters`` (a dict) name a node count; None otherwise."""
    given = [name for name in NODE_COUNTS if isinstance(parameters, dict) and name in parameters]
    if not given:
        return None
    return (
        f"{', '.join(given)}: the node counts are the launch form's EnterpriseNodes, fixed after "
        f"launch; leave them out, and the parameter group takes those of {service_group}"
    )


def service_parameters(client, engine, service_group):
    """The parameters ``service_group`` holds for ``engine``; on an engine with node counts, refused
    unless they are among them and this function's botocore knows all of them."""
    held = client.get_db_parameter_group(identifier=service_group).get("parameters") or {}
    parameters = dict(held.get(engine) or {})
    if engine not in WITH_NODE_COUNTS:
        return parameters
    members = client.meta.service_model.shape_for("Parameters").members[engine].members
    unknown = [name for name in NODE_COUNTS if name not in members]
    if unknown:
        raise ValueError(
            f"refused: this function's botocore {botocore.__version__} has no {', '.join(unknown)} for "
            f"{engine}, so it cannot keep the cluster's node counts; no parameter group was made"
        )
    if not any(name in parameters for name in NODE_COUNTS):
        raise ValueError(
            f"refused: the service-defined parameter group {service_group} shows no node counts "
            f"({', '.join(NODE_COUNTS)}) for {engine} (it holds {', '.join(sorted(held)) or 'no parameters'}); "
            "a parameter group without them could change the cluster's topology, so none was made"
        )
    return parameters


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
    wanted = {**service_parameters(client, engine, service_group), **parameters}
    group = wanted_group(client, engine, wanted, props["ProjectName"], props["Environment"])
    reason = f"the cluster takes {group['id']}: {service_group}'s parameters with {len(parameters)} given"
    return group["id"], attributes(group), reason


def handler(event, context):
    return run(event, context, act)
