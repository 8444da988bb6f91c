"""What deploying this product needs to know about it, beyond the template (the registry hangs
these on the product's entry, as it does the instance product's).

``restore`` does not apply: it restores an instance's backup to a new instance (its registry entry
names an instance output); a cluster's backups are restored with the API's RestoreFromDbBackup (see
the package docstring).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..timestream_influxdb import deploy_checks as instance_checks
from . import service

#: NoEcho parameter -> environment variable its value is read from (the instance product's).
SECRET_ENV = instance_checks.SECRET_ENV

#: Resource types whose replacement or deletion loses data: the cluster, its secrets, their key.
PROTECTED_TYPES = (
    "AWS::Timestream::InfluxDBCluster",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
)

#: Parameters that rename the cluster: the only ones that can replace it (as for the instance).
RENAMING_PARAMETERS = instance_checks.RENAMING_PARAMETERS

#: Parameters whose decrease deletes backups: the backup resource's, as for the instance.
RETENTION_PARAMETERS = instance_checks.RETENTION_PARAMETERS

#: The instance product's checks that hold for the cluster as they are: the storage rule, the name,
#: EngineParameters (InfluxDB v2 parameters, as the cluster runs InfluxDB v2; and the size of the
#: parameter group function's environment, the same function and variables).
SHARED_CHECKS = ("DbStorageType", "AllocatedStorage", "ProjectName", "Environment", "EngineParameters")


def value_problems(values: Mapping[str, str], region: str | None = None) -> list[tuple[str, str]]:
    """(parameter, message) for what the service refuses but CloudFormation only finds out while
    creating the cluster: the storage rule and the name (the instance's, and the cluster's name has
    the same limits), EngineParameters (InfluxDB v2 parameters only), and the subnets: exactly three,
    different ones. Whether they lie in three Availability Zones needs AWS: ``build.py preflight``
    checks it."""
    shared = {k: v for k, v in values.items() if k in SHARED_CHECKS}
    problems = [
        (parameter, message.replace("the instance name", "the cluster name"))
        for parameter, message in instance_checks.value_problems(shared, region)
    ]
    problem = subnets_problem(values.get("SubnetIds", ""))
    if problem:
        problems.append(("SubnetIds", problem))
    return problems


def subnets_problem(text: str) -> str | None:
    """Why a read-replica cluster cannot take the comma-separated subnets ``text`` (None: it can)."""
    subnets = [s.strip() for s in text.split(",") if s.strip()]
    unique = list(dict.fromkeys(subnets))
    if len(unique) == service.SUBNETS and len(subnets) == len(unique):
        return None
    listed = ", ".join(subnets) or "no subnet"
    twice = sorted({s for s in subnets if subnets.count(s) > 1})
    detail = f" ({', '.join(twice)} more than once)" if twice else ""
    return (
        f"{listed}{detail}: a read-replica cluster takes exactly {service.SUBNETS} different subnets, "
        f"each in its own Availability Zone"
    )
