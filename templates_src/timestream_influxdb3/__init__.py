"""Amazon Timestream for InfluxDB 3 (Core or Enterprise) for Lambda clients.

The third product: an AWS::Timestream::InfluxDBCluster whose engine, InfluxDB 3 Core or
Enterprise, is chosen on the launch form (the service-defined parameter group), a database made
at first launch, and for the Lambda clients a host URL, the database's name and a token secret
they can read. ``build()`` composes the instance product's steps (network, encryption, the
clients' log group, access, the custom-resource machinery); the cluster, its database resource,
the secrets and the outputs are this package's.

The engine cannot change after launch: the cluster DependsOn an engine guard (a custom resource,
functions/influxdb3_engine_guard.py) that CloudFormation updates first, so an update that changes
the parameter group fails and rolls back before the cluster is changed (AWS documents Core and
Enterprise groups as not interchangeable); ``build.py deploy`` refuses such an update before it
makes a change set. A stack launched from a version without the guard gets it with its first
update: that update cannot know the engine the stack was launched with, and only the database
resource refuses an engine change made in the same update, after the cluster.

Backups: the instance product's backup resource, given the cluster (as the read-replica cluster
product does): DAILY and CONTINUOUS automated backups (UpdateDbCluster ``dbBackupConfigurations``;
CloudFormation's cluster schema has no backup property) and a final backup (CreateDbBackup) when
the stack is deleted or the cluster replaced. botocore's model has dbBackupConfigurations on
CreateDbCluster and UpdateDbCluster and takes a cluster id in CreateDbBackup; the Timestream
developer guide's "Customer-managed backup and restore" page documents on-demand, scheduled and
continuous backups for InfluxDB 3 clusters, Core and Enterprise. A backup is restored with the
API's RestoreFromDbBackup into a new cluster outside the stack (``build.py restore`` restores
instances).

What the instance product has and this one does not, and why:

- no CloudWatch alarms or dashboard: AWS documents metric names and the dimension DbInstanceName
  for InfluxDB 2 instances only; neither InfluxDB 3's metrics nor a cluster dimension is
  documented, and an alarm on a guessed metric would never fire;
- no rotation: the token is a database-scoped Enterprise token without expiry, and the rotation
  function speaks InfluxDB 2;
- on Core, no database-scoped token: InfluxDB 3 Core has none, so the clients read the admin token
  from the secret the service made (it can administer every database).

Engine parameters: EngineParameters (InfluxDB 3 Core or Enterprise parameters, as the launch
form's engine takes them) makes a parameter group the cluster uses instead of the service-defined
one: a copy of it with the given parameters laid over (:mod:`.parameter_group`); on Enterprise the
node counts are never given, so the engine and topology stay the guard's.

    from templates_src.timestream_influxdb3 import Options, build
    print(build(Options(default_engine="Enterprise")).to_yaml())
"""

from __future__ import annotations

from troposphere import Template

from ..common import Context
from ..timestream_influxdb import access, backup, encryption, monitoring, network
from . import database, outputs, parameter_group, parameters, setup
from .options import OptionError, Options

DESCRIPTION = (
    "Amazon Timestream for InfluxDB 3 (Core or Enterprise) for Lambda clients: a private cluster, "
    "a database made at launch, a database-scoped token (Enterprise; Core clients get the admin "
    "token), security groups, a least-privilege Lambda role, secrets, a KMS key and backups. No "
    "alarms: AWS documents no InfluxDB 3 metrics."
)


def build(options: Options | None = None) -> Template:
    """The product template for ``options``; the defaults give ``output/timestream-influxdb3.yaml``."""
    options = options or Options()
    t = Template(Description=DESCRIPTION)
    t.set_version("2010-09-09")
    ctx = Context.for_template(t)

    parameters.add_parameters(ctx, options)
    database.add_engine_conditions(ctx)

    sgs = network.add_security_groups(ctx, database_egress=database.object_store_egress(ctx))
    key = encryption.add_key(ctx)
    guard = setup.add_engine_guard(ctx, key)
    engine_group = parameter_group.add_parameter_group(ctx, key, guard)
    cluster = database.add_cluster(ctx, sgs, guard, engine_group)
    secrets = setup.add_secrets(ctx, key, cluster)
    log_group = monitoring.add_log_group(ctx, key)
    vpc_access = access.add_vpc_access_policy(ctx, sgs)
    role = access.add_lambda_role(ctx, vpc_access, secrets, key)
    influx_database = setup.add_database(ctx, key, sgs, vpc_access, cluster, secrets)
    backups = backup.add_backups(ctx, key, cluster)
    # The database resource's HTTP calls wait for the backup configuration's UpdateDbCluster.
    backup.after_database_changes(ctx, influx_database, [backups])
    outputs.add_outputs(ctx, cluster, sgs, secrets, role, key, log_group)

    t.set_metadata({"AWS::CloudFormation::Interface": ctx.form.interface()})
    return t


__all__ = ["DESCRIPTION", "OptionError", "Options", "build"]
