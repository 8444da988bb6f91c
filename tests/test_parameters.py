"""Parameters: documented, grouped on the launch form, and every constraint refuses what it must.

The matrix drives each constraint of the product template with a value CloudFormation must refuse
and one it must accept, evaluated by tooling.constraints as CloudFormation does.
"""

import pytest

from tooling.cfn.evaluate import active
from tooling.constraints import check_parameter, validate

CONSTRAINT_KEYS = {"AllowedValues", "AllowedPattern", "MinLength", "MaxLength", "MinValue", "MaxValue"}

# parameter: ([values it must refuse], [values it must accept])
MATRIX = {
    "Environment": (["prod", "Development", ""], ["development", "staging", "production"]),
    "ProjectName": (
        ["Ons", "1ons", "ons-", "ons--dp", "o", "ons_dp", "x" * 20],
        ["ons", "ons-data-platform", "a1-b2"],
    ),
    "Port": (["1023", "65536", "abc", "8090", "2375", "7790", "51679"], ["8086", "1024", "65535", "9999"]),
    "NetworkType": (["IPV6", "ipv4"], ["IPV4", "DUAL"]),
    "DbInstanceClass": (["db.influx.small", "db.t3.medium"], ["db.influx.medium", "db.influx.24xlarge"]),
    "DbStorageType": (["gp3", "InfluxIOIncludedT4"], ["InfluxIOIncludedT1", "InfluxIOIncludedT3"]),
    "AllocatedStorage": (["19", "16385", "big"], ["20", "16384", "100"]),
    "DeploymentType": (["MULTI_AZ"], ["SINGLE_AZ", "WITH_MULTIAZ_STANDBY"]),
    "DbParameterGroupIdentifier": (["ab", "bad-name", "x" * 65], ["", "abc", "myGroup01"]),
    "MaintenanceWindow": (
        ["Sun:02:00", "sun:02:00-sun:06:00", "Sun:24:00-Sun:06:00"],
        ["", "Sun:02:00-Sun:06:00", "Sat:23:00-Sun:03:00"],
    ),
    "MaintenanceTimezone": (
        ["UTC+3", "Europe/", "utc", "Europe/Paris/Left/Bank"],
        ["", "UTC", "America/Sao_Paulo", "America/Argentina/Buenos_Aires"],
    ),
    "Username": (
        ["1admin", "admin-", "ad--min", "", "a" * 65, 'ad"min'],
        ["admin", "my-user1", "a", "ops.admin"],
    ),
    "Password": (
        ["short1", "has punctuation!", "p@ssword123", "a" * 65],
        ["", "abcdefgh", "A1b2C3d4E5f6G7h8", "a" * 64],
    ),
    "Organization": (["", 'my"org', "back\\slash", "o" * 65], ["ons", "ONS Data Platform"]),
    "Bucket": (["b", "_internal", 'a"b', "b" * 65], ["ab", "ons-timeseries", "grid data"]),
    "InfluxDBToken": (["has space", 'quote"', "t" * 513], ["", "abcDEF123==", "a-b_c+d/e="]),
    "ProcessedDataBucket": (
        ["", "Upper", "ab", "-bucket", "bucket-", "b" * 64, "under_score"],
        ["my-bucket", "data.ons.example", "abc"],
    ),
    "RejectedDataBucket": (["", "UPPER"], ["rejected-data"]),
    "RejectedDataPrefix": (
        ["", "no-slash", "/leading", "a//b/", "star*/"],
        ["influxdb-rejected/", "a/b/", "year(2026)/"],
    ),
    "StorageEncrypted": (["yes", "True"], ["true", "false"]),
    "BackupRetentionPeriod": (["0", "366", "seven"], ["1", "7", "365"]),
    "ContinuousBackupRetentionDays": (["-1", "366"], ["0", "1", "35", "365"]),
    "FinalBackupRetentionDays": (["-1", "3651"], ["0", "30", "3650"]),
    "AlarmActions": (
        ["not-an-arn", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns:us-east-1:1234:t"],
        [
            "",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            "arn:aws:sns:us-east-1:123456789012:a,arn:aws-cn:sns:cn-north-1:123456789012:b.fifo",
        ],
    ),
    "CpuAlarmThreshold": (["0", "101"], ["1", "90", "100"]),
    "MemoryAlarmThreshold": (["0", "101"], ["90"]),
    "DiskAlarmThreshold": (["0", "101"], ["85"]),
    "ApiRequestRateAlarmThreshold": (["0", "-1"], ["1", "100000"]),
    "LogRetentionDays": (["2", "0", "10000"], ["1", "30", "3653"]),
    "EngineLogBucket": (["Bad_Bucket", "ab"], ["", "engine-logs"]),
    "VpcId": (["vpc-1", "sg-12345678", ""], ["vpc-0123456789abcdef0", "vpc-12345678"]),
    "SubnetIds": (
        ["subnet-1", "", "subnet-12345678,vpc-12345678"],
        ["subnet-12345678", "subnet-12345678,subnet-0123456789abcdef0"],
    ),
}

REQUIRED = {"ProjectName", "VpcId", "SubnetIds", "ProcessedDataBucket", "RejectedDataBucket"}
VALID = {
    "ProjectName": "ons-data-platform",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-12345678",
    "ProcessedDataBucket": "ons-processed",
    "RejectedDataBucket": "ons-rejected",
}


def test_every_parameter_is_described_labelled_and_grouped(product):
    interface = product["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(product["Parameters"]), "every parameter in exactly one group"
    for name, definition in product["Parameters"].items():
        assert definition.get("Description"), name
        assert interface["ParameterLabels"][name]["default"], name
        assert definition.get("ConstraintDescription"), f"{name}: tell a person what to type"


def test_every_constrained_parameter_is_in_the_matrix(product):
    constrained = {
        n for n, d in product["Parameters"].items() if CONSTRAINT_KEYS & d.keys() or d["Type"] != "String"
    }
    assert constrained <= MATRIX.keys(), f"add refuse/accept cases for {constrained - MATRIX.keys()}"
    assert MATRIX.keys() <= product["Parameters"].keys()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_constraints_refuse_and_accept(product, name):
    refuse, accept = MATRIX[name]
    definition = product["Parameters"][name]
    for value in refuse:
        problems = check_parameter(name, definition, value)
        rules = validate(product, {**VALID, name: value}).problems if name == "Port" else []
        assert problems or rules, f"{name}={value!r} must be refused"
    for value in accept:
        assert not check_parameter(name, definition, value), f"{name}={value!r} must be accepted"
        assert not validate(product, {**VALID, name: value}).problems, f"{name}={value!r}"


def test_reserved_ports_are_refused_by_a_rule(product):
    result = validate(product, {**VALID, "Port": "8090"})
    assert [p.parameter for p in result.problems] == ["PortNotReserved"]
    assert "SubnetsInVpc" in result.unchecked_rules  # needs AWS to look up the subnets' VPC


def test_required_parameters_are_exactly_the_ones_without_a_sensible_default(product):
    required = {n for n, d in product["Parameters"].items() if "Default" not in d}
    assert required == REQUIRED
    result = validate(product, {})
    assert {p.parameter for p in result.problems} == REQUIRED


def test_a_password_is_never_echoed_in_a_problem(product):
    result = validate(product, {**VALID, "Password": "secret-with-dash"})
    assert result.problems
    assert all("secret-with-dash" not in str(p) for p in result.problems)


def test_defaults_create_the_key_and_generate_the_password(product):
    resources = active(product, VALID)["Resources"]
    assert {"KmsKey", "KmsKeyAlias", "LambdaKmsPolicy", "AdminPasswordSecret"} <= resources


def test_without_encryption_no_key_and_nothing_refers_to_it(product):
    result = active(product, {**VALID, "StorageEncrypted": "false"})
    assert not {"KmsKey", "KmsKeyAlias", "LambdaKmsPolicy"} & result["Resources"]
    assert "KmsKeyArn" not in result["Outputs"]


def test_a_given_password_means_no_generated_secret(product):
    result = active(product, {**VALID, "Password": "abcdefgh12"})
    assert "AdminPasswordSecret" not in result["Resources"]
    assert "InfluxDBInstance" in result["Resources"]


def test_empty_alarm_actions_leave_the_alarms_without_actions(product):
    from tooling.cfn.evaluate import evaluate_conditions

    assert evaluate_conditions(product, VALID)["HasAlarmActions"] is False
    topics = "arn:aws:sns:us-east-1:123456789012:a"
    assert evaluate_conditions(product, {**VALID, "AlarmActions": topics})["HasAlarmActions"] is True
