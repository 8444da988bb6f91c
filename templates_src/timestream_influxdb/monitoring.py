"""Monitoring: the Lambda log group, alarms on the instance's metrics, and a dashboard.

The service publishes its metrics in ``AWS/Timestream/InfluxDB`` with the dimension
``DbInstanceName``; it publishes no connection count, so request load (APIRequestRate) stands in.
The clients' log group is granted from here (:func:`grant_write_logs`).
"""

from __future__ import annotations

import json

from awacs import logs
from awacs.aws import Allow, Statement
from troposphere import Sub
from troposphere.cloudwatch import Alarm, Dashboard, MetricDimension
from troposphere.logs import LogGroup

from ..common import Context, Naming, retained
from . import names, service
from .alarms import ALARMS
from .database import instance_name
from .encryption import ProductKey

DASHBOARD_METRICS = (
    ("CPU, memory and disk (%)", ("CPUUtilization", "MemoryUtilization", "DiskUtilization")),
    ("API request rate", ("APIRequestRate",)),
    ("Read and write operations per second", ("ReadOpsPerSec", "WriteOpsPerSec")),
)


def add_log_group(ctx: Context, key: ProductKey) -> LogGroup:
    """The log group the Lambda functions write to, kept for LogRetentionDays."""
    return ctx.add(
        retained(
            LogGroup(
                "LambdaLogGroup",
                LogGroupName=ctx.naming.name(names.LOG_GROUP),
                RetentionInDays=ctx.ref("LogRetentionDays"),
                KmsKeyId=key.arn_if_encrypted(),
                Tags=ctx.naming.tags(names.LOG_GROUP),
            )
        )
    )


def grant_write_logs(naming: Naming, sid: str = "WriteOwnLogGroup") -> Statement:
    """Write to the clients' log group only (the group exists, so no CreateLogGroup).

    By name rather than by the group's ``Arn`` attribute, so that the grant needs no reference to
    the group and a role may be made before it.
    """
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=[logs.CreateLogStream, logs.PutLogEvents],
        Resource=[
            Sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                + naming.template(names.LOG_GROUP)
                + ":*"
            )
        ],
    )


def add_alarms(ctx: Context) -> list[Alarm]:
    """One alarm per entry of ALARMS, notifying AlarmActions when that parameter is not empty."""
    naming = ctx.naming
    actions = ctx.form.if_given("AlarmActions")
    return [
        ctx.add(
            Alarm(
                spec.logical_id,
                AlarmName=naming.name(spec.suffix),
                AlarmDescription=spec.description,
                Namespace=service.METRIC_NAMESPACE,
                MetricName=spec.metric,
                Dimensions=[MetricDimension(Name=service.METRIC_DIMENSION, Value=instance_name(naming))],
                Statistic=spec.statistic,
                Period=spec.period,
                EvaluationPeriods=spec.evaluation_periods,
                DatapointsToAlarm=spec.evaluation_periods,
                Threshold=ctx.ref(spec.threshold_param),
                ComparisonOperator="GreaterThanThreshold",
                TreatMissingData=spec.treat_missing_data,
                AlarmActions=actions,
                OKActions=actions,
                Tags=naming.tags(spec.suffix),
            )
        )
        for spec in ALARMS
    ]


def add_dashboard(ctx: Context) -> Dashboard:
    """A dashboard of the instance's metrics, one graph per group of DASHBOARD_METRICS."""
    naming = ctx.naming
    return ctx.add(
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
