"""build.py restore: pure planning, and the boto3 calls against botocore's Stubber."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from conftest import offline_client
from tooling import cli as build
from tooling import restore
from tooling.restore import Backup, Instance, RestoreError, plan_restore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
INSTANCE = Instance(
    "abc123def456", "ons-production-influxdb", ("subnet-0a", "subnet-0b"), ("sg-0db",), 8086, "IPV4"
)
DAILY_OLD = Backup("bkold111", "daily-1", "DAILY", "COMPLETED", NOW - timedelta(days=2), "2026-12-01")
DAILY_NEW = Backup("bknew222", "daily-2", "DAILY", "COMPLETED", NOW - timedelta(days=1), "2026-12-02")
RUNNING = Backup("bkrun333", "ondemand", "ON_DEMAND", "IN_PROGRESS", NOW - timedelta(hours=1))
CONTINUOUS = Backup("bkpitr44", "continuous", "CONTINUOUS", "IN_PROGRESS", NOW - timedelta(days=7))
BACKUPS = [DAILY_OLD, DAILY_NEW, RUNNING, CONTINUOUS]
VPC = "vpc-0abc"
CLIENT_RULE = {
    "IpProtocol": "tcp",
    "FromPort": 8086,
    "ToPort": 8086,
    "UserIdGroupPairs": [{"GroupId": "sg-0client", "UserId": "123456789012", "Description": "API"}],
    "IpRanges": [],
    "Ipv6Ranges": [],
    "PrefixListIds": [],
}
NO_EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "127.0.0.1/32", "Description": "No egress"}]}
#: DescribeSecurityGroups' answer for the stack instance's group (EC2 API shape)
STACK_GROUP = {
    "GroupId": "sg-0db",
    "GroupName": "ons-production-influxdb",
    "Description": "InfluxDB",
    "VpcId": VPC,
    "OwnerId": "123456789012",
    "IpPermissions": [CLIENT_RULE],
    "IpPermissionsEgress": [NO_EGRESS],
}


def plan(*args, **kwargs):
    return plan_restore(INSTANCE, *args, now=NOW, source_groups=[STACK_GROUP], **kwargs)


def test_default_is_the_newest_completed_backup_to_a_new_instance_in_a_new_group_of_its_own():
    planned = plan(BACKUPS, "ons-restored")
    assert planned.backup == DAILY_NEW
    assert planned.request("sg-0new") == {
        "name": "ons-restored",
        "dbBackupId": "bknew222",
        "restoreMode": "NEW_RESOURCE",
        "vpcSubnetIds": ["subnet-0a", "subnet-0b"],
        "vpcSecurityGroupIds": ["sg-0new"],  # never the stack's sg-0db
        "publiclyAccessible": False,
        "port": 8086,
        "networkType": "IPV4",
    }
    text = "\n".join(planned.describe())
    assert "bknew222" in text and "NEW instance ons-restored" in text and "not changed" in text
    assert f"CREATES security group ons-restored-db in {VPC}" in text
    assert "1 ingress and 1 egress rule(s) of sg-0db" in text


def test_the_new_group_copies_the_rules_as_requests_and_points_self_references_at_itself():
    self_rule = {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupId": "sg-0db"}]}
    group = plan_restore(
        INSTANCE,
        BACKUPS,
        "ons-r",
        now=NOW,
        source_groups=[{**STACK_GROUP, "IpPermissions": [CLIENT_RULE, self_rule]}],
    ).new_group
    assert group.ingress[0] == {
        "IpProtocol": "tcp",
        "FromPort": 8086,
        "ToPort": 8086,
        "UserIdGroupPairs": [{"GroupId": "sg-0client", "Description": "API"}],
    }
    assert restore.with_group_id(group.ingress, "sg-0new")[1]["UserIdGroupPairs"] == [{"GroupId": "sg-0new"}]
    assert group.egress == (NO_EGRESS,)


def test_given_security_groups_are_used_and_the_stacks_own_is_refused():
    planned = plan_restore(INSTANCE, BACKUPS, "ons-r", now=NOW, security_group_ids=["sg-0mine"])
    assert planned.new_group is None and planned.request()["vpcSecurityGroupIds"] == ["sg-0mine"]
    assert "security groups sg-0mine (--security-group-ids)" in "\n".join(planned.describe())
    with pytest.raises(RestoreError, match="sg-0db is the stack's own group"):
        plan_restore(INSTANCE, BACKUPS, "ons-r", now=NOW, security_group_ids=["sg-0db"])


def test_unreadable_groups_to_copy_say_to_give_them():
    with pytest.raises(RestoreError, match="cannot read security group.*sg-0db.*--security-group-ids"):
        plan_restore(INSTANCE, BACKUPS, "ons-r", now=NOW, source_groups=[])


FAILED_PITR = Backup("bkfail55", "continuous", "CONTINUOUS", "FAILED", NOW - timedelta(days=2))
DELETED_PITR = Backup("bkdel666", "continuous", "CONTINUOUS", "DELETED", NOW - timedelta(days=1))


def test_point_in_time_never_picks_a_failed_or_deleted_continuous_backup():
    moment = NOW - timedelta(hours=3)
    # The deleted and failed ones are newer and listed first: the usable one is still chosen.
    assert plan([DELETED_PITR, FAILED_PITR, CONTINUOUS], "ons-pitr", to_time=moment).backup == CONTINUOUS
    with pytest.raises(RestoreError, match="no usable CONTINUOUS backup \\(only DELETED, FAILED ones\\)"):
        plan([DELETED_PITR, FAILED_PITR], "ons-pitr", to_time=moment)
    with pytest.raises(RestoreError, match="continuous backup bkdel666 is DELETED"):
        plan([DELETED_PITR, CONTINUOUS], "ons-pitr", backup_id="bkdel666", to_time=moment)


def test_point_in_time_uses_the_continuous_backup():
    moment = NOW - timedelta(hours=3)
    plan = plan_restore(INSTANCE, BACKUPS, "ons-pitr", to_time=moment, now=NOW, source_groups=[STACK_GROUP])
    assert plan.backup == CONTINUOUS
    assert plan.request("sg-0new")["restoreToTime"] == moment
    assert moment.isoformat() in "\n".join(plan.describe())


def test_a_naive_time_is_utc():
    plan = plan_restore(
        INSTANCE,
        BACKUPS,
        "ons-pitr",
        to_time=datetime(2026, 11, 24, 9, 0),
        now=NOW,
        source_groups=[STACK_GROUP],
    )
    assert plan.restore_to_time == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "backups", "message"),
    [
        ({"to_time": NOW + timedelta(minutes=1)}, BACKUPS, "in the future"),
        ({"to_time": NOW - timedelta(days=30)}, BACKUPS, "before the continuous backup began"),
        ({"to_time": NOW - timedelta(hours=1)}, [DAILY_NEW], "no usable CONTINUOUS backup"),
        (
            {"to_time": NOW - timedelta(hours=1), "backup_id": "bknew222"},
            BACKUPS,
            "needs a CONTINUOUS backup",
        ),
        ({"backup_id": "nope"}, BACKUPS, "no backup nope"),
        ({"backup_id": "bkrun333"}, BACKUPS, "is IN_PROGRESS"),
        ({}, [RUNNING], "no completed backup"),
    ],
)
def test_impossible_restores_say_what_to_change(kwargs, backups, message):
    with pytest.raises(RestoreError, match=message):
        plan_restore(INSTANCE, backups, "ons-restored", now=NOW, source_groups=[STACK_GROUP], **kwargs)


@pytest.mark.parametrize("name", ["ab", "1abc", "a--b", "x" * 41, "ons-production-influxdb"])
def test_new_instance_name_must_be_valid_and_new(name):
    with pytest.raises(RestoreError, match="--name"):
        plan_restore(INSTANCE, BACKUPS, name, now=NOW)


def test_backups_are_listed_newest_first():
    lines = restore.format_backups(BACKUPS)
    assert [line.split()[0] for line in lines] == ["bkrun333", "bknew222", "bkold111", "bkpitr44"]


# --- I/O with botocore's Stubber -----------------------------------------------------------

ARN = "arn:aws:timestream-influxdb:us-east-1:123456789012:db-instance/abc123def456"


@pytest.fixture
def clients():
    cfn, tsi, ec2 = (offline_client(s) for s in ("cloudformation", "timestream-influxdb", "ec2"))
    with Stubber(cfn) as cfn_stub, Stubber(tsi) as tsi_stub, Stubber(ec2) as ec2_stub:
        cfn_stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "ons-prod",
                        "CreationTime": NOW,
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": "DbInstanceId", "OutputValue": "abc123def456"}],
                    }
                ]
            },
            {"StackName": "ons-prod"},
        )
        tsi_stub.add_response(
            "get_db_instance",
            {
                "id": "abc123def456",
                "name": "ons-production-influxdb",
                "arn": ARN,
                "vpcSubnetIds": ["subnet-0a", "subnet-0b"],
                "vpcSecurityGroupIds": ["sg-0db"],
                "port": 8086,
                "networkType": "IPV4",
            },
            {"identifier": "abc123def456"},
        )
        item = lambda b: {  # noqa: E731
            "id": b.id,
            "name": b.name,
            "arn": ARN.replace("db-instance", "db-backup"),
            "type": b.type,
            "status": b.status,
            "createdAt": b.created_at,
        }
        tsi_stub.add_response(
            "list_db_backups",
            {"items": [item(DAILY_OLD)], "nextToken": "page2"},
            {"dbResourceId": "abc123def456"},
        )
        tsi_stub.add_response(
            "list_db_backups",
            {"items": [item(DAILY_NEW), item(CONTINUOUS)]},
            {"dbResourceId": "abc123def456", "nextToken": "page2"},
        )
        yield cfn, tsi, tsi_stub, ec2, ec2_stub
        cfn_stub.assert_no_pending_responses()
        tsi_stub.assert_no_pending_responses()
        ec2_stub.assert_no_pending_responses()


def expect_source_group(ec2_stub, name="ons-restored-db", taken_by=None):
    """The stack instance's group is read, then the new group's name looked up in the VPC (free,
    unless ``taken_by`` a group of that id)."""
    ec2_stub.add_response(
        "describe_security_groups", {"SecurityGroups": [STACK_GROUP]}, {"GroupIds": ["sg-0db"]}
    )
    found = [{**STACK_GROUP, "GroupId": taken_by, "GroupName": name}] if taken_by else []
    filters = [{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [VPC]}]
    ec2_stub.add_response("describe_security_groups", {"SecurityGroups": found}, {"Filters": filters})


def expect_new_group(ec2_stub, name="ons-restored-db"):
    """Create the group, copy the ingress, replace the default allow-all egress by the copied one."""
    ec2_stub.add_response(
        "create_security_group",
        {"GroupId": "sg-0new"},
        {
            "GroupName": name,
            "Description": ANY,
            "VpcId": VPC,
            "TagSpecifications": [
                {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        },
    )
    allow_all = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    made = {**STACK_GROUP, "GroupId": "sg-0new", "IpPermissions": [], "IpPermissionsEgress": [allow_all]}
    ec2_stub.add_response("describe_security_groups", {"SecurityGroups": [made]}, {"GroupIds": ["sg-0new"]})
    ec2_stub.add_response(
        "revoke_security_group_egress", {}, {"GroupId": "sg-0new", "IpPermissions": [allow_all]}
    )
    ingress = [{k: v for k, v in CLIENT_RULE.items() if v != []}]
    ingress[0]["UserIdGroupPairs"] = [{"GroupId": "sg-0client", "Description": "API"}]
    ec2_stub.add_response(
        "authorize_security_group_ingress", {}, {"GroupId": "sg-0new", "IpPermissions": ingress}
    )
    ec2_stub.add_response(
        "authorize_security_group_egress", {}, {"GroupId": "sg-0new", "IpPermissions": [NO_EGRESS]}
    )


def test_list_pages_through_every_backup(clients):
    cfn, tsi, *_ = clients
    said = []
    assert restore.command(cfn, tsi, stack="ons-prod", new_name=None, list_only=True, say=said.append) == 0
    assert said[0] == "backups of ons-production-influxdb (abc123def456):"
    assert {line.split()[0] for line in said[1:]} == {"bkold111", "bknew222", "bkpitr44"}


def test_restore_makes_its_own_group_then_restores_after_confirmation(clients):
    cfn, tsi, stub, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    expect_new_group(ec2_stub)
    stub.add_response(
        "restore_from_db_backup",
        {"restoredDbResourceId": "newid789", "restoreStatus": "RESTORING"},
        plan(BACKUPS, "ons-restored").request("sg-0new"),
    )
    said = []
    status = restore.command(
        cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=said.append
    )
    assert status == 0
    assert said[0].startswith("restore backup bknew222")
    assert "security group sg-0new (ons-restored-db) created with the copied rules" in said
    assert said[-1] == "restore started: new instance newid789 (RESTORING)"


def test_a_failed_restore_names_the_group_it_made(clients):
    cfn, tsi, stub, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    expect_new_group(ec2_stub)
    stub.add_client_error("restore_from_db_backup", "ConflictException", "name in use", 409)
    said = []
    with pytest.raises(ClientError):
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=said.append
        )
    assert (
        "aws ec2 delete-security-group --group-id sg-0new" in said[-1]
        and "--security-group-ids sg-0new" in said[-1]
    )


def test_the_default_egress_is_revoked_before_any_ingress_is_allowed(clients):
    """Until the copied rules are all in, the new group must not be wider than needed: the
    allow-all egress a new group starts with goes first."""
    cfn, tsi, stub, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    expect_new_group(ec2_stub)  # the Stubber fails on calls in another order
    stub.add_response(
        "restore_from_db_backup",
        {"restoredDbResourceId": "newid789", "restoreStatus": "RESTORING"},
        plan(BACKUPS, "ons-restored").request("sg-0new"),
    )
    assert (
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=lambda s: None
        )
        == 0
    )


@pytest.mark.parametrize("failure", ["refused", "interrupted"])
def test_a_group_left_half_made_is_named_with_how_to_delete_it(clients, failure, monkeypatch):
    """A missing ec2:AuthorizeSecurityGroupIngress, or Ctrl-C, after CreateSecurityGroup answered."""
    cfn, tsi, stub, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    ec2_stub.add_response("create_security_group", {"GroupId": "sg-0new"})
    ec2_stub.add_response(
        "describe_security_groups", {"SecurityGroups": [{**STACK_GROUP, "GroupId": "sg-0new"}]}
    )
    ec2_stub.add_response("revoke_security_group_egress", {})
    if failure == "refused":
        ec2_stub.add_client_error("authorize_security_group_ingress", "UnauthorizedOperation", "no", 403)
        raised = ClientError
    else:
        raised = KeyboardInterrupt

        def interrupt(**kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(ec2, "authorize_security_group_ingress", interrupt)
    said = []
    with pytest.raises(raised):
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=said.append
        )
    assert said[-1] == (
        "restore not started; security group sg-0new (ons-restored-db) was created but its rules were not "
        "all set: delete it before running again: aws ec2 delete-security-group --group-id sg-0new"
    )


def test_a_rerun_after_a_group_was_left_says_how_to_reuse_or_remove_it_before_any_change(clients):
    cfn, tsi, _, ec2, ec2_stub = clients
    expect_source_group(ec2_stub, taken_by="sg-0left")
    with pytest.raises(restore.RestoreError) as err:
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=lambda s: None
        )
    message = str(err.value)
    assert message.startswith(f"security group sg-0left (ons-restored-db) exists already in {VPC}")
    assert "--security-group-ids sg-0left" in message
    assert "aws ec2 delete-security-group --group-id sg-0left" in message and "\n" not in message


def test_given_groups_make_no_ec2_call(clients):
    cfn, tsi, stub, ec2, _ = clients
    stub.add_response(
        "restore_from_db_backup",
        {"restoredDbResourceId": "newid789", "restoreStatus": "RESTORING"},
        plan(BACKUPS, "ons-restored", security_group_ids=["sg-0mine"]).request(),
    )
    status = restore.command(
        cfn,
        tsi,
        ec2,
        stack="ons-prod",
        new_name="ons-restored",
        security_group_ids=["sg-0mine"],
        confirm=lambda: True,
        say=lambda s: None,
    )
    assert status == 0  # the EC2 Stubber fails on any call


def test_dry_run_and_refusal_change_nothing(clients):
    cfn, tsi, _, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    said = []
    assert (
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", dry_run=True, say=said.append
        )
        == 0
    )
    assert said[-1] == "dry run: nothing was changed"


def test_refused_confirmation_changes_nothing(clients):
    cfn, tsi, _, ec2, ec2_stub = clients
    expect_source_group(ec2_stub)
    said = []
    assert (
        restore.command(
            cfn, tsi, ec2, stack="ons-prod", new_name="ons-restored", confirm=lambda: False, say=said.append
        )
        == 1
    )
    assert said[-1] == "restore cancelled"


def test_point_in_time_restore_sends_restore_to_time(clients):
    cfn, tsi, stub, ec2, ec2_stub = clients
    moment = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    expect_source_group(ec2_stub, "ons-pitr-db")
    expect_new_group(ec2_stub, "ons-pitr-db")
    expected = plan(BACKUPS, "ons-pitr", to_time=moment).request("sg-0new")
    stub.add_response(
        "restore_from_db_backup", {"restoredDbResourceId": "pitr1234", "restoreStatus": "RESTORING"}, expected
    )
    status = restore.command(
        cfn,
        tsi,
        ec2,
        stack="ons-prod",
        new_name="ons-pitr",
        to_time="2026-11-20T08:30:00",
        confirm=lambda: True,
        say=lambda s: None,
    )
    assert status == 0


def test_cli_reports_a_plan_error_as_one_line(monkeypatch, capsys):
    def fail(*a, **k):
        raise RestoreError("no backup nope of instance abc; see --list")

    monkeypatch.setattr(restore, "command", fail)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert build.main(["restore", "ons-prod", "--name", "x-restored", "--backup", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "build.py restore: no backup nope of instance abc; see --list"


# --- the command line: one line, never a traceback ----------------------------------------------------


@pytest.fixture
def offline(monkeypatch):
    """No credentials, no profile, no instance metadata: what a machine without AWS set up has."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (["--region", "us-east-1"], 1, "no usable AWS credentials"),
        ([], 1, "no AWS Region: pass --region"),
        (["--region", "us-east-1", "--profile", "nope"], 1, "profile (nope) could not be found"),
    ],
    ids=["no-credentials", "no-region", "no-profile"],
)
def test_cli_without_aws_set_up_says_one_line(offline, capsys, argv, code, said):
    assert build.main(["restore", "ons-prod", "--list", *argv]) == code
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and said in captured.err, captured.err
    assert captured.err.startswith("build.py restore: ")


def test_cli_a_missing_stack_is_one_line(monkeypatch, capsys):
    from tooling import aws

    cfn = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(aws, "clients", lambda target: lambda service, region=None: cfn)
    with Stubber(cfn) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id ons-prod does not exist", 400
        )
        assert build.main(["restore", "ons-prod", "--list"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "build.py restore: stack ons-prod does not exist in eu-west-1 (check the name and --region)\n"
    )


def test_the_readme_lists_the_permissions_creating_an_instance_needs():
    """What CreateDbInstance needs besides timestream-influxdb:* (cfn-lint's bundled resource schema for
    AWS::Timestream::InfluxDBInstance, create handler) is in the README's restore section."""
    from conftest import ROOT
    from tooling.cfn import schemas

    needed = schemas.schema("AWS::Timestream::InfluxDBInstance", "us-east-1")["handlers"]["create"][
        "permissions"
    ]
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Restore: `build.py restore`") :]
    section = section[: section.index("\n### ", 5)]
    for permission in needed:
        if permission.startswith(("ec2:", "iam:")):
            assert permission.split(":")[1] in section, permission


def test_bad_time_is_a_restore_error():
    with pytest.raises(RestoreError, match="ISO 8601"):
        restore.parse_time("yesterday")


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"new_name": "ons-restored", "to_time": "garbage"}, "--to-time 'garbage' is not an ISO 8601 time"),
        ({"new_name": "9-not-a-name"}, "--name '9-not-a-name': use 3 to 40 letters"),
        ({"new_name": "double--hyphen"}, "--name 'double--hyphen'"),
    ],
)
def test_the_time_and_the_name_are_checked_before_any_aws_call(kwargs, said):
    """A client whose every call fails the test: nothing is sent while the input is wrong."""

    class NoCall:
        def __getattr__(self, name):
            raise AssertionError(f"AWS call {name} made before the input was checked")

    with pytest.raises(RestoreError) as err:
        restore.command(NoCall(), NoCall(), NoCall(), stack="ons-prod", say=lambda s: None, **kwargs)
    assert str(err.value).startswith(said)


def test_cli_with_stdin_closed_is_a_no_in_one_line_never_a_traceback(monkeypatch, capsys):
    """``build.py restore ... < /dev/null``: input() meets EOF."""
    import io

    def asks(*a, confirm, say=print, **k):
        return 0 if confirm() else (say("restore cancelled") or 1)

    monkeypatch.setattr(restore, "command", asks)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert build.main(["restore", "ons-prod", "--name", "new-one"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "build.py restore: no answer on stdin: pass --yes"
    assert "Traceback" not in captured.out + captured.err
