"""Parameters of the read-replica cluster template: the instance product's launch form, where a
parameter means the same, and the cluster's own (DeploymentType, FailoverMode, three subnets).

The shared parameters are taken from the instance product's form as it builds them (same type,
constraint, default and label), so a fix there reaches both products; where the words must say
"cluster", only the description is replaced. Parameters of what the cluster does not have (the
alarms) are left out: see the module docstring of :mod:`templates_src.timestream_influxdb_cluster`.
"""

from __future__ import annotations

from ..common import Context, ParameterForm
from ..timestream_influxdb import names
from ..timestream_influxdb import parameters as instance_parameters
from . import service
from .options import Options

GROUP_NAMING = instance_parameters.GROUP_NAMING
GROUP_NETWORK = instance_parameters.GROUP_NETWORK
#: The launch form's group of the cluster: it states the Marketplace prerequisite, because
#: CloudFormation cannot create the cluster in an account without the subscription.
GROUP_CLUSTER = f"Read-replica cluster (needs the AWS Marketplace add-on: {service.MARKETPLACE_LISTING})"
GROUP_INFLUX = instance_parameters.GROUP_INFLUX
GROUP_DATA = instance_parameters.GROUP_DATA
GROUP_PROTECTION = instance_parameters.GROUP_PROTECTION
GROUP_MONITORING = "Logs"

#: The backup parameters of a cluster (any engine): the instance product's, described for a cluster.
BACKUP = (
    (
        GROUP_PROTECTION,
        "BackupRetentionPeriod",
        "Days to keep the cluster's daily automated backups (always on).",
    ),
    (
        GROUP_PROTECTION,
        "ContinuousBackupRetentionDays",
        "Days to keep the cluster's continuous backups for point-in-time restore; 0 turns them off.",
    ),
    (
        GROUP_PROTECTION,
        "FinalBackupRetentionDays",
        "Days to keep a backup of the cluster taken when the stack is deleted or a ProjectName or "
        "Environment change replaces the cluster; 0 takes none.",
    ),
)

#: (group, parameter, new description or None) in launch-form order, for the shared parameters.
SHARED = (
    (
        GROUP_NAMING,
        "Environment",
        None,
    ),
    (
        GROUP_NAMING,
        "ProjectName",
        "Short project name; resources are named {project}-{environment}-..., and the InfluxDB "
        f"cluster {{project}}-{{environment}}-{names.INSTANCE}.",
    ),
    (GROUP_NETWORK, "VpcId", "VPC for the InfluxDB cluster and its security groups."),
    (
        GROUP_NETWORK,
        "SubnetIds",
        f"Exactly {service.SUBNETS} private subnets of the VPC, each in a different Availability Zone: "
        "the service puts one node of the cluster in each zone. The Lambda functions use the same subnets.",
    ),
    (GROUP_NETWORK, "Port", None),
    (GROUP_NETWORK, "NetworkType", None),
    (
        GROUP_CLUSTER,
        "DbInstanceClass",
        "Compute size of every node (writer and readers); can be changed in place later.",
    ),
    (GROUP_CLUSTER, "DbStorageType", None),
    (GROUP_CLUSTER, "AllocatedStorage", None),
    (
        GROUP_CLUSTER,
        "DbParameterGroupIdentifier",
        "Identifier of an existing InfluxDB v2 parameter group for every node; empty for the service "
        "default. Can be changed in place later. Not with EngineParameters.",
    ),
    (
        GROUP_CLUSTER,
        "EngineParameters",
        "InfluxDB v2 engine parameters for every node as a JSON object, named and typed as the "
        'CreateDbParameterGroup API has them, e.g. {"queryConcurrency": 16, "logLevel": "info"} (a '
        "read-replica cluster runs InfluxDB v2: no InfluxDB 3 parameters); the stack makes a parameter "
        "group of them and switches the cluster to it. Empty for none; not with DbParameterGroupIdentifier.",
    ),
    (GROUP_CLUSTER, "MaintenanceWindow", None),
    (GROUP_CLUSTER, "MaintenanceTimezone", None),
    (GROUP_INFLUX, "Username", None),
    (GROUP_INFLUX, "Password", None),
    (GROUP_INFLUX, "Organization", None),
    (GROUP_INFLUX, "Bucket", None),
    (GROUP_INFLUX, "InfluxDBToken", None),
    (GROUP_INFLUX, "TokenRotationDays", None),
    (GROUP_DATA, "ProcessedDataBucket", None),
    (GROUP_DATA, "RejectedDataBucket", None),
    (GROUP_DATA, "RejectedDataPrefix", None),
    (
        GROUP_PROTECTION,
        "StorageEncrypted",
        "true creates a customer-managed KMS key (rotation on) for the secrets and the log groups. "
        "The cluster's own storage is always encrypted with a key the service manages.",
    ),
    *BACKUP,
    (GROUP_MONITORING, "LogRetentionDays", None),
    (GROUP_MONITORING, "EngineLogBucket", None),
)
#: The instance product's Rules that hold for the cluster as they are.
SHARED_RULES = ("SubnetsInVpc", "PortNotReserved", "OneParameterGroupSource")


def add_parameters(ctx: Context, options: Options) -> ParameterForm:
    """Add every parameter, grouped in launch-form order, and the rules; return the form."""
    form, source = ctx.form, instance_parameters.standalone_form(options.instance_options())
    for group, name, description in SHARED:
        form.borrow(source, name, group, description)
        if group == GROUP_CLUSTER and name == "DbInstanceClass":
            _cluster(form, options)
    for rule in SHARED_RULES:
        ctx.template.add_rule(rule, source.template.rules[rule])
    return form


def _cluster(form: ParameterForm, options: Options) -> None:
    """The cluster's own parameters, first in its group: the deployment type and the failover mode."""
    form.add(
        "DeploymentType",
        group=GROUP_CLUSTER,
        label="Deployment type",
        Type="String",
        Description=(
            f"{service.DEPLOYMENT_TYPES[0]}: a writer and read replicas in {service.ZONES_MIN} Availability "
            "Zones. Before launch, the account must subscribe to the AWS Marketplace listing "
            f'"{service.MARKETPLACE_LISTING}" (seller InfluxData, charged per cluster hour); '
            "without it the cluster is not created. No CloudWatch alarms or dashboard: AWS documents "
            "per-node metrics only."
        ),
        AllowedValues=list(service.DEPLOYMENT_TYPES),
        Default=service.DEPLOYMENT_TYPES[0],
        ConstraintDescription=f"choose {service.DEPLOYMENT_TYPES[0]}",
    )
    form.add(
        "FailoverMode",
        group=GROUP_CLUSTER,
        label="Failover mode",
        Type="String",
        Description=(
            "AUTOMATIC promotes a read replica to writer when the writer fails; NO_FAILOVER leaves "
            "the writer down until it recovers (readers keep serving queries). Can be changed in place."
        ),
        AllowedValues=list(service.FAILOVER_MODES),
        Default=options.default_failover_mode,
        ConstraintDescription=f"choose one of {', '.join(service.FAILOVER_MODES)}",
    )


__all__ = ["add_parameters"]
