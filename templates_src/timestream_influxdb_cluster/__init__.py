"""Amazon Timestream for InfluxDB as a read-replica cluster (InfluxDB v2) for Lambda clients.

The second product: a writer and read replicas in three Availability Zones, with a writer URL for
clients that write and a reader URL for query-only clients. ``build()`` composes the instance
product's steps (network, encryption, secrets, access, the clients' log group, the engine parameter
group, backups, the API token and its rotation, outputs), each given the cluster where the instance
product gives its instance; only the parameters and the cluster itself are this package's own:

- backups: the backup function configures the cluster's DAILY and CONTINUOUS automated backups
  (UpdateDbCluster ``dbBackupConfigurations``; CloudFormation's cluster schema has no backup
  property) and takes its final backup (CreateDbBackup, whose dbResourceId takes a cluster id) when
  the stack is deleted or the cluster replaced: BackupRetentionPeriod, ContinuousBackupRetentionDays
  and FinalBackupRetentionDays mean what they mean for the instance;
- EngineParameters: the parameter group function makes the group and switches the cluster to it
  (UpdateDbCluster ``dbParameterGroupIdentifier``), InfluxDB v2 parameters only; or
  DbParameterGroupIdentifier names an existing group, on the cluster itself (not both);
- TokenRotationDays: the token is rotated against the writer endpoint, as it is created.

What the instance product has and this one does not, and why: no CloudWatch alarms or dashboard.
AWS documents the service's metrics with the dimension DbInstanceName, per node, and no cluster
dimension; the nodes' names are the service's, unknown when the template is built, so an alarm
here would watch a guessed name.

Restoring: ``build.py restore`` restores an instance's backup to a new instance only. A cluster's
backup (the final one, or an automated one) is restored with the Timestream for InfluxDB API's
RestoreFromDbBackup (``aws timestream-influxdb restore-from-db-backup --name NEW-NAME
--db-backup-id ID``; its answer's resourceType is DB_CLUSTER), which makes a new cluster outside
any stack; docs/OPERATIONS.md says how to bring it back under the product.

    from templates_src.timestream_influxdb_cluster import Options, build
    print(build(Options(default_failover_mode="NO_FAILOVER")).to_yaml())
"""

from __future__ import annotations

from troposphere import Template

from ..common import Context
from ..timestream_influxdb import (
    access,
    backup,
    encryption,
    influx_token,
    monitoring,
    network,
    outputs,
    parameter_group,
    secrets,
    token_rotation,
)
from . import database, parameters
from .options import OptionError, Options

DESCRIPTION = (
    "Amazon Timestream for InfluxDB read-replica cluster for Lambda clients: a private InfluxDB v2 "
    "cluster (writer and reader endpoints, three Availability Zones; needs the AWS Marketplace "
    "read-replica add-on), security groups, a least-privilege Lambda role, secrets, a KMS key, "
    "backups, engine parameters and a rotated API token. No alarms: AWS documents per-node metrics only."
)


def build(options: Options | None = None) -> Template:
    """The product template for ``options``; the defaults give ``output/timestream-influxdb-cluster.yaml``."""
    options = options or Options()
    t = Template(Description=DESCRIPTION)
    t.set_version("2010-09-09")
    ctx = Context.for_template(t)

    parameters.add_parameters(ctx, options)

    sgs = network.add_security_groups(ctx)
    key = encryption.add_key(ctx)
    password = secrets.add_admin_password(ctx, key)
    cluster = database.add_cluster(ctx, sgs, password.value)
    group = parameter_group.add_parameter_group(ctx, key, cluster)
    conn = secrets.add_connection_secrets(ctx, cluster.resource, key, password)
    log_group = monitoring.add_log_group(ctx, key)
    vpc_access = access.add_vpc_access_policy(ctx, sgs)
    role = access.add_lambda_role(ctx, vpc_access, conn, key)
    backups = backup.add_backups(ctx, key, cluster)
    # The token resource and its rotation work against the writer: the cluster's Endpoint attribute.
    token = influx_token.add_token(ctx, key, sgs, vpc_access, cluster.resource, conn)
    # The token's HTTP calls wait for the database changes (a parameter group switch can restart it).
    backup.after_database_changes(ctx, token.resource, [group, backups])
    token_rotation.add_token_rotation(ctx, key, conn, token)
    outputs.add_outputs(ctx, cluster, sgs, conn, role, key, log_group, dashboard=None)

    t.set_metadata({"AWS::CloudFormation::Interface": ctx.form.interface()})
    return t


__all__ = ["DESCRIPTION", "OptionError", "Options", "build"]
