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
    # 08090 is the reserved 8090 to the instance but not to a Rule comparing strings.
    "Port": (
        [
            "1023",
            "65536",
            "abc",
            "8090",
            "2375",
            "7790",
            "51679",
            "08090",
            "08086",
            "8086.0",
            "8.086e3",
            "+8086",
        ],
        ["8086", "1024", "65535", "9999"],
    ),
    "NetworkType": (["IPV6", "ipv4"], ["IPV4", "DUAL"]),
    "DbInstanceClass": (["db.influx.small", "db.t3.medium"], ["db.influx.medium", "db.influx.24xlarge"]),
    "DbStorageType": (["gp3", "InfluxIOIncludedT4"], ["InfluxIOIncludedT1", "InfluxIOIncludedT3"]),
    # 15,360 GiB is the API's maximum (the CloudFormation schema's 16,384 is refused by CreateDbInstance).
    "AllocatedStorage": (
        ["19", "16385", "16384", "15361", "big", "20.0", "3e2", "020", " 20", "\u0662\u0660", "\uff12\uff10"],
        ["20", "15360", "100", "400"],
    ),
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
    # Tab, newline, other control characters (C0, DEL, C1) and quotes break the credentials JSON.
    "Organization": (
        ["", 'my"org', "back\\slash", "o" * 65, "a\tb", "a\nb", "ons\r", "\x00ons", "a\x7fb", "a\x85b"],
        ["ons", "ONS Data Platform", "Operação Sul"],
    ),
    "Bucket": (
        ["b", "_internal", 'a"b', "b" * 65, "a\tb", "grid\ndata", "\x1bab", "ab\x9f"],
        ["ab", "ons-timeseries", "grid data"],
    ),
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
    # The backup function reads these with int(): "20.0" and "3e2" must not reach it.
    "BackupRetentionPeriod": (["0", "366", "seven", "7.0", "7e0", "07", "\u0967"], ["1", "7", "365"]),
    "ContinuousBackupRetentionDays": (["-1", "366", "20.0", "3e2", "00"], ["0", "1", "35", "365"]),
    "FinalBackupRetentionDays": (["-1", "3651", "30.0", "3e2", "030"], ["0", "30", "3650"]),
    # 0 (off) or Secrets Manager's AutomaticallyAfterDays range, 1 to 1000.
    "TokenRotationDays": (["-1", "1001", "30.0", "3e1", "030", ""], ["0", "1", "30", "1000"]),
    "AlarmActions": (
        [
            "not-an-arn",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:1234:t",
            # an empty entry next to a topic (the AlarmActionsNoEmptyItem rule)
            "arn:aws:sns:us-east-1:123456789012:a,,arn:aws:sns:us-east-1:123456789012:b",
            "arn:aws:sns:us-east-1:123456789012:a,",
        ],
        [
            "",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            "arn:aws:sns:us-east-1:123456789012:a,arn:aws-cn:sns:cn-north-1:123456789012:b.fifo",
            ",",  # only empty entries: the empty list (no actions)
        ],
    ),
    "CpuAlarmThreshold": (["0", "101"], ["1", "90", "100"]),
    "MemoryAlarmThreshold": (["0", "101"], ["90"]),
    "DiskAlarmThreshold": (["0", "101"], ["85"]),
    "ApiRequestRateAlarmThreshold": (["0", "-1"], ["1", "100000"]),
    "LogRetentionDays": (["2", "0", "10000", "14.0", "014"], ["1", "30", "3653"]),
    "EngineLogBucket": (["Bad_Bucket", "ab"], ["", "engine-logs"]),
    # The pattern only asks for a JSON object's braces; the names and values are checked against
    # botocore's model by deploy and by the parameter group function (test_engine_parameters.py).
    "EngineParameters": (
        ["[1]", "queryConcurrency=16", "{", " {} x", "{" + " " * 3071 + "}"],
        ["", "{}", '{"queryConcurrency": 16}', '\n  {\n "logLevel": "info"\n}\n'],
    ),
    "VpcId": (["vpc-1", "sg-12345678", ""], ["vpc-0123456789abcdef0", "vpc-12345678"]),
    "SubnetIds": (
        ["subnet-1", "", "subnet-12345678,vpc-12345678"],
        ["subnet-12345678", "subnet-12345678,subnet-0123456789abcdef0"],
    ),
}

# Parameters a Rule checks besides their own constraints.
RULED = {"Port", "AlarmActions"}

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
        rules = validate(product, {**VALID, name: value}).problems if name in RULED else []
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


def test_a_given_password_is_kept_in_the_admin_password_secret_not_generated(product):
    result = active(product, {**VALID, "Password": "abcdefgh12"})
    assert {"AdminPasswordSecret", "InfluxDBInstance"} <= set(result["Resources"])
    props = product["Resources"]["AdminPasswordSecret"]["Properties"]
    assert props["SecretString"]["Fn::If"][2] == {"Ref": "Password"}
    assert props["GenerateSecretString"]["Fn::If"][2] == {"Ref": "AWS::NoValue"}


def test_empty_alarm_actions_leave_the_alarms_without_actions(product):
    from tooling.cfn.evaluate import evaluate_conditions

    assert evaluate_conditions(product, VALID)["HasAlarmActions"] is False
    topics = "arn:aws:sns:us-east-1:123456789012:a"
    assert evaluate_conditions(product, {**VALID, "AlarmActions": topics})["HasAlarmActions"] is True


def test_port_with_leading_zero_is_refused_by_its_constraint(product):
    """The reserved-port Rule compares strings: 08090 would pass it and reach the instance as 8090."""
    problems = validate(product, {**VALID, "Port": "08090"}).problems
    assert [p.parameter for p in problems] == ["Port"]


def test_an_empty_alarm_action_next_to_a_topic_is_refused_by_a_rule(product):
    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    for value in (f"{topic},,{topic}", f",{topic}", f"{topic},"):
        problems = validate(product, {**VALID, "AlarmActions": value}).problems
        assert [p.parameter for p in problems] == ["AlarmActionsNoEmptyItem"], value
    for value in ("", ",", topic, f"{topic},{topic}"):
        assert not validate(product, {**VALID, "AlarmActions": value}).problems, value


def test_whole_number_parameters_are_strings_with_a_digits_pattern(product):
    """CloudFormation's Number type accepts 20.0 and 3e2 within MinValue/MaxValue; a pattern does not."""
    for name in ("Port", "AllocatedStorage", "BackupRetentionPeriod", "ContinuousBackupRetentionDays"):
        definition = product["Parameters"][name]
        assert definition["Type"] == "String", name
        assert "\\d" not in definition["AllowedPattern"], (
            "explicit [0-9]: \\d may differ between regex engines"
        )


@pytest.mark.parametrize(
    ("low", "high"), [(1024, 65535), (20, 15360), (1, 365), (0, 365), (0, 3650), (7, 7), (0, 9)]
)
def test_integer_range_pattern_matches_exactly_the_range(low, high):
    import re

    from templates_src.timestream_influxdb.parameters import integer_range_pattern

    pattern = re.compile(integer_range_pattern(low, high))
    matched = {n for n in range(0, 70000) if pattern.fullmatch(str(n))}
    assert matched == set(range(low, high + 1))
    for written in (f"0{low}", f"{low}.0", f"{low}e0", f"+{low}", f"-{low}"):
        assert not pattern.fullmatch(written), written


def test_no_template_pattern_relies_on_a_shorthand_class():
    """\\d, \\s, \\w and \\b mean different things in Java (CloudFormation) and Python unless told:
    the templates spell their classes out ([0-9], ' ', [A-Za-z0-9_])."""
    import json

    from templates_src.registry import TEMPLATES

    for name, spec in TEMPLATES.items():
        parameters = json.loads(json.dumps(spec.build(spec.options()).to_dict())).get("Parameters", {})
        for parameter, definition in parameters.items():
            pattern = definition.get("AllowedPattern", "")
            for shorthand in ("\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "\\b"):
                assert shorthand not in pattern, f"{name} {parameter}: {pattern}"
