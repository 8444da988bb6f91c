"""Engine parameter groups for the parameter group custom resources: checking parameters against
botocore's model, content-derived names, finding or creating a group of exactly the wanted content,
and the request checks and Delete answer both functions give.

The API has CreateDbParameterGroup, GetDbParameterGroup and ListDbParameterGroups, and neither an
update nor a delete. So a group is never changed: its name is derived from its content (a hash of
engine, parameters, project and environment); a request finds the group of that name
(ListDbParameterGroups) or creates it, and uses a group found by name only when
GetDbParameterGroup says it holds this engine and exactly these parameters (anyone may create a
group of that name first: one of other content is refused, naming it). Finding before creating
makes a retried request (a lost answer, a Lambda retry) take the group the first attempt made; a
ConflictException (the name was taken between the look-up and the create) is answered by looking
again. Every Delete leaves the group where it is and says so.

The parameters are checked before anything is sent, against the service model of the botocore the
function runs with (the one its client serialises with: a parameter that model does not know could
not be sent anyway): unknown names (with a close match), wrong types, integers out of range, values
outside an enum or pattern, incomplete Durations; each problem is one line naming the parameter,
the value and what is accepted. The build and deploy run the same check (:func:`problems`) against
the model installed with the project.
"""

import difflib
import hashlib
import json
import os
import re

import botocore

from .cfn_response import properties

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


def refuse_unconfigured(event, config, names, configured, what):
    """Refuse a request from another stack or resource, or a Create or Update asking for anything
    but the configured values (``configured`` maps each of ``names`` to its environment variable;
    the message names the properties, not their values)."""
    if event["StackId"] != config["STACK_ID"]:
        raise ValueError("refused: request from another stack")
    if event["LogicalResourceId"] != config["LOGICAL_RESOURCE_ID"]:
        raise ValueError(f"refused: not this stack's {what} resource")
    if event["RequestType"] == "Delete":
        return
    props = properties(event, names)
    wrong = [name for name, variable in configured.items() if props[name] != config[variable]]
    if wrong:
        raise ValueError("refused: not this stack's " + ", ".join(wrong))


def configuration(configured):
    """The function's configuration, from its environment (set by the template)."""
    return {name: os.environ[name] for name in (*configured.values(), "STACK_ID", "LOGICAL_RESOURCE_ID")}


def left_in_place(event):
    """The answer to a Delete: nothing is deleted (the API cannot), said in the Reason."""
    pid = event.get("PhysicalResourceId", "")
    if GROUP_ID.fullmatch(pid):
        return None, {}, LEFT.format(pid)
    return None, {}, "no parameter group was created"  # a failed Create's id: a log stream


def wanted_group(client, engine, parameters, project, environment):
    """The group holding exactly ``parameters`` for ``engine``: the one of its content-derived name
    (checked to hold that content), else a new one."""
    name = group_name(engine, parameters, project, environment)
    group = find(client, name)
    if group is not None:
        check_content(client, group, engine, parameters)
        return group
    return create(client, name, engine, parameters, project, environment)


def parsed_parameters(model, engine, text):
    """The parameters JSON ``text`` holds for ``engine``; a ValueError names every problem (and the
    botocore whose model they were checked against)."""
    parameters, found = parse(text)
    found = found or problems(model, engine, parameters)
    if found:
        raise ValueError("; ".join(found) + f" (botocore {botocore.__version__})")
    return parameters


def attributes(group):
    """The custom resource's attributes: the group's id, name and ARN."""
    return {"Id": group["id"], "Name": group["name"], "Arn": group["arn"]}
