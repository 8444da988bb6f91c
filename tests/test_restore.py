"""build.py restore: pure planning, and the boto3 calls against botocore's Stubber."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

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


def test_default_is_the_newest_completed_backup_to_a_new_instance_in_the_same_network():
    plan = plan_restore(INSTANCE, BACKUPS, "ons-restored", now=NOW)
    assert plan.backup == DAILY_NEW
    assert plan.request() == {
        "name": "ons-restored",
        "dbBackupId": "bknew222",
        "restoreMode": "NEW_RESOURCE",
        "vpcSubnetIds": ["subnet-0a", "subnet-0b"],
        "vpcSecurityGroupIds": ["sg-0db"],
        "publiclyAccessible": False,
        "port": 8086,
        "networkType": "IPV4",
    }
    text = "\n".join(plan.describe())
    assert "bknew222" in text and "NEW instance ons-restored" in text and "not changed" in text


def test_point_in_time_uses_the_continuous_backup():
    moment = NOW - timedelta(hours=3)
    plan = plan_restore(INSTANCE, BACKUPS, "ons-pitr", to_time=moment, now=NOW)
    assert plan.backup == CONTINUOUS
    assert plan.request()["restoreToTime"] == moment
    assert moment.isoformat() in "\n".join(plan.describe())


def test_a_naive_time_is_utc():
    plan = plan_restore(INSTANCE, BACKUPS, "ons-pitr", to_time=datetime(2026, 11, 24, 9, 0), now=NOW)
    assert plan.restore_to_time == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "backups", "message"),
    [
        ({"to_time": NOW + timedelta(minutes=1)}, BACKUPS, "in the future"),
        ({"to_time": NOW - timedelta(days=30)}, BACKUPS, "before the continuous backup began"),
        ({"to_time": NOW - timedelta(hours=1)}, [DAILY_NEW], "no CONTINUOUS backup"),
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
        plan_restore(INSTANCE, backups, "ons-restored", now=NOW, **kwargs)


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
    kw = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    cfn, tsi = boto3.client("cloudformation", **kw), boto3.client("timestream-influxdb", **kw)
    with Stubber(cfn) as cfn_stub, Stubber(tsi) as tsi_stub:
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
        item = lambda b: {
            "id": b.id,
            "name": b.name,
            "arn": ARN.replace("db-instance", "db-backup"),
            "type": b.type,
            "status": b.status,
            "createdAt": b.created_at,
        }  # noqa: E731
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
        yield cfn, tsi, tsi_stub
        cfn_stub.assert_no_pending_responses()
        tsi_stub.assert_no_pending_responses()


def test_list_pages_through_every_backup(clients):
    cfn, tsi, _ = clients
    said = []
    assert restore.command(cfn, tsi, stack="ons-prod", new_name=None, list_only=True, say=said.append) == 0
    assert said[0] == "backups of ons-production-influxdb (abc123def456):"
    assert {line.split()[0] for line in said[1:]} == {"bkold111", "bknew222", "bkpitr44"}


def test_restore_prints_the_plan_then_restores_after_confirmation(clients):
    cfn, tsi, stub = clients
    stub.add_response(
        "restore_from_db_backup",
        {"restoredDbResourceId": "newid789", "restoreStatus": "RESTORING"},
        plan_restore(INSTANCE, BACKUPS, "ons-restored", now=NOW).request(),
    )
    said = []
    status = restore.command(
        cfn, tsi, stack="ons-prod", new_name="ons-restored", confirm=lambda: True, say=said.append
    )
    assert status == 0
    assert said[0].startswith("restore backup bknew222")
    assert said[-1] == "restore started: new instance newid789 (RESTORING)"


def test_dry_run_and_refusal_change_nothing(clients):
    cfn, tsi, _ = clients
    said = []
    assert (
        restore.command(cfn, tsi, stack="ons-prod", new_name="ons-restored", dry_run=True, say=said.append)
        == 0
    )
    assert said[-1] == "dry run: nothing was changed"


def test_refused_confirmation_changes_nothing(clients):
    cfn, tsi, _ = clients
    said = []
    assert (
        restore.command(
            cfn, tsi, stack="ons-prod", new_name="ons-restored", confirm=lambda: False, say=said.append
        )
        == 1
    )
    assert said[-1] == "restore cancelled"


def test_point_in_time_restore_sends_restore_to_time(clients):
    cfn, tsi, stub = clients
    moment = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    expected = plan_restore(INSTANCE, BACKUPS, "ons-pitr", to_time=moment, now=NOW).request()
    stub.add_response(
        "restore_from_db_backup", {"restoredDbResourceId": "pitr1234", "restoreStatus": "RESTORING"}, expected
    )
    status = restore.command(
        cfn,
        tsi,
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


def test_bad_time_is_a_restore_error():
    with pytest.raises(RestoreError, match="ISO 8601"):
        restore.parse_time("yesterday")
