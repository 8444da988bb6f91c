"""Parameters of the product template: the launch form an application team fills in.

Each parameter carries the tightest constraint the service allows (from :mod:`.service`) and a
ConstraintDescription that tells a person what to type; CloudFormation checks them before it
creates anything. The form is one place so that it reads in launch-form order; an optional
parameter declares its own ``Has<Name>`` condition (:meth:`ParameterForm.add_optional`), and
conditions about one concern (the key, the token, the endpoint) are added by that concern's step.
The Rules CloudFormation checks before it changes anything live here too.
"""

from __future__ import annotations

import json

from troposphere import Template

from ..common import Context, ParameterForm
from . import alarms, names, service
from .engine_parameters import canonical
from .options import Options
from .rotation_limits import ROTATION_DAYS_MAX, ROTATION_DAYS_MIN

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
# Organization and bucket names go into the credentials JSON the token function reads and into
# InfluxDB's setup call: no quote, backslash or control character (C0, DEL and C1), which would break
# the JSON or the name. Explicit ranges: AllowedPattern is a Java regex over the raw value.
_NAME_EXCLUDED = r'"\\\x00-\x1F\x7F-\x9F'


def integer_range_pattern(low: int, high: int) -> str:
    """A regex (no anchors) matching exactly the decimal integers from ``low`` to ``high``, written
    without sign, leading zeros, decimal point or exponent, in ASCII digits.

    Why whole-number parameters are String with this pattern rather than Number: CloudFormation's
    Number type takes "20.0", "3e2" and "08090" and MinValue/MaxValue accept them, but the value then
    reaches the resources as written (a Ref to a Number parameter is the string given), where the
    instance, the backup function's int() and the reserved-port Rule (which compares strings) refuse
    or miss it. Rules cannot compare numbers or match patterns, so the pattern is the only check
    CloudFormation can make before it creates anything.
    """
    if not 0 <= low <= high:
        raise ValueError(f"bad range {low}..{high}")
    alternatives: list[str] = []
    for digits in range(len(str(low)), len(str(high)) + 1):
        first = max(low, 10 ** (digits - 1) if digits > 1 else 0)
        last = min(high, 10**digits - 1)
        if first <= last:
            alternatives.extend(_same_length(str(first), str(last)))
    return alternatives[0] if len(alternatives) == 1 else "(" + "|".join(alternatives) + ")"


def _same_length(a: str, b: str) -> list[str]:
    """Alternatives matching the integers from ``a`` to ``b``, two numerals of the same length."""
    if a == b:
        return [a]
    if len(a) == 1:
        return [f"[{a}-{b}]"]
    if a[0] == b[0]:
        return [a[0] + rest for rest in _same_length(a[1:], b[1:])]
    tail = len(a) - 1
    result: list[str] = []
    low_digit, high_digit = int(a[0]), int(b[0])
    if a[1:] != "0" * tail:
        result += [a[0] + rest for rest in _same_length(a[1:], "9" * tail)]
        low_digit += 1
    upper: list[str] = []
    if b[1:] != "9" * tail:
        upper = [b[0] + rest for rest in _same_length("0" * tail, b[1:])]
        high_digit -= 1
    if low_digit <= high_digit:
        head = str(low_digit) if low_digit == high_digit else f"[{low_digit}-{high_digit}]"
        result.append(head + ("[0-9]" if tail == 1 else f"[0-9]{{{tail}}}"))
    return result + upper


def whole_number_pattern(low: int, high: int) -> str:
    """AllowedPattern of a String parameter that takes a whole number from ``low`` to ``high``."""
    return f"^{integer_range_pattern(low, high)}$"


#: True when EngineParameters is not empty: the stack makes a parameter group (:mod:`.parameter_group`).
HAS_ENGINE_PARAMETERS = "HasEngineParameters"
#: Longest EngineParameters: its value is also in the parameter group function's environment, and
#: Lambda allows 4 KB of environment variables in all (Lambda quotas); the rest take under 400 bytes.
ENGINE_PARAMETERS_MAX = 3072

GROUP_NAMING = "Naming"
GROUP_NETWORK = "Network"
GROUP_DATABASE = "Database instance"
GROUP_INFLUX = "InfluxDB access"
GROUP_DATA = "Data buckets for the Lambda functions"
GROUP_PROTECTION = "Encryption and backup"
GROUP_MONITORING = "Monitoring and logs"


def standalone_form(options: Options) -> ParameterForm:
    """This product's launch form for ``options`` in a template of its own: the other products
    borrow their shared parameters from it (``ParameterForm.borrow``)."""
    return add_parameters(Context.for_template(Template()), options)


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
        Type="String",
        Description="TCP port InfluxDB listens on (HTTPS).",
        Default=str(options.default_port),
        # Digits without leading zeros: the PortNotReserved Rule compares strings, so 08090 must not pass.
        AllowedPattern=whole_number_pattern(service.PORT_MIN, service.PORT_MAX),
        ConstraintDescription=(
            f"a port from {service.PORT_MIN} to {service.PORT_MAX} (digits, no leading zero), except "
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
        Type="String",
        Description=(
            "Storage for the database in GiB; "
            + " and ".join(
                k for k, gib in service.STORAGE_MIN_GIB.items() if gib > service.ALLOCATED_STORAGE_MIN
            )
            + f" need at least {service.STORAGE_MIN_GIB['InfluxIOIncludedT2']} GiB."
        ),
        Default=str(options.default_allocated_storage),
        AllowedPattern=whole_number_pattern(service.ALLOCATED_STORAGE_MIN, service.ALLOCATED_STORAGE_MAX),
        ConstraintDescription=(
            f"a whole number of GiB from {service.ALLOCATED_STORAGE_MIN} to {service.ALLOCATED_STORAGE_MAX} "
            f"(at least {service.STORAGE_MIN_GIB['InfluxIOIncludedT2']} for InfluxIOIncludedT2 and T3)"
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
    engine_parameters = form.add_optional(
        "EngineParameters",
        condition=HAS_ENGINE_PARAMETERS,
        group=GROUP_DATABASE,
        label="Engine parameters (optional)",
        Type="String",
        Description=(
            "InfluxDB v2 engine parameters as a JSON object, named and typed as the "
            'CreateDbParameterGroup API has them, e.g. {"queryConcurrency": 16, "logLevel": "info"}; the '
            "stack makes a parameter group of them. Empty for none; not with DbParameterGroupIdentifier."
        ),
        MaxLength=ENGINE_PARAMETERS_MAX,
        # Braces around anything but NUL (which JSON text never holds raw); a class, not an
        # alternation: Java's regex recurses once per repetition of a group.
        AllowedPattern=r"^$|^[ \t\r\n]*\{[^\x00]*\}[ \t\r\n]*$",
        ConstraintDescription='empty, or a JSON object of engine parameters such as {"queryConcurrency": 16}',
    )
    if options.default_engine_parameters:  # checked by Options
        engine_parameters.Default = canonical(json.loads(options.default_engine_parameters))
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
        AllowedPattern=f"^[^{_NAME_EXCLUDED}]+$",
        ConstraintDescription=(
            f"1 to {service.ORGANIZATION_MAX} characters, without quotes, backslashes or control characters"
        ),
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
        AllowedPattern=f"^[^_{_NAME_EXCLUDED}][^{_NAME_EXCLUDED}]*$",
        ConstraintDescription=(
            f"{service.BUCKET_MIN} to {service.BUCKET_MAX} characters, not starting with '_', "
            "without quotes, backslashes or control characters"
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
    form.add(
        "TokenRotationDays",
        group=GROUP_INFLUX,
        label="API token rotation (days)",
        Type="String",
        Description=(
            "Days between rotations of the API token the stack makes (a new token; the previous one "
            "stays valid until the next rotation); 0 turns rotation off. Ignored when InfluxDBToken is given."
        ),
        Default="0",
        AllowedPattern=whole_number_pattern(0, ROTATION_DAYS_MAX),
        ConstraintDescription=(
            f"0 (off) or a whole number of days from {ROTATION_DAYS_MIN} to "
            f"{ROTATION_DAYS_MAX} (Secrets Manager's limits for AutomaticallyAfterDays)"
        ),
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
        Type="String",
        Description="Days to keep the daily automated backups (always on).",
        Default="7",
        AllowedPattern=whole_number_pattern(
            service.AUTOMATED_BACKUP_RETENTION_MIN, service.AUTOMATED_BACKUP_RETENTION_MAX
        ),
        ConstraintDescription=(
            f"a whole number of days from {service.AUTOMATED_BACKUP_RETENTION_MIN} to "
            f"{service.AUTOMATED_BACKUP_RETENTION_MAX}"
        ),
    )
    form.add(
        "ContinuousBackupRetentionDays",
        group=GROUP_PROTECTION,
        label="Point-in-time recovery (days)",
        Type="String",
        Description="Days to keep continuous backups for point-in-time restore; 0 turns them off.",
        Default="0",
        AllowedPattern=whole_number_pattern(0, service.AUTOMATED_BACKUP_RETENTION_MAX),
        ConstraintDescription=f"0 (off) or a whole number of days up to {service.AUTOMATED_BACKUP_RETENTION_MAX}",
    )
    form.add(
        "FinalBackupRetentionDays",
        group=GROUP_PROTECTION,
        label="Final backup retention (days)",
        Type="String",
        Description=(
            "Days to keep a backup taken when the stack is deleted or a ProjectName or Environment "
            "change replaces the instance; 0 takes none."
        ),
        Default="30",
        AllowedPattern=whole_number_pattern(0, service.ON_DEMAND_BACKUP_RETENTION_MAX),
        ConstraintDescription=f"0 (none) or a whole number of days up to {service.ON_DEMAND_BACKUP_RETENTION_MAX}",
    )


def _monitoring(form: ParameterForm, options: Options) -> None:
    form.add_optional(
        "AlarmActions",
        group=GROUP_MONITORING,
        label="Alarm SNS topics (optional)",
        Type="CommaDelimitedList",
        Description=(
            f"Comma-separated SNS topic ARNs notified when an alarm fires or clears, at most "
            f"{service.ALARM_ACTIONS_MAX} (CloudWatch's limit per alarm state), each in the Region the "
            "product is launched in (CloudWatch notifies topics in the alarm's own Region only); empty for none."
        ),
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
    t.add_rule(
        "OneParameterGroupSource",
        {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Or": [
                            {"Fn::Equals": [{"Ref": "EngineParameters"}, ""]},
                            {"Fn::Equals": [{"Ref": "DbParameterGroupIdentifier"}, ""]},
                        ]
                    },
                    "AssertDescription": (
                        "Give EngineParameters (the stack makes a parameter group) or "
                        "DbParameterGroupIdentifier (an existing group), not both."
                    ),
                }
            ]
        },
    )
    # A list item pattern cannot tell "a,,b" from the empty list (one empty item, meaning none): refuse
    # an empty item next to a topic; all-empty ("" or ",") is the empty list.
    t.add_rule(
        "AlarmActionsNoEmptyItem",
        {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Or": [
                            {"Fn::EachMemberEquals": [{"Ref": "AlarmActions"}, ""]},
                            {"Fn::Not": [{"Fn::Contains": [{"Ref": "AlarmActions"}, ""]}]},
                        ]
                    },
                    "AssertDescription": "AlarmActions must not have an empty entry (two commas, or a comma at an end).",
                }
            ]
        },
    )
