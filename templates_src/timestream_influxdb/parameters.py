"""Parameters of the product template: the launch form an application team fills in.

Each parameter carries the tightest constraint the service allows (from :mod:`.service`) and a
ConstraintDescription that tells a person what to type; CloudFormation checks them before it
creates anything. The form is one place so that it reads in launch-form order; an optional
parameter declares its own ``Has<Name>`` condition (:meth:`ParameterForm.add_optional`), and
conditions about one concern (the key, the token, the endpoint) are added by that concern's step.
The Rules CloudFormation checks before it changes anything live here too.
"""

from __future__ import annotations

from ..common import Context, ParameterForm
from . import alarms, names, service
from .options import Options

# 3 to 63 characters; the length is in the pattern so that an optional bucket ("" allowed) has it too.
S3_BUCKET_PATTERN = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
SNS_TOPIC_ARN_PATTERN = r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
MAINTENANCE_WINDOW_PATTERN = (
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]"
    r"-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]"
)
TIMEZONE_PATTERN = r"UTC|[A-Za-z_]+/[A-Za-z0-9_]+(/[A-Za-z0-9_]+)?"
#: The maintenance time zone when MaintenanceTimezone is left empty.
DEFAULT_TIMEZONE = "UTC"

GROUP_NAMING = "Naming"
GROUP_NETWORK = "Network"
GROUP_DATABASE = "Database instance"
GROUP_INFLUX = "InfluxDB access"
GROUP_DATA = "Data buckets for the Lambda functions"
GROUP_PROTECTION = "Encryption and backup"
GROUP_MONITORING = "Monitoring and logs"


def add_parameters(ctx: Context, options: Options) -> ParameterForm:
    """Add every parameter, grouped in launch-form order, and the rules; return the form."""
    form = ctx.form
    _naming(form, options)
    _network(form, options)
    _database(form, options)
    _influx_access(form)
    _data_buckets(form)
    _protection(form)
    _monitoring(form, options)
    add_rules(ctx)
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
            "Short project name; resources are named {project}-{environment}-..., and the InfluxDB "
            f"instance {{project}}-{{environment}}-{names.INSTANCE}."
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
            f"1 to {service.SUBNETS_MAX} private subnets of the VPC for the instance "
            f"(at least {service.MULTI_AZ_SUBNETS_MIN} in different Availability Zones for a "
            "Multi-AZ standby). The Lambda functions use the same subnets."
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
            f"a whole number of GiB from {service.ALLOCATED_STORAGE_MIN} to {service.ALLOCATED_STORAGE_MAX}"
        ),
    )
    form.add(
        "DeploymentType",
        group=GROUP_DATABASE,
        label="Deployment type",
        Type="String",
        Description=(
            f"SINGLE_AZ, or {service.MULTI_AZ} for a standby in a second Availability Zone "
            f"(needs subnets in at least {service.MULTI_AZ_SUBNETS_MIN} zones)."
        ),
        AllowedValues=list(service.DEPLOYMENT_TYPES),
        Default=service.DEPLOYMENT_TYPES[0],
        ConstraintDescription=f"choose one of {', '.join(service.DEPLOYMENT_TYPES)}",
    )
    form.add_optional(
        "DbParameterGroupIdentifier",
        condition="HasDbParameterGroup",
        group=GROUP_DATABASE,
        label="Parameter group (optional)",
        Type="String",
        Description="Identifier of an existing InfluxDB parameter group; empty for the service default.",
        MaxLength=64,
        AllowedPattern=r"^$|^[a-zA-Z0-9]{3,64}$",
        ConstraintDescription="empty, or 3 to 64 letters and digits",
    )
    form.add_optional(
        "MaintenanceWindow",
        group=GROUP_DATABASE,
        label="Maintenance window (optional)",
        Type="String",
        Description="Preferred weekly maintenance window ddd:HH:MM-ddd:HH:MM; empty lets the service choose.",
        MaxLength=19,
        AllowedPattern=f"^$|^{MAINTENANCE_WINDOW_PATTERN}$",
        ConstraintDescription="empty, or a window such as Sun:02:00-Sun:06:00 (days Mon to Sun, 24-hour times)",
    )
    form.add_optional(
        "MaintenanceTimezone",
        group=GROUP_DATABASE,
        label="Maintenance time zone (optional)",
        Type="String",
        Description=f"IANA time zone of the maintenance window; empty means {DEFAULT_TIMEZONE}.",
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
            "InfluxDB admin user created with the instance; fixed at creation (CloudFormation refuses "
            "an update that changes it, since the instance keeps its name)."
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
            "Admin password; leave empty to generate a 32-character password in Secrets Manager "
            "(recommended). Fixed at creation: CloudFormation refuses an update that changes it; "
            "rotate it in InfluxDB instead (docs/OPERATIONS.md)."
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
    form.add_optional(
        "InfluxDBToken",
        group=GROUP_INFLUX,
        label="API token (optional)",
        Type="String",
        NoEcho=True,
        Description=(
            "An existing InfluxDB API token for the Lambda functions, stored as is. Empty creates "
            "one with read and write on the bucket."
        ),
        MaxLength=512,
        AllowedPattern=r"^[A-Za-z0-9+/=_-]*$",
        ConstraintDescription="empty, or a token of letters, digits and + / = _ - (base64), at most 512 characters",
    )


def _data_buckets(form: ParameterForm) -> None:
    bucket_rule = (
        "3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    )
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
            "true creates a customer-managed KMS key (rotation on) for the secrets and the log groups. "
            "The instance's own storage is always encrypted with a key the service manages."
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
    form.add_optional(
        "AlarmActions",
        group=GROUP_MONITORING,
        label="Alarm SNS topics (optional)",
        Type="CommaDelimitedList",
        Description="Comma-separated SNS topic ARNs notified when an alarm fires or clears; empty for none.",
        AllowedPattern=f"^$|^{SNS_TOPIC_ARN_PATTERN}$",
        ConstraintDescription="empty, or SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:TOPIC) separated by commas",
    )
    alarms.add_threshold_parameters(form, GROUP_MONITORING)
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
    form.add_optional(
        "EngineLogBucket",
        group=GROUP_MONITORING,
        label="Engine log bucket (optional)",
        Type="String",
        Description=(
            "Existing S3 bucket, in this account and Region, for InfluxDB engine logs; empty for none. "
            "Its policy must let timestream-influxdb.amazonaws.com put objects under InfluxLogs/."
        ),
        MaxLength=63,
        AllowedPattern=f"^$|^{S3_BUCKET_PATTERN}$",
        ConstraintDescription="empty, or an S3 bucket name of 3 to 63 lower-case letters, digits, dots and hyphens",
    )


def add_rules(ctx: Context) -> None:
    """Rules CloudFormation checks before it changes anything."""
    t = ctx.template
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
