"""Alarms, dashboard, outputs and tags of the product template."""

import json

import pytest

from conftest import resources_of_type, substitute
from templates_src.timestream_influxdb import service
from templates_src.timestream_influxdb.alarms import ALARMS
from tooling.cfn.schemas import PROVIDERS_DIR

INSTANCE_NAME = {"Fn::Sub": "${ProjectName}-${Environment}-influxdb"}


def test_alarms_watch_the_instance_metrics_in_the_service_namespace(product):
    alarms = resources_of_type(product, "AWS::CloudWatch::Alarm")
    assert {a["Properties"]["MetricName"] for a in alarms.values()} == {
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "APIRequestRate",
    }
    for alarm in alarms.values():
        props = alarm["Properties"]
        assert props["Namespace"] == "AWS/Timestream/InfluxDB"
        assert props["Dimensions"] == [{"Name": "DbInstanceName", "Value": INSTANCE_NAME}]
        assert props["TreatMissingData"] in ("missing", "notBreaching")
        for actions in ("AlarmActions", "OKActions"):
            assert props[actions] == {
                "Fn::If": ["HasAlarmActions", {"Ref": "AlarmActions"}, {"Ref": "AWS::NoValue"}]
            }
        assert props["Threshold"]["Ref"] in product["Parameters"]


def test_the_instance_name_of_the_alarms_is_the_instance_name(product):
    assert product["Resources"]["InfluxDBInstance"]["Properties"]["Name"] == INSTANCE_NAME


def test_request_rate_alarm_says_there_is_no_connection_metric(product):
    (alarm,) = [
        a
        for a in resources_of_type(product, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "APIRequestRate"
    ]
    assert "no connection-count metric" in alarm["Properties"]["AlarmDescription"]


def test_cpu_alarm_follows_aws_guidance(product):
    cpu = next(s for s in ALARMS if s.metric == "CPUUtilization")
    assert cpu.minutes >= 5 and cpu.threshold_default == 90
    disk = next(s for s in ALARMS if s.metric == "DiskUtilization")
    assert disk.threshold_default == 85


def test_dashboard_body_is_json_with_the_instance_metrics(product):
    body = product["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    dashboard = json.loads(
        substitute(body, {"AWS::Region": "us-east-1", "InstanceName": "p-development-influxdb"})
    )
    metrics = []
    for widget in dashboard["widgets"]:
        previous = None
        for line in widget["properties"]["metrics"]:  # "." repeats the line above, as CloudWatch reads it
            previous = (
                [p if v == "." else v for v, p in zip(line, previous, strict=False)] if previous else line
            )
            metrics.append(previous)
    assert {m[1] for m in metrics} >= {
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "APIRequestRate",
    }
    assert all(
        m[0] == service.METRIC_NAMESPACE and m[2:] == ["DbInstanceName", "p-development-influxdb"]
        for m in metrics
    )
    assert widget["properties"]["metrics"][0][0] == service.METRIC_NAMESPACE


EXPECTED_OUTPUTS = {
    "Endpoint",
    "Port",
    "Url",
    "DbInstanceArn",
    "DbInstanceId",
    "LambdaRoleArn",
    "SecurityGroupId",
    "LambdaSecurityGroupId",
    "CredentialsSecretArn",
    "TokenSecretArn",
    "ManagedSecretArn",
    "KmsKeyArn",
    "LogGroupName",
    "DashboardUrl",
    "LambdaEnvironmentVariables",
}


def test_outputs_are_exported_under_the_stack_name(product):
    outputs = product["Outputs"]
    assert set(outputs) >= EXPECTED_OUTPUTS
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-%s" % name}}
        assert output["Description"]
    assert outputs["KmsKeyArn"]["Condition"] == "CreateKmsKey"
    assert outputs["ManagedSecretArn"]["Value"] == {
        "Fn::GetAtt": ["InfluxDBInstance", "InfluxAuthParametersSecretArn"]
    }


def test_lambda_environment_variables_is_a_json_object_clients_can_use(product):
    value = product["Outputs"]["LambdaEnvironmentVariables"]["Value"]
    env = json.loads(
        substitute(
            value,
            {
                "Endpoint": "db.example",
                "Port": "8086",
                "Bucket": "b",
                "Organization": "o",
                "CredentialsSecretArn": "arn:c",
                "TokenSecretName": "p-development-influxdb-token",
                "LogGroupName": "lg",
            },
        )
    )
    assert env == {
        "INFLUXDB_ENDPOINT": "db.example",
        "INFLUXDB_PORT": "8086",
        "INFLUXDB_URL": "https://db.example:8086",
        "INFLUXDB_DATABASE": "b",
        "INFLUXDB_ORG": "o",
        "INFLUXDB_BUCKET": "b",
        "INFLUXDB_SECRET_ARN": "arn:c",
        "INFLUXDB_TOKEN_SECRET_NAME": "p-development-influxdb-token",
        "INFLUXDB_LOG_GROUP": "lg",
        "INFLUXDB_V2_URL": "https://db.example:8086",
        "INFLUXDB_V2_ORG": "o",
    }
    _, variables = value["Fn::Sub"]
    assert variables["TokenSecretName"] == product["Resources"]["TokenSecret"]["Properties"]["Name"]


def _taggable(resource_type: str) -> bool:
    if resource_type.startswith("Custom::"):
        return False  # backed by the template's own function: no schema, no tags
    providers = json.loads((PROVIDERS_DIR / "us-east-1.json").read_text())
    schema = json.loads((PROVIDERS_DIR.parent / "resources" / f"{providers[resource_type]}.json").read_text())
    return "Tags" in schema["properties"]


def test_every_taggable_resource_has_the_standard_tags(product):
    tagged = 0
    for logical_id, resource in product["Resources"].items():
        if not _taggable(resource["Type"]):
            continue
        tags = resource["Properties"].get("Tags")
        assert tags, f"{logical_id} ({resource['Type']}) is taggable but has no Tags"
        keys = {t["Key"] for t in tags}
        assert {"Environment", "Project", "Name", "ManagedBy"} <= keys, logical_id
        tagged += 1
    assert tagged >= 10


@pytest.mark.parametrize("metric", sorted({s.metric for s in ALARMS}))
def test_alarm_metrics_are_ones_the_service_publishes(metric):
    published = {
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "HeapMemoryUsage",
        "ReadOpsPerSec",
        "WriteOpsPerSec",
        "TotalIOpsPerSec",
        "ReadThroughput",
        "WriteThroughput",
        "APIRequestRate",
        "QueryRequestsTotal",
        "SeriesCardinality",
        "WriteTimeouts",
        "TaskExecutionFailures",
        "EngineUptime",
    }  # AWS Timestream developer guide, "Monitoring and Configuration Optimization for
    # Timestream for InfluxDB 2", CloudWatch Metrics Reference (namespace AWS/Timestream/InfluxDB)
    assert metric in published
