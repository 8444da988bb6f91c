"""The InfluxDB instance: private, retained, named to fit the service's rules."""

import re

import pytest

from templates_src.timestream_influxdb import Options, service
from tooling.constraints import check_parameter


def test_instance_is_private_retained_and_behind_its_security_group(product):
    instance = product["Resources"]["InfluxDBInstance"]
    props = instance["Properties"]
    assert props["PubliclyAccessible"] is False
    assert instance["DeletionPolicy"] == "RetainExceptOnCreate"
    assert instance["UpdateReplacePolicy"] == "Retain"
    assert props["VpcSubnetIds"] == {"Ref": "SubnetIds"}
    assert props["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}]
    assert props["Port"] == {"Ref": "Port"}


def test_password_is_generated_or_taken_from_the_noecho_parameter(product):
    props = product["Resources"]["InfluxDBInstance"]["Properties"]
    condition, generated, given = props["Password"]["Fn::If"]
    assert condition == "GeneratePassword"
    assert generated == {"Fn::Sub": "{{resolve:secretsmanager:${AdminPasswordSecret}:SecretString}}"}
    assert given == {"Ref": "Password"}
    assert product["Parameters"]["Password"]["NoEcho"] is True
    secret = product["Resources"]["AdminPasswordSecret"]
    assert "Condition" not in secret  # the token function reads the password from it in both cases
    cond, generator, no_value = secret["Properties"]["GenerateSecretString"]["Fn::If"]
    assert (cond, no_value) == ("GeneratePassword", {"Ref": "AWS::NoValue"})
    assert secret["Properties"]["SecretString"] == {
        "Fn::If": ["GeneratePassword", {"Ref": "AWS::NoValue"}, {"Ref": "Password"}]
    }
    assert generator["PasswordLength"] == 32
    assert generator["ExcludePunctuation"] is True and generator["IncludeSpace"] is False


def test_optional_properties_are_omitted_when_their_parameters_are_empty(product):
    props = product["Resources"]["InfluxDBInstance"]["Properties"]
    for prop, condition in (
        ("DbParameterGroupIdentifier", "HasDbParameterGroup"),
        ("MaintenanceSchedule", "HasMaintenanceWindow"),
        ("LogDeliveryConfiguration", "HasEngineLogBucket"),
    ):
        cond, _, otherwise = props[prop]["Fn::If"]
        assert cond == condition and otherwise == {"Ref": "AWS::NoValue"}
    log = props["LogDeliveryConfiguration"]["Fn::If"][1]
    assert log == {"S3Configuration": {"BucketName": {"Ref": "EngineLogBucket"}, "Enabled": True}}


def _instance_name(project: str, environment: str) -> str:
    return f"{project}-{environment}-influxdb"


@pytest.mark.parametrize(
    "options", [Options(), Options(environments=("dev", "prod"), default_environment="dev")]
)
def test_every_accepted_project_and_environment_give_a_valid_instance_name(options):
    """The ProjectName constraints guarantee a Name the service accepts, for every environment."""
    from templates_src.timestream_influxdb import build

    params = build(options).to_dict()["Parameters"]
    longest = options.project_name_max_length
    samples = [
        "ab",
        "a1",
        "a-b",
        "x" * longest,
        ("a-" * longest)[: longest - 1] + "b",
        "ons-data-platform"[:longest],
    ]
    for project in samples:
        assert not check_parameter("ProjectName", params["ProjectName"], project), project
        for environment in params["Environment"]["AllowedValues"]:
            name = _instance_name(project, environment)
            assert service.INSTANCE_NAME_MIN <= len(name) <= service.INSTANCE_NAME_MAX, name
            assert re.fullmatch(service.INSTANCE_NAME_PATTERN, name), name
    # one character more than the maximum is refused, so no accepted pair can overflow
    assert check_parameter("ProjectName", params["ProjectName"], "x" * (longest + 1))
