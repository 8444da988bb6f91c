"""The engine parameter group custom resource of the instance and cluster products through whole
stack lifecycles.

The rendered template's inlined code runs against a stateful Timestream for InfluxDB fake with
parameter groups (requests and answers checked against botocore's model); each test asserts the
end state: which groups exist, which one the instance or cluster uses, and what each request was
answered.
"""

from __future__ import annotations

import json

import pytest

from conftest import rendered_data
from lifecycle.aws import FakeTimestreamInfluxDBParameterGroups
from lifecycle.harness import Stack

INSTANCE = "inst1a2b3c4d5e"
RESOURCE = "EngineParameterGroup"
FIRST = {"queryConcurrency": 16, "logLevel": "info"}
SECOND = {"queryConcurrency": 32, "logLevel": "info"}
#: A given InfluxDBToken: no token resource; the backup resource shares the instance with this one.
VALUES = {
    "ProjectName": "ons-data-platform",
    "InfluxDBToken": "given-token",
    "EngineParameters": json.dumps(FIRST),
}
LEFT = "is left in place: the Timestream for InfluxDB API has no operation that deletes a parameter group"


@pytest.fixture
def influx():
    return FakeTimestreamInfluxDBParameterGroups(INSTANCE, page_size=1)


@pytest.fixture
def stack(rendered_product, influx):
    def no_sleep(title, module, event):
        module.RETRY_SECONDS = 0

    with Stack(
        rendered_product,
        attributes={"InfluxDBInstance.Id": INSTANCE},
        clients={"timestream-influxdb": influx.client},
        before_invoke=no_sleep,
    ) as s:
        yield s


def group_calls(influx):
    return [name for name, _ in influx.calls if "ParameterGroup" in name]


def switches(influx):
    return [
        body
        for name, body in influx.calls
        if name == "UpdateDbInstance" and "dbParameterGroupIdentifier" in body
    ]


def test_create_makes_the_group_switches_the_instance_and_names_the_group_as_physical_id(stack, influx):
    op = stack.create(VALUES)
    assert op.status == "CREATE_COMPLETE"
    (request,) = op.of(RESOURCE)
    assert (
        request.ok
        and request.answer["Reason"] == f"the instance now uses {request.answer['PhysicalResourceId']}"
    )
    (gid,) = influx.groups
    assert stack.live[RESOURCE].physical_id == gid
    group = influx.group_of(INSTANCE)
    assert group["id"] == gid and group["parameters"] == {"InfluxDBv2": FIRST}
    assert group["tags"] == {
        "Project": "ons-data-platform",
        "Environment": "development",
        "Name": group["name"],
        "ManagedBy": "CloudFormation",
    }
    assert request.answer["Data"] == {"Id": gid, "Name": group["name"], "Arn": request.answer["Data"]["Arn"]}


def test_changed_parameters_make_a_new_group_switch_to_it_and_leave_the_old_one(stack, influx):
    stack.create(VALUES)
    (old,) = influx.groups
    op = stack.update({"EngineParameters": json.dumps(SECOND)})
    assert op.status == "UPDATE_COMPLETE"
    assert [(r.phase, r.type) for r in op.of(RESOURCE)] == [("forward", "Update"), ("cleanup", "Delete")]
    new = stack.live[RESOURCE].physical_id
    assert new != old and set(influx.groups) == {old, new}
    assert influx.parameters_of(INSTANCE) == {"InfluxDBv2": SECOND}
    cleanup = op.of(RESOURCE)[1]
    assert cleanup.event["PhysicalResourceId"] == old and cleanup.ok
    assert cleanup.answer["Reason"] == f"the parameter group {old} {LEFT}"


def test_the_same_parameters_written_otherwise_send_no_change(stack, influx):
    stack.create(VALUES)
    calls = len(influx.calls)
    assert [r.resource for r in stack.update({"CpuAlarmThreshold": "90"}).requests] == []
    reordered = stack.update({"EngineParameters": '{ "logLevel": "info",\n  "queryConcurrency": 16 }'})
    (request,) = reordered.of(RESOURCE)  # the text changed, so CloudFormation sends an Update ...
    assert request.ok and request.answer["Reason"].startswith("the instance already used")
    assert len(influx.groups) == 1  # ... which finds the same group and changes nothing
    assert [n for n, _ in influx.calls[calls:]] == [
        "ListDbParameterGroups",
        "GetDbParameterGroup",
        "GetDbInstance",
    ]


def test_a_failed_update_rolls_the_instance_back_to_the_old_group_and_leaves_both(stack, influx):
    stack.create(VALUES)
    (old,) = influx.groups
    op = stack.update_that_fails({"EngineParameters": json.dumps(SECOND)})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    (new,) = set(influx.groups) - {old}
    assert [(r.phase, r.type, r.event.get("PhysicalResourceId")) for r in op.of(RESOURCE)] == [
        ("forward", "Update", old),
        ("rollback", "Update", new),
        ("rollback-cleanup", "Delete", new),
    ]
    assert all(r.ok for r in op.of(RESOURCE))
    assert stack.live[RESOURCE].physical_id == old
    assert influx.group_of(INSTANCE)["id"] == old and set(influx.groups) == {old, new}


def test_bad_parameters_fail_the_create_and_the_rollback_finds_nothing_to_leave(stack, influx):
    op = stack.create({**VALUES, "EngineParameters": '{"queryConcurrency": 300}'})
    assert op.status == "ROLLBACK_COMPLETE"
    failed, delete = op.of(RESOURCE)
    assert failed.answer["Status"] == "FAILED"
    assert (
        "InfluxDBv2.queryConcurrency: 300 is out of range; use a whole number from 0 to 256"
        in failed.answer["Reason"]
    )
    assert (
        delete.type == "Delete" and delete.ok and delete.answer["Reason"] == "no parameter group was created"
    )
    assert influx.groups == {} and group_calls(influx) == [] and switches(influx) == []


def test_a_create_that_fails_elsewhere_leaves_the_group_it_made(stack, influx):
    op = stack.create_that_fails(VALUES)
    assert op.status == "ROLLBACK_COMPLETE"
    assert [(r.phase, r.type) for r in op.of(RESOURCE)] == [("forward", "Create"), ("rollback", "Delete")]
    (gid,) = influx.groups
    assert op.of(RESOURCE)[1].answer["Reason"] == f"the parameter group {gid} {LEFT}"


def test_a_repeated_create_after_a_lost_answer_takes_the_same_group(stack, influx):
    stack.create(VALUES)
    (gid,) = influx.groups
    answer = stack.forge(RESOURCE, "Create")  # the same request again, as a retry would send it
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == gid
    assert list(influx.groups) == [gid] and len(switches(influx)) == 1


def test_stack_delete_leaves_every_group_and_the_instance_on_its_group(stack, influx):
    stack.create(VALUES)
    stack.update({"EngineParameters": json.dumps(SECOND)})
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE"
    (delete,) = op.of(RESOURCE)
    assert delete.ok and LEFT in delete.answer["Reason"]
    assert len(influx.groups) == 2 and influx.parameters_of(INSTANCE) == {"InfluxDBv2": SECOND}
    assert group_calls(influx).count("CreateDbParameterGroup") == 2


def test_emptying_engine_parameters_removes_the_resource_and_keeps_the_instance_on_the_last_group(
    stack, influx
):
    stack.create(VALUES)
    (gid,) = influx.groups
    op = stack.update({"EngineParameters": ""})
    assert [(r.phase, r.type) for r in op.of(RESOURCE)] == [("cleanup", "Delete")]
    assert RESOURCE not in stack.live and influx.group_of(INSTANCE)["id"] == gid
    assert stack.update({"EngineParameters": "{}"}).status == "UPDATE_COMPLETE"
    assert influx.parameters_of(INSTANCE) == {"InfluxDBv2": {}}  # the way back to the defaults


def test_without_engine_parameters_there_is_no_group_resource(stack, influx):
    op = stack.create({**VALUES, "EngineParameters": ""})
    assert op.status == "CREATE_COMPLETE" and op.of(RESOURCE) == []
    assert influx.groups == {} and influx.group_of(INSTANCE) is None


def test_a_squatted_group_name_fails_the_create_naming_the_group_and_the_instance_keeps_its_group(
    stack, influx
):
    """Someone in the account creates the content-derived name first, with debug logging: the
    stack must not switch the instance to it."""
    from templates_src.timestream_influxdb.functions.parameter_groups import group_name

    name = group_name("InfluxDBv2", FIRST, "ons-data-platform", "development")
    squatted = {"InfluxDBv2": {**FIRST, "logLevel": "debug"}}
    planted = influx.client.create_db_parameter_group(name=name, parameters=squatted)["id"]
    op = stack.create(VALUES)
    assert op.status == "ROLLBACK_COMPLETE"
    failed, delete = op.of(RESOURCE)
    assert failed.answer["Status"] == "FAILED"
    assert failed.answer["Reason"].startswith(
        f"ValueError: refused: the parameter group {name} ({planted}) has this stack's content-derived "
        "name but not its content (other values of logLevel); someone else created it."
    )
    assert delete.ok and delete.answer["Reason"] == "no parameter group was created"
    assert influx.group_of(INSTANCE) is None and switches(influx) == []
    assert list(influx.groups) == [planted] and influx.groups[planted]["parameters"] == squatted


# --- the read-replica cluster product: the same resource switches the cluster -------------------
CLUSTER = "clu1a2b3c4d5e"


@pytest.fixture(scope="module")
def rendered_cluster():
    """The cluster template as rendered to YAML (what CloudFormation is given), loaded back."""
    return rendered_data("timestream-influxdb-cluster")


@pytest.fixture
def clusters():
    """The fake knows the cluster only: an instance call for it is ResourceNotFoundException."""
    return FakeTimestreamInfluxDBParameterGroups(page_size=1, clusters=[CLUSTER])


@pytest.fixture
def cluster_stack(rendered_cluster, clusters):
    def no_sleep(title, module, event):
        module.RETRY_SECONDS = 0

    with Stack(
        rendered_cluster,
        name="cluster",
        attributes={"InfluxDBCluster.Id": CLUSTER},
        clients={"timestream-influxdb": clusters.client},
        before_invoke=no_sleep,
    ) as s:
        yield s


def cluster_switches(fake):
    return [b for n, b in fake.calls if n == "UpdateDbCluster" and "dbParameterGroupIdentifier" in b]


def test_a_cluster_stack_makes_the_group_and_switches_the_cluster(cluster_stack, clusters):
    op = cluster_stack.create(VALUES)
    assert op.status == "CREATE_COMPLETE"
    (request,) = op.of(RESOURCE)
    props = request.event["ResourceProperties"]
    assert props["DbResourceType"] == "DB_CLUSTER" and props["DbResourceId"] == CLUSTER
    (gid,) = clusters.groups
    assert request.answer["Reason"] == f"the cluster now uses {gid}"
    assert clusters.parameters_of(CLUSTER) == {"InfluxDBv2": FIRST}
    assert cluster_switches(clusters) == [{"dbClusterId": CLUSTER, "dbParameterGroupIdentifier": gid}]
    assert not [n for n, _ in clusters.calls if n in ("GetDbInstance", "UpdateDbInstance")]


def test_a_busy_cluster_is_switched_once_it_is_free(cluster_stack, clusters):
    # Two UpdateDbCluster calls of the backup resource's and the group's see it busy.
    clusters.busy[CLUSTER] = 2
    assert cluster_stack.create(VALUES).status == "CREATE_COMPLETE"
    assert clusters.parameters_of(CLUSTER) == {"InfluxDBv2": FIRST}


def test_changed_parameters_switch_the_cluster_to_a_new_group_and_leave_the_old_one(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    (old,) = clusters.groups
    op = cluster_stack.update({"EngineParameters": json.dumps(SECOND)})
    assert op.status == "UPDATE_COMPLETE"
    assert [(r.phase, r.type) for r in op.of(RESOURCE)] == [("forward", "Update"), ("cleanup", "Delete")]
    new = cluster_stack.live[RESOURCE].physical_id
    assert new != old and clusters.group_of(CLUSTER)["id"] == new
    assert clusters.parameters_of(CLUSTER) == {"InfluxDBv2": SECOND}
    assert op.of(RESOURCE)[1].answer["Reason"] == f"the parameter group {old} {LEFT}"


def test_a_failed_update_rolls_the_cluster_back_to_the_old_group(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    (old,) = clusters.groups
    op = cluster_stack.update_that_fails({"EngineParameters": json.dumps(SECOND)})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert [r.phase for r in op.of(RESOURCE)] == ["forward", "rollback", "rollback-cleanup"]
    assert all(r.ok for r in op.of(RESOURCE))
    assert clusters.group_of(CLUSTER)["id"] == old == cluster_stack.live[RESOURCE].physical_id
    assert [b["dbParameterGroupIdentifier"] for b in cluster_switches(clusters)][-1] == old


def test_influxdb_3_parameters_fail_the_clusters_create_before_any_group_is_made(cluster_stack, clusters):
    op = cluster_stack.create({**VALUES, "EngineParameters": '{"queryFileLimit": 100}'})
    assert op.status == "ROLLBACK_COMPLETE"
    failed, delete = op.of(RESOURCE)
    assert failed.answer["Status"] == "FAILED" and "accepts its parameters only" in failed.answer["Reason"]
    assert delete.ok and delete.answer["Reason"] == "no parameter group was created"
    assert clusters.groups == {} and cluster_switches(clusters) == []


def test_a_cluster_stack_delete_and_a_forged_delete_leave_the_group_and_the_cluster(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    (gid,) = clusters.groups
    calls = len(clusters.calls)
    answer = cluster_stack.forge(RESOURCE, "Delete")
    assert answer["Status"] == "SUCCESS" and LEFT in answer["Reason"]
    op = cluster_stack.delete()
    assert op.status == "DELETE_COMPLETE" and all(r.ok for r in op.of(RESOURCE))
    # Neither Delete called the parameter group API or touched the cluster's group.
    assert [n for n, _ in clusters.calls[calls:] if n != "CreateDbBackup"] == []
    assert clusters.group_of(CLUSTER)["id"] == gid


def test_a_switch_is_answered_once_the_instance_reports_available_again(stack, influx):
    """The instance restarts after the switch: the group resource answers after its status reads
    reach AVAILABLE (the backup resource's reads come after the update it makes too)."""
    influx.settling[INSTANCE] = ["UPDATING", "REBOOTING"]
    op = stack.create(VALUES)
    assert op.status == "CREATE_COMPLETE"
    reads = [name for name, _ in influx.calls if name == "GetDbInstance"]
    assert influx.settling[INSTANCE] == [] and len(reads) >= 4  # current group, 2 not yet, AVAILABLE
    (request,) = op.of(RESOURCE)
    assert request.answer["Reason"] == f"the instance now uses {stack.live[RESOURCE].physical_id}"
