"""Every template ``make build`` writes, by output name: the composition root.

Adding a template means adding one entry here: ``build.py``, the gates, the freshness and lint
tests all iterate this registry. Each product gets its own launch role template,
``<product>-launch-role``, derived from that product's template only (least privilege per product).
The registry also wires what templates and tools need from each other: a launch role receives its
product's builder and name patterns (``TemplateSpec.launch_scopes``), and deploy and restore
receive a product's facts (secrets, protected types, value checks, instance output) from its
entry, so neither ``tooling`` nor the launch role imports a product package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from troposphere import Template

from . import launch_role, timestream_influxdb, timestream_influxdb3, timestream_influxdb_cluster
from .common import Prerequisites
from .launch_role import LaunchScopes
from .timestream_influxdb import deploy_checks, names, prerequisites
from .timestream_influxdb3 import deploy_checks as influxdb3_checks
from .timestream_influxdb3 import prerequisites as influxdb3_prerequisites
from .timestream_influxdb_cluster import deploy_checks as cluster_checks
from .timestream_influxdb_cluster import prerequisites as cluster_prerequisites


@dataclass(frozen=True)
class TemplateSpec:
    """A template: its output name, its builder and the dataclass of its build options; for a
    product that is deployed, what deploy and restore need to know beyond the template."""

    name: str
    summary: str
    build: Callable[[Any], Template]
    options: type
    #: NoEcho parameter -> environment variable deploy reads its value from
    secret_env: Mapping[str, str] = field(default_factory=dict)
    #: resource types whose replacement or deletion loses data (deploy refuses it, the stack policy denies it)
    protected_types: tuple[str, ...] = ()
    #: (parameter, message) for values the service refuses that CloudFormation cannot check first;
    #: called with the effective values and the stack's Region (None when it is not known)
    value_checks: Callable[[Mapping[str, str], str | None], list[tuple[str, str]]] | None = None
    #: parameters whose decrease deletes backups (deploy refuses it without --allow-data-loss)
    retention_parameters: tuple[str, ...] = ()
    #: parameters that rename (and so can replace) the instance; other replacements fail and roll back
    renaming_parameters: tuple[str, ...] = ()
    #: parameters whose value cannot change once the stack exists (deploy refuses an update that
    #: changes one, before it makes a change set; no flag overrides it). A Service Catalog update
    #: does not pass through deploy: the template must refuse the change itself (a guard resource)
    fixed_parameters: tuple[str, ...] = ()
    #: stack output holding the id of the instance ``restore`` restores
    instance_output: str | None = None
    #: why the service refuses a new instance name (None: accepted)
    instance_name_problem: Callable[[str], str | None] | None = None
    #: what must exist in the account before a create (``build.py preflight``)
    prerequisites: Prerequisites | None = None
    #: for a product: its launch role's default name and the product's name patterns (a product
    #: without them gets a role named after it, with no name-scoped statement)
    launch_scopes: LaunchScopes | None = None
    #: for a launch role: the registry name of the product it launches
    launches: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.yaml"


PRODUCTS: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        name="timestream-influxdb",
        summary="The Timestream for InfluxDB product (Service Catalog product template)",
        build=timestream_influxdb.build,
        options=timestream_influxdb.Options,
        secret_env=deploy_checks.SECRET_ENV,
        protected_types=deploy_checks.PROTECTED_TYPES,
        value_checks=deploy_checks.value_problems,
        retention_parameters=deploy_checks.RETENTION_PARAMETERS,
        renaming_parameters=deploy_checks.RENAMING_PARAMETERS,
        instance_output=deploy_checks.INSTANCE_OUTPUT,
        instance_name_problem=deploy_checks.instance_name_problem,
        prerequisites=prerequisites.PREREQUISITES,
        launch_scopes=LaunchScopes(
            role_name="TimestreamInfluxDBLaunchRole",
            title="the Timestream for InfluxDB product",
            secrets=f"{names.INSTANCE}-*",
            log_groups=names.LOG_GROUPS,
            alarms=f"{names.INSTANCE}-*",
            dashboards=names.DASHBOARD,
            key_aliases=names.KEY,
        ),
    ),
    # No instance_output: restore restores instances; a cluster's backups are restored with the API
    # (RestoreFromDbBackup), see the cluster package's docstring.
    TemplateSpec(
        name="timestream-influxdb-cluster",
        summary="The Timestream for InfluxDB read-replica cluster product (Service Catalog product template)",
        build=timestream_influxdb_cluster.build,
        options=timestream_influxdb_cluster.Options,
        secret_env=cluster_checks.SECRET_ENV,
        protected_types=cluster_checks.PROTECTED_TYPES,
        value_checks=cluster_checks.value_problems,
        retention_parameters=cluster_checks.RETENTION_PARAMETERS,
        renaming_parameters=cluster_checks.RENAMING_PARAMETERS,
        prerequisites=cluster_prerequisites.PREREQUISITES,
        # The cluster takes the instance product's names (one of the two per project environment);
        # it makes no alarm and no dashboard.
        launch_scopes=LaunchScopes(
            role_name="TimestreamInfluxDBClusterLaunchRole",
            title="the Timestream for InfluxDB read-replica cluster product",
            secrets=f"{names.INSTANCE}-*",
            log_groups=names.LOG_GROUPS,
            key_aliases=names.KEY,
        ),
    ),
    # No instance_output: restore restores instances; a cluster's backups are restored with the API.
    TemplateSpec(
        name="timestream-influxdb3",
        summary="The Timestream for InfluxDB 3 (Core or Enterprise) product (Service Catalog product template)",
        build=timestream_influxdb3.build,
        options=timestream_influxdb3.Options,
        secret_env=influxdb3_checks.SECRET_ENV,
        protected_types=influxdb3_checks.PROTECTED_TYPES,
        value_checks=influxdb3_checks.value_problems,
        retention_parameters=influxdb3_checks.RETENTION_PARAMETERS,
        renaming_parameters=influxdb3_checks.RENAMING_PARAMETERS,
        fixed_parameters=influxdb3_checks.FIXED_PARAMETERS,
        prerequisites=influxdb3_prerequisites.PREREQUISITES,
        # The instance product's names (one database per project environment); no alarm, no dashboard.
        launch_scopes=LaunchScopes(
            role_name="TimestreamInfluxDB3LaunchRole",
            title="the Timestream for InfluxDB 3 product",
            secrets=f"{names.INSTANCE}-*",
            log_groups=names.LOG_GROUPS,
            key_aliases=names.KEY,
        ),
    ),
)

LAUNCH_ROLE_SUFFIX = "-launch-role"


def launch_scopes_of(product: TemplateSpec) -> LaunchScopes:
    """The product's launch scopes; by default a role named after it and no name-scoped statement
    (the build then refuses any delete or change of a named type: give the patterns instead)."""
    if product.launch_scopes is not None:
        return product.launch_scopes
    camel = "".join(part[:1].upper() + part[1:] for part in product.name.split("-"))
    return LaunchScopes(role_name=f"{camel}LaunchRole"[:64], title=f"the {product.name} product")


def launch_role_for(product: TemplateSpec) -> TemplateSpec:
    """The launch role template of ``product``: derived from its template with default options."""
    scopes = launch_scopes_of(product)
    return TemplateSpec(
        name=f"{product.name}{LAUNCH_ROLE_SUFFIX}",
        summary=f"The Service Catalog launch role of `{product.name}`, its policy derived from that "
        "template's resource types",
        build=partial(
            launch_role.build,
            product=product.name,
            template=partial(lambda s: s.build(s.options()), product),
            names=scopes,
        ),
        options=launch_role.Options,
        launches=product.name,
    )


#: Every template: each product, then its launch role.
TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec for product in PRODUCTS for spec in (product, launch_role_for(product))
}
#: Product registry name -> its launch role template.
LAUNCH_ROLES: dict[str, TemplateSpec] = {
    spec.launches: spec for spec in TEMPLATES.values() if spec.launches is not None
}


def spec_for_file(path: Path) -> TemplateSpec | None:
    """The registered template a built file is (by its file name), None for any other file."""
    return next((spec for spec in TEMPLATES.values() if spec.filename == Path(path).name), None)
