"""The deploy's S3 and CloudFormation calls, checked with botocore's Stubber against the real service model.

Every request is validated against the S3 or CloudFormation API model (names, types, required members)
and every canned response against its output shape; the Stubber also fails on any call that is
not expected (e.g. an ExecuteChangeSet after a refusal) and on expected calls never made.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling.aws import AwsProblem
from tooling.deploy import plan, runner
from tooling.deploy.params import read_and_check
from tooling.deploy.runner import (
    Deployer,
    DeployError,
    DeployOptions,
    deploy,
    load_template,
    resolve_bucket,
    upload_template,
)

PROTECTED = TEMPLATES["timestream-influxdb"].protected_types

STACK = "ons-influxdb-development"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
CS_NAME = "deploy-test"
CS_ID = f"arn:aws:cloudformation:us-east-1:123456789012:changeSet/{CS_NAME}/5e6f7a8b"
TEMPLATE_PATH = ROOT / "output" / "timestream-influxdb.yaml"
PARAMS_PATH = ROOT / "params" / "development.json"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NOT_FOUND = f"Stack with id {STACK} does not exist"
BUCKET = "ons-templates"
KEY = plan.template_key("timestream-influxdb", TEMPLATE_PATH.read_bytes())
URL = f"https://{BUCKET}.s3.us-east-1.amazonaws.com/{KEY}"


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE_PATH)


@pytest.fixture
def cf():
    client = boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stub:
        client.stub = stub  # so that run() can check every expected call was made
        yield client, stub


def options(**kw) -> DeployOptions:
    kw = {"template_path": TEMPLATE_PATH, "bucket": BUCKET, **kw}
    return DeployOptions(stack_name=STACK, params_path=PARAMS_PATH, poll_seconds=0, **kw)


def run(client, template, environ=None, sleep=lambda s: None, **kw):
    lines: list[str] = []
    values = read_and_check(PARAMS_PATH, template, environ or {}, TEMPLATES["timestream-influxdb"])
    assert values.ok
    deployer = Deployer(client, out=lines.append, sleep=sleep, change_set_name=CS_NAME)
    code = deployer.run(options(**kw), URL, template, values)
    client.stub.assert_no_pending_responses()
    return code, "\n".join(lines)


def stack(status, parameters=(), outputs=()):
    body = {"StackName": STACK, "StackId": STACK_ID, "CreationTime": NOW, "StackStatus": status}
    body["Parameters"] = list(parameters)
    if outputs:
        body["Outputs"] = list(outputs)
    return {"Stacks": [body]}


def file_values() -> dict[str, str]:
    return dict(e.split("=", 1) for e in json.loads(PARAMS_PATH.read_text()))


def create_parameters(template) -> list[dict]:
    """What a CREATE sends: the file's values, else each Default (Password "" = generated)."""
    given = file_values()
    return [
        {"ParameterKey": k, "ParameterValue": given.get(k, str(d.get("Default")))}
        for k, d in template["Parameters"].items()
        if k in given or d.get("Default") is not None
    ]


def previous_parameters(template, **changed) -> list[dict]:
    """A stack's DescribeStacks Parameters: created from the file, secrets masked."""
    result = []
    for p in create_parameters(template):
        key = p["ParameterKey"]
        value = changed.get(key, p["ParameterValue"])
        result.append(
            {"ParameterKey": key, "ParameterValue": "****" if key in ("Password", "InfluxDBToken") else value}
        )
    return result


def update_parameters(template) -> list[dict]:
    return [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        if p["ParameterKey"] in ("Password", "InfluxDBToken")
        else p
        for p in create_parameters(template)
    ]


def resource_change(logical_id, type_, action="Add", replacement=None, details=()):
    rc = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": type_,
        "Scope": [],
        "Details": list(details),
    }
    if replacement:
        rc["Replacement"] = replacement
        rc["Scope"] = ["Properties"]
    return {"Type": "Resource", "ResourceChange": rc}


def name_detail(entity="ProjectName"):
    return {
        "Target": {"Attribute": "Properties", "Name": "Name", "RequiresRecreation": "Always"},
        "Evaluation": "Static",
        "ChangeSource": "ParameterReference",
        "CausingEntity": entity,
    }


REPLACING = [
    resource_change(
        "InfluxDBInstance", "AWS::Timestream::InfluxDBInstance", "Modify", "True", [name_detail()]
    ),
    resource_change("CredentialsSecret", "AWS::SecretsManager::Secret", "Modify", "True", [name_detail()]),
    resource_change("CpuUtilizationAlarm", "AWS::CloudWatch::Alarm", "Modify", "False"),
]


def change_set(status="CREATE_COMPLETE", changes=(), reason=None, token=None):
    body = {
        "ChangeSetName": CS_NAME,
        "ChangeSetId": CS_ID,
        "StackId": STACK_ID,
        "StackName": STACK,
        "Status": status,
        "ExecutionStatus": "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
        "Changes": list(changes),
    }
    if reason:
        body["StatusReason"] = reason
    if token:
        body["NextToken"] = token
    return body


def event(n, status, logical_id=STACK, type_="AWS::CloudFormation::Stack", reason=None):
    e = {
        "StackId": STACK_ID,
        "EventId": f"e{n}",
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "ResourceType": type_,
        "Timestamp": NOW,
        "ResourceStatus": status,
    }
    if reason:
        e["ResourceStatusReason"] = reason
    return e


def expect_create_change_set(stub, template, kind, parameters):
    stub.add_response(
        "create_change_set",
        {"Id": CS_ID, "StackId": STACK_ID},
        {
            "StackName": STACK,
            "ChangeSetName": CS_NAME,
            "TemplateURL": URL,
            "Parameters": parameters,
            "Capabilities": ["CAPABILITY_IAM"],
            "ChangeSetType": kind,
            "Description": ANY,
        },
    )


def expect_describe_change_set(stub, body, token=None):
    expected = {"ChangeSetName": CS_ID, "StackName": STACK}
    if token:
        expected["NextToken"] = token
    stub.add_response("describe_change_set", body, expected)


def expect(stub, operation, response=None, **params):
    stub.add_response(operation, response or {}, params)


def protective(template) -> str:
    return plan.policy_json(plan.stack_policy(template, PROTECTED))


def expect_protective_policy(stub, template):
    """GetStackPolicy answers the template's own policy (compact, as another tool may have set it):
    equal, so nothing is set."""
    body = json.dumps(plan.stack_policy(template, PROTECTED), separators=(",", ":"))
    expect(stub, "get_stack_policy", {"StackPolicyBody": body}, StackName=STACK)


def expect_no_stack(stub):
    stub.add_client_error(
        "describe_stacks", "ValidationError", NOT_FOUND, 400, expected_params={"StackName": STACK}
    )


# --- CREATE ----------------------------------------------------------------------------------------


def test_create_executes_streams_events_sets_the_stack_policy_and_prints_outputs(cf, template) -> None:
    client, stub = cf
    expect_no_stack(stub)
    expect_create_change_set(stub, template, "CREATE", create_parameters(template))
    expect_describe_change_set(stub, change_set("CREATE_PENDING"))
    expect_describe_change_set(
        stub,
        change_set(
            changes=[
                resource_change("InfluxDBInstance", "AWS::Timestream::InfluxDBInstance"),
                resource_change("KmsKey", "AWS::KMS::Key"),
            ]
        ),
    )
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(1, "CREATE_IN_PROGRESS")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("CREATE_IN_PROGRESS"), StackName=STACK)
    expect(
        stub,
        "describe_stack_events",
        {
            "StackEvents": [
                event(3, "CREATE_COMPLETE"),
                event(2, "CREATE_COMPLETE", "InfluxDBInstance", "AWS::Timestream::InfluxDBInstance"),
                event(1, "CREATE_IN_PROGRESS"),
            ]
        },
        StackName=STACK,
    )
    expect(stub, "describe_stacks", stack("CREATE_COMPLETE"), StackName=STACK)
    expect(
        stub,
        "set_stack_policy",
        StackName=STACK,
        StackPolicyBody=plan.policy_json(plan.stack_policy(template, PROTECTED)),
    )
    expect(
        stub,
        "describe_stacks",
        stack("CREATE_COMPLETE", outputs=[{"OutputKey": "Url", "OutputValue": "https://db:8086"}]),
        StackName=STACK,
    )

    code, out = run(client, template)

    assert code == 0
    assert "Add     InfluxDBInstance  AWS::Timestream::InfluxDBInstance  -" in out
    lines = out.splitlines()
    instance_done = lines.index(
        "12:00:00  CREATE_COMPLETE              InfluxDBInstance             AWS::Timestream::InfluxDBInstance"
    )
    assert (
        lines[instance_done - 1].startswith("12:00:00  CREATE_IN_PROGRESS")
        and out.count("CREATE_IN_PROGRESS   ") == 1
    )
    assert "stack policy set: Update:Replace and Update:Delete denied on KmsKey" in out
    assert "  Url  https://db:8086" in out and out.endswith(f"done: stack {STACK} is CREATE_COMPLETE")


def test_create_with_a_password_from_the_environment_sends_it(cf, template) -> None:
    client, stub = cf
    expect_no_stack(stub)
    parameters = [
        {**p, "ParameterValue": "Abcdefgh12345678"} if p["ParameterKey"] == "Password" else p
        for p in create_parameters(template)
    ]
    expect_create_change_set(stub, template, "CREATE", parameters)
    expect_describe_change_set(stub, change_set(changes=[resource_change("KmsKey", "AWS::KMS::Key")]))
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stacks", stack("REVIEW_IN_PROGRESS"), StackName=STACK)
    expect(stub, "delete_stack", StackName=STACK)
    code, out = run(client, template, environ={"INFLUXDB_ADMIN_PASSWORD": "Abcdefgh12345678"}, dry_run=True)
    assert code == 0 and "dry run: change set deleted, nothing executed" in out
    assert "Abcdefgh12345678" not in out


# --- UPDATE and data loss --------------------------------------------------------------------------


def expect_update_change_set(stub, template, changes, **changed):
    expect(
        stub,
        "describe_stacks",
        stack("UPDATE_COMPLETE", previous_parameters(template, **changed)),
        StackName=STACK,
    )
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(stub, change_set("CREATE_IN_PROGRESS"))
    expect_describe_change_set(stub, change_set(changes=changes))


def test_a_replacement_of_the_database_is_refused_and_the_change_set_deleted(cf, template) -> None:
    client, stub = cf
    expect_update_change_set(stub, template, REPLACING, ProjectName="ons-old")
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    # No ExecuteChangeSet: the Stubber would fail on an unexpected call.

    code, out = run(client, template)

    assert code == 1
    assert "Modify  InfluxDBInstance     AWS::Timestream::InfluxDBInstance  True" in out
    assert (
        "DATA LOSS  replace InfluxDBInstance (AWS::Timestream::InfluxDBInstance): caused by parameter(s) ProjectName"
        in out
    )
    assert "DATA LOSS  replace CredentialsSecret" in out
    assert "deploy  refused" in out and "The change set was deleted" in out
    assert "Put back the previous value of ProjectName" in out and "--allow-data-loss" in out


BACKUP_CHANGE = [resource_change("BackupConfiguration", "Custom::InfluxDBBackups", "Modify", "False")]


@pytest.mark.parametrize(
    "parameter", ["BackupRetentionPeriod", "ContinuousBackupRetentionDays", "FinalBackupRetentionDays"]
)
def test_lowering_a_backup_retention_is_refused_naming_the_parameter(cf, template, parameter) -> None:
    client, stub = cf
    new = file_values().get(parameter, template["Parameters"][parameter]["Default"])
    before = str(int(new) + 20)  # the stack keeps backups longer than the file asks
    expect_update_change_set(stub, template, BACKUP_CHANGE, **{parameter: before})
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    # No ExecuteChangeSet: the Stubber would fail on an unexpected call.

    code, out = run(client, template)

    assert code == 1
    assert f"DATA LOSS  lower {parameter} from {before} to {new} days" in out
    assert "refused: this update lowers backup retention" in out
    assert f"Put back the previous value of {parameter}" in out and "--allow-data-loss" in out


def test_lowering_a_backup_retention_is_executed_with_allow_data_loss_without_lifting_the_policy(
    cf, template
) -> None:
    client, stub = cf
    expect_update_change_set(stub, template, BACKUP_CHANGE, BackupRetentionPeriod="30")
    # No SetStackPolicy: nothing is replaced, so the protective policy stays in force.
    expect_protective_policy(stub, template)
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template, allow_data_loss=True)

    assert code == 0
    assert "DATA LOSS  lower BackupRetentionPeriod from 30 to 7 days" in out
    assert "--allow-data-loss: executing anyway" in out


def test_raising_a_backup_retention_is_an_ordinary_update(cf, template) -> None:
    client, stub = cf
    expect_update_change_set(stub, template, BACKUP_CHANGE, BackupRetentionPeriod="3")
    expect_protective_policy(stub, template)
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template)

    assert code == 0 and "DATA LOSS" not in out


def test_a_replacement_that_keeps_the_names_is_said_to_fail_and_roll_back(cf, template) -> None:
    """Only a rename can replace the instance; a create-only change under the same name fails."""
    client, stub = cf
    detail = {
        **name_detail("NetworkType"),
        "Target": {"Attribute": "Properties", "Name": "NetworkType", "RequiresRecreation": "Always"},
    }
    replacing = [
        resource_change("InfluxDBInstance", "AWS::Timestream::InfluxDBInstance", "Modify", "True", [detail])
    ]
    expect_update_change_set(stub, template, replacing, NetworkType="DUAL")
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)

    code, out = run(client, template)

    assert code == 1
    assert "cannot replace them: executing would fail and roll back" in out
    assert "new, empty database" not in out


def test_a_rename_is_said_to_make_a_new_empty_database(cf, template) -> None:
    client, stub = cf
    expect_update_change_set(stub, template, REPLACING, ProjectName="ons-old")
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)

    code, out = run(client, template)

    assert code == 1
    assert "ProjectName renames the instance: the stack would get a new, empty database" in out
    assert "fail and roll back" not in out


def test_a_replacement_is_executed_with_allow_data_loss_lifting_and_restoring_the_stack_policy(
    cf, template
) -> None:
    client, stub = cf
    expect_update_change_set(stub, template, REPLACING, ProjectName="ons-old")
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=plan.policy_json(plan.ALLOW_ALL_POLICY))
    expect(stub, "describe_stack_events", {"StackEvents": [event(1, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(
        stub,
        "describe_stack_events",
        {"StackEvents": [event(2, "UPDATE_COMPLETE"), event(1, "UPDATE_COMPLETE")]},
        StackName=STACK,
    )
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(
        stub,
        "set_stack_policy",
        StackName=STACK,
        StackPolicyBody=plan.policy_json(plan.stack_policy(template, PROTECTED)),
    )
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template, allow_data_loss=True)

    assert code == 0
    assert "DATA LOSS  replace InfluxDBInstance" in out and "--allow-data-loss: executing anyway" in out
    assert out.count("UPDATE_COMPLETE              " + STACK) == 1  # the event from before is not repeated
    assert "outputs (none returned)" in out


def test_an_in_place_update_sets_a_missing_stack_policy_and_reports_a_rollback_as_failure(
    cf, template
) -> None:
    client, stub = cf
    in_place = [resource_change("InfluxDBInstance", "AWS::Timestream::InfluxDBInstance", "Modify", "False")]
    expect_update_change_set(stub, template, in_place, DbInstanceClass="db.influx.large")
    expect(stub, "get_stack_policy", {}, StackName=STACK)
    expect(
        stub,
        "set_stack_policy",
        StackName=STACK,
        StackPolicyBody=plan.policy_json(plan.stack_policy(template, PROTECTED)),
    )
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(
        stub,
        "describe_stack_events",
        {
            "StackEvents": [
                event(
                    2,
                    "UPDATE_FAILED",
                    "InfluxDBInstance",
                    "AWS::Timestream::InfluxDBInstance",
                    "Resource handler returned message: boom",
                ),
            ]
        },
        StackName=STACK,
    )
    expect(stub, "describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), StackName=STACK)

    code, out = run(client, template)

    assert code == 1
    assert "the stack has no stack policy: setting the one that protects the data" in out
    assert "UPDATE_FAILED" in out and "boom" in out
    assert f"failed: stack {STACK} is UPDATE_ROLLBACK_COMPLETE" in out


def test_no_changes_is_success(cf, template) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE", previous_parameters(template)), StackName=STACK)
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(
        stub,
        change_set(
            "FAILED",
            reason=(
                "The submitted information didn't contain changes. Submit different information to create a change set."
            ),
        ),
    )
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect_protective_policy(stub, template)
    code, out = run(client, template)
    assert code == 0 and f"no changes: stack {STACK} is up to date" in out


def test_a_failed_change_set_is_reported_and_deleted(cf, template) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE", previous_parameters(template)), StackName=STACK)
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(stub, change_set("FAILED", reason="Template error: something"))
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    code, out = run(client, template)
    assert code == 1 and "the change set failed: Template error: something" in out


def test_no_execute_leaves_the_change_set_and_says_how_to_execute_it(cf, template) -> None:
    client, stub = cf
    in_place = [resource_change("Dashboard", "AWS::CloudWatch::Dashboard", "Modify", "False")]
    expect_update_change_set(stub, template, in_place)
    code, out = run(client, template, no_execute=True)
    assert code == 0 and f"aws cloudformation execute-change-set --change-set-name {CS_ID}" in out


def test_change_set_pages_are_all_read(cf, template) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE", previous_parameters(template)), StackName=STACK)
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(stub, change_set(changes=[REPLACING[2]], token="page2"))
    expect_describe_change_set(stub, change_set(changes=[REPLACING[0]]), token="page2")
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    code, out = run(client, template, dry_run=True)
    assert code == 1 and "DATA LOSS  replace InfluxDBInstance" in out  # the loss was on page 2


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"])
def test_a_stack_in_a_failed_or_busy_state_is_refused_before_any_change_set(cf, template, status) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack(status), StackName=STACK)
    code, out = run(client, template)
    assert code == 1 and f"refused: stack {STACK} is {status}" in out and "aws cloudformation" in out


def test_ctrl_c_stops_waiting_without_cancelling_and_says_how_to_resume(cf, template) -> None:
    client, stub = cf
    in_place = [resource_change("Dashboard", "AWS::CloudWatch::Dashboard", "Modify", "False")]
    expect_update_change_set(stub, template, in_place)
    expect_protective_policy(stub, template)
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(1, "UPDATE_IN_PROGRESS")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_IN_PROGRESS"), StackName=STACK)

    calls = []

    def interrupt(seconds):  # the first sleep waits for the change set, the second for the stack
        calls.append(seconds)
        if len(calls) == 2:
            raise KeyboardInterrupt

    code, out = run(client, template, sleep=interrupt)
    assert code == 130
    assert "stopped waiting; the stack operation goes on in CloudFormation (it was not cancelled)" in out
    assert f"aws cloudformation wait stack-update-complete --stack-name {STACK}" in out
    # No CancelUpdateStack: the Stubber fails on any call not expected.


def test_ctrl_c_before_executing_changes_nothing(cf, template) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE", previous_parameters(template)), StackName=STACK)
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(stub, change_set("CREATE_PENDING"))

    def interrupt(seconds):
        raise KeyboardInterrupt

    code, out = run(client, template, sleep=interrupt)
    assert code == 130
    assert "interrupted before executing: the stack's resources are unchanged" in out
    assert f"aws cloudformation delete-change-set --stack-name {STACK} --change-set-name {CS_NAME}" in out


# --- before any AWS call ---------------------------------------------------------------------------


def test_an_invalid_parameter_file_never_creates_a_client(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('["Environment=test", "Colour=blue"]')
    lines: list[str] = []

    def no_client():
        raise AssertionError("a client was created for an invalid parameter file")

    opts = DeployOptions(stack_name=STACK, template_path=TEMPLATE_PATH, params_path=bad, bucket=BUCKET)
    assert deploy(opts, no_client, out=lines.append) == 2
    assert "nothing was sent to AWS" in lines[0]
    assert any(line.startswith("  - Colour:") for line in lines) and any(
        line.startswith("  - Environment:") for line in lines
    )


def test_an_alarm_topic_in_another_region_than_the_deploy_is_refused_before_any_client(tmp_path) -> None:
    values = json.loads((ROOT / "params" / "production.json").read_text())
    path = tmp_path / "production.json"
    path.write_text(json.dumps(values))
    lines: list[str] = []

    def no_client(service):
        raise AssertionError("a client was created for an invalid parameter file")

    topic = next(v for v in values if v.startswith("AlarmActions=")).split("=", 1)[1]
    region = topic.split(":")[3]
    other = "us-east-1" if region != "us-east-1" else "eu-west-1"
    opts = DeployOptions(
        stack_name=STACK, template_path=TEMPLATE_PATH, params_path=path, bucket=BUCKET, region=other
    )
    assert deploy(opts, no_client, out=lines.append) == 2
    assert any(line.startswith(f"  - AlarmActions: {topic} is in {region}") for line in lines), lines


def test_missing_credentials_give_the_next_step() -> None:
    def no_credentials(service):
        raise NoCredentialsError()

    with pytest.raises(AwsProblem, match="no usable AWS credentials .* AWS_PROFILE"):
        deploy(options(), no_credentials, out=lambda line: None)


def test_build_py_deploy_exits_2_on_an_invalid_file_and_names_rules_left_to_cloudformation(
    tmp_path, capsys
) -> None:
    from tooling import cli as build

    bad = tmp_path / "bad.json"
    bad.write_text('["Environment=test"]')
    assert build.main(["deploy", "--stack-name", STACK, "--params", str(bad), "--s3-bucket", BUCKET]) == 2
    assert "nothing was sent to AWS" in capsys.readouterr().out

    lines: list[str] = []
    opts = DeployOptions(
        stack_name=STACK, template_path=TEMPLATE_PATH, params_path=PARAMS_PATH, bucket=BUCKET
    )
    with pytest.raises(AwsProblem):
        deploy(opts, lambda service: (_ for _ in ()).throw(NoCredentialsError()), out=lines.append)
    assert "not checked offline (CloudFormation checks them): rule(s) SubnetsInVpc" in lines[1]


def test_a_template_over_the_template_url_limit_is_refused_before_any_client(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("Description: x\n" + "#" * plan.TEMPLATE_URL_LIMIT)
    with pytest.raises(DeployError, match="1,048,576-byte limit for a template read from S3"):
        deploy(options(template_path=big), lambda service: None, out=lambda s: None)


def test_a_template_over_the_template_body_limit_is_deployed_by_url(tmp_path) -> None:
    """51,200 bytes is TemplateBody's limit only: a larger template passes the local checks."""
    assert TEMPLATE_PATH.stat().st_size < plan.TEMPLATE_URL_LIMIT
    big = tmp_path / "timestream-influxdb.yaml"
    big.write_text(TEMPLATE_PATH.read_text() + "#" * 60_000 + "\n")
    made: list[str] = []

    def no_credentials(service):
        made.append(service)
        raise NoCredentialsError()

    with pytest.raises(AwsProblem, match="no usable AWS credentials"):
        deploy(options(template_path=big), no_credentials, out=lambda s: None)
    assert made == ["sts"]  # the first client after the local checks: who the caller is


def test_no_bucket_is_one_line_before_any_client(tmp_path) -> None:
    with pytest.raises(DeployError, match="^no S3 bucket for the template: pass --s3-bucket"):
        deploy(options(bucket=None), lambda service: None, out=lambda s: None)
    with pytest.raises(DeployError, match=f"pass --s3-bucket or set bucket: in {tmp_path}"):
        resolve_bucket(None, tmp_path / "catalog.yaml")
    (tmp_path / "catalog.yaml").write_text("template: timestream-influxdb\n")
    with pytest.raises(DeployError, match="no S3 bucket"):
        resolve_bucket(None, tmp_path / "catalog.yaml")


def test_the_bucket_is_the_flag_else_the_publish_configuration(tmp_path) -> None:
    assert resolve_bucket("given-bucket", ROOT / "catalog.yaml") == "given-bucket"
    assert resolve_bucket(None, ROOT / "catalog.yaml") == "ons-data-platform-catalog-templates"
    with pytest.raises(DeployError, match="'Bad_Bucket' is not a valid S3 bucket name"):
        resolve_bucket("Bad_Bucket", ROOT / "catalog.yaml")


# --- the template in S3 ----------------------------------------------------------------------------


@pytest.fixture
def s3():
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


ACCOUNT = "123456789012"


def caller_is(account: str):
    """An STS client (Stubber: checked against the model) whose GetCallerIdentity names ``account``."""
    client = boto3.client("sts", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    identity = {"UserId": "AIDEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:user/deployer"}
    stub.add_response("get_caller_identity", identity, {})
    stub.activate()
    return client


def expect_head_bucket(stub, region="us-east-1", owner=None):
    owned = {"ExpectedBucketOwner": owner} if owner else {}
    stub.add_response("head_bucket", {"BucketRegion": region}, {"Bucket": BUCKET, **owned})


def expect_object(stub, body: bytes, owner=None) -> None:
    """GetObject answers ``body`` for the template's key."""
    owned = {"ExpectedBucketOwner": owner} if owner else {}
    stub.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
        {"Bucket": BUCKET, "Key": KEY, **owned},
    )


def expect_no_object(stub) -> None:
    stub.add_client_error(
        "get_object",
        "NoSuchKey",
        "The specified key does not exist.",
        404,
        expected_params={"Bucket": BUCKET, "Key": KEY},
    )


def test_the_template_is_uploaded_under_its_hash_and_its_regional_url_returned(s3) -> None:
    client, stub = s3
    body = TEMPLATE_PATH.read_bytes()
    expect_head_bucket(stub, "sa-east-1")
    expect_no_object(stub)
    stub.add_response(
        "put_object", {}, {"Bucket": BUCKET, "Key": KEY, "Body": body, "ContentType": "application/x-yaml"}
    )
    lines: list[str] = []
    url = upload_template(client, options(), body, lines.append)
    assert f"templates/timestream-influxdb/{__import__('hashlib').sha256(body).hexdigest()}.yaml" == KEY
    assert url == f"https://{BUCKET}.s3.sa-east-1.amazonaws.com/{KEY}"
    assert lines == [f"deploy  uploading the template to s3://{BUCKET}/{KEY}", f"        TemplateURL {url}"]


def test_the_same_template_already_under_the_hash_is_not_uploaded_again(s3) -> None:
    client, stub = s3
    expect_head_bucket(stub)
    expect_object(stub, TEMPLATE_PATH.read_bytes())
    # No PutObject: the Stubber fails on an unexpected call.
    lines: list[str] = []
    assert upload_template(client, options(), TEMPLATE_PATH.read_bytes(), lines.append) == URL
    assert lines[0] == f"deploy  template already in s3://{BUCKET}/{KEY} (its content checked)"


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param(b"Resources: {Evil: {Type: AWS::IAM::User}}\n", id="another-template"),
        pytest.param(b"", id="empty"),
        pytest.param(TEMPLATE_PATH.read_bytes() + b"\n", id="the-template-and-more"),
        pytest.param(TEMPLATE_PATH.read_bytes()[:-1] + b"#", id="same-size-last-byte-differs"),
    ],
)
def test_another_object_under_the_hash_is_refused_in_one_line_and_nothing_deployed(s3, planted) -> None:
    client, stub = s3
    expect_head_bucket(stub)
    expect_object(stub, planted)
    # No PutObject and no CloudFormation call: the Stubber fails on an unexpected call.
    with pytest.raises(AwsProblem) as err:
        upload_template(client, options(), TEMPLATE_PATH.read_bytes(), lambda s: None)
    said = str(err.value)
    assert "\n" not in said
    assert said.startswith(f"s3://{BUCKET}/{KEY} holds another template")
    assert "someone else wrote it; nothing was deployed" in said
    assert f"Check who may write to bucket {BUCKET!r}" in said


def test_a_forbidden_read_of_the_existing_object_is_one_line(s3) -> None:
    client, stub = s3
    expect_head_bucket(stub)
    stub.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
    with pytest.raises(AwsProblem) as err:
        upload_template(client, options(), TEMPLATE_PATH.read_bytes(), lambda s: None)
    assert str(err.value).startswith(f"AWS denied these credentials the right to read bucket {BUCKET!r}")


def test_a_missing_bucket_is_one_line(s3) -> None:
    client, stub = s3
    stub.add_client_error("head_bucket", "404", "Not Found", 404, expected_params={"Bucket": BUCKET})
    with pytest.raises(AwsProblem) as err:
        upload_template(client, options(), TEMPLATE_PATH.read_bytes(), lambda s: None)
    assert str(err.value) == f"bucket {BUCKET!r} does not exist; create it, or pass another with --s3-bucket"


def test_access_denied_on_put_object_is_one_line(s3) -> None:
    client, stub = s3
    expect_head_bucket(stub)
    expect_no_object(stub)
    stub.add_client_error("put_object", "AccessDenied", "Access Denied", 403)
    with pytest.raises(AwsProblem) as err:
        upload_template(client, options(), TEMPLATE_PATH.read_bytes(), lambda s: None)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(
        f"AWS denied these credentials the right to write to bucket {BUCKET!r} (AccessDenied)"
    )


def test_deploy_uploads_then_creates_the_change_set_from_the_url(s3, cf, template) -> None:
    """Every S3 call names the caller's account as the bucket's owner (S3 answers 403 for a bucket
    of another account), so the template never goes to a bucket someone else owns."""
    s3_client, s3_stub = s3
    cf_client, cf_stub = cf
    expect_head_bucket(s3_stub, owner=ACCOUNT)
    expect_object(s3_stub, TEMPLATE_PATH.read_bytes(), owner=ACCOUNT)
    expect_no_stack(cf_stub)
    expect_create_change_set(cf_stub, template, "CREATE", create_parameters(template))
    expect_describe_change_set(cf_stub, change_set(changes=[resource_change("KmsKey", "AWS::KMS::Key")]))
    expect(cf_stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(cf_stub, "describe_stacks", stack("REVIEW_IN_PROGRESS"), StackName=STACK)
    expect(cf_stub, "delete_stack", StackName=STACK)
    lines: list[str] = []
    clients = {"s3": s3_client, "cloudformation": cf_client, "sts": caller_is(ACCOUNT)}
    code = deploy(
        options(dry_run=True),
        clients.__getitem__,
        out=lines.append,
        sleep=lambda s: None,
        change_set_name=CS_NAME,
    )
    cf_stub.assert_no_pending_responses()
    assert code == 0
    out = "\n".join(lines)
    assert f"template already in s3://{BUCKET}/{KEY}" in out and f"TemplateURL {URL}" in out
    assert out.index("TemplateURL") < out.index("creating change set")


@pytest.mark.parametrize(
    ("bucket", "region", "endpoint", "expected"),
    [
        ("b", "sa-east-1", None, "https://b.s3.sa-east-1.amazonaws.com/k.yaml"),
        ("b", "cn-north-1", None, "https://b.s3.cn-north-1.amazonaws.com.cn/k.yaml"),
        ("b", "us-gov-west-1", None, "https://b.s3.us-gov-west-1.amazonaws.com/k.yaml"),
        ("my.bucket", "eu-west-1", None, "https://s3.eu-west-1.amazonaws.com/my.bucket/k.yaml"),
        ("b", "us-east-1", "http://localhost:5000/", "http://localhost:5000/b/k.yaml"),
    ],
)
def test_template_url_by_partition_bucket_name_and_endpoint(bucket, region, endpoint, expected) -> None:
    assert plan.template_url(bucket, "k.yaml", region, plan.s3_dns_suffix(region), endpoint) == expected


# --- the stack policy on every path ----------------------------------------------------------------

ALLOW_ALL = plan.policy_json(plan.ALLOW_ALL_POLICY)


def expect_lossy_update_up_to_execute(stub, template):
    """An --allow-data-loss replacement: the policy is lifted, then the change set executed."""
    expect_update_change_set(stub, template, REPLACING, ProjectName="ons-old")
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=ALLOW_ALL)
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)


def test_ctrl_c_while_a_lossy_update_runs_leaves_the_policy_lifted_and_says_how_to_set_it(
    cf, template
) -> None:
    """Setting the policy back in the middle of the update could deny the replacement it executes."""
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(1, "UPDATE_IN_PROGRESS")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_IN_PROGRESS"), StackName=STACK)
    # No SetStackPolicy: the Stubber fails on a call not expected.
    sleeps = []

    def interrupt(seconds):  # the first sleep waits for the change set, the second for the stack
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    code, out = run(client, template, sleep=interrupt, allow_data_loss=True)

    assert code == 130
    assert "interrupted: stopped waiting; the stack operation goes on in CloudFormation" in out
    assert "stack policy set back" not in out
    assert "not set back while the update runs" in out and "Once the stack is UPDATE_COMPLETE" in out
    assert f"aws cloudformation set-stack-policy --stack-name {STACK} --stack-policy-body" in out


def test_ctrl_c_during_the_execute_call_says_the_state_is_unknown_and_how_to_set_the_policy(
    cf, template
) -> None:
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)

    def interrupt(**kwargs):  # after the call was answered, before the deploy saw the answer
        raise KeyboardInterrupt

    client.meta.events.register("after-call.cloudformation.ExecuteChangeSet", interrupt)

    code, out = run(client, template, allow_data_loss=True)

    assert code == 130
    assert "may or may not have started executing" in out
    assert "stack policy set back" not in out and "unchanged" not in out
    assert "could NOT be set back" not in out  # no SetStackPolicy was tried
    assert "not set back while the update runs" in out
    assert f"aws cloudformation set-stack-policy --stack-name {STACK}" in out


THROTTLED = ("Throttling", "Rate exceeded", 400)


def test_a_poll_that_fails_once_while_following_is_retried(cf, template) -> None:
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    stub.add_client_error("describe_stack_events", *THROTTLED)
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    stub.add_client_error("describe_stacks", *THROTTLED)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template, allow_data_loss=True)

    assert code == 0 and "stack policy set back" in out


def test_a_stack_that_cannot_be_followed_says_the_update_goes_on_and_keeps_the_policy_lifted(
    cf, template
) -> None:
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    for _ in range(runner.FOLLOW_ATTEMPTS):
        stub.add_client_error("describe_stack_events", *THROTTLED)
    # No SetStackPolicy in the middle of the update: the Stubber fails on a call not expected.

    code, out = run(client, template, allow_data_loss=True)

    assert code == 1
    assert (
        "deploy  cannot follow the stack (AWS refused DescribeStackEvents (Throttling: Rate exceeded))" in out
    )
    assert "the stack operation goes on in CloudFormation (it was not cancelled)" in out
    assert f"follow it: aws cloudformation describe-stack-events --stack-name {STACK}" in out
    assert "stack policy set back" not in out
    assert f"aws cloudformation set-stack-policy --stack-name {STACK}" in out


def test_an_execute_resent_after_a_lost_answer_is_taken_as_started_and_followed(cf, template) -> None:
    """botocore resent ExecuteChangeSet (RetryAttempts 1): the first attempt had started it."""
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    stub.add_client_error(
        "execute_change_set",
        "InvalidChangeSetStatus",
        "ChangeSet is in EXECUTE_IN_PROGRESS state",
        400,
        response_meta={"RetryAttempts": 1},
    )
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template, allow_data_loss=True)

    assert code == 0
    assert "it has probably started; following the stack" in out
    assert f"deploy  done: stack {STACK} is UPDATE_COMPLETE" in out


def test_a_failed_execute_sets_the_protective_policy_back_and_raises(cf, template) -> None:
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    stub.add_client_error("execute_change_set", "InvalidChangeSetStatus", "ChangeSet is not executable", 400)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    lines: list[str] = []
    values = read_and_check(PARAMS_PATH, template, {}, TEMPLATES["timestream-influxdb"])
    deployer = Deployer(client, out=lines.append, sleep=lambda s: None, change_set_name=CS_NAME)

    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):
        deployer.run(options(allow_data_loss=True), URL, template, values)

    stub.assert_no_pending_responses()  # the SetStackPolicy after the failure was made
    assert "stack policy set back" in "\n".join(lines)


def test_a_policy_that_cannot_be_set_back_is_said_with_the_command_to_fix_it(cf, template) -> None:
    client, stub = cf
    expect_lossy_update_up_to_execute(stub, template)
    stub.add_client_error("execute_change_set", "InvalidChangeSetStatus", "not executable", 400)
    stub.add_client_error("set_stack_policy", "Throttling", "Rate exceeded", 400)
    lines: list[str] = []
    values = read_and_check(PARAMS_PATH, template, {}, TEMPLATES["timestream-influxdb"])
    deployer = Deployer(client, out=lines.append, sleep=lambda s: None, change_set_name=CS_NAME)
    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):  # the first failure, not the second
        deployer.run(options(allow_data_loss=True), URL, template, values)
    out = "\n".join(lines)
    assert "could NOT be set back" in out and "it allows every update" in out
    assert f"aws cloudformation set-stack-policy --stack-name {STACK}" in out


@pytest.mark.parametrize(
    ("current", "said"),
    [
        (ALLOW_ALL, "allows every update (left from an --allow-data-loss deploy that did not finish)"),
        (
            '{"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}',
            "differs from the one the template calls for",
        ),
        ("", "the stack has no stack policy"),
    ],
    ids=["allow-all", "stale", "empty"],
)
def test_an_update_sets_the_policy_when_it_differs_from_the_templates(cf, template, current, said) -> None:
    client, stub = cf
    in_place = [resource_change("Dashboard", "AWS::CloudWatch::Dashboard", "Modify", "False")]
    expect_update_change_set(stub, template, in_place)
    expect(stub, "get_stack_policy", {"StackPolicyBody": current} if current else {}, StackName=STACK)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)

    code, out = run(client, template)

    assert code == 0
    assert f"{said}: setting the one that protects the data" in out


def test_an_update_leaves_an_equal_policy_alone(cf, template) -> None:
    client, stub = cf
    in_place = [resource_change("Dashboard", "AWS::CloudWatch::Dashboard", "Modify", "False")]
    expect_update_change_set(stub, template, in_place)
    expect_protective_policy(stub, template)  # no SetStackPolicy follows: the Stubber fails on one
    expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(2, "UPDATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE"), StackName=STACK)
    code, out = run(client, template)
    assert code == 0 and "stack policy" not in out


def test_a_deploy_without_changes_sets_a_policy_left_allow_all(cf, template) -> None:
    client, stub = cf
    expect(stub, "describe_stacks", stack("UPDATE_COMPLETE", previous_parameters(template)), StackName=STACK)
    expect_create_change_set(stub, template, "UPDATE", update_parameters(template))
    expect_describe_change_set(stub, change_set("FAILED", reason="No updates are to be performed."))
    expect(stub, "delete_change_set", ChangeSetName=CS_ID, StackName=STACK)
    expect(stub, "get_stack_policy", {"StackPolicyBody": ALLOW_ALL}, StackName=STACK)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    code, out = run(client, template)
    assert code == 0 and "allows every update" in out and "no changes" in out


# --- progress while waiting ------------------------------------------------------------------------


def test_waits_say_they_are_still_waiting_every_twenty_seconds(cf, template) -> None:
    client, stub = cf
    expect_no_stack(stub)
    expect_create_change_set(stub, template, "CREATE", create_parameters(template))
    for _ in range(7):  # 7 polls 7 s apart: 0 to 42 s
        expect_describe_change_set(stub, change_set("CREATE_IN_PROGRESS"))
    expect_describe_change_set(stub, change_set(changes=[resource_change("KmsKey", "AWS::KMS::Key")]))
    expect(stub, "execute_change_set", ChangeSetName=CS_ID, StackName=STACK)
    for _ in range(4):  # no new event for 4 polls: 28 s
        expect(stub, "describe_stack_events", {"StackEvents": []}, StackName=STACK)
        expect(stub, "describe_stacks", stack("CREATE_IN_PROGRESS"), StackName=STACK)
    expect(stub, "describe_stack_events", {"StackEvents": [event(1, "CREATE_COMPLETE")]}, StackName=STACK)
    expect(stub, "describe_stacks", stack("CREATE_COMPLETE"), StackName=STACK)
    expect(stub, "set_stack_policy", StackName=STACK, StackPolicyBody=protective(template))
    expect(stub, "describe_stacks", stack("CREATE_COMPLETE"), StackName=STACK)
    now = [0.0]
    lines: list[str] = []
    values = read_and_check(PARAMS_PATH, template, {}, TEMPLATES["timestream-influxdb"])

    def sleep(seconds):
        now[0] += 7

    deployer = Deployer(client, out=lines.append, sleep=sleep, change_set_name=CS_NAME, clock=lambda: now[0])
    assert deployer.run(options(), URL, template, values) == 0
    waiting = [line for line in lines if line.startswith("deploy  waiting")]
    assert waiting == [
        "deploy  waiting: change set CREATE_IN_PROGRESS (21 s so far)",
        "deploy  waiting: change set CREATE_IN_PROGRESS (42 s so far)",
        "deploy  waiting: stack CREATE_IN_PROGRESS (21 s so far)",
    ]
