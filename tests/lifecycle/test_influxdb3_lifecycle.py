"""The InfluxDB 3 product's custom resource - the database, and on Enterprise its token - through
whole stack lifecycles (with the backup resource, on the cluster): create, a failed create, update, update rollback, stack delete, a forged
Delete; and the engine guard, which refuses an engine change before the cluster is updated
(:func:`lifecycle.influxdb3.cluster_updates` models the cluster's UpdateDbCluster calls). The rendered template's inlined code runs: the database function (answering
CloudFormation, reading the service's admin secret and writing the token secret in moto's Secrets
Manager) invokes the worker in process (:class:`lifecycle.aws.FakeLambda`), which reaches the
stateful InfluxDB 3 fake over HTTPS, verifying its certificate. Each test asserts END STATES: the
databases and tokens the fake has, what the token secret holds, the stack status.
"""

from __future__ import annotations

import copy
import json

import pytest

from conftest import INFLUXDB3_REQUIRED, rendered_data
from lifecycle.aws import FakeTimestreamInfluxDBParameterGroups, secretsmanager
from lifecycle.harness import Stack, dependencies_among
from lifecycle.influxdb3 import DATABASE, TOKEN, InfluxDB3, cluster_updates

RESOURCE = "InfluxDB3Database"
GUARD = "EngineGuard"
BACKUP = "BackupConfiguration"
CLUSTER, NEW_CLUSTER = "clu1a2b3c4d5e", "clu9z8y7x6w5v"
ADMIN = "apiv3_admin-token-1"
REQUIRED = INFLUXDB3_REQUIRED


@pytest.fixture(scope="module")
def rendered():
    return rendered_data("timestream-influxdb3")


@pytest.fixture(scope="module")
def server():
    with InfluxDB3(admin_token=ADMIN) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", server.cafile)
        yield server


@pytest.fixture(scope="module")
def moto():
    with secretsmanager() as sm:
        yield sm


@pytest.fixture
def aws(moto, request):
    """The service's admin secret ({"token": ...}) and the product's token secret (no value)."""
    prefix = request.node.name[:200]
    admin = moto.create_secret(Name=f"{prefix}-READONLY", SecretString=json.dumps({"token": ADMIN}))
    token = moto.create_secret(Name=f"{prefix}-token")
    return moto, admin["ARN"], token["ARN"]


#: The service-defined groups as the Timestream for InfluxDB fake holds them (GetDbParameterGroup):
#: Enterprise's with node counts (sample values; the real ones are the service's) and tuning.
SERVICE_GROUPS = {
    "InfluxDBV3Core": {
        "name": "InfluxDBV3Core",
        "parameters": {"InfluxDBv3Core": {"queryFileLimit": 432, "logFilter": "info"}},
    },
    "InfluxDBV3Enterprise": {
        "name": "InfluxDBV3Enterprise",
        "parameters": {
            "InfluxDBv3Enterprise": {
                "ingestQueryInstances": 2,
                "queryOnlyInstances": 0,
                "dedicatedCompactor": True,
                "queryFileLimit": 432,
            }
        },
    },
    "InfluxDBV3Enterprise1Node": {
        "name": "InfluxDBV3Enterprise1Node",
        "parameters": {
            "InfluxDBv3Enterprise": {
                "ingestQueryInstances": 1,
                "queryOnlyInstances": 0,
                "dedicatedCompactor": False,
            }
        },
    },
}


def make_stack(template, aws, name="v3"):
    """A stack whose functions reach the InfluxDB 3 fake (the worker), moto (secrets) and a
    Timestream for InfluxDB fake that knows the cluster (the backup function) and the
    service-defined parameter groups (the parameter group function): ``stack.clusters``."""
    _, admin_arn, token_arn = aws

    def no_sleep(title, module, event):
        if title == "BackupFunction":
            module.RETRY_SECONDS = 0  # a busy cluster is retried at once

    clusters = FakeTimestreamInfluxDBParameterGroups(clusters=[CLUSTER, NEW_CLUSTER])
    clusters.groups.update(SERVICE_GROUPS)
    stack = Stack(
        template,
        name=name,
        attributes={
            "InfluxDBCluster.Endpoint": "localhost",
            "InfluxDBCluster.InfluxAuthParametersSecretArn": admin_arn,
            "InfluxDBCluster.Id": CLUSTER,
        },
        refs={"TokenSecret": token_arn},
        clients={"timestream-influxdb": clusters.client},
        before_invoke=no_sleep,
    )
    stack.clusters = clusters
    worker = stack.module("DatabaseWorkerFunction")
    worker.BACKOFF, worker.TIMEOUT = 0, 2
    stack.clients["lambda"] = stack.lambda_client("DatabaseWorkerFunction")
    return stack


@pytest.fixture
def enterprise(server):
    server.reset("Enterprise")
    return server


@pytest.fixture
def core(server):
    server.reset("Core")
    return server


@pytest.fixture
def stack(rendered, aws, server):
    with make_stack(rendered, aws) as s:
        yield s


def values(server, **more):
    return {**REQUIRED, "Port": str(server.port), **more}


def held(aws):
    sm, _, token_arn = aws
    try:
        return json.loads(sm.get_secret_value(SecretId=token_arn)["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        return None


def the_token(stack, server, aws, database):
    """End state on Enterprise: exactly one token, read/write on ``database`` only, in the secret."""
    (name,) = server.tokens
    assert name == f"{stack.name}-{RESOURCE}-{database}"
    assert server.tokens[name]["permissions"] == [("db", (database,), ("read", "write"))]
    assert held(aws) == {"token": server.tokens[name]["token"], "database": database, "token_name": name}
    return name


# --- create -------------------------------------------------------------------------------------
def test_enterprise_create_makes_the_database_and_one_scoped_token_the_secret_holds(stack, enterprise, aws):
    op = stack.create(values(enterprise, Engine="Enterprise"))
    assert op.status == "CREATE_COMPLETE"
    assert enterprise.databases == {"telemetry"}
    name = the_token(stack, enterprise, aws, "telemetry")
    (request,) = op.of(RESOURCE)
    assert request.answer["PhysicalResourceId"] == name
    assert request.answer["Data"] == {"Database": "telemetry", "TokenName": name}


def test_core_create_makes_the_database_and_no_token(stack, core, aws):
    op = stack.create(values(core))
    assert op.status == "CREATE_COMPLETE"
    assert core.databases == {"telemetry"} and core.tokens == {}
    assert held(aws) is None
    assert ("POST", TOKEN) not in core.requests


def test_an_existing_database_is_adopted(stack, enterprise, aws):
    enterprise.databases.add("telemetry")
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    assert enterprise.databases == {"telemetry"}
    the_token(stack, enterprise, aws, "telemetry")


def test_the_documentation_s_body_key_is_tried_when_the_openapi_s_is_refused(stack, enterprise, aws):
    enterprise.accepted_key = "resource_identifier"
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    the_token(stack, enterprise, aws, "telemetry")


def test_a_token_post_whose_answer_is_lost_leaves_one_token_the_secret_holds(stack, enterprise, aws):
    enterprise.lose(1, "POST", TOKEN)
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    the_token(stack, enterprise, aws, "telemetry")


def test_a_secret_without_the_token_key_fails_naming_its_keys_never_values(stack, enterprise, aws):
    sm, admin_arn, _ = aws
    sm.put_secret_value(SecretId=admin_arn, SecretString=json.dumps({"password": "s3cret", "username": "u"}))
    op = stack.create(values(enterprise, Engine="Enterprise"))
    assert op.status == "ROLLBACK_COMPLETE"
    (failed,) = [r for r in op.of(RESOURCE) if r.answer["Status"] == "FAILED"]
    assert "no key 'token'; its keys: password, username" in failed.answer["Reason"]
    assert "s3cret" not in failed.answer["Reason"]
    assert enterprise.databases == set() and enterprise.tokens == {}


def test_the_guard_is_created_first_with_the_launched_group_in_its_id(stack, core, aws):
    op = stack.create(values(core))
    assert op.calls[0] == ("forward", "Create", GUARD)
    assert stack.live[GUARD].physical_id == f"{stack.name}-{GUARD}-InfluxDBV3Core"


# --- failed create ------------------------------------------------------------------------------
def test_a_create_that_fails_after_the_database_revokes_the_token_and_keeps_the_database(
    stack, enterprise, aws
):
    op = stack.create_that_fails(values(enterprise, Engine="Enterprise"))
    assert op.status == "ROLLBACK_COMPLETE"
    assert enterprise.databases == {"telemetry"}  # data is never deleted
    assert enterprise.tokens == {}


def test_a_failed_create_deletes_the_guard_which_does_nothing(stack, core, aws):
    op = stack.create_that_fails(values(core))
    assert op.status == "ROLLBACK_COMPLETE"
    (create, delete) = op.of(GUARD)
    assert create.ok and delete.ok and delete.phase == "rollback"


# --- update -------------------------------------------------------------------------------------
def test_an_update_of_other_parameters_sends_nothing(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    before = held(aws)
    op = stack.update({"LogRetentionDays": "90"})
    assert op.status == "UPDATE_COMPLETE" and op.of(RESOURCE) == []
    assert held(aws) == before


def test_a_new_database_gets_a_new_token_and_the_old_one_is_revoked_the_old_database_kept(
    stack, enterprise, aws
):
    stack.create(values(enterprise, Engine="Enterprise"))
    op = stack.update({"Database": "metrics"})
    assert op.status == "UPDATE_COMPLETE"
    assert enterprise.databases == {"telemetry", "metrics"}
    the_token(stack, enterprise, aws, "metrics")


def test_an_engine_change_is_refused_by_the_guard_before_the_cluster_and_rolled_back(stack, core, aws):
    stack.create(values(core))
    guard_id = stack.live[GUARD].physical_id
    before = dict(stack.values)
    op = stack.update({"Engine": "Enterprise"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert op.calls == [("forward", "Update", GUARD), ("rollback", "Update", GUARD)]
    refused, rollback = op.of(GUARD)
    assert refused.answer["Status"] == "FAILED"
    reason = refused.answer["Reason"]
    assert "\n" not in reason and "refused before the cluster was changed" in reason
    assert "Engine Core, parameter group InfluxDBV3Core -> Engine Enterprise" in reason
    assert "launch a new product with Engine Enterprise and move the data" in reason
    # The rollback back to the launched engine succeeds with the same id; nothing else was asked.
    assert rollback.ok and rollback.answer["PhysicalResourceId"] == guard_id == stack.live[GUARD].physical_id
    assert op.of(RESOURCE) == []
    # CloudFormation never reached the cluster: no UpdateDbCluster, forward or back.
    assert cluster_updates(stack, op, before, {**before, "Engine": "Enterprise"}) == []
    assert core.tokens == {} and core.databases == {"telemetry"}
    # The stack goes on as it was: an ordinary update is made.
    assert stack.update({"Database": "metrics"}).status == "UPDATE_COMPLETE"
    assert core.databases == {"telemetry", "metrics"}


def test_without_the_guard_dependency_the_cluster_would_switch_engine_and_back(rendered, aws, core):
    # The same change against the template without the cluster's DependsOn on the guard: the model
    # has CloudFormation change DbParameterGroupIdentifier in place, then back on the rollback.
    unguarded = copy.deepcopy(rendered)
    del unguarded["Resources"]["InfluxDBCluster"]["DependsOn"]
    with make_stack(unguarded, aws, name="unguarded") as s:
        s.create(values(core))
        before = dict(s.values)
        op = s.update({"Engine": "Enterprise"})
        assert op.status == "UPDATE_ROLLBACK_COMPLETE"
        calls = cluster_updates(s, op, before, {**before, "Engine": "Enterprise"})
    assert [(phase, props["DbParameterGroupIdentifier"]) for phase, props in calls] == [
        ("forward", "InfluxDBV3Enterprise"),
        ("rollback", "InfluxDBV3Core"),
    ]


def test_an_enterprise_topology_change_is_refused_before_the_cluster(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise", EnterpriseNodes="3"))
    before, token = dict(stack.values), held(aws)
    op = stack.update({"EnterpriseNodes": "1"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    (refused, _) = op.of(GUARD)
    assert "EnterpriseNodes 3, parameter group InfluxDBV3Enterprise -> " in refused.answer["Reason"]
    assert cluster_updates(stack, op, before, {**before, "EnterpriseNodes": "1"}) == []
    assert held(aws) == token


def test_an_update_that_keeps_the_parameter_group_is_let_through(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    guard_id, before = stack.live[GUARD].physical_id, dict(stack.values)
    op = stack.update({"EnterpriseNodes": "3", "DbInstanceClass": "db.influx.large"})  # empty means 3
    assert op.status == "UPDATE_COMPLETE"
    (update,) = op.of(GUARD)
    assert update.ok and update.answer["PhysicalResourceId"] == guard_id
    after = {**before, "EnterpriseNodes": "3", "DbInstanceClass": "db.influx.large"}
    ((phase, props),) = cluster_updates(stack, op, before, after)
    assert (phase, props["DbParameterGroupIdentifier"]) == ("forward", "InfluxDBV3Enterprise")


# --- rollback -----------------------------------------------------------------------------------
def test_a_failed_update_rolls_back_to_the_old_database_s_token(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    op = stack.update_that_fails({"Database": "metrics"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert enterprise.databases == {"telemetry", "metrics"}
    the_token(stack, enterprise, aws, "telemetry")


# --- delete -------------------------------------------------------------------------------------
def test_delete_revokes_the_token_and_keeps_the_database(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    assert stack.delete().status == "DELETE_COMPLETE"
    assert enterprise.tokens == {} and enterprise.databases == {"telemetry"}


def test_core_delete_keeps_the_database(stack, core, aws):
    stack.create(values(core))
    assert stack.delete().status == "DELETE_COMPLETE"
    assert core.databases == {"telemetry"}
    assert ("DELETE", "/api/v3/configure/token") not in core.requests


def test_delete_deletes_the_guard_last_and_it_does_nothing(stack, core, aws):
    stack.create(values(core))
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE" and op.calls[-1] == ("forward", "Delete", GUARD)
    assert op.of(GUARD)[0].answer["Reason"] == "SUCCESS: nothing to delete"


def test_a_forged_delete_of_the_guard_changes_nothing_and_it_still_refuses(stack, core, aws):
    stack.create(values(core))
    answer = stack.forge(GUARD, "Delete")
    assert answer["Status"] == "SUCCESS"
    op = stack.update({"Engine": "Enterprise"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE" and not op.of(GUARD)[0].ok


def test_a_forged_delete_revokes_nothing_and_the_stack_s_delete_still_does(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    answer = stack.forge(RESOURCE, "Delete")
    assert answer["Status"] == "SUCCESS" and "nothing was revoked" in answer["Reason"]
    the_token(stack, enterprise, aws, "telemetry")
    assert stack.delete().status == "DELETE_COMPLETE" and enterprise.tokens == {}
    assert ("POST", DATABASE) in enterprise.requests


# --- backups: the instance product's backup resource, on the InfluxDB 3 cluster ----------------
def called(stack):
    return [name for name, _ in stack.clusters.calls]


def test_create_configures_the_cluster_s_daily_backups_through_update_db_cluster(stack, core, aws):
    op = stack.create(values(core))
    assert op.status == "CREATE_COMPLETE"
    (request,) = op.of(BACKUP)
    props = request.event["ResourceProperties"]
    assert props["DbResourceType"] == "DB_CLUSTER" and props["DbResourceId"] == CLUSTER
    assert stack.live[BACKUP].physical_id == CLUSTER
    # Answered once GetDbCluster says AVAILABLE.
    assert called(stack) == ["UpdateDbCluster", "GetDbCluster"]
    assert stack.clusters.backup_configuration(CLUSTER) == {"DAILY": (7, True)}


def test_a_busy_cluster_still_ends_configured(stack, enterprise, aws):
    stack.clusters.busy[CLUSTER] = 2
    assert stack.create(values(enterprise, Engine="Enterprise")).status == "CREATE_COMPLETE"
    assert called(stack) == ["UpdateDbCluster"] * 3 + ["GetDbCluster"]
    assert stack.clusters.backup_configuration(CLUSTER)["DAILY"] == (7, True)


def test_a_failed_create_rolls_the_backup_resource_back_with_one_final_backup(stack, core, aws):
    op = stack.create_that_fails(values(core))
    assert op.status == "ROLLBACK_COMPLETE"
    assert [(r.phase, r.type) for r in op.of(BACKUP)] == [("forward", "Create"), ("rollback", "Delete")]
    # The shared backup function treats the rollback's Delete (ROLLBACK_IN_PROGRESS, a status in
    # which CloudFormation deletes resources) as a deletion: one final backup of the new cluster,
    # which CloudFormation then deletes (RetainExceptOnCreate). Nothing else is left.
    assert [b["dbResourceId"] for b in stack.clusters.backups] == [CLUSTER]
    assert stack.live == {}


def test_a_retention_change_is_one_update_and_a_rollback_restores_it(stack, core, aws):
    stack.create(values(core))
    op = stack.update({"BackupRetentionPeriod": "14", "ContinuousBackupRetentionDays": "35"})
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("forward", "Update", BACKUP)]
    assert stack.clusters.backup_configuration(CLUSTER) == {"DAILY": (14, True), "CONTINUOUS": (35, True)}
    op = stack.update_that_fails({"BackupRetentionPeriod": "21", "ContinuousBackupRetentionDays": "0"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert [r.phase for r in op.of(BACKUP)] == ["forward", "rollback"]
    assert stack.clusters.backup_configuration(CLUSTER) == {"DAILY": (14, True), "CONTINUOUS": (35, True)}
    assert stack.clusters.backups == []


def test_an_engine_change_refused_by_the_guard_leaves_the_backups_alone(stack, core, aws):
    stack.create(values(core, BackupRetentionPeriod="14"))
    before = list(stack.clusters.calls)
    op = stack.update({"Engine": "Enterprise", "BackupRetentionPeriod": "21"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE" and op.of(BACKUP) == []
    assert stack.clusters.calls == before
    assert stack.clusters.backup_configuration(CLUSTER) == {"DAILY": (14, True)}


def test_a_replaced_cluster_gets_its_final_backup_and_the_new_one_is_configured(stack, core, aws):
    stack.create(values(core))
    op = stack.update(attributes={"InfluxDBCluster.Id": NEW_CLUSTER})
    assert [(r.phase, r.type) for r in op.of(BACKUP)] == [("forward", "Update"), ("cleanup", "Delete")]
    assert [b["retentionDays"] for b in stack.clusters.backups_of(CLUSTER)] == [30]
    assert stack.clusters.backup_configuration(NEW_CLUSTER) == {"DAILY": (7, True)}


def test_stack_delete_takes_the_cluster_s_final_backup_once(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise"))
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE"
    assert [r.type for r in op.of(BACKUP)] == ["Delete"]
    (backup,) = stack.clusters.backups_of(CLUSTER)
    assert backup["retentionDays"] == 30 and backup["name"].startswith(f"final-{CLUSTER}-")


def test_a_delete_forged_at_rest_takes_no_backup_of_the_cluster(stack, core, aws):
    stack.create(values(core))
    answer = stack.forge(BACKUP, "Delete")
    assert answer["Status"] == "SUCCESS" and "not deleting" in answer["Reason"]
    assert stack.clusters.backups == [] and called(stack) == ["UpdateDbCluster", "GetDbCluster"]
    assert stack.delete().status == "DELETE_COMPLETE"
    assert len(stack.clusters.backups_of(CLUSTER)) == 1


# --- engine parameters: a parameter group the cluster's DbParameterGroupIdentifier takes ---------
GROUP = "EngineParameterGroup"
TUNED = {"queryFileLimit": 500}
RETUNED = {"queryFileLimit": 600}


def cluster_group(stack):
    """The DbParameterGroupIdentifier CloudFormation gives the cluster in the stack's current state
    (parameter values and the parameter group resource's last answer)."""
    prop = stack.template["Resources"]["InfluxDBCluster"]["Properties"]["DbParameterGroupIdentifier"]
    return stack.resolver(stack.values)[0].resolve(prop)


def made(stack):
    """The groups the stack made: (id, parameters) of every group but the service-defined ones."""
    return {gid: g["parameters"] for gid, g in stack.clusters.groups.items() if gid not in SERVICE_GROUPS}


def test_enterprise_with_engine_parameters_creates_the_cluster_with_a_group_keeping_the_node_counts(
    stack, enterprise, aws
):
    op = stack.create(values(enterprise, Engine="Enterprise", EngineParameters=json.dumps(TUNED)))
    assert op.status == "CREATE_COMPLETE"
    ((gid, parameters),) = made(stack).items()
    counts = {"ingestQueryInstances": 2, "queryOnlyInstances": 0, "dedicatedCompactor": True}
    assert parameters == {"InfluxDBv3Enterprise": {**TUNED, **counts}}
    assert cluster_group(stack) == gid == stack.live[GROUP].physical_id
    # No API call changed the cluster: CloudFormation creates it with the group.
    assert not [
        n for n, _ in stack.clusters.calls if n == "UpdateDbCluster" and "dbParameterGroupIdentifier" in _
    ]
    assert enterprise.databases == {"telemetry"}


def test_one_node_enterprise_takes_the_one_node_group_s_counts(stack, enterprise, aws):
    stack.create(
        values(enterprise, Engine="Enterprise", EnterpriseNodes="1", EngineParameters=json.dumps(TUNED))
    )
    ((_, parameters),) = made(stack).items()
    assert parameters == {
        "InfluxDBv3Enterprise": {
            **TUNED,
            "ingestQueryInstances": 1,
            "queryOnlyInstances": 0,
            "dedicatedCompactor": False,
        }
    }


def test_core_without_engine_parameters_makes_no_group_and_uses_the_service_group(stack, core, aws):
    op = stack.create(values(core))
    assert op.of(GROUP) == [] and made(stack) == {}
    assert cluster_group(stack) == "InfluxDBV3Core"
    assert not [n for n, _ in stack.clusters.calls if "ParameterGroup" in n]


def test_changed_parameters_make_a_new_group_the_cluster_is_updated_to_and_leave_the_old(stack, core, aws):
    stack.create(values(core, EngineParameters=json.dumps(TUNED)))
    old = cluster_group(stack)
    op = stack.update({"EngineParameters": json.dumps(RETUNED)})
    assert op.status == "UPDATE_COMPLETE"
    new = cluster_group(stack)
    # Each group is the service-defined group's parameters with those given laid over them.
    kept = {"logFilter": "info"}
    assert new != old and made(stack) == {
        old: {"InfluxDBv3Core": {**kept, **TUNED}},
        new: {"InfluxDBv3Core": {**kept, **RETUNED}},
    }
    # CloudFormation updates the cluster once the group resource answered (it refers to it).
    assert dependencies_among(stack.template, {GROUP, "InfluxDBCluster"})["InfluxDBCluster"] == {GROUP}
    assert [r.phase for r in op.of(GROUP)] == ["forward", "cleanup"]
    cleanup = op.of(GROUP)[1]
    assert (
        cleanup.event["PhysicalResourceId"] == old
        and cleanup.ok
        and "is left in place" in cleanup.answer["Reason"]
    )


def test_emptying_engine_parameters_returns_the_cluster_to_the_service_group(stack, enterprise, aws):
    stack.create(values(enterprise, Engine="Enterprise", EngineParameters=json.dumps(TUNED)))
    (gid,) = made(stack)
    op = stack.update({"EngineParameters": ""})
    assert op.status == "UPDATE_COMPLETE"
    assert cluster_group(stack) == "InfluxDBV3Enterprise"
    assert op.calls == [("cleanup", "Delete", GROUP)]
    assert GROUP not in stack.live and set(made(stack)) == {gid}  # the group stays in the account


def test_a_failed_update_of_the_parameters_rolls_the_cluster_back_to_the_old_group(stack, core, aws):
    stack.create(values(core, EngineParameters=json.dumps(TUNED)))
    old = cluster_group(stack)
    op = stack.update_that_fails({"EngineParameters": json.dumps(RETUNED)})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE"
    assert cluster_group(stack) == old == stack.live[GROUP].physical_id
    forward, back, cleanup = op.of(GROUP)
    assert (forward.phase, back.phase, cleanup.phase) == ("forward", "rollback", "rollback-cleanup")
    assert back.answer["PhysicalResourceId"] == old and cleanup.event["PhysicalResourceId"] != old
    assert len(made(stack)) == 2


def test_an_engine_change_with_engine_parameters_is_refused_before_a_group_or_the_cluster(stack, core, aws):
    stack.create(values(core, EngineParameters=json.dumps(TUNED)))
    old, before, groups = cluster_group(stack), dict(stack.values), made(stack)
    op = stack.update({"Engine": "Enterprise"})
    assert op.status == "UPDATE_ROLLBACK_COMPLETE" and not op.of(GUARD)[0].ok
    # The group resource DependsOn the guard: it is never asked to make an Enterprise group, which
    # could never be deleted.
    assert op.of(GROUP) == [] and made(stack) == groups
    assert GUARD in dependencies_among(stack.template, {GUARD, GROUP})[GROUP]
    assert cluster_updates(stack, op, before, {**before, "Engine": "Enterprise"}) == []
    assert cluster_group(stack) == old


def test_a_node_count_in_engine_parameters_fails_the_create_and_makes_nothing(stack, enterprise, aws):
    op = stack.create(values(enterprise, Engine="Enterprise", EngineParameters='{"queryOnlyInstances": 2}'))
    assert op.status == "ROLLBACK_COMPLETE"
    (failed, rollback) = op.of(GROUP)
    assert (
        "queryOnlyInstances: the node counts are the launch form's EnterpriseNodes" in failed.answer["Reason"]
    )
    assert rollback.ok and rollback.answer["Reason"] == "no parameter group was created"
    assert made(stack) == {} and op.of(RESOURCE) == []


def test_a_failed_create_and_a_stack_delete_leave_the_group_the_cluster_uses(stack, core, aws):
    op = stack.create_that_fails(values(core, EngineParameters=json.dumps(TUNED)))
    assert op.status == "ROLLBACK_COMPLETE"
    (gid,) = made(stack)
    assert "is left in place" in op.of(GROUP)[-1].answer["Reason"]
    assert stack.delete().status == "DELETE_COMPLETE"  # a stack in ROLLBACK_COMPLETE is deleted first
    stack.create(values(core, EngineParameters=json.dumps(TUNED)))
    assert set(made(stack)) == {gid}  # the second create found the first one's group by name
    op = stack.delete()
    assert op.status == "DELETE_COMPLETE" and set(made(stack)) == {gid}
    assert all(
        n != "UpdateDbCluster" or "dbParameterGroupIdentifier" not in b for n, b in stack.clusters.calls
    )
