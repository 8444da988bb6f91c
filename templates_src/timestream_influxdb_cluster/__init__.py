"""Amazon Timestream for InfluxDB as a read-replica cluster (InfluxDB v2) for Lambda clients.

The second product: a writer and read replicas in three Availability Zones, with a writer URL for
clients that write and a reader URL for query-only clients. ``build()`` composes the instance
product's steps (network, encryption, secrets, access, the clients' log group, the API token,
outputs); only the parameters and the cluster itself are this package's own. What the instance
product has and this one does not, and why:

- no CloudWatch alarms or dashboard: AWS documents the service's metrics with the dimension
  DbInstanceName, per node, and no cluster dimension; the nodes' names are the service's, unknown
  when the template is built, so an alarm here would watch a guessed name;
- no backup resource: the project's backup function configures instances (UpdateDbInstance);
  clusters take their backup configuration through UpdateDbCluster, which it does not call, and
  CloudFormation's cluster schema has no backup property;
- no EngineParameters: the parameter group function switches instances (UpdateDbInstance); the
  cluster takes an existing group through DbParameterGroupIdentifier, which it can change in place.

    from templates_src.timestream_influxdb_cluster import Options, build
    print(build(Options(default_failover_mode="NO_FAILOVER")).to_yaml())
"""

from __future__ import annotations

from troposphere import Template

from ..common import Context
from ..timestream_influxdb import access, encryption, influx_token, monitoring, network, outputs, secrets
from . import database, parameters
from .options import OptionError, Options

DESCRIPTION = (
    "Amazon Timestream for InfluxDB read-replica cluster for Lambda clients: a private InfluxDB v2 "
    "cluster (writer and reader endpoints, three Availability Zones; needs the AWS Marketplace "
    "read-replica add-on), security groups, a least-privilege Lambda role, secrets, a KMS key and "
    "an API token. No alarms: AWS documents per-node metrics only."
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
    conn = secrets.add_connection_secrets(ctx, cluster.resource, key, password)
    log_group = monitoring.add_log_group(ctx, key)
    vpc_access = access.add_vpc_access_policy(ctx, sgs)
    role = access.add_lambda_role(ctx, vpc_access, conn, key)
    # The token resource works against the writer: the cluster's Endpoint attribute.
    influx_token.add_token(ctx, key, sgs, vpc_access, cluster.resource, conn)
    outputs.add_outputs(ctx, cluster, sgs, conn, role, key, log_group, dashboard=None)

    t.set_metadata({"AWS::CloudFormation::Interface": ctx.form.interface()})
    return t


__all__ = ["DESCRIPTION", "OptionError", "Options", "build"]
