"""Smoke test of the product template on a local moto server: `build.py deploy` and the real AWS CLI.

Both paths upload ``output/timestream-influxdb.yaml`` (the committed template) to a bucket in moto's
S3 and create the stack from its TemplateURL (as on AWS, where a template over 51,200 bytes can only
be deployed from S3), with a parameter
file derived from ``params/development.json`` (template defaults otherwise: no Secrets Manager
endpoint, no InfluxDBToken, so the token function and its custom resource are in the stack) to moto
on 127.0.0.1, in a VPC and subnets created in moto first.

What it proves: both deploy paths accept the template and its parameters, moto evaluates every
intrinsic of the resources it implements (including ``Fn::GetAtt`` of the skipped instance and the
functions' inlined ``ZipFile``), and what moto creates is as
asserted here — the security groups and their rules, the roles, the managed VPC-access policy, the
log groups, the two Lambda functions, the KMS key and its alias, the dashboard — plus the stack
policy ``build.py deploy`` sets, and that the conditional endpoint is absent by default.

What it cannot prove: moto skips the InfluxDB instance, the secrets, the alarms, the egress rules
and (patched in tests/moto_server.py, since moto cannot run the functions and would wait forever
for their answer) the custom resources ``Custom::InfluxDBBackups`` and ``Custom::InfluxDBToken``;
it ignores parameter constraints, managed-policy attachments and the functions' LoggingConfig. The
handlers are tested on their own (test_backup_function.py, test_token_function.py). A smoke test
of the CLI path, never proof that CloudFormation accepts the template.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tests.moto_server import moto_server
from tooling.deploy import plan
from tooling.deploy.runner import load_template

PROTECTED_TYPES = TEMPLATES["timestream-influxdb"].protected_types

# A moto server and build.py / the AWS CLI in subprocesses: slow. moto warns for each resource type
# it skips; the docstring says which.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")]

TEMPLATE = ROOT / "output" / "timestream-influxdb.yaml"
AWS_CLI = Path(sys.executable).parent / "aws"
PROTECTED = {"InfluxDBInstance", "AdminPasswordSecret", "CredentialsSecret", "TokenSecret", "KmsKey"}
BUCKET = "smoke-templates"


def localhost(server) -> str:
    """The server's endpoint by the name ``localhost``: moto's CloudFormation reads a TemplateURL from
    its own S3 only when the URL's host is localhost (else it takes the host for a bucket name)."""
    return server.endpoint_url.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto on a free port with a VPC and two subnets; stopped after the module's tests."""
    with moto_server() as server:
        ec2 = server.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate("ab", start=1)
        ]
        server.client("s3").create_bucket(Bucket=BUCKET)
        yield server, vpc, subnets


def params_file(directory: Path, vpc: str, subnets: list[str], project: str) -> Path:
    """params/development.json with moto's VPC and subnets and its own project name."""
    overrides = {"VpcId": vpc, "SubnetIds": ",".join(subnets[:1]), "ProjectName": project}
    entries = [
        e
        for e in json.loads((ROOT / "params" / "development.json").read_text())
        if e.split("=", 1)[0] not in overrides
    ]
    path = directory / f"{project}.json"
    path.write_text(json.dumps(entries + [f"{k}={v}" for k, v in overrides.items()]))
    return path


def physical_ids(cf, stack: str) -> dict[str, str]:
    return {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    }


def assert_created_what_moto_supports(server, stack: str, project: str, vpc: str) -> None:
    cf, ec2 = server.client("cloudformation"), server.client("ec2")
    assert cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    ids = physical_ids(cf, stack)
    prefix = f"{project}-development"

    # Security groups: the database admits only the client group on the InfluxDB port. (moto applies
    # inline ingress rules but ignores SecurityGroupEgress and AWS::EC2::SecurityGroupEgress, keeping
    # the default allow-all egress: the egress rules are checked on the template in test_network.py.)
    db, client = (
        ec2.describe_security_groups(GroupIds=[ids[k]])["SecurityGroups"][0]
        for k in ("InfluxDBSecurityGroup", "LambdaClientSecurityGroup")
    )
    assert db["VpcId"] == client["VpcId"] == vpc
    (ingress,) = db["IpPermissions"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 8086, 8086)
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [client["GroupId"]]
    assert not ingress.get("IpRanges")
    assert client["IpPermissions"] == []
    assert db["Description"].startswith("Timestream for InfluxDB: ingress only from the Lambda client group")

    # The Lambda role, assumable by Lambda only.
    role = server.client("iam").get_role(RoleName=ids["LambdaExecutionRole"])["Role"]
    principals = [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]]
    assert principals == [{"Service": "lambda.amazonaws.com"}]

    # The log group, named after project and environment, with the file's retention.
    (group,) = server.client("logs").describe_log_groups(logGroupNamePrefix=f"{prefix}-influxdb-clients")[
        "logGroups"
    ]
    assert group["logGroupName"] == ids["LambdaLogGroup"] == f"{prefix}-influxdb-clients"
    assert group["retentionInDays"] == 14

    # The KMS key (StorageEncrypted=true), rotating, and its alias.
    kms = server.client("kms")
    key = kms.describe_key(KeyId=ids["KmsKey"])["KeyMetadata"]
    assert key["Enabled"] and kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[f"alias/{prefix}-influxdb"] == key["KeyId"]

    # The functions, each with its own role and log group. Only the token worker calls InfluxDB, so
    # only it runs in the VPC, in the client security group; the custom resources' functions answer
    # CloudFormation from outside it.
    lam, iam = server.client("lambda"), server.client("iam")
    titles = ("BackupFunction", "TokenFunction", "TokenWorkerFunction")
    functions = {k: lam.get_function(FunctionName=ids[k])["Configuration"] for k in titles}
    for name, function in functions.items():
        role = iam.get_role(RoleName=ids[f"{name}Role"])["Role"]
        assert function["Role"] == role["Arn"]
        assert [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]] == [
            {"Service": "lambda.amazonaws.com"}
        ]
        assert role["RoleName"] != ids["LambdaExecutionRole"]
        assert (function["Runtime"], function["Handler"]) == ("python3.12", "index.handler")
        assert function["CodeSize"] > 0
    assert not functions["BackupFunction"].get("VpcConfig", {}).get("SubnetIds")
    assert not functions["TokenFunction"].get("VpcConfig", {}).get("SubnetIds")
    assert functions["TokenWorkerFunction"]["VpcConfig"]["SecurityGroupIds"] == [client["GroupId"]]
    groups = server.client("logs").describe_log_groups(logGroupNamePrefix=f"{prefix}-influxdb-")["logGroups"]
    names = {g["logGroupName"] for g in groups}
    for kind, title in (
        ("backup", "BackupFunction"),
        ("token", "TokenFunction"),
        ("token-worker", "TokenWorkerFunction"),
    ):
        assert ids[f"{title}LogGroup"] == f"{prefix}-influxdb-{kind}" and ids[f"{title}LogGroup"] in names
    assert ids["LambdaVpcAccessPolicy"].startswith("arn:aws:iam::")
    iam.get_policy(PolicyArn=ids["LambdaVpcAccessPolicy"])

    # Skipped by moto (see the module docstring): the custom resources are not created. The
    # product makes no VPC endpoint (a private-DNS endpoint is the network's, VPC-wide).
    assert not {"BackupConfiguration", "InfluxDBApiToken"} & set(ids)
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []

    assert (
        server.client("cloudwatch").get_dashboard(DashboardName=ids["Dashboard"])["DashboardName"]
        == f"{prefix}-influxdb"
    )


def test_smoke_build_py_deploy_of_the_product_template_on_moto(moto, tmp_path) -> None:
    server, vpc, subnets = moto
    params = params_file(tmp_path, vpc, subnets, "smoke-build")
    command = [
        sys.executable,
        "build.py",
        "deploy",
        "--endpoint-url",
        localhost(server),
        "--s3-bucket",
        BUCKET,
        "--stack-name",
        "smoke-build",
        "--params",
        str(params),
        "--poll-seconds",
        "0.1",
    ]

    started = time.perf_counter()
    first = subprocess.run(command, cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    print(f"build.py deploy on moto: {time.perf_counter() - started:.2f} s")
    key = plan.template_key("timestream-influxdb", TEMPLATE.read_bytes())
    assert f"uploading the template to s3://{BUCKET}/{key}" in first.stdout
    assert f"TemplateURL {localhost(server)}/{BUCKET}/{key}" in first.stdout
    uploaded = server.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert uploaded == TEMPLATE.read_bytes()
    assert "(CREATE) for stack smoke-build" in first.stdout
    assert "Add     InfluxDBInstance" in first.stdout
    assert "done: stack smoke-build is CREATE_COMPLETE" in first.stdout
    assert_created_what_moto_supports(server, "smoke-build", "smoke-build", vpc)

    # The stack policy denies replacing or deleting the database, the secrets and the key.
    body = json.loads(
        server.client("cloudformation").get_stack_policy(StackName="smoke-build")["StackPolicyBody"]
    )
    assert body == plan.stack_policy(load_template(TEMPLATE), PROTECTED_TYPES)
    assert {r.split("/", 1)[1] for r in body["Statement"][1]["Resource"]} == PROTECTED

    # Deploying the same values again is "no changes", a success (moto reports no changes on updates).
    again = subprocess.run(command, cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(UPDATE) for stack smoke-build" in again.stdout and "no changes" in again.stdout
    assert f"template already in s3://{BUCKET}/{key}" in again.stdout  # not uploaded twice


def test_smoke_aws_cli_deploy_of_the_product_template_on_moto(moto, tmp_path) -> None:
    """The README's `aws cloudformation deploy --s3-bucket ... --parameter-overrides file://...` line works
    as written. The CLI's S3 client does not take --endpoint-url: AWS_ENDPOINT_URL_S3 points it at moto."""
    server, vpc, subnets = moto
    params = params_file(tmp_path, vpc, subnets, "smoke-cli")
    # Over the 51,200 bytes the CLI sends inline: it uploads the template to S3 and passes its URL.
    server.client("s3").create_bucket(Bucket="smoke-cli-templates")
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(AWS_CLI),
            "cloudformation",
            "deploy",
            "--endpoint-url",
            server.endpoint_url,
            "--template-file",
            str(TEMPLATE),
            "--stack-name",
            "smoke-cli",
            "--capabilities",
            "CAPABILITY_IAM",
            "--s3-bucket",
            BUCKET,
            "--s3-prefix",
            "cli",
            "--parameter-overrides",
            f"file://{params}",
        ],
        cwd=ROOT,
        env={**server.env, "AWS_ENDPOINT_URL_S3": localhost(server)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"aws cloudformation deploy on moto: {time.perf_counter() - started:.2f} s")
    assert "Successfully created/updated stack - smoke-cli" in result.stdout
    assert server.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="cli/")["KeyCount"] == 1
    assert_created_what_moto_supports(server, "smoke-cli", "smoke-cli", vpc)
    # moto skips these types: they are in the stack but not created, a limit of this smoke test.
    resources = {
        r["LogicalResourceId"]: r["ResourceType"]
        for r in server.client("cloudformation").list_stack_resources(StackName="smoke-cli")[
            "StackResourceSummaries"
        ]
    }
    assert resources["LambdaExecutionRole"] == "AWS::IAM::Role"
