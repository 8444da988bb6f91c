"""Custom resource: a Timestream for InfluxDB DB parameter group holding the engine parameters given,
applied to the instance or read-replica cluster.

Properties: DbResourceType (DB_INSTANCE or DB_CLUSTER, the values of the ResourceType shape in
botocore's model); DbResourceId (the instance's or cluster's id); Engine (a member of the
CreateDbParameterGroup ``parameters`` union in botocore's model: InfluxDBv2, InfluxDBv3Core or
InfluxDBv3Enterprise); EngineParameters (a JSON object of that engine's parameters, named and typed as the model names and types them, e.g.
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
naming the engine's accepted parameters (:func:`problems`).

The API has CreateDbParameterGroup, GetDbParameterGroup and ListDbParameterGroups, and neither an
update nor a delete. So a group is never changed: its name is derived from its content (a hash of
engine, parameters, project and environment), Create and Update find the group of that name
(ListDbParameterGroups) or create it; a group found by name is used only when GetDbParameterGroup
says it holds this engine and exactly these parameters (anyone may create a group of that name
first: one of other content is refused, naming it). A changed content is a new name, a new group and a new
physical id: CloudFormation then sends a Delete for the old id. Every Delete leaves the group
where it is and the instance or cluster as it is (UpdateDbInstance and UpdateDbCluster cannot
name "no group": their dbParameterGroupIdentifier is 3 to 64 characters), and says so in its answer's Reason. Finding before creating makes a retried request
(a lost answer, a Lambda retry) take the group the first attempt made; a ConflictException (the
name was taken between the look-up and the create) is answered by looking again.

The parameters are checked before anything is sent, against the service model of the botocore this
function runs with (the one its client serialises with: a parameter that model does not know could
not be sent anyway): unknown names (with a close match), wrong types, integers out of range, values
outside an enum or pattern, incomplete Durations; each problem is one line naming the parameter,
the value and what is accepted. The build and deploy run the same check (:func:`problems`) against
the model installed with the project.

Whoever may invoke the function must not make groups for another stack: the template sets each
property's value in the function's environment too (CONFIGURED), with the stack id and the logical
id; a request from elsewhere, or a Create or Update with other properties, is refused. A Delete
calls no API at all, so it needs no more care than that.
"""

import difflib
import hashlib
import json
import os
import re
import time

import boto3
import botocore

from .cfn_response import MARGIN, properties, run
from .database_status import KINDS, not_available, wait_until_available

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
#: The union of engine parameter sets in CreateDbParameterGroup's input (botocore's model).
PARAMETERS_SHAPE = "Parameters"
#: Hex digits of the content hash in a group's name (96 bits).
HASH_LENGTH = 24
#: DbParameterGroupName: 3 to 64 characters, [a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)* (botocore's model).
#: Names made here use letters and digits only, so they fit DbParameterGroupIdentifier's
#: [a-zA-Z0-9]+ as well.
NAME_MAX = 64
GROUP_ID = re.compile(r"[a-zA-Z0-9]{3,64}")
LEFT = (
    "the parameter group {} is left in place: the Timestream for InfluxDB API has no operation "
    "that deletes a parameter group"
)


# --- checking the parameters against a botocore service model -----------------------------------


def parse(text):
    """The JSON object ``text`` holds, and the problems that keep it from being one."""

    def no_duplicates(pairs):
        seen = [key for key, _ in pairs]
        twice = sorted({key for key in seen if seen.count(key) > 1})
        if twice:
            raise ValueError("names " + ", ".join(twice) + " more than once")
        return dict(pairs)

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as e:
        example = '{"queryConcurrency": 16}'
        return None, [f"EngineParameters is not a JSON object ({e}); give one such as {example}"]
    if not isinstance(value, dict):
        return None, [
            f"EngineParameters is {json.dumps(value)}, not a JSON object of parameter names and values"
        ]
    return value, []


def engines(model):
    """The engines the model has parameter sets for (the members of the Parameters union)."""
    return tuple(model.shape_for(PARAMETERS_SHAPE).members)


def problems(model, engine, parameters):
    """One line for each thing the service would refuse in ``parameters`` (a dict) for ``engine``."""
    known = engines(model)
    if engine not in known:
        return [f"engine {engine!r} is not accepted; use one of {', '.join(known)}"]
    foreign = other_engines_parameters(model, engine, parameters)
    if foreign:
        return [foreign]
    found = []
    check(model.shape_for(PARAMETERS_SHAPE).members[engine], parameters, engine, found)
    return found


def other_engines_parameters(model, engine, parameters):
    """One line when ``parameters`` (a dict) names parameters only another engine has (an InfluxDB 3
    set given to InfluxDB v2, say), or wraps them in an engine's name; None otherwise."""
    if not isinstance(parameters, dict):
        return None
    union = model.shape_for(PARAMETERS_SHAPE).members
    own = union[engine].members
    wrapped = [name for name in parameters if name in union]
    theirs = {
        name: [e for e in union if e != engine and name in union[e].members]
        for name in parameters
        if name not in own
    }
    foreign = sorted(name for name, where in theirs.items() if where)
    if not wrapped and not foreign:
        return None
    sets = sorted({e for name in foreign for e in theirs[name]} | set(wrapped))
    what = ", ".join(wrapped + foreign)
    return (
        f"{what}: {' and '.join(sets)} parameters, not {engine}'s; this database runs {engine} and "
        f"accepts its parameters only, given directly (not under an engine's name): {', '.join(own)}"
    )


def request_parameters(model, engine, parameters):
    """CreateDbParameterGroup's ``parameters`` value for ``engine``; a ValueError lists the problems."""
    found = problems(model, engine, parameters)
    if found:
        raise ValueError("; ".join(found))
    return {engine: parameters}


def show(value):
    return json.dumps(value)


def accepted(shape):
    """What a value of ``shape`` may be, in words."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "boolean":
        return "true or false"
    if kind in ("integer", "long", "float", "double"):
        what = "a whole number" if kind in ("integer", "long") else "a number"
        if "min" in meta and "max" in meta:
            return f"{what} from {meta['min']} to {meta['max']}"
        return f"{what} of at least {meta['min']}" if "min" in meta else what
    if kind == "string":
        if shape.enum:
            return "one of " + ", ".join(shape.enum)
        what = "text"
        if "min" in meta or "max" in meta:
            what += f" of {meta.get('min', 0)} to {meta.get('max', 'any number of')} characters"
        return what + (f" matching {meta['pattern']}" if "pattern" in meta else "")
    if kind == "structure":
        members = list(shape.members)
        if meta.get("union"):
            return "an object with exactly one of " + ", ".join(members)
        required = [m for m in members if m in shape.required_members]
        return "an object with " + ", ".join(required or members)
    return f"a {kind}"


def unknown(path, name, members):
    """The problem of a name ``members`` lacks, with the close matches as a hint; ``path`` is the
    engine (no dot) for a parameter name, a parameter for a member of its value."""

    def squash(text):
        return re.sub(r"[^a-z0-9]", "", text.lower())

    same = [m for m in members if squash(m) == squash(name)]
    close = same or difflib.get_close_matches(name, list(members), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else "accepted: " + ", ".join(members)
    what = "parameter" if "." not in path else "member"
    return f"{path} has no {what} {name}; {hint}"


def check(shape, value, path, found):
    """Append to ``found`` what the service would refuse in ``value`` for ``shape``; ``path`` names
    the value: the engine for the whole set, ``<engine>.<parameter>[.<member>]`` below it."""
    kind, meta = shape.type_name, shape.metadata

    def refuse(why="is not accepted"):
        found.append(f"{path}: {show(value)} {why}; use {accepted(shape)}")

    if kind == "structure":
        if not isinstance(value, dict):
            return refuse()
        for name, item in value.items():
            if name in shape.members:
                check(shape.members[name], item, f"{path}.{name}", found)
            else:
                found.append(unknown(path, name, shape.members))
        if meta.get("union") and len(value) != 1:
            return refuse("names " + (f"{len(value)} members" if value else "no member"))
        missing = [m for m in shape.required_members if m not in value]
        if missing:
            refuse("lacks " + ", ".join(missing))
    elif kind == "boolean":
        if not isinstance(value, bool):
            refuse()
    elif kind in ("integer", "long", "float", "double"):
        whole = kind in ("integer", "long")
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            return refuse()
        if value < meta.get("min", value) or value > meta.get("max", value):
            refuse("is out of range")
    elif kind == "string":
        if not isinstance(value, str):
            return refuse()
        if shape.enum and value not in shape.enum:
            return refuse()
        if not meta.get("min", 0) <= len(value) <= meta.get("max", len(value)):
            return refuse("has the wrong length")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            refuse()
    else:  # no engine parameter has another type in the model this was written for
        found.append(
            f"{path}: values of type {kind} cannot be checked; this function knows no such parameter"
        )


# --- the group -----------------------------------------------------------------------------------


def group_name(engine, parameters, project, environment):
    """The content-derived name: project and environment (letters and digits) and a hash of it all."""
    content = json.dumps(
        {"engine": engine, "parameters": parameters, "project": project, "environment": environment},
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(content.encode()).hexdigest()[:HASH_LENGTH]
    prefix = re.sub(r"[^a-zA-Z0-9]", "", project + environment)[: NAME_MAX - HASH_LENGTH]
    if not prefix[:1].isalpha():  # a name starts with a letter
        prefix = ("pg" + prefix)[: NAME_MAX - HASH_LENGTH]
    return prefix + digest


def find(client, name):
    """The summary (id, name, arn) of the group called ``name``, or None."""
    for page in client.get_paginator("list_db_parameter_groups").paginate():
        for item in page.get("items", []):
            if item["name"] == name:
                return item
    return None


def create(client, name, engine, parameters, project, environment):
    """Create the group; when another request made it first (ConflictException), take that one."""
    try:
        return client.create_db_parameter_group(
            name=name,
            description=f"Engine parameters of {project}-{environment}, named from their content "
            "by CloudFormation; never changed (a change makes a new group)",
            parameters=request_parameters(client.meta.service_model, engine, parameters),
            tags={
                "Project": project,
                "Environment": environment,
                "Name": name,
                "ManagedBy": "CloudFormation",
            },
        )
    except client.exceptions.ConflictException:
        group = find(client, name)
        if group is None:
            raise
        check_content(client, group, engine, parameters)
        return group


def check_content(client, group, engine, parameters):
    """Refuse a group found by name whose engine or parameters are not the wanted ones.

    The name is a hash of inputs anyone can read (the template and its parameter values), so anyone
    in the account allowed CreateDbParameterGroup could take it first with other parameters (debug
    logging, say); the database must never be switched to such a group. GetDbParameterGroup answers
    the group's ``parameters`` as the union CreateDbParameterGroup takes (botocore's model), so the
    group made by this function reads back as exactly ``{engine: parameters}``.
    """
    held = client.get_db_parameter_group(identifier=group["id"]).get("parameters") or {}
    if held == {engine: parameters}:
        return
    if set(held) != {engine}:
        what = "engine " + (", ".join(sorted(held)) or "none") + f" instead of {engine}"
    else:
        theirs, wanted = held[engine], parameters
        names = sorted({k for k in (*theirs, *wanted) if theirs.get(k, None) != wanted.get(k, None)})
        what = "other values of " + ", ".join(names)
    raise ValueError(
        f"refused: the parameter group {group['name']} ({group['id']}) has this stack's content-derived "
        f"name but not its content ({what}); someone else created it. The database was not switched to "
        "it: find out who may call CreateDbParameterGroup in this account"
    )


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


def configuration():
    """The function's configuration, from its environment (set by the template)."""
    return {name: os.environ[name] for name in (*CONFIGURED.values(), "STACK_ID", "LOGICAL_RESOURCE_ID")}


def check_request(event, config):
    """Refuse a request from another stack or resource, or a Create or Update asking for anything
    but the configured values (names, not values, in the message)."""
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    if event["LogicalResourceId"] != config["LOGICAL_RESOURCE_ID"]:
        raise ValueError("refused: not this stack's parameter group resource")
    if event["RequestType"] == "Delete":
        return
    props = properties(event, PROPERTIES)
    wrong = [name for name, variable in CONFIGURED.items() if props[name] != config[variable]]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))
    if props["DbResourceType"] not in KINDS:  # a template error: the environment says the same
        raise ValueError(f"DbResourceType must be one of {', '.join(KINDS)}, not {props['DbResourceType']!r}")


def act(event, context, client=None, config=None):
    check_request(event, config or configuration())
    if event["RequestType"] == "Delete":
        pid = event.get("PhysicalResourceId", "")
        if GROUP_ID.fullmatch(pid):
            return None, {}, LEFT.format(pid)
        return None, {}, "no parameter group was created"  # a failed Create's id: a log stream
    props = properties(event, PROPERTIES)
    client = client or boto3.client("timestream-influxdb")
    parameters, found = parse(props["EngineParameters"])
    found = found or problems(client.meta.service_model, props["Engine"], parameters)
    if found:
        raise ValueError("; ".join(found) + f" (botocore {botocore.__version__})")
    engine, project, environment = props["Engine"], props["ProjectName"], props["Environment"]
    name = group_name(engine, parameters, project, environment)
    group = find(client, name)
    if group is not None:
        check_content(client, group, engine, parameters)
    else:
        group = create(client, name, engine, parameters, project, environment)
    kind = props["DbResourceType"]
    switched = apply(client, context, props["DbResourceId"], group["id"], kind)
    data = {"Id": group["id"], "Name": group["name"], "Arn": group["arn"]}
    reason = f"the {KINDS[kind]} {'now uses' if switched else 'already used'} {group['id']}"
    if switched:
        # A switch can restart the database: answer once it is AVAILABLE again, so that the
        # resources that talk to it (ordered after this one) find it up.
        status = wait_until_available(client, context, kind, props["DbResourceId"])
        if status != "AVAILABLE":
            reason += "; " + not_available(kind, status)
    return group["id"], data, reason


def handler(event, context):
    return run(event, context, act)
