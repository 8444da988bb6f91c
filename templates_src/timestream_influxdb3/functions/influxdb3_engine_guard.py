"""Custom resource: the engine guard, which refuses an engine change before the cluster sees it.

The cluster and the engine parameter group resource DependsOn this resource, so CloudFormation
updates it first: an Update whose service-defined parameter group (the engine, and on Enterprise
the topology) differs from the one the stack was launched with fails, the stack rolls back, and
neither the cluster nor a group of the other engine is touched (EngineParameters makes a custom
group of the same engine and topology: the service-defined group stays this resource's property). The service documents Core
and Enterprise parameter groups as not interchangeable; changing DbParameterGroupIdentifier in
place would switch the engine of a live cluster.

The parameter group the stack was launched with is kept in the physical id,
"<stack name>-<LogicalResourceId>-<parameter group>": an Update never changes it (it succeeds with
the same id or fails), so it always names the cluster's group. The rollback of a refused change
sends an Update back to that group, which matches the id and succeeds. EnterpriseNodes "" and "3"
select the same group: a change between them is let through.

No AWS call, no state, no configuration: Create answers with the id, Delete does nothing (the
stack's or a forged one alike), a forged Update can only be answered. The function does not
depend on the cluster (no reference to it), so the cluster can depend on this resource.

Properties: Engine, EnterpriseNodes (for the message), ParameterGroup (the service-defined group
the template chose from them).
"""

from .cfn_response import properties, run

PROPERTIES = ("Engine", "EnterpriseNodes", "ParameterGroup")


def id_prefix(event):
    """What the physical id of this resource in this stack starts with."""
    return event["StackId"].split("/")[1] + "-" + event["LogicalResourceId"] + "-"


def launched_group(event):
    """The parameter group the stack was launched with: the physical id's, else (an id this
    function never gave: a forged request) the old properties'."""
    pid, prefix = event.get("PhysicalResourceId", ""), id_prefix(event)
    if pid.startswith(prefix) and len(pid) > len(prefix):
        return pid[len(prefix) :]
    return (event.get("OldResourceProperties") or {}).get("ParameterGroup", "")


def values(props):
    """The launch-form values that chose the group: "Engine Enterprise, EnterpriseNodes 1"."""
    nodes = props.get("EnterpriseNodes") or ""
    return f"Engine {props.get('Engine', '?')}" + (f", EnterpriseNodes {nodes}" if nodes else "")


def act(event, context):
    if event["RequestType"] == "Delete":
        return None, {}, "SUCCESS: nothing to delete"
    props = properties(event, PROPERTIES)
    group = props["ParameterGroup"]
    if event["RequestType"] == "Create":
        return id_prefix(event) + group, {"ParameterGroup": group}
    launched = launched_group(event)
    if group != launched:
        old = event.get("OldResourceProperties") or {}
        raise ValueError(
            f"refused before the cluster was changed: the engine cannot be changed after launch "
            f"({values(old)}, parameter group {launched} -> {values(props)}, parameter group {group}; "
            "Core and Enterprise parameter groups are not interchangeable). Put back "
            f"{values(old)}, or launch a new product with {values(props)} and move the data to it."
        )
    return event["PhysicalResourceId"], {"ParameterGroup": group}


def handler(event, context):
    return run(event, context, act)
