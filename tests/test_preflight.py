"""build.py preflight: the pure checks, the names read from the template, the command line (one line
for a broken file, no Region or no network) and the help and README naming every check."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from moto_server import isolated_aws_env
from tooling.cfn import schemas
from tooling.preflight import checks as c
from tooling.preflight.names import NAME_PROPERTIES, planned_names

TEMPLATE = ROOT / "output" / "timestream-influxdb.yaml"


def build(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "preflight", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


# --- the pure checks -----------------------------------------------------------------------------

STATEMENT = c.log_policy_statement("logs", "timestream-influxdb.amazonaws.com", "InfluxLogs/")
OBJECT = "arn:aws:s3:::logs/InfluxLogs/x"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_the_log_policy_reading():
    principal = "timestream-influxdb.amazonaws.com"
    assert c.policy_allows(policy(STATEMENT), principal, "s3:PutObject", OBJECT) == "allowed"
    assert (
        c.policy_allows(policy({**STATEMENT, "Action": "s3:Put*"}), principal, "s3:PutObject", OBJECT)
        == "allowed"
    )
    other = {**STATEMENT, "Principal": {"Service": "logging.s3.amazonaws.com"}}
    assert c.policy_allows(policy(other), principal, "s3:PutObject", OBJECT) == "not allowed"
    conditional = {**STATEMENT, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    assert c.policy_allows(policy(conditional), principal, "s3:PutObject", OBJECT) == "conditional"
    deny = {**STATEMENT, "Effect": "Deny"}
    assert c.policy_allows(policy(STATEMENT, deny), principal, "s3:PutObject", OBJECT) == "denied"


def test_a_log_bucket_in_another_region_fails():
    bucket = c.Bucket("EngineLogBucket", "logs", True, region="eu-west-1", policy=policy(STATEMENT))
    (line,) = c.check_log_bucket(bucket, "sa-east-1", "timestream-influxdb.amazonaws.com", "InfluxLogs/")
    assert line.status is c.Status.FAIL and "eu-west-1" in line.message
    (line,) = c.check_log_bucket(
        c.Bucket("EngineLogBucket", "logs", True, region="sa-east-1", policy=policy(STATEMENT)),
        "sa-east-1",
        "timestream-influxdb.amazonaws.com",
        "InfluxLogs/",
    )
    assert line.status is c.Status.OK


def test_the_quota_warns_at_the_documented_default():
    kind = "AWS::Timestream::InfluxDBInstance"
    assert c.check_quota(c.QuotaFacts(kind, 40, 39))[0].status is c.Status.OK
    assert c.check_quota(c.QuotaFacts(kind, 40, 40))[0].status is c.Status.WARN
    assert c.check_quota(c.QuotaFacts(kind, 40, None, "denied"))[0].status is c.Status.WARN


def test_more_subnets_than_the_product_takes_fail():
    found = {f"subnet-{i}": c.Subnet(f"subnet-{i}", "vpc-1", f"az{i}") for i in range(4)}
    facts = c.SubnetFacts("SubnetIds", tuple(found), found, "r", "VpcId", "vpc-1", 1, 3)
    (line,) = c.check_subnets(facts)
    assert line.status is c.Status.FAIL
    # The line serves every product (an instance or a cluster): it names no resource kind.
    assert line.message == "SubnetIds has 4 subnets; this product takes at most 3"


def test_an_alarm_topic_in_another_region_fails_without_a_call():
    topic = c.Topic("arn:aws:sns:eu-west-1:123456789012:t", "eu-west-1", None, "not looked up")
    (line,) = c.check_alarm_topics(c.TopicFacts("AlarmActions", "sa-east-1", (topic,)))
    assert line.status is c.Status.FAIL and "own Region only" in line.message


def test_a_transit_gateway_route_is_a_warning_not_a_pass():
    facts = c.NetworkFacts(
        "SubnetIds", (c.RouteFacts("subnet-1", "rtb-1", "other"),), frozenset(), {"s3": "x"}
    )
    assert c.check_client_network(facts)[0].status is c.Status.WARN


# --- names from the template ---------------------------------------------------------------------


def test_name_properties_are_the_schemas_own():
    for kind, prop in NAME_PROPERTIES.items():
        assert prop in schemas.schemas(kind)[0]["properties"], (kind, prop)


def test_the_names_follow_the_template_and_its_conditions():
    from tooling.deploy.runner import load_template

    template = load_template(TEMPLATE)
    values = {"ProjectName": "ons", "Environment": "development", "StorageEncrypted": "false"}
    found = {p.name for p in planned_names(template, values, {"AWS::Region": "us-east-1"})}
    assert "ons-development-influxdb" in found and "ons-development-influxdb-token" in found
    assert not any(n.startswith("alias/") for n in found), "no key, no alias when StorageEncrypted=false"
    with_key = planned_names(template, {**values, "StorageEncrypted": "true"}, {})
    assert "alias/ons-development-influxdb" in {p.name for p in with_key}


# --- the command line ----------------------------------------------------------------------------


def test_help_and_readme_name_every_check():
    help_text = build("--help").stdout
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Preflight") :]
    section = section[: section.index("\n### ", 1)]
    for described in c.CATALOGUE:
        assert f"  {described.name} " in help_text, described.name
        assert f"| `{described.name}` |" in section, described.name


@pytest.fixture
def env(tmp_path):
    return isolated_aws_env(tmp_path)


@pytest.mark.slow
def test_a_broken_parameter_file_is_one_line(tmp_path, env):
    broken = tmp_path / "broken.json"
    broken.write_text('["ProjectName=ons",')
    result = build("--params", str(broken), env=env)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("✗ parameters") and "is not valid JSON" in line and "fix: edit" in line


@pytest.mark.slow
def test_no_region_is_one_line(env):
    env.pop("AWS_DEFAULT_REGION")
    result = build("--params", str(ROOT / "params" / "development.json"), env=env)
    assert result.returncode == 1 and result.stdout == ""  # an AWS problem, as for deploy and restore
    (line,) = result.stderr.splitlines()
    assert "no AWS Region: pass --region" in line


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setup", "said"),
    [
        ({"AWS_PROFILE": "nope"}, "profile (nope) could not be found"),
        ("unparsable", "Unable to parse config file"),
    ],
    ids=["unknown-profile", "unparsable-config"],
)
def test_aws_setup_problems_exit_1_in_one_line_as_for_deploy(tmp_path, env, setup, said):
    if setup == "unparsable":
        config = tmp_path / "broken-config"
        config.write_text("[default\nregion = us-east-1\n")
        env["AWS_CONFIG_FILE"] = str(config)
    else:
        env.update(setup)
    result = build("--params", str(ROOT / "params" / "development.json"), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("build.py preflight: ") and said in line
