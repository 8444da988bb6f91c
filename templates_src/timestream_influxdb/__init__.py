"""Amazon Timestream for InfluxDB for a data platform's Lambda functions.

``build()`` reads top to bottom like the architecture: parameters, network, encryption, database,
engine parameter group, secrets, logs, access, monitoring, backup, API token, its rotation,
outputs. Each step is a function of its own module, ``add_<thing>(ctx, <what it depends on>) -> <what it made>``, where ``ctx`` is the
:class:`~templates_src.common.Context` (template, launch form, naming, conditions), so a team can
reuse a step or add a resource:

    from templates_src.timestream_influxdb import Options, build
    t = build(Options(environments=("dev", "prod"), default_environment="dev"))
    t.add_resource(...)
    print(t.to_yaml())
"""

from __future__ import annotations

from troposphere import Template

from ..common import Context
from . import (
    access,
    backup,
    database,
    encryption,
    influx_token,
    monitoring,
    network,
    outputs,
    parameter_group,
    parameters,
    secrets,
    token_rotation,
)
from .options import OptionError, Options

DESCRIPTION = (
    "Amazon Timestream for InfluxDB for Lambda clients: a private instance, security groups, "
    "a least-privilege Lambda role, secrets, a KMS key, alarms, a dashboard, backups and an API token."
)


def build(options: Options | None = None) -> Template:
    """The product template for ``options``; the defaults give ``output/timestream-influxdb.yaml``."""
    options = options or Options()
    t = Template(Description=DESCRIPTION)
    t.set_version("2010-09-09")
    ctx = Context.for_template(t)

    parameters.add_parameters(ctx, options)

    sgs = network.add_security_groups(ctx)
    key = encryption.add_key(ctx)
    password = secrets.add_admin_password(ctx, key)
    instance = database.add_instance(ctx, sgs, password.value)
    group = parameter_group.add_parameter_group(ctx, key, instance)
    conn = secrets.add_connection_secrets(ctx, instance, key, password)
    log_group = monitoring.add_log_group(ctx, key)
    vpc_access = access.add_vpc_access_policy(ctx, sgs)
    role = access.add_lambda_role(ctx, vpc_access, conn, key)
    monitoring.add_alarms(ctx)
    dashboard = monitoring.add_dashboard(ctx)
    backups = backup.add_backups(ctx, key, instance)
    token = influx_token.add_token(ctx, key, sgs, vpc_access, instance, conn)
    # The token's HTTP calls wait for the database changes (a parameter group switch can restart it).
    backup.after_database_changes(ctx, token.resource, [group, backups])
    token_rotation.add_token_rotation(ctx, key, conn, token)
    outputs.add_outputs(ctx, instance, sgs, conn, role, key, log_group, dashboard)

    t.set_metadata({"AWS::CloudFormation::Interface": ctx.form.interface()})
    return t


__all__ = ["DESCRIPTION", "OptionError", "Options", "build"]
