"""service.py agrees with the cfn-lint resource schemas and the botocore model it was read from."""

import gzip
import json
import re
from pathlib import Path

import botocore
import pytest

from templates_src.timestream_influxdb import service
from tooling.cfn.schemas import PROVIDERS_DIR


def _schema(type_: str) -> dict:
    providers = json.loads((PROVIDERS_DIR / "us-east-1.json").read_text())
    return json.loads((PROVIDERS_DIR.parent / "resources" / f"{providers[type_]}.json").read_text())


@pytest.fixture(scope="module")
def instance_schema():
    return _schema("AWS::Timestream::InfluxDBInstance")["properties"]


@pytest.fixture(scope="module")
def api():
    (path,) = (Path(botocore.__file__).parent / "data" / "timestream-influxdb").glob("*/service-2.json.gz")
    return json.loads(gzip.open(path).read())["shapes"]


def test_enums_match_the_schema(instance_schema):
    assert tuple(instance_schema["DbInstanceType"]["enum"]) == service.INSTANCE_TYPES
    assert tuple(instance_schema["DbStorageType"]["enum"]) == service.STORAGE_TYPES
    assert tuple(instance_schema["DeploymentType"]["enum"]) == service.DEPLOYMENT_TYPES
    assert tuple(instance_schema["NetworkType"]["enum"]) == service.NETWORK_TYPES
    assert service.STORAGE_IOPS.keys() == set(service.STORAGE_TYPES)


def test_limits_match_the_schema(instance_schema):
    s = instance_schema
    assert s["AllocatedStorage"]["minimum"] == service.ALLOCATED_STORAGE_MIN
    # The schema's maximum is above the API's: the lower one is what an instance can have.
    assert s["AllocatedStorage"]["maximum"] >= service.ALLOCATED_STORAGE_MAX
    assert (s["Port"]["minimum"], s["Port"]["maximum"]) == (service.PORT_MIN, service.PORT_MAX)
    assert (
        s["Name"]["minLength"],
        s["Name"]["maxLength"],
    ) == (service.INSTANCE_NAME_MIN, service.INSTANCE_NAME_MAX)
    assert s["Name"]["pattern"] == service.INSTANCE_NAME_PATTERN
    assert (
        s["Password"]["minLength"],
        s["Password"]["maxLength"],
    ) == (service.PASSWORD_MIN, service.PASSWORD_MAX)
    assert s["Username"]["maxLength"] == service.USERNAME_MAX
    assert s["Organization"]["maxLength"] == service.ORGANIZATION_MAX
    assert (s["Bucket"]["minLength"], s["Bucket"]["maxLength"]) == (service.BUCKET_MIN, service.BUCKET_MAX)
    assert s["VpcSubnetIds"]["maxItems"] == service.SUBNETS_MAX


def test_reserved_ports_are_the_ones_the_api_documents(api):
    doc = json.dumps(api)
    assert "The value can't be 2375-2376, 7788-7799, 8090, or 51678-51680" in doc
    assert set(service.RESERVED_PORTS) == {2375, 2376, *range(7788, 7800), 8090, 51678, 51679, 51680}


def test_password_rule_is_letters_and_digits(api):
    assert api["Password"]["pattern"] == "[a-zA-Z0-9]+"


def test_log_retention_values_match_the_schema():
    assert (
        tuple(_schema("AWS::Logs::LogGroup")["properties"]["RetentionInDays"]["enum"])
        == service.LOG_RETENTION_DAYS
    )


def test_service_patterns_compile():
    assert re.fullmatch(service.INSTANCE_NAME_PATTERN, "ons-development-influxdb")


def test_allocated_storage_range_is_the_apis(api):
    """CreateDbInstance's allocatedStorage (shape AllocatedStorage), not the schema's larger maximum."""
    shape = api[api["CreateDbInstanceInput"]["members"]["allocatedStorage"]["shape"]]
    assert (shape["min"], shape["max"]) == (service.ALLOCATED_STORAGE_MIN, service.ALLOCATED_STORAGE_MAX)
    assert min(service.STORAGE_MIN_GIB.values()) == service.ALLOCATED_STORAGE_MIN


def test_alarm_actions_limit_is_cloudwatchs():
    (path,) = (Path(botocore.__file__).parent / "data" / "cloudwatch").glob("*/service-2.json.gz")
    with gzip.open(path) as model:
        shapes = json.load(model)["shapes"]
    actions = shapes[shapes["PutMetricAlarmInput"]["members"]["AlarmActions"]["shape"]]
    assert actions["max"] == service.ALARM_ACTIONS_MAX
