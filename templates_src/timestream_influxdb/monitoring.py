"""Monitoring: the Lambda log group, alarms on the instance's metrics, and a dashboard.

The service publishes its metrics in ``AWS/Timestream/InfluxDB`` with the dimension
``DbInstanceName``; it publishes no connection count, so request load (APIRequestRate) stands in.
"""

from __future__ import annotations

import json

from troposphere import If, NoValue, Sub, Template
from troposphere.cloudwatch import Alarm, Dashboard, MetricDimension
from troposphere.kms import Key
from troposphere.logs import LogGroup

from ..common import Naming, ParameterForm
from . import names, service
from .alarms import ALARMS
from .database import instance_name
from .encryption import key_arn_if_encrypted
from .parameters import CONDITIONS

DASHBOARD_METRICS = (
    ("CPU, memory and disk (%)", ("CPUUtilization", "MemoryUtilization", "DiskUtilization")),
    ("API request rate", ("APIRequestRate",)),
    ("Read and write operations per second", ("ReadOpsPerSec", "WriteOpsPerSec")),
)


def add_log_group(t: Template, p: ParameterForm, naming: Naming, key: Key) -> LogGroup:
    """The log group the Lambda functions write to, kept for LogRetentionDays."""
    return t.add_resource(
        LogGroup(
            "LambdaLogGroup",
            LogGroupName=naming.name(names.LOG_GROUP),
            RetentionInDays=p.ref("LogRetentionDays"),
            KmsKeyId=key_arn_if_encrypted(key),
            Tags=naming.tags(names.LOG_GROUP),
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )


def add_alarms(t: Template, p: ParameterForm, naming: Naming) -> list[Alarm]:
    """One alarm per entry of ALARMS, notifying AlarmActions when that parameter is not empty."""
    actions = If(CONDITIONS.has_alarm_actions, p.ref("AlarmActions"), NoValue)
    return [
        t.add_resource(
            Alarm(
                spec.logical_id,
                AlarmName=naming.name(spec.suffix),
                AlarmDescription=spec.description,
                Namespace=service.METRIC_NAMESPACE,
                MetricName=spec.metric,
                Dimensions=[
                    MetricDimension(Name=service.METRIC_DIMENSION, Value=instance_name(naming))
                ],
                Statistic=spec.statistic,
                Period=spec.period,
                EvaluationPeriods=spec.evaluation_periods,
                DatapointsToAlarm=spec.evaluation_periods,
                Threshold=p.ref(spec.threshold_param),
                ComparisonOperator="GreaterThanThreshold",
                TreatMissingData=spec.treat_missing_data,
                AlarmActions=actions,
                OKActions=actions,
                Tags=naming.tags(spec.suffix),
            )
        )
        for spec in ALARMS
    ]


def add_dashboard(t: Template, naming: Naming) -> Dashboard:
    """A dashboard of the instance's metrics, one graph per group of DASHBOARD_METRICS."""
    return t.add_resource(
        Dashboard(
            "Dashboard",
            DashboardName=naming.name(names.DASHBOARD),
            DashboardBody=Sub(dashboard_body(), InstanceName=instance_name(naming)),
            Tags=naming.tags(names.DASHBOARD),
        )
    )


def dashboard_body() -> str:
    """The dashboard JSON, with ``${AWS::Region}`` and ``${InstanceName}`` left for Fn::Sub.

    Widgets use CloudWatch's defaults (time series, Average, 5-minute period), and each metric
    after the first writes "." for "same as the line above", as the dashboard format allows.
    """
    width = 24 // len(DASHBOARD_METRICS)
    first = [service.METRIC_NAMESPACE, None, service.METRIC_DIMENSION, "${InstanceName}"]
    widgets = [
        {
            "type": "metric",
            "x": i * width,
            "y": 0,
            "width": width,
            "height": 6,
            "properties": {
                "title": title,
                "region": "${AWS::Region}",
                "metrics": [
                    [first[0], metric, *first[2:]] if n == 0 else [".", metric, ".", "."]
                    for n, metric in enumerate(metrics)
                ],
            },
        }
        for i, (title, metrics) in enumerate(DASHBOARD_METRICS)
    ]
    return json.dumps({"widgets": widgets}, separators=(",", ":"))
