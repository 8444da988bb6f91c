"""functions/backup.py against botocore's Stubber (requests checked against the real model)."""

from __future__ import annotations

import re

import pytest
from botocore.stub import ANY

from conftest import function_module, stubbed
from servers import FakeContext
from stack_status import StackStatus


@pytest.fixture(params=["source", "inlined"])
def backup(request, rendered_product):
    """functions/backup.py, and the code the rendered template gives the backup function; its
    status reads after a change follow one another at once."""
    module = function_module(request, "backup", rendered_product)
    waiting = module.wait_until_available.__globals__  # the shared database_status's, or index.py's
    waiting["POLL_SECONDS"] = 0
    yield module
    waiting["POLL_SECONDS"] = 5


INSTANCE = "a1b2c3d4e5f6g7h8i9"
PROPS = {
    "DbResourceType": "DB_INSTANCE",
    "DbResourceId": INSTANCE,
    "DailyRetentionDays": "7",
    "ContinuousRetentionDays": "0",
    "FinalBackupRetentionDays": "30",
}
UPDATED = {
    "id": INSTANCE,
    "name": "ons-development-influxdb",
    "arn": f"arn:aws:timestream-influxdb:us-east-1:123456789012:db-instance/{INSTANCE}",
    "vpcSubnetIds": ["subnet-1"],
}


@pytest.fixture
def client():
    with stubbed("timestream-influxdb") as c:
        yield c


STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/test/guid"
LOGICAL_ID = "BackupConfiguration"


def event(request_type, props=PROPS, **extra):
    return {
        "RequestType": request_type,
        "StackId": STACK_ID,
        "LogicalResourceId": LOGICAL_ID,
        "ResourceProperties": dict(props),
        **extra,
    }


def configured(props=PROPS):
    """The function's environment as the template sets it for the values ``props`` name."""
    return {
        "DB_RESOURCE_TYPE": props["DbResourceType"],
        "DB_RESOURCE_ID": props["DbResourceId"],
        "DAILY_RETENTION_DAYS": props["DailyRetentionDays"],
        "CONTINUOUS_RETENTION_DAYS": props["ContinuousRetentionDays"],
        "FINAL_BACKUP_RETENTION_DAYS": props["FinalBackupRetentionDays"],
        "STACK_ID": STACK_ID,
        "LOGICAL_RESOURCE_ID": LOGICAL_ID,
    }


def act(backup, e, context, client, config=None, stack=None):
    """``backup.act`` in a function configured as the template configures it for the request;
    ``stack`` answers DescribeStacks (default: a stack being deleted)."""
    stack = stack or StackStatus(STACK_ID)
    return backup.act(e, context, client, config or configured(e["ResourceProperties"]), stack)


DAILY_7 = {"type": "DAILY", "retentionDays": 7, "enabled": True}


def expect_update(client, configurations, instance=INSTANCE):
    client.stub.add_response(
        "update_db_instance",
        {**UPDATED, "id": instance},
        {"identifier": instance, "dbBackupConfigurations": configurations},
    )
    expect_status(client, "AVAILABLE", instance=instance)


def expect_status(client, *statuses, instance=INSTANCE, cluster=None):
    """GetDbInstance (GetDbCluster for a ``cluster``) answers each of ``statuses`` in turn (botocore's
    model's Status, ClusterStatus): the reads after a change, until AVAILABLE."""
    for status in statuses:
        if cluster:
            answer = {**CLUSTER_ANSWER, "id": cluster, "status": status}
            client.stub.add_response("get_db_cluster", answer, {"dbClusterId": cluster})
        else:
            answer = {**UPDATED, "id": instance, "status": status}
            client.stub.add_response("get_db_instance", answer, {"identifier": instance})


def test_create_without_continuous_backups_sends_daily_only(backup, client):
    expect_update(client, [DAILY_7])
    assert act(backup, event("Create"), FakeContext(), client) == (INSTANCE, {})


def test_update_with_continuous_backups_enables_point_in_time_recovery(backup, client):
    props = {**PROPS, "DailyRetentionDays": "14", "ContinuousRetentionDays": "35"}
    expect_update(
        client,
        [
            {"type": "DAILY", "retentionDays": 14, "enabled": True},
            {"type": "CONTINUOUS", "retentionDays": 35, "enabled": True},
        ],
    )
    result = act(
        backup,
        event("Update", props, PhysicalResourceId=INSTANCE, OldResourceProperties=PROPS),
        FakeContext(),
        client,
    )
    assert result == (INSTANCE, {})


def test_turning_continuous_backups_off_names_them_disabled_only_when_they_were_on(backup, client):
    was_on = {**PROPS, "ContinuousRetentionDays": "35"}
    expect_update(client, [DAILY_7, {"type": "CONTINUOUS", "retentionDays": 1, "enabled": False}])
    act(
        backup,
        event("Update", PROPS, PhysicalResourceId=INSTANCE, OldResourceProperties=was_on),
        FakeContext(),
        client,
    )
    # Off before and after: DAILY only.
    expect_update(client, [DAILY_7])
    act(
        backup,
        event("Update", PROPS, PhysicalResourceId=INSTANCE, OldResourceProperties=PROPS),
        FakeContext(),
        client,
    )


def test_a_new_instance_never_had_continuous_backups_to_turn_off(backup, client):
    was_on = {**PROPS, "ContinuousRetentionDays": "35"}
    props = {**PROPS, "DbResourceId": "newinstance123"}
    expect_update(client, [DAILY_7], instance="newinstance123")
    act(
        backup,
        event("Update", props, PhysicalResourceId=INSTANCE, OldResourceProperties=was_on),
        FakeContext(),
        client,
    )


@pytest.mark.parametrize(
    ("daily", "continuous", "final", "sent_daily", "sent_continuous"),
    [("7.0", "3.5e1", "30.00", 7, 35), ("1e2", "0.0", "0", 100, None), (" 7 ", "0e5", "3e3", 7, None)],
)
def test_integral_numbers_in_any_notation_are_accepted(
    backup, client, daily, continuous, final, sent_daily, sent_continuous
):
    props = {**PROPS, "DailyRetentionDays": daily, "ContinuousRetentionDays": continuous}
    props["FinalBackupRetentionDays"] = final
    configs = [{"type": "DAILY", "retentionDays": sent_daily, "enabled": True}]
    if sent_continuous:
        configs.append({"type": "CONTINUOUS", "retentionDays": sent_continuous, "enabled": True})
    expect_update(client, configs)
    assert act(backup, event("Create", props), FakeContext(), client) == (INSTANCE, {})


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("DailyRetentionDays", "7.5", "whole number"),
        ("DailyRetentionDays", "seven", "whole number"),
        ("ContinuousRetentionDays", "NaN", "whole number"),
        ("ContinuousRetentionDays", "Infinity", "whole number"),
        ("DailyRetentionDays", "0", "from 1 to 365"),
        ("ContinuousRetentionDays", "366", "from 0 to 365"),
        ("FinalBackupRetentionDays", "3651", "from 0 to 3650"),
        ("FinalBackupRetentionDays", "1.5", "whole number"),
    ],
)
def test_other_numbers_fail_naming_the_property_before_any_call(backup, client, name, value, reason):
    props = {**PROPS, name: value}
    with pytest.raises(ValueError, match=rf"^{name} must be .*{reason}.*{re.escape(repr(value))}"):
        act(backup, event("Create", props), FakeContext(), client)


def test_a_replaced_instance_gets_a_new_physical_id_so_the_old_one_is_deleted(backup, client):
    props = {**PROPS, "DbResourceId": "newinstance123"}
    client.stub.add_response(
        "update_db_instance",
        {**UPDATED, "id": "newinstance123"},
        {"identifier": "newinstance123", "dbBackupConfigurations": ANY},
    )
    expect_status(client, "AVAILABLE", instance="newinstance123")
    pid, _ = act(backup, event("Update", props, PhysicalResourceId=INSTANCE), FakeContext(), client)
    assert pid == "newinstance123"


def test_a_busy_instance_is_retried(backup, client, monkeypatch):
    monkeypatch.setattr(backup, "RETRY_SECONDS", 0)
    client.stub.add_client_error("update_db_instance", "ConflictException", "instance is MODIFYING")
    client.stub.add_response(
        "update_db_instance", UPDATED, {"identifier": INSTANCE, "dbBackupConfigurations": ANY}
    )
    expect_status(client, "AVAILABLE")
    assert act(backup, event("Create"), FakeContext(), client) == (INSTANCE, {})


def test_a_busy_instance_fails_when_time_runs_out(backup, client):
    client.stub.add_client_error("update_db_instance", "ConflictException", "instance is MODIFYING")
    with pytest.raises(client.exceptions.ConflictException):
        act(backup, event("Create"), FakeContext(remaining_ms=10_000), client)


def test_other_errors_are_not_retried(backup, client):
    client.stub.add_client_error("update_db_instance", "ValidationException", "bad")
    with pytest.raises(client.exceptions.ValidationException):
        act(backup, event("Create"), FakeContext(), client)


def test_delete_takes_a_final_backup_kept_for_the_given_days(backup, client):
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    calls = []
    hook = "provide-client-params.timestream-influxdb.CreateDbBackup"
    client.meta.events.register(hook, lambda params, **kw: calls.append(params), unique_id="calls")
    try:
        assert act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client) == (None, {})
    finally:
        client.meta.events.unregister(hook, unique_id="calls")
    name = calls[0]["name"]
    assert re.fullmatch(rf"final-{INSTANCE[:16]}-\d{{14}}", name)
    assert len(name) <= 40 and re.fullmatch(r"[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*", name)


def test_delete_with_zero_final_retention_takes_no_backup(backup, client):
    props = {**PROPS, "FinalBackupRetentionDays": "0"}
    assert act(backup, event("Delete", props, PhysicalResourceId=INSTANCE), FakeContext(), client) == (
        None,
        {},
    )


def test_delete_after_a_failed_create_does_nothing(backup, client):
    assert act(
        backup, event("Delete", PhysicalResourceId=FakeContext.log_stream_name), FakeContext(), client
    ) == (None, {})


def test_delete_of_a_vanished_instance_succeeds(backup, client):
    client.stub.add_client_error("create_db_backup", "ResourceNotFoundException", "gone")
    assert act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client) == (None, {})


def test_a_busy_instance_delays_the_final_backup_until_it_is_free(backup, client, monkeypatch):
    monkeypatch.setattr(backup, "RETRY_SECONDS", 0)
    client.stub.add_client_error("create_db_backup", "ConflictException", "instance is MODIFYING")
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    assert act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client) == (None, {})


@pytest.mark.parametrize(
    "error",
    ["ConflictException", "AccessDeniedException", "ThrottlingException", "ServiceQuotaExceededException"],
)
def test_a_final_backup_that_cannot_be_taken_never_blocks_the_deletion(backup, client, capsys, error):
    client.stub.add_client_error("create_db_backup", error, "no")
    # Too little time left to retry a busy instance.
    result = act(
        backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(remaining_ms=10_000), client
    )
    assert result == (None, {})
    assert "final backup not taken" in capsys.readouterr().out


def test_a_deletion_with_unreadable_properties_succeeds_without_a_backup(backup, client, capsys):
    props = {**PROPS, "FinalBackupRetentionDays": "thirty"}
    assert act(backup, event("Delete", props, PhysicalResourceId=INSTANCE), FakeContext(), client) == (
        None,
        {},
    )
    assert "FinalBackupRetentionDays must be a whole number" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DbResourceId", "anotherinstance1"),
        ("DailyRetentionDays", "1"),
        ("ContinuousRetentionDays", "35"),
        ("FinalBackupRetentionDays", "0"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_a_request_asking_for_other_values_than_the_configured_ones_is_refused(
    backup, client, name, value, request_type
):
    e = event(request_type, {**PROPS, name: value}, PhysicalResourceId=INSTANCE, OldResourceProperties=PROPS)
    with pytest.raises(ValueError, match=f"refused: not this stack's {name}$"):
        backup.act(e, FakeContext(), client, configured())
    # No call was made (the Stubber has no response queued: a call would fail differently).


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("StackId", STACK_ID.replace("test", "other"), "another stack"),
        ("LogicalResourceId", "Other", "not this stack's backup resource"),
    ],
)
def test_a_request_from_another_stack_or_resource_is_refused(
    backup, client, request_type, field, value, message
):
    e = event(request_type, PhysicalResourceId=INSTANCE, **{field: value})
    with pytest.raises(ValueError, match=message):
        backup.act(e, FakeContext(), client, configured())


def test_the_delete_of_a_replaced_instance_is_not_refused(backup, client):
    """After a replacement the environment names the new instance; the Delete of the old physical
    id carries the old one, and takes its final backup."""
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    config = configured({**PROPS, "DbResourceId": "newinstance123"})
    assert backup.act(event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client, config) == (
        None,
        {},
    )


def test_the_function_reads_its_configuration_from_the_environment_the_template_sets(backup, product):
    import os
    from unittest import mock

    function = product["Resources"]["BackupFunction"]["Properties"]
    env = function["Environment"]["Variables"]
    given = product["Resources"]["BackupConfiguration"]["Properties"]
    assert {name: env[variable] for name, variable in backup.CONFIGURED.items()} == {
        name: given[name] for name in backup.PROPERTIES
    }
    assert env["STACK_ID"] == {"Ref": "AWS::StackId"} and env["LOGICAL_RESOURCE_ID"] == "BackupConfiguration"
    with mock.patch.dict(os.environ, {k: f"<{k}>" for k in env}, clear=True):
        assert backup.configuration() == {k: f"<{k}>" for k in env}


@pytest.mark.parametrize("status", ["CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"])
def test_a_delete_sent_while_the_stack_deletes_nothing_takes_no_backup(backup, client, status):
    """Anyone allowed to invoke the function can send it a Delete; CloudFormation sends one only
    while the stack deletes resources. No create_db_backup is stubbed: a call would fail."""
    stack = StackStatus(STACK_ID, status)
    result = act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client, stack=stack)
    assert result[:2] == (None, {}) and f"the stack is {status}, not deleting" in result[2]
    assert stack.calls == 1


def test_a_delete_whose_stack_status_is_unreadable_still_takes_the_final_backup(backup, client, capsys):
    """Fail open: an extra backup costs storage, a missing final backup may cost data."""
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    stack = StackStatus(STACK_ID, error="Throttling")
    assert act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client, stack=stack) == (
        None,
        {},
    )
    assert "taking the final backup anyway" in capsys.readouterr().out


def test_a_delete_forged_during_another_resources_clean_up_takes_no_backup(backup, client):
    stack = StackStatus(
        STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource=("UPDATE_COMPLETE", INSTANCE)
    )
    result = act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client, stack=stack)
    assert result[:2] == (None, {}) and "the resource is UPDATE_COMPLETE, not being deleted" in result[2]


def test_the_delete_of_a_replaced_instances_old_id_takes_its_final_backup(backup, client):
    """After a replacement the stack's resource has the new instance's id; the clean-up Delete
    names the old one, whose final backup is due."""
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    stack = StackStatus(
        STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource=("UPDATE_COMPLETE", "newinstance123")
    )
    assert act(backup, event("Delete", PhysicalResourceId=INSTANCE), FakeContext(), client, stack=stack) == (
        None,
        {},
    )


# --- a read-replica cluster ----------------------------------------------------------------------
CLUSTER = "clu1a2b3c4d5e"
CLUSTER_PROPS = {**PROPS, "DbResourceType": "DB_CLUSTER", "DbResourceId": CLUSTER}
CLUSTER_ANSWER = {
    "id": CLUSTER,
    "name": "ons-development-influxdb",
    "arn": f"arn:aws:timestream-influxdb:us-east-1:123456789012:db-cluster/{CLUSTER}",
}


def test_a_clusters_backups_are_configured_with_update_db_cluster(backup, client):
    configs = [DAILY_7, {"type": "CONTINUOUS", "retentionDays": 35, "enabled": True}]
    client.stub.add_response(
        "update_db_cluster",
        {"dbClusterStatus": "UPDATING"},
        {"dbClusterId": CLUSTER, "dbBackupConfigurations": configs},
    )
    expect_status(client, "UPDATING", "AVAILABLE", cluster=CLUSTER)
    props = {**CLUSTER_PROPS, "ContinuousRetentionDays": "35"}
    assert act(backup, event("Create", props), FakeContext(), client) == (CLUSTER, {})


def test_a_busy_cluster_is_retried_and_continuous_backups_are_turned_off_as_for_an_instance(
    backup, client, monkeypatch
):
    monkeypatch.setattr(backup, "RETRY_SECONDS", 0)
    was_on = {**CLUSTER_PROPS, "ContinuousRetentionDays": "35"}
    expected = {
        "dbClusterId": CLUSTER,
        "dbBackupConfigurations": [DAILY_7, {"type": "CONTINUOUS", "retentionDays": 1, "enabled": False}],
    }
    client.stub.add_client_error("update_db_cluster", "ConflictException", "cluster is UPDATING")
    client.stub.add_response("update_db_cluster", {"dbClusterStatus": "UPDATING"}, expected)
    expect_status(client, "AVAILABLE", cluster=CLUSTER)
    e = event("Update", CLUSTER_PROPS, PhysicalResourceId=CLUSTER, OldResourceProperties=was_on)
    assert act(backup, e, FakeContext(), client) == (CLUSTER, {})


def test_a_clusters_final_backup_names_the_cluster(backup, client):
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": CLUSTER, "retentionDays": 30},
    )
    e = event("Delete", CLUSTER_PROPS, PhysicalResourceId=CLUSTER)
    assert act(backup, e, FakeContext(), client) == (None, {})


def test_an_instance_configured_function_refuses_a_cluster_and_the_other_way_round(backup, client):
    for props, config in ((CLUSTER_PROPS, configured(PROPS)), (PROPS, configured(CLUSTER_PROPS))):
        e = event("Create", props)
        with pytest.raises(ValueError, match="refused: not this stack's DbResourceType, DbResourceId$"):
            backup.act(e, FakeContext(), client, config)


def test_an_unknown_resource_type_is_refused_before_any_call(backup, client):
    props = {**PROPS, "DbResourceType": "DB_TABLE"}
    with pytest.raises(ValueError, match="DbResourceType must be one of DB_INSTANCE, DB_CLUSTER"):
        backup.act(event("Create", props), FakeContext(), client, configured(props))


# --- resources made before DbResourceType and DbResourceId: InstanceId ---------------------------
LEGACY = {k: v for k, v in PROPS.items() if k not in ("DbResourceType", "DbResourceId")} | {
    "InstanceId": INSTANCE
}


def test_the_delete_of_a_resource_made_with_instance_id_still_takes_the_final_backup(backup, client):
    client.stub.add_response(
        "create_db_backup",
        {"id": "backup123", "arn": "arn:aws:timestream-influxdb:us-east-1:123456789012:db-backup/backup123"},
        {"name": ANY, "dbResourceId": INSTANCE, "retentionDays": 30},
    )
    e = event("Delete", LEGACY, PhysicalResourceId=INSTANCE)
    assert backup.act(e, FakeContext(), client, configured(), StackStatus(STACK_ID)) == (None, {})


def test_an_update_from_instance_id_knows_continuous_backups_were_on_for_that_instance(backup, client):
    expect_update(client, [DAILY_7, {"type": "CONTINUOUS", "retentionDays": 1, "enabled": False}])
    old = {**LEGACY, "ContinuousRetentionDays": "35"}
    e = event("Update", PROPS, PhysicalResourceId=INSTANCE, OldResourceProperties=old)
    assert act(backup, e, FakeContext(), client) == (INSTANCE, {})


# --- waiting for the database after the change ----------------------------------------------------


class Clock:
    """A Lambda context whose remaining time is each of ``remaining_ms`` in turn, then the last."""

    log_stream_name = FakeContext.log_stream_name

    def __init__(self, *remaining_ms):
        self.remaining = list(remaining_ms)

    def get_remaining_time_in_millis(self):
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]


def test_the_answer_waits_until_the_instance_is_available_again(backup, client):
    """Reads follow UpdateDbInstance until AVAILABLE, and stop there (the Stubber has no more)."""
    client.stub.add_response(
        "update_db_instance", UPDATED, {"identifier": INSTANCE, "dbBackupConfigurations": [DAILY_7]}
    )
    expect_status(client, "UPDATING", "MODIFYING", "AVAILABLE")
    assert act(backup, event("Create"), FakeContext(), client) == (INSTANCE, {})


def test_still_unavailable_when_the_time_runs_out_succeeds_and_says_so(backup, client, capsys):
    """Success, not failure: the change was accepted, and a failed Create would delete the database."""
    client.stub.add_response(
        "update_db_cluster",
        {"dbClusterStatus": "UPDATING"},
        {"dbClusterId": CLUSTER, "dbBackupConfigurations": ANY},
    )
    expect_status(client, "UPDATING", "UPDATING", cluster=CLUSTER)
    waiting = backup.wait_until_available.__globals__
    enough = (waiting["POLL_SECONDS"] + waiting["READ_SECONDS"] + backup.MARGIN) * 1000
    context = Clock(enough, enough, enough - 1)  # two reads, then too little time for a third
    pid, data, reason = act(backup, event("Create", CLUSTER_PROPS), context, client)
    assert (pid, data) == (CLUSTER, {})
    assert reason == (
        "the cluster accepted the change but was UPDATING, not yet AVAILABLE, when the time to wait ran out"
    )
    assert "not yet AVAILABLE" in capsys.readouterr().out
