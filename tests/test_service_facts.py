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
    assert service.INSTANCE_TYPES == tuple(instance_schema["DbInstanceType"]["enum"])
    assert service.STORAGE_TYPES == tuple(instance_schema["DbStorageType"]["enum"])
    assert service.DEPLOYMENT_TYPES == tuple(instance_schema["DeploymentType"]["enum"])
    assert service.NETWORK_TYPES == tuple(instance_schema["NetworkType"]["enum"])
    assert service.STORAGE_IOPS.keys() == set(service.STORAGE_TYPES)


def test_limits_match_the_schema(instance_schema):
    s = instance_schema
    assert (service.ALLOCATED_STORAGE_MIN, service.ALLOCATED_STORAGE_MAX) == (s["AllocatedStorage"]["minimum"], s["AllocatedStorage"]["maximum"])
    assert (service.PORT_MIN, service.PORT_MAX) == (s["Port"]["minimum"], s["Port"]["maximum"])
    assert (service.INSTANCE_NAME_MIN, service.INSTANCE_NAME_MAX) == (s["Name"]["minLength"], s["Name"]["maxLength"])
    assert service.INSTANCE_NAME_PATTERN == s["Name"]["pattern"]
    assert (service.PASSWORD_MIN, service.PASSWORD_MAX) == (s["Password"]["minLength"], s["Password"]["maxLength"])
    assert service.USERNAME_MAX == s["Username"]["maxLength"]
    assert service.ORGANIZATION_MAX == s["Organization"]["maxLength"]
    assert (service.BUCKET_MIN, service.BUCKET_MAX) == (s["Bucket"]["minLength"], s["Bucket"]["maxLength"])
    assert service.SUBNETS_MAX == s["VpcSubnetIds"]["maxItems"]


def test_reserved_ports_are_the_ones_the_api_documents(api):
    doc = json.dumps(api)
    assert "The value can't be 2375-2376, 7788-7799, 8090, or 51678-51680" in doc
    assert set(service.RESERVED_PORTS) == {2375, 2376, *range(7788, 7800), 8090, 51678, 51679, 51680}


def test_password_rule_is_letters_and_digits(api):
    assert api["Password"]["pattern"] == "[a-zA-Z0-9]+"


def test_log_retention_values_match_the_schema():
    assert service.LOG_RETENTION_DAYS == tuple(_schema("AWS::Logs::LogGroup")["properties"]["RetentionInDays"]["enum"])


def test_service_patterns_compile():
    assert re.fullmatch(service.INSTANCE_NAME_PATTERN, "ons-development-influxdb")
