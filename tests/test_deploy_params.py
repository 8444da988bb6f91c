"""Parameter files for `build.py deploy`: the committed ones are valid, bad ones report every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling.deploy import params

SPEC = TEMPLATES["timestream-influxdb"]
SECRET_ENV = SPEC.secret_env
parse_file_text = params.parse_file_text


def read_and_check(path, template, environ):
    """The deploy command's validation, with the product's registry entry (secrets, value checks)."""
    return params.read_and_check(path, template, environ, SPEC)


def check_values(template, values):
    return params.check_values(template, values, SPEC.value_checks)


ENVIRONMENTS = ("development", "staging", "production")


def entries(environment: str) -> list[str]:
    return json.loads((ROOT / "params" / f"{environment}.json").read_text())


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "params.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def with_values(environment: str = "development", drop: tuple[str, ...] = (), **values: str) -> list[str]:
    """The committed file of ``environment`` with ``values`` replacing (or adding) entries."""
    kept = [e for e in entries(environment) if e.split("=", 1)[0] not in set(values) | set(drop)]
    return kept + [f"{k}={v}" for k, v in values.items()]


def problems_of(tmp_path: Path, product, data, environ=None) -> list[str]:
    return [str(p) for p in read_and_check(write(tmp_path, data), product, environ or {}).problems]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_committed_parameter_files_are_valid_and_hold_no_secret(product, environment: str) -> None:
    result = read_and_check(ROOT / "params" / f"{environment}.json", product, {})
    assert result.problems == []
    assert result.values["Environment"] == environment
    assert not set(result.values) & set(SECRET_ENV)


def test_production_is_multi_az_on_three_subnets(product) -> None:
    values = read_and_check(ROOT / "params" / "production.json", product, {}).values
    assert values["DeploymentType"] == "WITH_MULTIAZ_STANDBY"
    assert len(values["SubnetIds"].split(",")) == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ({"ProjectName": "ons"}, 'must be a JSON array of "Key=Value" strings'),
        (["ProjectName"], "entry 1: 'ProjectName' is not \"Key=Value\""),
        (["=value"], "entry 1: '=value' is not \"Key=Value\""),
        ([{"ParameterKey": "ProjectName"}], 'entry 1: must be a "Key=Value" string'),
        (["ProjectName=a", "ProjectName=b"], "ProjectName: is given more than once"),
    ],
)
def test_format_problems(tmp_path, product, data, expected: str) -> None:
    assert any(expected in p for p in problems_of(tmp_path, product, data))


def test_an_unreadable_or_non_json_file_reports_only_that(tmp_path, product) -> None:
    assert len(problems_of(tmp_path, product, "{not json")) == 1
    missing = read_and_check(tmp_path / "nope.json", product, {})
    assert [p.message for p in missing.problems] == ["cannot be read: No such file or directory"]


def test_a_value_may_contain_equals_signs_and_commas() -> None:
    values, problems = parse_file_text('["AlarmActions=a,b", "Organization=x=y"]')
    assert problems == [] and values == {"AlarmActions": "a,b", "Organization": "x=y"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"Environmnet": "development"},
            "Environmnet: is not a parameter of this template; did you mean Environment?",
        ),
        (
            {"Environment": "test"},
            "Environment: test is not allowed: choose one of development, staging, production",
        ),
        ({"ProjectName": "ONS"}, "ProjectName: ONS is not allowed"),
        ({"VpcId": "vpc-1"}, "VpcId: vpc-1 is not a VPC ID"),
        ({"SubnetIds": "subnet-0a1b2c3d4e5f60011,sn-2"}, "SubnetIds: sn-2 (item 2 of 2) is not a subnet ID"),
        (
            {"AllocatedStorage": "19"},
            "AllocatedStorage: 19 is not allowed: a whole number of GiB from 20 to 15360",
        ),
        ({"AllocatedStorage": "lots"}, "AllocatedStorage: lots is not allowed"),
        ({"AllocatedStorage": "20.0"}, "AllocatedStorage: 20.0 is not allowed"),
        ({"BackupRetentionPeriod": "3e2"}, "BackupRetentionPeriod: 3e2 is not allowed"),
        ({"Port": "08090"}, "Port: 08090 is not allowed"),
        ({"Organization": "a\tb"}, "Organization: 'a\\tb' is not allowed"),
        ({"Port": "8090"}, "PortNotReserved: rule assertion failed"),
        ({"Port": "80"}, "Port: 80 is not allowed"),
        ({"DbInstanceClass": "db.t3.micro"}, "DbInstanceClass: db.t3.micro is not allowed"),
        ({"Bucket": "b"}, "Bucket: b is not allowed"),
        ({"MaintenanceWindow": "Sunday 2am"}, "MaintenanceWindow: Sunday 2am is not allowed"),
        (
            {"AlarmActions": "arn:aws:sns:us-east-1:1:t"},
            "AlarmActions: arn:aws:sns:us-east-1:1:t (item 1 of 1) is not allowed",
        ),
        ({"LogRetentionDays": "10"}, "LogRetentionDays: 10 is not allowed"),
    ],
)
def test_each_bad_value_is_named(tmp_path, product, changes: dict[str, str], expected: str) -> None:
    found = problems_of(tmp_path, product, with_values(**changes))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    "name", ["ProjectName", "VpcId", "SubnetIds", "ProcessedDataBucket", "RejectedDataBucket"]
)
def test_missing_required_value(tmp_path, product, name: str) -> None:
    found = problems_of(tmp_path, product, with_values(drop=(name,)))
    assert f"{name}: a value is required: none was given and the parameter has no Default" in found


@pytest.mark.parametrize("secret", sorted(SECRET_ENV))
def test_a_secret_in_the_file_is_refused_and_never_echoed(tmp_path, product, secret: str) -> None:
    found = problems_of(tmp_path, product, with_values(**{secret: "Sup3rSecretValue"}))
    assert any(
        p.startswith(f"{secret}: is a secret (NoEcho) and must not be in a parameter file") for p in found
    )
    assert SECRET_ENV[secret] in " ".join(found)
    assert not any("Sup3rSecretValue" in p for p in found)


def test_secrets_come_from_the_environment_and_are_checked_without_being_shown(tmp_path, product) -> None:
    path = write(tmp_path, entries("development"))
    good = read_and_check(
        path, product, {"INFLUXDB_ADMIN_PASSWORD": "Abcdefgh12345678", "INFLUXDB_TOKEN": "tok=="}
    )
    assert good.problems == [] and good.from_env == {"Password", "InfluxDBToken"}
    assert good.values["Password"] == "Abcdefgh12345678"
    bad = read_and_check(path, product, {"INFLUXDB_ADMIN_PASSWORD": "short!pw"})
    assert [str(p) for p in bad.problems] == [
        "Password (environment variable INFLUXDB_ADMIN_PASSWORD): (hidden) is not allowed: empty, or 8 to 64 "
        "letters and digits (the service accepts no punctuation)"
    ]


def test_what_cloudformation_cannot_check(product) -> None:
    base = {k: v for k, v in (e.split("=", 1) for e in entries("development"))}
    # 19 characters is the longest ProjectName the template allows; with "development" the name is 40.
    assert check_values(product, {**base, "ProjectName": "a" * 19}) == []
    too_long = [str(p) for p in check_values(product, {**base, "ProjectName": "a" * 20})]
    assert any(
        "the instance name " + "a" * 20 + "-development-influxdb is 41 characters" in p for p in too_long
    )
    multi = [str(p) for p in check_values(product, {**base, "DeploymentType": "WITH_MULTIAZ_STANDBY"})]
    assert multi == [
        "DeploymentType: WITH_MULTIAZ_STANDBY needs at least 2 subnets in different Availability Zones; SubnetIds has 1"
    ]
    four = ",".join(f"subnet-0a1b2c3d4e5f6001{i}" for i in range(4))
    assert [str(p) for p in check_values(product, {**base, "SubnetIds": four})] == [
        "SubnetIds: has 4 subnets; the instance takes at most 3"
    ]
    twice = "subnet-0a1b2c3d4e5f60011,subnet-0a1b2c3d4e5f60011"
    found = [
        str(p)
        for p in check_values(product, {**base, "SubnetIds": twice, "DeploymentType": "WITH_MULTIAZ_STANDBY"})
    ]
    assert "SubnetIds: lists subnet-0a1b2c3d4e5f60011 more than once" in found
    assert any(p.startswith("DeploymentType: WITH_MULTIAZ_STANDBY needs at least 2 subnets") for p in found)


def test_every_problem_is_reported_at_once(tmp_path, product) -> None:
    data = with_values(drop=("VpcId",), Environment="test", AllocatedStorage="5", Colour="blue", Password="x")
    found = problems_of(tmp_path, product, data)
    for start in ("VpcId:", "Environment:", "AllocatedStorage:", "Colour:", "Password:"):
        assert any(p.startswith(start) for p in found), (start, found)


def catalog_regions() -> list[str]:
    import yaml

    return yaml.safe_load((ROOT / "catalog.yaml").read_text())["regions"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("region", catalog_regions())
def test_committed_parameter_files_are_valid_in_the_regions_the_catalog_publishes_to(
    product, environment: str, region: str
) -> None:
    path = ROOT / "params" / f"{environment}.json"
    assert params.read_and_check(path, product, {}, SPEC, region).problems == []


@pytest.mark.parametrize("storage_type", ["InfluxIOIncludedT2", "InfluxIOIncludedT3"])
def test_the_fast_storage_tiers_need_400_gib(tmp_path, product, storage_type: str) -> None:
    found = problems_of(tmp_path, product, with_values(DbStorageType=storage_type, AllocatedStorage="399"))
    assert f"AllocatedStorage: 399 GiB is less than the 400 GiB that {storage_type} needs" in found
    assert not problems_of(tmp_path, product, with_values(DbStorageType=storage_type, AllocatedStorage="400"))
    assert not problems_of(
        tmp_path, product, with_values(DbStorageType="InfluxIOIncludedT1", AllocatedStorage="20")
    )


TOPIC = "arn:aws:sns:{region}:123456789012:alarms-{n}"


def alarm_problems(product, actions: str, region: str | None) -> list[str]:
    values = {e.split("=", 1)[0]: e.split("=", 1)[1] for e in with_values(AlarmActions=actions)}
    return [str(p) for p in params.check_values(product, values, SPEC.value_checks, region)]


def test_more_than_five_alarm_actions_are_refused(product) -> None:
    five = ",".join(TOPIC.format(region="sa-east-1", n=n) for n in range(5))
    assert alarm_problems(product, five, "sa-east-1") == []
    six = f"{five},{TOPIC.format(region='sa-east-1', n=5)}"
    assert "AlarmActions: has 6 topics; CloudWatch takes at most 5 per alarm state" in alarm_problems(
        product, six, "sa-east-1"
    )


def test_an_empty_alarm_action_is_refused(product) -> None:
    topic = TOPIC.format(region="sa-east-1", n=1)
    found = alarm_problems(product, f"{topic},,{topic}", "sa-east-1")
    assert "AlarmActions: has an empty entry (two commas, or a comma at an end)" in found


def test_alarm_topics_must_be_in_the_stacks_region_when_it_is_known(product) -> None:
    other = TOPIC.format(region="us-east-1", n=1)
    found = alarm_problems(product, other, "sa-east-1")
    assert [p for p in found if "us-east-1" in p] == [
        f"AlarmActions: {other} is in us-east-1; CloudWatch alarms notify SNS topics in their own Region "
        "only, and the stack is in sa-east-1"
    ]
    assert alarm_problems(product, other, "us-east-1") == []
    assert alarm_problems(product, other, None) == []  # the Region is not known: not checked


# --- files and variables that are not text: one line each through `build.py deploy`, never a traceback


def deploy_cli(path: Path, capsys) -> tuple[int, str]:
    from tooling import cli

    code = cli.main(["deploy", "--stack-name", "s", "--params", str(path), "--s3-bucket", "ons-bucket"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'\xff\xfe["ProjectName=ons"]', "is not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"),
        (b"[" * 100_000, "is nested too deeply to be a parameter file"),
        (b'["ProjectName=ons\\ud800"]', "holds \\ud800 at character 16, which is not valid text"),
    ],
    ids=["not-utf-8", "deeply-nested", "lone-surrogate"],
)
def test_a_file_that_is_not_text_is_one_problem_line_and_exit_2(tmp_path, capsys, monkeypatch, content, said):
    monkeypatch.delenv("INFLUXDB_ADMIN_PASSWORD", raising=False)
    path = tmp_path / "params.json"
    path.write_bytes(content)
    code, out = deploy_cli(path, capsys)
    assert code == 2 and "Traceback" not in out
    assert f"  - {path}" in out and said in out
    assert out.count("\n") == 3  # the count, the problem, the way out


def test_a_bad_password_from_the_environment_names_the_variable(capsys, monkeypatch) -> None:
    monkeypatch.setenv("INFLUXDB_ADMIN_PASSWORD", "short")
    code, out = deploy_cli(ROOT / "params" / "development.json", capsys)
    assert code == 2 and "short" not in out
    assert "  - Password (environment variable INFLUXDB_ADMIN_PASSWORD): (hidden) is not allowed" in out
    assert "and the environment variable(s) INFLUXDB_ADMIN_PASSWORD and run again" in out


def test_a_password_variable_that_is_not_text_is_named_and_never_shown(tmp_path, product) -> None:
    environ = {SECRET_ENV["Password"]: "Abcdefgh\udcff1234"}  # a non-UTF-8 byte, as os.environ holds it
    found = read_and_check(write(tmp_path, entries("development")), product, environ)
    assert [str(p) for p in found.problems] == [
        f"Password (environment variable {SECRET_ENV['Password']}): is not valid text "
        "(a byte that is not UTF-8, or a lone surrogate); set it again"
    ]
