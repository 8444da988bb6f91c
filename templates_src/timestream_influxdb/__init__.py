"""Amazon Timestream for InfluxDB for a data platform's Lambda functions.

``build()`` reads top to bottom like the architecture: parameters, network, encryption, database,
secrets, logs, access, monitoring, backup, API token, outputs. Each step is a function of its own module that takes
what it depends on and returns what it made, so a team can reuse a step or add a resource:

    from templates_src.timestream_influxdb import Options, build
    t = build(Options(environments=("dev", "prod"), default_environment="dev"))
    t.add_resource(...)
    print(t.to_yaml())
"""

from __future__ import annotations

from troposphere import Template

from ..common import Naming
from . import (
    access,
    backup,
    database,
    encryption,
    influx_token,
    monitoring,
    network,
    outputs,
    parameters,
    secrets,
)
from .options import OptionError, Options

DESCRIPTION = (
    "Amazon Timestream for InfluxDB for Lambda clients: a private instance, security groups, "
    "a least-privilege Lambda role, secrets, a KMS key, alarms, a dashboard, backups and an API token."
)


def build(options: Options = Options()) -> Template:
    """The product template for ``options``; the defaults give ``output/timestream-influxdb.yaml``."""
    t = Template(Description=DESCRIPTION)
    t.set_version("2010-09-09")
    naming = Naming()

    p = parameters.add_parameters(t, options)
    parameters.add_conditions(t)
    parameters.add_rules(t)

    sgs = network.add_security_groups(t, p, naming)
    endpoint = network.add_secrets_endpoint(t, p, naming, sgs)
    key = encryption.add_key(t, naming)
    password = secrets.add_admin_password(t, p, naming, key)
    instance = database.add_instance(t, p, naming, sgs, password.value)
    conn = secrets.add_connection_secrets(t, p, naming, instance, key, password)
    log_group = monitoring.add_log_group(t, p, naming, key)
    vpc_access = access.add_vpc_access_policy(t, sgs)
    role = access.add_lambda_role(t, naming, vpc_access, conn, key)
    monitoring.add_alarms(t, p, naming)
    dashboard = monitoring.add_dashboard(t, naming)
    backup.add_backups(t, p, naming, key, instance)
    influx_token.add_token(t, p, naming, key, sgs, vpc_access, instance, conn, endpoint)
    outputs.add_outputs(t, p, naming, instance, sgs, conn, role, key, log_group, dashboard)

    t.set_metadata({"AWS::CloudFormation::Interface": p.interface()})
    return t


__all__ = ["DESCRIPTION", "OptionError", "Options", "build"]
