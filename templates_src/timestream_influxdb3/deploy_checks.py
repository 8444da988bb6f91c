"""What ``build.py deploy`` checks before it creates or changes a stack of the InfluxDB 3 product.

Settings of InfluxDB 2 (Username, Password, Organization, Bucket, InfluxDBToken, AllocatedStorage,
DbStorageType, DeploymentType, DbParameterGroupIdentifier) are not parameters of this template:
deploy's parameter check refuses them by name with the parameters this template accepts. The launch
form's own constraints refuse a database name InfluxDB 3 does not take (AllowedPattern) and
EnterpriseNodes given for Core (a Rule), and deploy checks them offline; what they cannot say is
checked here: the cluster's name, the subnets, and EngineParameters (the chosen engine's InfluxDB 3
parameters, no node count, and the size of the parameter group function's environment).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..timestream_influxdb import deploy_checks as instance_checks
from ..timestream_influxdb.parameter_group import PARAMETER_GROUP_RESOURCE
from . import service
from .functions.influxdb3_parameter_group import CONFIGURED
from .options import engine_parameter_problems

#: NoEcho parameter -> environment variable: none (no password, no token on the launch form).
SECRET_ENV: dict[str, str] = {}

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

#: Parameters that choose the service-defined parameter group: the template's engine guard refuses
#: an update that changes the group, before the cluster; deploy refuses any change of their value
#: earlier, without a change set (stricter: EnterpriseNodes empty and 3 choose the same group).
FIXED_PARAMETERS = ("Engine", "EnterpriseNodes")


def value_problems(values: Mapping[str, str], region: str | None = None) -> list[tuple[str, str]]:
    """(parameter, message) for what the service or InfluxDB 3 refuses but CloudFormation finds
    out only while creating the stack."""
    named = {k: v for k, v in values.items() if k in ("ProjectName", "Environment")}
    problems = [
        (parameter, message.replace("the instance name", "the cluster name"))
        for parameter, message in instance_checks.value_problems(named, region)
    ]
    if "SubnetIds" in values:
        problem = subnets_problem(values["SubnetIds"])
        if problem:
            problems.append(("SubnetIds", problem))
    engine = values.get("Engine", "")
    if engine in service.ENGINES:  # another value is the launch form's AllowedValues to refuse
        text = values.get("EngineParameters", "")
        found = engine_parameter_problems(engine, values.get("EnterpriseNodes", ""), text)
        problems.extend(("EngineParameters", problem) for problem in found)
    problems.extend(instance_checks.environment_problems(values, parameter_group_environment))
    return problems


def parameter_group_environment(values: Mapping[str, str]) -> dict[str, str]:
    """The parameter group function's environment variables as the template sets them, with the
    values only known at deploy (the stack id) and the engine's names at their longest."""
    given = {
        "Engine": max(service.MODEL_ENGINES.values(), key=len),
        "EngineParameters": values.get("EngineParameters", ""),
        "ServiceParameterGroup": max(service.PARAMETER_GROUPS.values(), key=len),
        "ProjectName": values.get("ProjectName", ""),
        "Environment": values.get("Environment", ""),
    }
    return {
        **{CONFIGURED[name]: value for name, value in given.items()},
        "STACK_ID": instance_checks.LONGEST_STACK_ID,
        "LOGICAL_RESOURCE_ID": PARAMETER_GROUP_RESOURCE,
    }


def subnets_problem(text: str) -> str | None:
    """Why an InfluxDB 3 cluster of this product cannot take the comma-separated subnets ``text``."""
    subnets = [s.strip() for s in text.split(",") if s.strip()]
    unique = list(dict.fromkeys(subnets))
    if service.SUBNETS_MIN <= len(unique) <= service.SUBNETS_MAX and len(subnets) == len(unique):
        return None
    listed = ", ".join(subnets) or "no subnet"
    return (
        f"{listed}: an InfluxDB 3 cluster takes {service.SUBNETS_MIN} or {service.SUBNETS_MAX} "
        "different subnets, each in its own Availability Zone"
    )
