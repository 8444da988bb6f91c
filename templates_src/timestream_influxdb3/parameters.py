"""Parameters of the InfluxDB 3 template: the instance product's launch form where a parameter
means the same, and this product's own (Engine, EnterpriseNodes, Database).

Left out, because an InfluxDB 3 cluster takes no such setting (the Terraform AWS provider refuses
them with an InfluxDB 3 parameter group; the AWS CLI examples of the developer guide pass none):
Username, Password, Organization, Bucket, InfluxDBToken, AllocatedStorage, DeploymentType. Left
out as well: DbStorageType (not required by CreateDbCluster, passed by no InfluxDB 3 example, so
its meaning for InfluxDB 3 is not documented), an existing parameter group (the engine is a
service-defined group, so the launch form can say which it is; EngineParameters makes a custom one
of the same engine), and what the product does not make (alarms). The backup parameters are the instance product's, as
the read-replica cluster product has them.
"""

from __future__ import annotations

import json

from ..common import Context, ParameterForm
from ..timestream_influxdb import names
from ..timestream_influxdb import parameters as instance_parameters
from ..timestream_influxdb.engine_parameters import canonical
from ..timestream_influxdb_cluster import parameters as cluster_parameters
from . import service
from .options import Options

GROUP_NAMING = instance_parameters.GROUP_NAMING
GROUP_NETWORK = instance_parameters.GROUP_NETWORK
GROUP_CLUSTER = "InfluxDB 3 cluster"
GROUP_DATA = instance_parameters.GROUP_DATA
GROUP_PROTECTION = instance_parameters.GROUP_PROTECTION
GROUP_MONITORING = "Logs"
#: What the launch form says of Core's token: the limit of the edition, stated where it is chosen.
CORE_TOKEN_LIMIT = (
    "Core has no database-scoped tokens: the Lambda clients get the cluster's admin token (the "
    "secret the service made), which can read, write and administer every database."
)

#: (group, parameter, new description or None) in launch-form order, for the shared parameters.
SHARED = (
    (GROUP_NAMING, "Environment", None),
    (
        GROUP_NAMING,
        "ProjectName",
        "Short project name; resources are named {project}-{environment}-..., and the InfluxDB 3 "
        f"cluster {{project}}-{{environment}}-{names.INSTANCE}.",
    ),
    (GROUP_NETWORK, "VpcId", "VPC for the InfluxDB 3 cluster and its security groups."),
    (
        GROUP_NETWORK,
        "SubnetIds",
        f"{service.SUBNETS_MIN} or {service.SUBNETS_MAX} private subnets of the VPC, in different "
        "Availability Zones, whose route tables have an Amazon S3 gateway endpoint (the cluster "
        "keeps its data in Amazon S3). The Lambda functions use the same subnets.",
    ),
    (GROUP_NETWORK, "Port", "TCP port InfluxDB 3 listens on (HTTPS); can be changed in place later."),
    (GROUP_NETWORK, "NetworkType", None),
    (
        GROUP_CLUSTER,
        "DbInstanceClass",
        "Compute size of every node; can be changed in place later.",
    ),
    (
        GROUP_CLUSTER,
        "EngineParameters",
        "InfluxDB 3 engine parameters of the chosen engine (Core or Enterprise) as a JSON object, named "
        'and typed as the CreateDbParameterGroup API has them, e.g. {"queryFileLimit": 500}; the stack '
        "makes a parameter group of them (on Enterprise with the node counts of the service-defined "
        "group, so no ingestQueryInstances, queryOnlyInstances or dedicatedCompactor) and the cluster "
        "restarts on it. Empty for the service-defined group.",
    ),
    (GROUP_CLUSTER, "MaintenanceWindow", None),
    (GROUP_CLUSTER, "MaintenanceTimezone", None),
    (GROUP_DATA, "ProcessedDataBucket", None),
    (GROUP_DATA, "RejectedDataBucket", None),
    (GROUP_DATA, "RejectedDataPrefix", None),
    (
        GROUP_PROTECTION,
        "StorageEncrypted",
        "true creates a customer-managed KMS key (rotation on) for the product's secrets and log "
        "groups. The cluster's own storage is encrypted with a key the service manages.",
    ),
    *cluster_parameters.BACKUP,
    (GROUP_MONITORING, "LogRetentionDays", None),
    (GROUP_MONITORING, "EngineLogBucket", None),
)
#: The instance product's Rules that hold for this cluster as they are.
SHARED_RULES = ("SubnetsInVpc", "PortNotReserved")


def add_parameters(ctx: Context, options: Options) -> ParameterForm:
    """Add every parameter, grouped in launch-form order, and the rules; return the form."""
    form, source = ctx.form, instance_parameters.standalone_form(options.instance_options())
    for group, name, description in SHARED:
        if group == GROUP_CLUSTER and name == "DbInstanceClass":
            _engine(form, options)
        form.borrow(source, name, group, description)
        if name == "SubnetIds":
            _object_store(form)
    form.template.parameters["Port"].Default = str(service.DEFAULT_PORT)
    form.template.parameters[
        "EngineParameters"
    ].ConstraintDescription = 'empty, or a JSON object of engine parameters such as {"queryFileLimit": 500}'
    if options.default_engine_parameters:  # checked by Options
        form.template.parameters["EngineParameters"].Default = canonical(
            json.loads(options.default_engine_parameters)
        )
    for rule in SHARED_RULES:
        ctx.template.add_rule(rule, source.template.rules[rule])
    ctx.template.add_rule(
        "NodesOnlyForEnterprise",
        {
            "RuleCondition": {"Fn::Equals": [{"Ref": "Engine"}, service.CORE]},
            "Assertions": [
                {
                    "Assert": {"Fn::Equals": [{"Ref": "EnterpriseNodes"}, ""]},
                    "AssertDescription": "EnterpriseNodes is for Enterprise only: leave it empty for Core.",
                }
            ],
        },
    )
    return form


def _object_store(form: ParameterForm) -> None:
    """The Amazon S3 prefix list the database group may reach (the cluster's object store)."""
    form.add(
        "S3PrefixListId",
        group=GROUP_NETWORK,
        label="Amazon S3 prefix list",
        Type="String",
        Description=(
            "Id of the AWS-managed prefix list com.amazonaws.<region>.s3 (pl-...; aws ec2 "
            "describe-managed-prefix-lists): the cluster's security group may reach Amazon S3, where "
            "InfluxDB 3 keeps its data, through the VPC's gateway endpoint, and nothing else."
        ),
        AllowedPattern=r"^pl-[0-9a-f]{8,17}$",
        ConstraintDescription="a prefix list id: pl- and 8 to 17 hexadecimal digits",
    )


def _engine(form: ParameterForm, options: Options) -> None:
    """The engine, its Enterprise topology and the database, first in the cluster's group."""
    groups = ", ".join(
        f"{e}{' ' + n + ' node(s)' if n else ''}: {g}" for (e, n), g in service.PARAMETER_GROUPS.items()
    )
    form.add(
        "Engine",
        group=GROUP_CLUSTER,
        label="Engine",
        Type="String",
        Description=(
            "InfluxDB 3 Core (one node) or Enterprise (database-scoped tokens, compaction, one or "
            f"three nodes). {CORE_TOKEN_LIMIT} Enterprise clients get a read/write token on the "
            f"database only. Cannot be changed after launch: an update that changes it is refused "
            "before the cluster is touched (launch a new product and move the data). "
            f"Service-defined parameter groups: {groups}."
        ),
        AllowedValues=list(service.ENGINES),
        Default=options.default_engine,
        ConstraintDescription=f"choose one of {', '.join(service.ENGINES)}",
    )
    form.add(
        "EnterpriseNodes",
        group=GROUP_CLUSTER,
        label="Enterprise nodes",
        Type="String",
        Description=(
            "Enterprise only: 3 (two writer/reader nodes and a compactor) or 1; empty means 3. "
            "Must be empty for Core. Cannot be changed after launch (empty and 3 are the same)."
        ),
        AllowedValues=["", *service.ENTERPRISE_NODES],
        Default="",
        ConstraintDescription="empty, 3 or 1 (Enterprise only)",
    )
    form.add(
        "Database",
        group=GROUP_CLUSTER,
        label="Database",
        Type="String",
        Description=(
            "InfluxDB 3 database the Lambda clients write to and query, created at launch (an "
            "existing one is adopted). Never deleted by the stack: it outlives a deletion or a change."
        ),
        Default=options.default_database,
        MinLength=1,
        MaxLength=service.DATABASE_MAX,
        AllowedPattern=service.DATABASE_PATTERN,
        ConstraintDescription=(
            "letters, digits and hyphens, starting and ending with a letter or digit (no underscore)"
        ),
    )


__all__ = ["CORE_TOKEN_LIMIT", "add_parameters"]
