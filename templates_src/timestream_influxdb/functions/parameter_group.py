"""Custom resource: a Timestream for InfluxDB DB parameter group holding the engine parameters given,
applied to the instance or read-replica cluster.

Properties: DbResourceType (DB_INSTANCE or DB_CLUSTER, the values of the ResourceType shape in
botocore's model); DbResourceId (the instance's or cluster's id); Engine (a member of the
CreateDbParameterGroup ``parameters`` union in botocore's model: InfluxDBv2, InfluxDBv3Core or
InfluxDBv3Enterprise); EngineParameters (a JSON object of that engine's parameters, named and
typed as the model names and types them, e.g.
{"queryConcurrency": 16, "httpIdleTimeout": {"durationType": "minutes", "value": 3}}); ProjectName
and Environment (the group's name and tags). The physical id is the group's id, which
UpdateDbInstance's and UpdateDbCluster's dbParameterGroupIdentifier take (botocore's model: "The id
of the DB parameter group", pattern [a-zA-Z0-9]+); the attributes Id, Name and Arn say the same. An
instance is switched to the group (UpdateDbInstance ``identifier``) only when GetDbInstance says it
uses another, a cluster (UpdateDbCluster ``dbClusterId``) only when GetDbCluster says so (both
answer ``dbParameterGroupIdentifier``). AWS documents that assigning a new group to an InfluxDB 3
cluster restarts it; plan for a restart of an instance or an InfluxDB 2 cluster too. A busy
instance or cluster (ConflictException) is retried while the time allows.

A read-replica cluster runs InfluxDB v2, an instance too: the template gives Engine InfluxDBv2, and
parameters of another engine's set (InfluxDBv3Core, InfluxDBv3Enterprise) are refused in one line
naming the engine's accepted parameters (``parameter_groups.problems``).

The group is found or made by ``parameter_groups`` (a content-derived name; the API can neither
update nor delete a group). A changed content is a new name, a new group and a new physical id:
CloudFormation then sends a Delete for the old id. Every Delete leaves the group where it is and
the instance or cluster as it is (UpdateDbInstance and UpdateDbCluster cannot name "no group":
their dbParameterGroupIdentifier is 3 to 64 characters), and says so in its answer's Reason.

Whoever may invoke the function must not make groups for another stack: the template sets each
property's value in the function's environment too (CONFIGURED), with the stack id and the logical
id; a request from elsewhere, or a Create or Update with other properties, is refused. A Delete
calls no API at all, so it needs no more care than that.
"""

import time

import boto3

from .cfn_response import MARGIN, properties, run
from .database_status import KINDS, not_available, wait_until_available
from .parameter_groups import (
    attributes,
    configuration,
    left_in_place,
    parsed_parameters,
    refuse_unconfigured,
    wanted_group,
)

PROPERTIES = ("DbResourceType", "DbResourceId", "Engine", "EngineParameters", "ProjectName", "Environment")
RETRY_SECONDS = 20
#: The environment variable that holds the configured value of each property.
CONFIGURED = {
    "DbResourceType": "DB_RESOURCE_TYPE",
    "DbResourceId": "DB_RESOURCE_ID",
    "Engine": "ENGINE",
    "EngineParameters": "ENGINE_PARAMETERS",
    "ProjectName": "PROJECT_NAME",
    "Environment": "ENVIRONMENT",
}


def current_group(client, kind, resource):
    """The group the instance (GetDbInstance) or cluster (GetDbCluster) uses, None for none."""
    if kind == "DB_CLUSTER":
        return client.get_db_cluster(dbClusterId=resource).get("dbParameterGroupIdentifier")
    return client.get_db_instance(identifier=resource).get("dbParameterGroupIdentifier")


def switch(client, kind, resource, group_id):
    """Make the instance (UpdateDbInstance) or cluster (UpdateDbCluster) use the group."""
    if kind == "DB_CLUSTER":
        client.update_db_cluster(dbClusterId=resource, dbParameterGroupIdentifier=group_id)
    else:
        client.update_db_instance(identifier=resource, dbParameterGroupIdentifier=group_id)


def apply(client, context, resource, group_id, kind="DB_INSTANCE"):
    """Switch the instance or cluster ``resource`` to the group unless it uses it already; True
    when it was switched."""
    while True:
        try:
            if current_group(client, kind, resource) == group_id:
                return False
            switch(client, kind, resource, group_id)
            return True
        except client.exceptions.ConflictException:
            # The instance or cluster is busy with another change: retry while the time allows.
            if context.get_remaining_time_in_millis() < (RETRY_SECONDS + MARGIN) * 1000:
                raise
            time.sleep(RETRY_SECONDS)


def check_request(event, config):
    """Refuse a request from another stack or resource, or a Create or Update asking for anything
    but the configured values (names, not values, in the message)."""
    refuse_unconfigured(event, config, PROPERTIES, CONFIGURED, "parameter group")
    if event["RequestType"] == "Delete":
        return
    kind = properties(event, PROPERTIES)["DbResourceType"]
    if kind not in KINDS:  # a template error: the environment says the same
        raise ValueError(f"DbResourceType must be one of {', '.join(KINDS)}, not {kind!r}")


def act(event, context, client=None, config=None):
    check_request(event, config or configuration(CONFIGURED))
    if event["RequestType"] == "Delete":
        return left_in_place(event)
    props = properties(event, PROPERTIES)
    client = client or boto3.client("timestream-influxdb")
    engine = props["Engine"]
    parameters = parsed_parameters(client.meta.service_model, engine, props["EngineParameters"])
    group = wanted_group(client, engine, parameters, props["ProjectName"], props["Environment"])
    kind = props["DbResourceType"]
    switched = apply(client, context, props["DbResourceId"], group["id"], kind)
    reason = f"the {KINDS[kind]} {'now uses' if switched else 'already used'} {group['id']}"
    if switched:
        # A switch can restart the database: answer once it is AVAILABLE again, so that the
        # resources that talk to it (ordered after this one) find it up.
        status = wait_until_available(client, context, kind, props["DbResourceId"])
        if status != "AVAILABLE":
            reason += "; " + not_available(kind, status)
    return group["id"], attributes(group), reason


def handler(event, context):
    return run(event, context, act)
