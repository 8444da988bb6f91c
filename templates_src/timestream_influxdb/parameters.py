"""Parameters of the product template: the launch form an application team fills in.

Each parameter carries the tightest constraint the service allows (from :mod:`.service`) and a
ConstraintDescription that tells a person what to type; CloudFormation checks them before it
creates anything. Conditions and Rules derived from the parameters live here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Equals, If, Join, Not, Ref, Template

from ..common import ParameterForm
from . import names, service
from .alarms import ALARMS
from .options import Options

# 3 to 63 characters; the length is in the pattern so that an optional bucket ("" allowed) has it too.
S3_BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
SNS_TOPIC_ARN_PATTERN = r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
MAINTENANCE_WINDOW_PATTERN = (
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]"
    r"-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]"
)
TIMEZONE_PATTERN = r"UTC|[A-Za-z_]+/[A-Za-z0-9_]+(/[A-Za-z0-9_]+)?"
DEFAULT_TIMEZONE = "UTC"

GROUP_NAMING = "Naming"
GROUP_NETWORK = "Network"
GROUP_DATABASE = "Database instance"
GROUP_INFLUX = "InfluxDB access"
GROUP_DATA = "Data buckets for the Lambda functions"
GROUP_PROTECTION = "Encryption and backup"
GROUP_MONITORING = "Monitoring and logs"


@dataclass(frozen=True)
class Conditions:
    """Names of the template's conditions; resources refer to them by these names."""

    generate_password: str = "GeneratePassword"
    has_token: str = "HasInfluxDBToken"
    encrypted: str = "CreateKmsKey"
    has_alarm_actions: str = "HasAlarmActions"
    has_engine_log_bucket: str = "HasEngineLogBucket"
    has_maintenance_window: str = "HasMaintenanceWindow"
    has_maintenance_timezone: str = "HasMaintenanceTimezone"
    has_parameter_group: str = "HasDbParameterGroup"
    create_token: str = "CreateInfluxDBToken"
    create_secrets_endpoint: str = "CreateSecretsManagerEndpoint"


CONDITIONS = Conditions()


def add_parameters(t: Template, options: Options) -> ParameterForm:
    """Add every parameter, grouped in launch-form order, and return the form (groups and labels)."""
    form = ParameterForm(t)
    _naming(form, options)
    _network(form, options)
    _database(form, options)
    _influx_access(form)
    _data_buckets(form)
    _protection(form)
    _monitoring(form, options)
    return form


def _naming(form: ParameterForm, options: Options) -> None:
    form.add(
        "Environment",
        group=GROUP_NAMING,
        label="Environment",
        Type="String",
        Description="Deployment environment; part of every resource name and the Environment tag.",
        AllowedValues=list(options.environments),
        Default=options.default_environment,
        ConstraintDescription=f"choose one of {', '.join(options.environments)}",
    )
    form.add(
        "ProjectName",
        group=GROUP_NAMING,
        label="Project name",
        Type="String",
        Description=(
            f"Short project name: resources are named {{project}}-{{environment}}-{names.INSTANCE}..."
        ),
        MinLength=2,
        MaxLength=options.project_name_max_length,
        AllowedPattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        ConstraintDescription=(
            f"2 to {options.project_name_max_length} lower-case letters, digits and single hyphens, "
            "starting with a letter and not ending with a hyphen (e.g. ons-data-platform)"
        ),
    )


def _network(form: ParameterForm, options: Options) -> None:
    form.add(
        "VpcId",
        group=GROUP_NETWORK,
        label="VPC",
        Type="AWS::EC2::VPC::Id",
        Description="VPC for the InfluxDB instance and its security groups.",
        ConstraintDescription="choose an existing VPC id (vpc-...)",
    )
    form.add(
        "SubnetIds",
        group=GROUP_NETWORK,
        label="Private subnets",
        Type="List<AWS::EC2::Subnet::Id>",
        Description=(
            f"1 to {service.SUBNETS_MAX} private subnets for the instance and the Lambda functions "
            f"({service.MULTI_AZ_SUBNETS_MIN}+ Availability Zones for Multi-AZ)."
        ),
        ConstraintDescription="choose subnets (subnet-...) of the selected VPC",
    )
    form.add(
        "Port",
        group=GROUP_NETWORK,
        label="InfluxDB port",
        Type="Number",
        Description="TCP port InfluxDB listens on (HTTPS).",
        Default=options.default_port,
        MinValue=service.PORT_MIN,
        MaxValue=service.PORT_MAX,
        ConstraintDescription=(
            f"a port from {service.PORT_MIN} to {service.PORT_MAX}, except "
            "2375-2376, 7788-7799, 8090 and 51678-51680, which the service reserves"
        ),
    )
    form.add(
        "NetworkType",
        group=GROUP_NETWORK,
        label="Network type",
        Type="String",
        Description="IPV4, or DUAL for IPv4 and IPv6 (the subnets must have IPv6 ranges).",
        AllowedValues=list(service.NETWORK_TYPES),
        Default=service.NETWORK_TYPES[0],
        ConstraintDescription=f"choose one of {', '.join(service.NETWORK_TYPES)}",
    )
    form.add(
        "CreateSecretsManagerEndpoint",
        group=GROUP_NETWORK,
        label="Secrets Manager endpoint",
        Type="String",
        Description=(
            "true adds a Secrets Manager endpoint in the subnets; without it they need a NAT route."
        ),
        AllowedValues=["true", "false"],
        Default="false",
        ConstraintDescription="choose true or false",
    )


def _database(form: ParameterForm, options: Options) -> None:
    form.add(
        "DbInstanceClass",
        group=GROUP_DATABASE,
        label="Instance class",
        Type="String",
        Description="Compute size of the InfluxDB instance; can be changed in place later.",
        AllowedValues=list(service.INSTANCE_TYPES),
        Default=options.default_instance_type,
        ConstraintDescription="choose a db.influx.* instance class from the list",
    )
    form.add(
        "DbStorageType",
        group=GROUP_DATABASE,
        label="Storage type",
        Type="String",
        Description="Included IOPS: "
        + ", ".join(f"{k} {v:,}" for k, v in service.STORAGE_IOPS.items())
        + ".",
        AllowedValues=list(service.STORAGE_TYPES),
        Default=service.STORAGE_TYPES[0],
        ConstraintDescription=f"choose one of {', '.join(service.STORAGE_TYPES)}",
    )
    form.add(
        "AllocatedStorage",
        group=GROUP_DATABASE,
        label="Storage (GiB)",
        Type="Number",
        Description="Storage for the database in GiB.",
        Default=options.default_allocated_storage,
        MinValue=service.ALLOCATED_STORAGE_MIN,
        MaxValue=service.ALLOCATED_STORAGE_MAX,
        ConstraintDescription=(
            f"a whole number of GiB from {service.ALLOCATED_STORAGE_MIN} "
            f"to {service.ALLOCATED_STORAGE_MAX}"
        ),
    )
    form.add(
        "DeploymentType",
        group=GROUP_DATABASE,
        label="Deployment type",
        Type="String",
        Description=(
            f"{service.MULTI_AZ} adds a standby in a second Availability Zone."
        ),
        AllowedValues=list(service.DEPLOYMENT_TYPES),
        Default=service.DEPLOYMENT_TYPES[0],
        ConstraintDescription=f"choose one of {', '.join(service.DEPLOYMENT_TYPES)}",
    )
    form.add(
        "DbParameterGroupIdentifier",
        group=GROUP_DATABASE,
        label="Parameter group (optional)",
        Type="String",
        Description="Identifier of an existing InfluxDB parameter group; empty for the service default.",
        Default="",
        MaxLength=64,
        AllowedPattern=r"^$|^[a-zA-Z0-9]{3,64}$",
        ConstraintDescription="empty, or 3 to 64 letters and digits",
    )
    form.add(
        "MaintenanceWindow",
        group=GROUP_DATABASE,
        label="Maintenance window (optional)",
        Type="String",
        Description="Preferred weekly maintenance window ddd:HH:MM-ddd:HH:MM; empty lets the service choose.",
        Default="",
        MaxLength=19,
        AllowedPattern=f"^$|^{MAINTENANCE_WINDOW_PATTERN}$",
        ConstraintDescription="empty, or a window such as Sun:02:00-Sun:06:00 (days Mon to Sun, 24-hour times)",
    )
    form.add(
        "MaintenanceTimezone",
        group=GROUP_DATABASE,
        label="Maintenance time zone (optional)",
        Type="String",
        Description=f"IANA time zone of the maintenance window; empty means {DEFAULT_TIMEZONE}.",
        Default="",
        MaxLength=64,
        AllowedPattern=f"^$|^({TIMEZONE_PATTERN})$",
        ConstraintDescription="empty, UTC, or an IANA time zone such as America/Sao_Paulo",
    )


def _influx_access(form: ParameterForm) -> None:
    form.add(
        "Username",
        group=GROUP_INFLUX,
        label="Admin username",
        Type="String",
        Description=(
            "InfluxDB admin user; fixed at creation (an update that changes it is refused)."
        ),
        Default="admin",
        MinLength=1,
        MaxLength=service.USERNAME_MAX,
        AllowedPattern=r"^[a-zA-Z][a-zA-Z0-9_.]*(-[a-zA-Z0-9_.]+)*$",
        ConstraintDescription=(
            f"1 to {service.USERNAME_MAX} letters, digits, '_', '.' and single hyphens, starting with a "
            "letter and not ending with a hyphen"
        ),
    )
    form.add(
        "Password",
        group=GROUP_INFLUX,
        label="Admin password (optional)",
        Type="String",
        NoEcho=True,
        Description=(
            "Admin password; empty generates one in Secrets Manager (recommended). Fixed at "
            "creation: rotate it in InfluxDB (docs/OPERATIONS.md)."
        ),
        Default="",
        MaxLength=service.PASSWORD_MAX,
        AllowedPattern=r"^([a-zA-Z0-9]{%d,%d})?$" % (service.PASSWORD_MIN, service.PASSWORD_MAX),
        ConstraintDescription=(
            f"empty, or {service.PASSWORD_MIN} to {service.PASSWORD_MAX} letters and digits "
            "(the service accepts no punctuation)"
        ),
    )
    form.add(
        "Organization",
        group=GROUP_INFLUX,
        label="Organization",
        Type="String",
        Description="Initial InfluxDB organization.",
        Default="ons",
        MinLength=1,
        MaxLength=service.ORGANIZATION_MAX,
        AllowedPattern=r'^[^"\\]+$',
        ConstraintDescription=f"1 to {service.ORGANIZATION_MAX} characters, without quotes or backslashes",
    )
    form.add(
        "Bucket",
        group=GROUP_INFLUX,
        label="Bucket",
        Type="String",
        Description="Initial InfluxDB bucket the Lambda functions write to and query.",
        Default="ons-timeseries",
        MinLength=service.BUCKET_MIN,
        MaxLength=service.BUCKET_MAX,
        AllowedPattern=r'^[^_"\\][^"\\]*$',
        ConstraintDescription=(
            f"{service.BUCKET_MIN} to {service.BUCKET_MAX} characters, not starting with '_', "
            "without quotes or backslashes"
        ),
    )
    form.add(
        "InfluxDBToken",
        group=GROUP_INFLUX,
        label="API token (optional)",
        Type="String",
        NoEcho=True,
        Description=(
            "API token for the Lambda functions; empty creates one with read and write on the bucket."
        ),
        Default="",
        MaxLength=512,
        AllowedPattern=r"^[A-Za-z0-9+/=_-]*$",
        ConstraintDescription="empty, or a token of letters, digits and + / = _ - (base64), at most 512 characters",
    )


def _data_buckets(form: ParameterForm) -> None:
    bucket_rule = "3 to 63 lower-case letters, digits, dots and hyphens"
    form.add(
        "ProcessedDataBucket",
        group=GROUP_DATA,
        label="Processed data bucket",
        Type="String",
        Description="Existing S3 bucket the Lambda functions read processed files from.",
        MinLength=3,
        MaxLength=63,
        AllowedPattern=f"^{S3_BUCKET_PATTERN}$",
        ConstraintDescription=f"an S3 bucket name: {bucket_rule}",
    )
    form.add(
        "RejectedDataBucket",
        group=GROUP_DATA,
        label="Rejected data bucket",
        Type="String",
        Description="Existing S3 bucket the Lambda functions write rejected records to.",
        MinLength=3,
        MaxLength=63,
        AllowedPattern=f"^{S3_BUCKET_PATTERN}$",
        ConstraintDescription=f"an S3 bucket name: {bucket_rule}",
    )
    form.add(
        "RejectedDataPrefix",
        group=GROUP_DATA,
        label="Rejected data prefix",
        Type="String",
        Description="Key prefix under which the Lambda functions may write rejected records.",
        Default="influxdb-rejected/",
        MinLength=2,
        MaxLength=256,
        AllowedPattern=r"^([A-Za-z0-9!_.'()-]+/)+$",
        ConstraintDescription=(
            "one or more path segments of letters, digits and ! _ . ' ( ) -, each ending with '/' "
            "(e.g. influxdb-rejected/)"
        ),
    )


def _protection(form: ParameterForm) -> None:
    form.add(
        "StorageEncrypted",
        group=GROUP_PROTECTION,
        label="Customer-managed KMS key",
        Type="String",
        Description=(
            "true creates a rotating KMS key for the secrets and logs (the instance's storage always "
            "uses a service key)."
        ),
        AllowedValues=["true", "false"],
        Default="true",
        ConstraintDescription="choose true or false",
    )
    form.add(
        "BackupRetentionPeriod",
        group=GROUP_PROTECTION,
        label="Daily backup retention (days)",
        Type="Number",
        Description="Days to keep the daily automated backups (always on).",
        Default=7,
        MinValue=service.AUTOMATED_BACKUP_RETENTION_MIN,
        MaxValue=service.AUTOMATED_BACKUP_RETENTION_MAX,
        ConstraintDescription=f"{service.AUTOMATED_BACKUP_RETENTION_MIN} to {service.AUTOMATED_BACKUP_RETENTION_MAX}",
    )
    form.add(
        "ContinuousBackupRetentionDays",
        group=GROUP_PROTECTION,
        label="Point-in-time recovery (days)",
        Type="Number",
        Description="Days to keep continuous backups for point-in-time restore; 0 turns them off.",
        Default=0,
        MinValue=0,
        MaxValue=service.AUTOMATED_BACKUP_RETENTION_MAX,
        ConstraintDescription=f"0 (off) to {service.AUTOMATED_BACKUP_RETENTION_MAX}",
    )
    form.add(
        "FinalBackupRetentionDays",
        group=GROUP_PROTECTION,
        label="Final backup retention (days)",
        Type="Number",
        Description="Days to keep a backup taken on stack deletion or instance replacement; 0 takes none.",
        Default=30,
        MinValue=0,
        MaxValue=service.ON_DEMAND_BACKUP_RETENTION_MAX,
        ConstraintDescription=f"0 (none) to {service.ON_DEMAND_BACKUP_RETENTION_MAX}",
    )


def _monitoring(form: ParameterForm, options: Options) -> None:
    form.add(
        "AlarmActions",
        group=GROUP_MONITORING,
        label="Alarm SNS topics (optional)",
        Type="CommaDelimitedList",
        Description="Comma-separated SNS topic ARNs notified when an alarm fires or clears; empty for none.",
        Default="",
        AllowedPattern=f"^$|^{SNS_TOPIC_ARN_PATTERN}$",
        ConstraintDescription="empty, or SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:TOPIC) separated by commas",
    )
    for spec in ALARMS:
        unit = "percentage" if spec.threshold_max == 100 else "value"
        bounds = {"MinValue": spec.threshold_min}
        if spec.threshold_max is not None:
            bounds["MaxValue"] = spec.threshold_max
        form.add(
            spec.threshold_param,
            group=GROUP_MONITORING,
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
    form.add(
        "LogRetentionDays",
        group=GROUP_MONITORING,
        label="Lambda log retention (days)",
        Type="Number",
        Description="Days to keep the Lambda functions' logs.",
        Default=options.default_log_retention_days,
        AllowedValues=list(service.LOG_RETENTION_DAYS),
        ConstraintDescription="choose a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)",
    )
    form.add(
        "EngineLogBucket",
        group=GROUP_MONITORING,
        label="Engine log bucket (optional)",
        Type="String",
        Description=(
            "S3 bucket here for engine logs, or empty; it must let timestream-influxdb.amazonaws.com "
            "put InfluxLogs/*."
        ),
        Default="",
        MaxLength=63,
        AllowedPattern=f"^$|^{S3_BUCKET_PATTERN}$",
        ConstraintDescription="empty, or an S3 bucket name of 3 to 63 lower-case letters, digits, dots and hyphens",
    )


def add_conditions(t: Template) -> Conditions:
    """Conditions for the optional parts of the template."""
    c = CONDITIONS
    t.add_condition(c.generate_password, Equals(Ref("Password"), ""))
    t.add_condition(c.has_token, Not(Equals(Ref("InfluxDBToken"), "")))
    t.add_condition(c.encrypted, Equals(Ref("StorageEncrypted"), "true"))
    # A CommaDelimitedList defaulting to "" is [""]: joined, it is empty exactly when no topic is given.
    t.add_condition(c.has_alarm_actions, Not(Equals(Join("", Ref("AlarmActions")), "")))
    t.add_condition(c.has_engine_log_bucket, Not(Equals(Ref("EngineLogBucket"), "")))
    t.add_condition(c.has_maintenance_window, Not(Equals(Ref("MaintenanceWindow"), "")))
    t.add_condition(c.has_maintenance_timezone, Not(Equals(Ref("MaintenanceTimezone"), "")))
    t.add_condition(c.has_parameter_group, Not(Equals(Ref("DbParameterGroupIdentifier"), "")))
    t.add_condition(c.create_token, Equals(Ref("InfluxDBToken"), ""))
    t.add_condition(c.create_secrets_endpoint, Equals(Ref("CreateSecretsManagerEndpoint"), "true"))
    return c


def add_rules(t: Template) -> None:
    """Rules CloudFormation checks before it changes anything."""
    t.add_rule(
        "SubnetsInVpc",
        {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::EachMemberEquals": [
                            {"Fn::ValueOfAll": ["AWS::EC2::Subnet::Id", "VpcId"]},
                            {"Ref": "VpcId"},
                        ]
                    },
                    "AssertDescription": "Every subnet in SubnetIds must belong to the VPC in VpcId.",
                }
            ]
        },
    )
    t.add_rule(
        "PortNotReserved",
        {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {"Fn::Contains": [[str(p) for p in service.RESERVED_PORTS], {"Ref": "Port"}]}
                        ]
                    },
                    "AssertDescription": (
                        "Port must not be one the service reserves: 2375-2376, 7788-7799, 8090, 51678-51680."
                    ),
                }
            ]
        },
    )


def maintenance_timezone() -> If:
    """The maintenance time zone, UTC when the parameter is empty."""
    return If(CONDITIONS.has_maintenance_timezone, Ref("MaintenanceTimezone"), DEFAULT_TIMEZONE)
