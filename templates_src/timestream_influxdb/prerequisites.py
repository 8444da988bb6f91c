"""What must be true of the account before this product's stack is created: the product's part of
``build.py preflight`` (the registry wires it into the product's entry).

Which parameters name what (existing buckets, alarm topics, the engine-log bucket), how many
Availability Zones the subnets must span, the storage rule, the documented instance quota, the
service API the backups rely on, and what the Lambda clients lack without a route to a service.
The subnets and the VPC are found by parameter type (``List<AWS::EC2::Subnet::Id>``); the fixed
names the stack will take are read from the template itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..common import Prerequisites, Probe
from . import deploy_checks, service

#: Parameters naming S3 buckets that must exist before the stack is created.
BUCKETS = ("ProcessedDataBucket", "RejectedDataBucket")
#: The optional bucket the service delivers InfluxDB engine logs to, and what its policy must allow:
#: the service principal may s3:PutObject under InfluxLogs/ (the Timestream for InfluxDB developer
#: guide, "Setup to view InfluxDB logs": the bucket must exist before the instance, in the same account
#: and Region, with a bucket policy allowing timestream-influxdb.amazonaws.com s3:PutObject on
#: arn:aws:s3:::BUCKET/InfluxLogs/*).
LOG_BUCKET = "EngineLogBucket"
LOG_PRINCIPAL = "timestream-influxdb.amazonaws.com"
LOG_PREFIX = "InfluxLogs/"
#: Parameter listing the SNS topics the alarms notify.
ALARM_TOPICS = "AlarmActions"
#: The resource type counted against the account's instance quota, and the quota's documented
#: default: the developer guide ("What is Timestream for InfluxDB?", DB instances) says an account can
#: have up to 40 instances. No Service Quotas code for it is in botocore or the AWS documentation
#: searched, so the account's actual (possibly raised) value is not read.
QUOTA_TYPE = "AWS::Timestream::InfluxDBInstance"
QUOTA_DEFAULT = 40
#: The backup function calls the Timestream for InfluxDB API (UpdateDbInstance, CreateDbBackup):
#: ListDbBackups is its read-only probe (botocore model: maxResults 1 to 100).
BACKUP_PROBE = Probe(
    "timestream-influxdb",
    "list_db_backups",
    {"maxResults": 1},
    purpose="the backup function configures and takes backups through it",
)
#: AWS service (botocore name) -> what the Lambda clients in SubnetIds lack without a route to it.
CLIENT_SERVICES = {
    "s3": "the client functions cannot read ProcessedDataBucket or write rejected records to RejectedDataBucket",
    "secretsmanager": (
        "the client functions cannot read the InfluxDB credentials and token, and the token function "
        "cannot store the token it creates"
    ),
}


def zones_needed(values: Mapping[str, str]) -> int:
    """Availability Zones the subnets must span: two for a Multi-AZ standby, else one."""
    return service.MULTI_AZ_SUBNETS_MIN if values.get("DeploymentType") == service.MULTI_AZ else 1


def storage_problem(values: Mapping[str, str]) -> str | None:
    """Why the storage type and size disagree (the 12K and 16K IOPS tiers need 400 GiB), or None."""
    found = deploy_checks._storage_problems(values)
    return found[0][1] if found else None


PREREQUISITES = Prerequisites(
    buckets=BUCKETS,
    log_bucket=LOG_BUCKET,
    log_principal=LOG_PRINCIPAL,
    log_prefix=LOG_PREFIX,
    alarm_topics=ALARM_TOPICS,
    zones_needed=zones_needed,
    max_subnets=service.SUBNETS_MAX,
    storage_problem=storage_problem,
    storage_parameters=("DbStorageType", "AllocatedStorage"),
    quota=(QUOTA_TYPE, QUOTA_DEFAULT),
    probes=(BACKUP_PROBE,),
    client_services=CLIENT_SERVICES,
)
