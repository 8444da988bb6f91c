"""The backup custom resource of the instance and cluster products through whole stack lifecycles.

The rendered template's inlined code runs against a stateful Timestream for InfluxDB fake
(requests checked against botocore's model); each test asserts the end state: the backup
configuration of the instance or cluster and the final backups taken.
"""

from __future__ import annotations

import pytest

from conftest import rendered_data
from lifecycle.aws import FakeTimestreamInfluxDB
from lifecycle.harness import Stack

INSTANCE, REPLACEMENT = "inst1a2b3c4d5e", "inst9z8y7x6w5v"
#: A given InfluxDBToken: the stack has no token resource, only the backup resource.
VALUES = {"InfluxDBToken": "given-token"}


@pytest.fixture
def influx():
    return FakeTimestreamInfluxDB(INSTANCE, REPLACEMENT)


@pytest.fixture
def stack(rendered_product, influx):
    def no_sleep(title, module, event):
        module.RETRY_SECONDS = 0  # a busy instance is retried at once

    with Stack(
        rendered_product,
        attributes={"InfluxDBInstance.Id": INSTANCE},
        clients={"timestream-influxdb": influx.client},
        before_invoke=no_sleep,
    ) as s:
        yield s


def daily(influx, instance=INSTANCE):
    return influx.backup_configuration(instance)["DAILY"]


def test_create_configures_the_backups_and_names_the_instance_as_physical_id(stack, influx):
    op = stack.create(VALUES)
    assert op.status == "CREATE_COMPLETE"
    assert op.calls == [("forward", "Create", "BackupConfiguration")]
    (request,) = op.requests
    props = request.event["ResourceProperties"]
    # Every scalar arrives as a string, the service properties included.
    assert props["DailyRetentionDays"] == "7" and props["ServiceTimeout"] == "960"
    assert props["DbResourceId"] == INSTANCE and props["DbResourceType"] == "DB_INSTANCE"
    assert request.event["ServiceToken"] == props["ServiceToken"]
    assert request.event["ResponseURL"].startswith("https://cloudformation-custom-resource-response-")
    assert stack.live["BackupConfiguration"].physical_id == INSTANCE
    assert daily(influx) == (7, True)
    assert not influx.continuous_enabled(INSTANCE)


def test_a_busy_instance_still_ends_configured(stack, influx):
    influx.busy[INSTANCE] = 2
    assert stack.create(VALUES).status == "CREATE_COMPLETE"
    assert daily(influx) == (7, True)


def test_update_of_retention_sends_one_update_with_the_old_properties(stack, influx):
    stack.create(VALUES)
    op = stack.update({"BackupRetentionPeriod": "14", "ContinuousBackupRetentionDays": "35"})
    assert op.status == "UPDATE_COMPLETE"
    (request,) = op.requests
    assert request.type == "Update" and request.event["PhysicalResourceId"] == INSTANCE
    assert request.event["OldResourceProperties"]["DailyRetentionDays"] == "7"
    assert daily(influx) == (14, True)
    assert influx.backup_configuration(INSTANCE)["CONTINUOUS"] == (35, True)
    assert influx.backups == []  # same physical id: no cleanup Delete, no final backup


def test_an_update_that_leaves_the_properties_alone_sends_nothing(stack):
    stack.create(VALUES)
    assert stack.update({"CpuAlarmThreshold": "90"}).requests == []


def test_update_rollback_restores_the_old_retention(stack, influx):
    stack.create(VALUES)
    op = stack.update_that_fails({"BackupRetentionPeriod": "14"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert op.calls == [
        ("forward", "Update", "BackupConfiguration"),
        ("rollback", "Update", "BackupConfiguration"),
    ]
    back = op.requests[1].event
    assert back["ResourceProperties"]["DailyRetentionDays"] == "7"
    assert back["OldResourceProperties"]["DailyRetentionDays"] == "14"
    assert daily(influx) == (7, True)
    assert stack.live["BackupConfiguration"].properties["DailyRetentionDays"] == "7"


def test_a_replaced_instance_gets_a_final_backup_after_the_update_succeeds(stack, influx):
    stack.create(VALUES)
    op = stack.update(attributes={"InfluxDBInstance.Id": REPLACEMENT})
    assert op.calls == [
        ("forward", "Update", "BackupConfiguration"),
        ("cleanup", "Delete", "BackupConfiguration"),
    ]
    cleanup = op.requests[1].event
    assert cleanup["PhysicalResourceId"] == INSTANCE
    assert cleanup["ResourceProperties"]["DbResourceId"] == INSTANCE  # the OLD properties
    assert [b["retentionDays"] for b in influx.backups_of(INSTANCE)] == [30]
    assert daily(influx, REPLACEMENT) == (7, True)
    assert stack.live["BackupConfiguration"].physical_id == REPLACEMENT


def test_a_rolled_back_replacement_keeps_the_old_instance_configured(stack, influx):
    stack.create(VALUES)
    op = stack.update_that_fails(attributes={"InfluxDBInstance.Id": REPLACEMENT})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert [(r.phase, r.type, r.event.get("PhysicalResourceId")) for r in op.requests] == [
        ("forward", "Update", INSTANCE),
        ("rollback", "Update", REPLACEMENT),
        ("rollback-cleanup", "Delete", REPLACEMENT),
    ]
    assert stack.live["BackupConfiguration"].physical_id == INSTANCE
    assert influx.backups_of(INSTANCE) == []


def test_a_failed_create_is_deleted_under_the_id_its_answer_carried_and_takes_no_backup(stack, influx):
    op = stack.create(VALUES, attributes={"InfluxDBInstance.Id": "unknowninstance"})
    assert op.status == "ROLLBACK_COMPLETE"
    failed, delete = op.requests
    assert failed.answer["Status"] == "FAILED"
    assert delete.type == "Delete"
    assert delete.event["PhysicalResourceId"] == failed.answer["PhysicalResourceId"]
    assert "[$LATEST]" in delete.event["PhysicalResourceId"]  # the log stream name
    assert delete.ok and influx.backups == [] and stack.live == {}
    assert stack.delete().requests == []  # a rolled-back stack has nothing left to delete
    assert stack.create(VALUES, attributes={"InfluxDBInstance.Id": INSTANCE}).status == "CREATE_COMPLETE"


def test_a_create_that_fails_elsewhere_rolls_the_backup_resource_back(stack, influx):
    op = stack.create_that_fails(VALUES)
    assert op.calls == [
        ("forward", "Create", "BackupConfiguration"),
        ("rollback", "Delete", "BackupConfiguration"),
    ]
    assert op.status == "ROLLBACK_COMPLETE" and stack.live == {}


def test_a_resource_that_depends_on_the_failing_one_is_never_created(stack):
    op = stack.create_that_fails(VALUES, at="InfluxDBInstance")
    assert op.requests == [] and op.status == "ROLLBACK_COMPLETE"


def test_stack_delete_takes_the_final_backup_once(stack, influx):
    stack.create(VALUES)
    stack.update({"BackupRetentionPeriod": "14"})
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE"
    assert op.calls == [("forward", "Delete", "BackupConfiguration")]
    (backup,) = influx.backups_of(INSTANCE)
    assert backup["retentionDays"] == 30 and backup["name"].startswith("final-")
    assert stack.live == {}


def test_stack_delete_with_no_final_backup_asked_takes_none(stack, influx):
    stack.create({**VALUES, "FinalBackupRetentionDays": "0"})
    assert stack.delete().status == "DELETE_COMPLETE"
    assert influx.backups == []


def test_a_delete_forged_between_operations_takes_no_backup_and_the_stacks_delete_still_does(stack, influx):
    """Anyone allowed to invoke the backup function can send it a Delete: at rest, the stack is
    not deleting anything (DescribeStacks), so no backup is taken; the stack's own Delete takes it."""
    stack.create(VALUES)
    answer = stack.forge("BackupConfiguration", "Delete")
    assert answer["Status"] == "SUCCESS" and "the stack is CREATE_COMPLETE, not deleting" in answer["Reason"]
    assert influx.backups == []
    assert stack.delete().status == "DELETE_COMPLETE"
    assert [b["retentionDays"] for b in influx.backups_of(INSTANCE)] == [30]


# --- the read-replica cluster product: the same resource, on a cluster --------------------------
CLUSTER, NEW_CLUSTER = "clu1a2b3c4d5e", "clu9z8y7x6w5v"


@pytest.fixture(scope="module")
def rendered_cluster():
    """The cluster template as rendered to YAML (what CloudFormation is given), loaded back."""
    return rendered_data("timestream-influxdb-cluster")


@pytest.fixture
def clusters():
    """The fake knows the clusters only: an instance call for them is ResourceNotFoundException."""
    return FakeTimestreamInfluxDB(clusters=[CLUSTER, NEW_CLUSTER])


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


def called(fake):
    return [name for name, _ in fake.calls]


def test_a_cluster_stack_configures_the_clusters_backups_through_update_db_cluster(cluster_stack, clusters):
    op = cluster_stack.create(VALUES)
    assert op.status == "CREATE_COMPLETE"
    assert op.calls == [("forward", "Create", "BackupConfiguration")]
    props = op.requests[0].event["ResourceProperties"]
    assert props["DbResourceType"] == "DB_CLUSTER" and props["DbResourceId"] == CLUSTER
    assert cluster_stack.live["BackupConfiguration"].physical_id == CLUSTER
    # Answered once GetDbCluster says AVAILABLE.
    assert called(clusters) == ["UpdateDbCluster", "GetDbCluster"]
    assert clusters.backup_configuration(CLUSTER) == {"DAILY": (7, True)}


def test_a_busy_cluster_still_ends_configured(cluster_stack, clusters):
    clusters.busy[CLUSTER] = 2
    assert cluster_stack.create(VALUES).status == "CREATE_COMPLETE"
    assert called(clusters) == ["UpdateDbCluster"] * 3 + ["GetDbCluster"]
    assert daily(clusters, CLUSTER) == (7, True)


def test_a_cluster_create_that_fails_is_rolled_back_with_no_backup(cluster_stack, clusters):
    op = cluster_stack.create(VALUES, attributes={"InfluxDBCluster.Id": "unknowncluster"})
    assert op.status == "ROLLBACK_COMPLETE"
    failed, delete = op.requests
    assert failed.answer["Status"] == "FAILED" and "unknowncluster not found" in failed.answer["Reason"]
    assert delete.ok and "[$LATEST]" in delete.event["PhysicalResourceId"]
    assert clusters.backups == [] and cluster_stack.live == {}


def test_a_clusters_retention_change_is_one_update_and_a_rollback_restores_it(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    op = cluster_stack.update({"BackupRetentionPeriod": "14", "ContinuousBackupRetentionDays": "35"})
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("forward", "Update", "BackupConfiguration")]
    assert clusters.backup_configuration(CLUSTER) == {"DAILY": (14, True), "CONTINUOUS": (35, True)}
    op = cluster_stack.update_that_fails(
        {"BackupRetentionPeriod": "21", "ContinuousBackupRetentionDays": "0"}
    )
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert [r.phase for r in op.requests] == ["forward", "rollback"]
    # Forward turned CONTINUOUS off (it was on); the rollback turns it on again.
    assert clusters.backup_configuration(CLUSTER) == {"DAILY": (14, True), "CONTINUOUS": (35, True)}
    assert clusters.backups == []


def test_a_replaced_cluster_gets_its_final_backup_and_the_new_one_is_configured(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    op = cluster_stack.update(attributes={"InfluxDBCluster.Id": NEW_CLUSTER})
    assert op.calls == [
        ("forward", "Update", "BackupConfiguration"),
        ("cleanup", "Delete", "BackupConfiguration"),
    ]
    assert [b["retentionDays"] for b in clusters.backups_of(CLUSTER)] == [30]
    assert daily(clusters, NEW_CLUSTER) == (7, True)


def test_a_cluster_stack_delete_takes_the_clusters_final_backup_once(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    op = cluster_stack.delete()
    assert op.status == "DELETE_COMPLETE" and op.calls == [("forward", "Delete", "BackupConfiguration")]
    (backup,) = clusters.backups_of(CLUSTER)
    assert backup["retentionDays"] == 30 and backup["name"].startswith(f"final-{CLUSTER}-")


def test_a_delete_forged_at_rest_takes_no_backup_of_the_cluster(cluster_stack, clusters):
    cluster_stack.create(VALUES)
    answer = cluster_stack.forge("BackupConfiguration", "Delete")
    assert answer["Status"] == "SUCCESS" and "not deleting" in answer["Reason"]
    assert clusters.backups == [] and called(clusters) == ["UpdateDbCluster", "GetDbCluster"]
    assert cluster_stack.delete().status == "DELETE_COMPLETE"
    assert len(clusters.backups_of(CLUSTER)) == 1
