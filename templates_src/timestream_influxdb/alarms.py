"""The alarms the product sets on its instance, and the threshold parameter each one reads.

Each entry is one alarm: :func:`add_threshold_parameters` puts its threshold on the launch form
(called by :mod:`.parameters`, in launch-form order) and :mod:`.monitoring` makes the
``AWS::CloudWatch::Alarm``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common import ParameterForm

ONE_MINUTE = 60


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm on one instance metric, with the parameter that sets its threshold."""

    logical_id: str
    suffix: str
    metric: str
    statistic: str
    period: int
    evaluation_periods: int
    treat_missing_data: str
    description: str
    threshold_param: str
    threshold_label: str
    threshold_default: int
    threshold_min: int = 1
    threshold_max: int | None = 100  # percentages; None for an open-ended rate

    @property
    def minutes(self) -> int:
        return self.period * self.evaluation_periods // ONE_MINUTE


# TreatMissingData, chosen per metric:
# - utilisation metrics treat missing data as missing ("missing"): a gap, such as a maintenance
#   restart, counts neither as a breach nor as healthy; when the whole window is missing the alarm
#   goes to INSUFFICIENT_DATA, which has no actions;
# - no request-rate data means no requests, which is not a breach ("notBreaching").
ALARMS = (
    AlarmSpec(
        logical_id="CpuUtilizationAlarm",
        suffix="influxdb-cpu",
        metric="CPUUtilization",
        statistic="Average",
        period=ONE_MINUTE,
        evaluation_periods=5,
        treat_missing_data="missing",
        description="InfluxDB CPU above the threshold for 5 minutes (AWS guidance: above 90% is critical).",
        threshold_param="CpuAlarmThreshold",
        threshold_label="CPU alarm (%)",
        threshold_default=90,
    ),
    AlarmSpec(
        logical_id="MemoryUtilizationAlarm",
        suffix="influxdb-memory",
        metric="MemoryUtilization",
        statistic="Average",
        period=ONE_MINUTE,
        evaluation_periods=5,
        treat_missing_data="missing",
        description="InfluxDB memory above the threshold for 5 minutes.",
        threshold_param="MemoryAlarmThreshold",
        threshold_label="Memory alarm (%)",
        threshold_default=90,
    ),
    AlarmSpec(
        logical_id="DiskUtilizationAlarm",
        suffix="influxdb-disk",
        metric="DiskUtilization",
        statistic="Maximum",
        period=5 * ONE_MINUTE,
        evaluation_periods=1,
        treat_missing_data="missing",
        description="InfluxDB disk above the threshold (AWS guidance: above 85% is critical); add storage.",
        threshold_param="DiskAlarmThreshold",
        threshold_label="Disk alarm (%)",
        threshold_default=85,
    ),
    AlarmSpec(
        logical_id="ApiRequestRateAlarm",
        suffix="influxdb-request-rate",
        metric="APIRequestRate",
        statistic="Average",
        period=ONE_MINUTE,
        evaluation_periods=5,
        treat_missing_data="notBreaching",
        description=(
            "InfluxDB request rate above the threshold for 5 minutes. The service publishes no "
            "connection-count metric; APIRequestRate is the nearest measure of client load."
        ),
        threshold_param="ApiRequestRateAlarmThreshold",
        threshold_label="Request-rate alarm",
        threshold_default=500,
        threshold_max=None,
    ),
)


def add_threshold_parameters(form: ParameterForm, group: str) -> None:
    """One launch-form parameter per alarm: the threshold it compares its metric with.

    Thresholds stay Number (unlike the whole-number parameters): PutMetricAlarm's Threshold is a
    double, so 85.5 or 8.55e1 is a threshold CloudWatch takes as written.
    """
    for spec in ALARMS:
        unit = "percentage" if spec.threshold_max == 100 else "value"
        bounds = {"MinValue": spec.threshold_min}
        if spec.threshold_max is not None:
            bounds["MaxValue"] = spec.threshold_max
        form.add(
            spec.threshold_param,
            group=group,
            label=spec.threshold_label,
            Type="Number",
            Description=f"Alarm when {spec.metric} ({spec.statistic}) stays above this {unit} "
            f"for {spec.minutes} minutes.",
            Default=spec.threshold_default,
            ConstraintDescription=(
                f"a number from {spec.threshold_min} to {spec.threshold_max}"
                if spec.threshold_max is not None
                else f"a number of {spec.threshold_min} or more"
            ),
            **bounds,
        )
