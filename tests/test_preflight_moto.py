"""build.py preflight against moto with real boto3 clients (tooling.aws), and botocore's Stubber for
what moto lacks (Timestream for InfluxDB's ListDbBackups): each check passes on a ready account and
fails on one that lacks what it checks."""

from __future__ import annotations

import contextlib
import json

import pytest
from botocore.stub import Stubber

from conftest import ROOT
from tooling import aws
from tooling.preflight import run

moto = pytest.importorskip("moto")
# Each test sets up a moto account (VPC, subnets, NAT, buckets) and runs every preflight check.
pytestmark = pytest.mark.slow
REGION = "us-east-1"
TEMPLATE = ROOT / "output" / "timestream-influxdb.yaml"


@pytest.fixture
def account(monkeypatch, tmp_path):
    """A moto account with what the development parameter file needs: a VPC, subnets in two zones
    routed through a NAT gateway, the data buckets."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with moto.mock_aws():
        make = aws.clients(aws.Target(region=REGION))
        ec2 = make("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
                "Subnet"
            ]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.9.0/24")["Subnet"]["SubnetId"]
        nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=ec2.allocate_address()["AllocationId"])
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=table,
            DestinationCidrBlock="0.0.0.0/0",
            NatGatewayId=nat["NatGateway"]["NatGatewayId"],
        )
        for s in subnets:
            ec2.associate_route_table(RouteTableId=table, SubnetId=s)
        s3 = make("s3")
        for bucket in ("ons-processed", "ons-rejected"):
            s3.create_bucket(Bucket=bucket)
        values = {
            "ProjectName": "ons",
            "Environment": "development",
            "VpcId": vpc,
            "SubnetIds": ",".join(subnets),
            "ProcessedDataBucket": "ons-processed",
            "RejectedDataBucket": "ons-rejected",
        }
        yield Account(make, tmp_path, values, subnets, vpc, table)


class Account:
    def __init__(self, make, tmp, values, subnets, vpc, table):
        self.make, self.tmp, self.values = make, tmp, values
        self.subnets, self.vpc, self.table = subnets, vpc, table

    def run(
        self, backups_answer=None, stack_name=None, template=TEMPLATE, **changes
    ) -> tuple[int, list[str]]:
        values = {**self.values, **changes}
        path = self.tmp / "params.json"
        path.write_text(json.dumps([f"{k}={v}" for k, v in values.items() if v is not None]))
        lines: list[str] = []
        with stubbed_backups(self.make, backups_answer) as make:
            options = run.PreflightOptions(path, template, aws.Target(region=REGION), stack_name=stack_name)
            code = run.preflight(options, lines.append, make=make)
        return code, lines


@contextlib.contextmanager
def stubbed_backups(make, error_code=None):
    """``make`` whose Timestream for InfluxDB client answers ListDbBackups from botocore's Stubber
    (moto 5.2 lacks it; the answer's shape is the botocore model's) and every other call from moto."""
    stubbed = make("timestream-influxdb", "us-west-2")  # a second client (cached apart), never sent
    with Stubber(stubbed) as stub:
        if error_code:
            stub.add_client_error("list_db_backups", error_code, "refused", expected_params={"maxResults": 1})
        else:
            stub.add_response("list_db_backups", {"items": []}, {"maxResults": 1})

        class Influx:
            def __init__(self, real):
                self.real = real

            def __getattr__(self, name):
                return stubbed.list_db_backups if name == "list_db_backups" else getattr(self.real, name)

        def routed(service, region=None):
            client = make(service, region)
            return Influx(client) if service == "timestream-influxdb" else client

        yield routed


def by_name(lines: list[str], name: str) -> list[str]:
    return [line for line in lines if line[2:].startswith(name + " ")]


def test_a_ready_account_passes_every_check(account):
    code, lines = account.run()
    assert code == 0, "\n".join(lines)
    for name in (
        "parameters",
        "region",
        "credentials",
        "subnets",
        "names",
        "alarm-topics",
        "buckets",
        "engine-log-bucket",
        "service-api",
        "storage",
        "quota",
        "client-network",
    ):
        found = by_name(lines, name)
        assert found and all(line.startswith("✓") for line in found), (name, lines)
    assert lines[-1].startswith("preflight: 0 ✗")

    assert lines[-1].startswith("preflight: 0 ✗")


def failures(lines: list[str], name: str) -> list[str]:
    return [line for line in by_name(lines, name) if line.startswith("✗")]


def test_subnets_missing_in_another_vpc_or_one_zone_fail(account):
    ec2 = account.make("ec2")
    code, lines = account.run(SubnetIds=account.subnets[0] + ",subnet-0123456789abcdef0")
    assert code == 1 and "subnet-0123456789abcdef0 not found in us-east-1" in failures(lines, "subnets")[0]
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    stray = ec2.create_subnet(VpcId=other, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    code, lines = account.run(SubnetIds=f"{account.subnets[0]},{stray}")
    assert code == 1 and f"{stray} is in {other}" in failures(lines, "subnets")[0]
    same_zone = ec2.create_subnet(VpcId=account.vpc, CidrBlock="10.0.5.0/24", AvailabilityZone=f"{REGION}a")
    pair = f"{account.subnets[0]},{same_zone['Subnet']['SubnetId']}"
    code, lines = account.run(SubnetIds=pair, DeploymentType="WITH_MULTIAZ_STANDBY")
    assert code == 1 and "spans 1 Availability Zone(s)" in failures(lines, "subnets")[0]


def test_taken_names_fail_and_a_secret_pending_deletion_says_how_to_free_it(account):
    sm = account.make("secretsmanager")
    arn = sm.create_secret(Name="ons-development-influxdb-token", SecretString="x")["ARN"]
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    account.make("logs").create_log_group(logGroupName="ons-development-influxdb-backup")
    code, lines = account.run()
    found = failures(lines, "names")
    assert code == 1 and len(found) == 2, lines
    assert "pending deletion" in found[0] and "restore-secret" in found[0]
    assert "ons-development-influxdb-backup already exists" in found[1]


def test_alarm_topics_must_exist(account):
    sns = account.make("sns")
    real = sns.create_topic(Name="alarms")["TopicArn"]
    code, lines = account.run(AlarmActions=real)
    assert by_name(lines, "alarm-topics")[0].startswith("✓ ") and code == 0
    code, lines = account.run(AlarmActions=real + "-gone")
    assert code == 1 and "does not exist" in failures(lines, "alarm-topics")[0]


def test_a_missing_bucket_fails(account):
    code, lines = account.run(RejectedDataBucket="ons-nowhere")
    assert (
        code == 1 and "RejectedDataBucket: bucket ons-nowhere does not exist" in failures(lines, "buckets")[0]
    )


def test_the_engine_log_bucket_needs_the_service_policy(account):
    s3 = account.make("s3")
    s3.create_bucket(Bucket="ons-engine-logs")
    code, lines = account.run(EngineLogBucket="ons-engine-logs")
    assert code == 1 and "has no policy" in failures(lines, "engine-log-bucket")[0]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "timestream-influxdb.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::ons-engine-logs/InfluxLogs/*",
    }
    s3.put_bucket_policy(Bucket="ons-engine-logs", Policy=json.dumps({"Statement": [statement]}))
    code, lines = account.run(EngineLogBucket="ons-engine-logs")
    assert code == 0 and by_name(lines, "engine-log-bucket")[0].startswith("✓ ")
    wrong = {**statement, "Resource": "arn:aws:s3:::ons-engine-logs/other/*"}
    s3.put_bucket_policy(Bucket="ons-engine-logs", Policy=json.dumps({"Statement": [wrong]}))
    code, lines = account.run(EngineLogBucket="ons-engine-logs")
    assert code == 1 and "does not let" in failures(lines, "engine-log-bucket")[0]


def test_the_backup_api_must_answer(account):
    code, lines = account.run(backups_answer="UnrecognizedOperation")
    assert code == 1 and "does not answer in us-east-1" in failures(lines, "service-api")[0]
    code, lines = account.run(backups_answer="AccessDeniedException")
    assert code == 0 and by_name(lines, "service-api")[0].startswith("! ")


def test_storage_type_and_size_must_agree_in_one_line(account):
    code, lines = account.run(DbStorageType="InfluxIOIncludedT2", AllocatedStorage="20")
    assert code == 1 and "400 GiB" in failures(lines, "storage")[0]
    assert not failures(lines, "parameters"), "the storage problem is said once, on its own line"


def test_clients_without_nat_or_endpoints_are_told_what_they_lack(account):
    ec2 = account.make("ec2")
    ec2.delete_route(RouteTableId=account.table, DestinationCidrBlock="0.0.0.0/0")
    code, lines = account.run()
    found = by_name(lines, "client-network")
    assert code == 0 and len(found) == 2 and all(line.startswith("! ") for line in found), found
    assert "s3" in found[0] and "cannot read ProcessedDataBucket" in found[0]
    assert "secretsmanager" in found[1] and "cannot read the InfluxDB credentials" in found[1]
    ec2.create_vpc_endpoint(
        VpcId=account.vpc, ServiceName=f"com.amazonaws.{REGION}.s3", RouteTableIds=[account.table]
    )
    ec2.create_vpc_endpoint(
        VpcId=account.vpc,
        ServiceName=f"com.amazonaws.{REGION}.secretsmanager",
        VpcEndpointType="Interface",
        SubnetIds=account.subnets,
        PrivateDnsEnabled=True,
    )
    code, lines = account.run()
    assert by_name(lines, "client-network")[0].startswith("✓ "), lines


def test_names_the_stack_already_holds_are_free_on_an_update(account):
    cf = account.make("cloudformation")
    body = {
        "Resources": {
            "BackupFunctionLogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": "ons-development-influxdb-backup"},
            }
        }
    }
    cf.create_stack(StackName="ons-dev", TemplateBody=json.dumps(body))
    code, lines = account.run()
    assert code == 1 and "ons-development-influxdb-backup already exists" in failures(lines, "names")[0]
    code, lines = account.run(stack_name="ons-dev")
    assert code == 0 and by_name(lines, "names")[0].startswith("✓ "), lines


def test_a_cluster_needs_its_three_subnets_in_three_zones(account):
    """The read-replica cluster's registry entry asks for three Availability Zones: three subnets in
    two zones fail in one line saying so; in three zones the subnets pass. Its service probe is
    ListDbClusters, which moto answers."""
    ec2 = account.make("ec2")
    make_subnet = lambda cidr, zone: ec2.create_subnet(  # noqa: E731
        VpcId=account.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}"
    )["Subnet"]["SubnetId"]
    same_zone, third_zone = make_subnet("10.0.5.0/24", "a"), make_subnet("10.0.6.0/24", "c")
    ec2.associate_route_table(RouteTableId=account.table, SubnetId=third_zone)
    cluster = ROOT / "output" / "timestream-influxdb-cluster.yaml"
    code, lines = account.run(template=cluster, SubnetIds=",".join([*account.subnets, same_zone]))
    (line,) = failures(lines, "subnets")
    assert code == 1 and "spans 2 Availability Zone(s)" in line and "needs 3" in line
    code, lines = account.run(template=cluster, SubnetIds=",".join([*account.subnets, third_zone]))
    assert code == 0, "\n".join(lines)
    assert by_name(lines, "subnets")[0].startswith("✓") and by_name(lines, "service-api")[0].startswith("✓")
